"""The help screen: every key (from the screens' own bindings) and what colours and marks mean."""
from __future__ import annotations

from typing import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..colours import COLOUR_CLASSES, Colour, colour_of


class HelpScreen(ModalScreen[None]):
    """Every key, built from the screens' own bindings, plus what the colours and marks mean."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]
    COMPONENT_CLASSES = COLOUR_CLASSES

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]],
                 legend: Callable[[Colour], Text]) -> None:
        super().__init__()
        self.sections = sections
        self.legend = legend
        self.plain = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label("Help · escape closes · ↑↓ scroll", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(id="help-body")

    def on_mount(self) -> None:
        """The body is built once the screen has its styles: the keys' and the legend's colours
        are its."""
        colour = colour_of(self)
        legend = self.legend(colour)
        parts: list = []
        for title, rows in self.sections:
            t = Table.grid(padding=(0, 1))
            t.add_column(no_wrap=True, min_width=12)
            t.add_column(ratio=1)
            for keys, desc in rows:
                t.add_row(Text(f" {keys}", style=colour("key")), desc)
            parts += [Text(title, style="bold underline"), t, Text("")]
        parts += [Text("Colours and marks", style="bold underline"), legend]
        self.plain = "\n".join(
            [title for title, _ in self.sections]
            + [f"{k} {d}" for _, rows in self.sections for k, d in rows] + [legend.plain])
        self.query_one("#help-body", Static).update(Group(*parts))
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
