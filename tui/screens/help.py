"""The help screen: every key (from the screens' own bindings) and what colours and marks mean."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
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
        parts: list = []
        for title, rows in self.sections:
            t = Table.grid(padding=(0, 1))
            t.add_column(no_wrap=True, min_width=12)
            t.add_column(ratio=1)
            for keys, desc in rows:
                t.add_row(Text(f" {keys}", style="bold cyan"), desc)
            parts += [Text(title, style="bold underline"), t, Text("")]
        parts += [Text("Colours and marks", style="bold underline"), self.legend]
        self.plain = "\n".join(
            [title for title, _ in self.sections]
            + [f"{k} {d}" for _, rows in self.sections for k, d in rows] + [self.legend.plain])
        body = Group(*parts)
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label("Help · escape closes · ↑↓ scroll", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(body, id="help-body")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
