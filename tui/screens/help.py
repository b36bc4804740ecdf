"""The help screen: every key (from the screens' own bindings) and what colours and marks mean."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen[None]):
    """Every key, built from the screens' own bindings, plus what the colours and marks mean."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]], legend: Text) -> None:
        super().__init__()
        self.sections = sections
        self.legend = legend

    def compose(self) -> ComposeResult:
        t = Text()
        for title, rows in self.sections:
            t.append(f"{title}\n", style="bold underline")
            for keys, desc in rows:
                t.append(f"  {keys:<18}", style="bold cyan")
                t.append(f"{desc}\n")
            t.append("\n")
        t.append("Colours and marks\n", style="bold underline")
        t.append_text(self.legend)
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label("Help · escape closes · ↑↓ scroll", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(t, id="help-body")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
