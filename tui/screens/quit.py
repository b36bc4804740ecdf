"""Quit with unsaved changes: save and quit, discard and quit, or stay."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class QuitScreen(ModalScreen[str]):
    """Unsaved changes: save and quit / discard and quit / stay. Returns save|discard|cancel."""

    BINDINGS = [
        Binding("s", "choose('save')", "Save and quit"),
        Binding("d", "choose('discard')", "Discard and quit"),
        Binding("escape,c", "choose('cancel')", "Stay"),
    ]

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-dialog", classes="dialog"):
            yield Label("Quit with unsaved changes?", classes="dialog-title")
            yield Static(self.detail, id="quit-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button("s Save, quit", id="save", variant="primary")
                yield Button("d Discard, quit", id="discard", variant="error")
                yield Button("esc Stay", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
