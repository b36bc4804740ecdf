"""Edit one line in place, or write a new pair: a modal with one or two one-line text areas."""
from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from core.session import EditError, clean_line


class LineArea(TextArea):
    """A soft-wrapping text area for ONE line: enter submits, pasted line breaks become spaces."""

    class Submitted(Message):
        def __init__(self, area: "LineArea") -> None:
            self.area = area
            super().__init__()

    # Handlers of a subclass run before TextArea's own; prevent_default() keeps TextArea's
    # from running (no newline inserted, no raw paste).
    def on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self))

    def on_paste(self, event: events.Paste) -> None:
        event.prevent_default()
        event.stop()
        text = " ".join(part.strip() for part in event.text.splitlines() if part.strip())
        if self.read_only or not text:
            return
        result = self.replace(text, *self.selection, maintain_selection_offset=False)
        self.move_cursor(result.end_location)


class EditScreen(ModalScreen[list[str] | None]):
    """Returns the edited texts, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Done"),
    ]

    def __init__(self, title: str, fields: list[tuple[str, str]], hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-dialog"):
            yield Label(self.title_text, id="edit-title")
            for i, (label, text) in enumerate(self.fields):
                yield Label(label, classes="edit-label")
                area = LineArea(text, soft_wrap=True, id=f"edit-field-{i}", show_line_numbers=False,
                                tab_behavior="focus")
                yield area
            last = "enter: next field · " if len(self.fields) > 1 else ""
            yield Static(f"{last}enter on the last field or ctrl+s: done · escape: cancel"
                         + (f"\n{self.hint}" if self.hint else ""), id="edit-hint")
            yield Static("", id="edit-error")

    def on_mount(self) -> None:
        # No field when the app is already quitting (e pressed just after q): nothing to focus.
        for first in self.query("#edit-field-0").results(LineArea):
            first.focus()
            first.move_cursor(first.document.end)

    def _areas(self) -> list[LineArea]:
        return [self.query_one(f"#edit-field-{i}", LineArea) for i in range(len(self.fields))]

    def on_line_area_submitted(self, message: LineArea.Submitted) -> None:
        areas = self._areas()
        i = areas.index(message.area)
        if i + 1 < len(areas):
            areas[i + 1].focus()
            areas[i + 1].move_cursor(areas[i + 1].document.end)
        else:
            self.action_submit()

    def action_submit(self) -> None:
        values = []
        for (label, _), area in zip(self.fields, self._areas()):
            try:
                values.append(clean_line(area.text))
            except EditError as exc:
                self.query_one("#edit-error", Static).update(f"{label}: {exc}")
                area.focus()
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
