"""A conflict with the disk: keep mine / take theirs / show both; and the two-version view."""
from __future__ import annotations

from typing import Iterable, Optional

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, Label, Static

from core.session import Conflict, Snapshot, diff_lines, diff_pairs
from core.session_sides import size_words

from ..colours import COLOUR_CLASSES, Colour, colour_of
from ..render import clean
from ..widgets.footer import StudioFooter


def _size(snap: Snapshot, matched: bool) -> str:
    return size_words(len(snap.positive), len(snap.negative), matched)


def conflict_summary(conflict: Conflict, files: Iterable[str], colour: Colour) -> Text:
    t = Text()
    t.append(", ".join(files) or "The pair files", style="bold")
    t.append(" changed on disk while you have unsaved edits here.\n\n")
    if conflict.matched:
        diffs = diff_pairs(conflict.mine, conflict.theirs)
        mine_rows = f"{_rows([d.mine_line for d in diffs if d.mine_line])} not on disk"
        theirs_rows = f"{_rows([d.theirs_line for d in diffs if d.theirs_line])} not in yours"
    else:       # each side on its own: "positive lines 3, 4 are not on disk"
        line_diffs = diff_lines(conflict.mine, conflict.theirs)
        mine_rows = _side_rows([(d.side, d.mine_line) for d in line_diffs if d.mine_line],
                               "not on disk", "every line is on disk too")
        theirs_rows = _side_rows([(d.side, d.theirs_line) for d in line_diffs if d.theirs_line],
                                 "not in yours", "every line is in yours too")
    t.append(f"Yours: {_size(conflict.mine, conflict.matched)}; {mine_rows}.\n")
    t.append(f"Disk:  {_size(conflict.theirs, conflict.matched)}; {theirs_rows}.\n\n")
    key = colour("key")
    t.append("m", style=key)
    t.append(" keep mine: the disk version stays viewable (palette: Show last conflict); ctrl+s then overwrites it\n")
    t.append("t", style=key)
    t.append(" take theirs: load the disk version; yours stays one u (undo) away\n")
    t.append("b", style=key)
    t.append(" show both versions, row by row\n")
    t.append("esc", style=key)
    t.append(" decide later (nothing changes; saving asks again)")
    return t


def _rows(nums: list[int], limit: int = 8) -> str:
    if not nums:
        return "every row also"
    s = ", ".join(map(str, nums[:limit])) + (f" and {len(nums) - limit} more" if len(nums) > limit else "")
    return f"row {s} is" if len(nums) == 1 else f"rows {s} are"


def _side_rows(lines: list[tuple[str, int]], where: str, none: str, limit: int = 8) -> str:
    if not lines:
        return none
    parts = []
    for side in ("positive", "negative"):
        nums = [n for s, n in lines if s == side]
        if nums:
            more = f" and {len(nums) - limit} more" if len(nums) > limit else ""
            parts.append(f"{side} line{'s' if len(nums) != 1 else ''} "
                         f"{', '.join(map(str, nums[:limit]))}{more}")
    return " and ".join(parts) + (" is " if len(lines) == 1 else " are ") + where


class ConflictSummary(Widget):
    """The dialog's text, drawn with the colours the stylesheet gives it (tui.colours)."""

    DEFAULT_CSS = "ConflictSummary { height: auto; }"
    COMPONENT_CLASSES = COLOUR_CLASSES

    def __init__(self, conflict: Conflict, files: list[str], **kw) -> None:
        super().__init__(**kw)
        self.conflict = conflict
        self.files = files

    def render(self) -> Text:
        return conflict_summary(self.conflict, self.files, colour_of(self))


class ConflictScreen(ModalScreen[str]):
    """Returns mine | theirs | later."""

    BINDINGS = [
        Binding("m", "choose('mine')", "Keep mine"),
        Binding("t", "choose('theirs')", "Take theirs"),
        Binding("b", "both", "Show both"),
        Binding("escape", "choose('later')", "Later"),
    ]

    def __init__(self, conflict: Conflict, files: Iterable[str]) -> None:
        super().__init__()
        self.conflict = conflict
        self.files = list(files)

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict-dialog", classes="dialog"):
            yield Label("Conflict: the files changed on disk", classes="dialog-title")
            yield ConflictSummary(self.conflict, self.files, id="conflict-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("m Keep mine", id="mine")
                yield Button("t Take theirs", id="theirs")
                yield Button("b Show both", id="both")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "both":
            self.action_both()
        else:
            self.dismiss(event.button.id or "later")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_both(self) -> None:
        def chosen(choice: Optional[str]) -> None:
            if choice in ("mine", "theirs"):
                self.dismiss(choice)
        self.app.push_screen(BothScreen(self.conflict, mode="choose"), chosen)


# Whose version a row is, by meaning (studio.tcss through tui.colours).
VERSION_COLOUR = {"mine": "mark", "disk": "caution"}


def both_text(conflict: Conflict, colour: Colour) -> Table:
    """Every differing row, mine above the disk's; a side equal in both is dimmed."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    if not conflict.matched:
        return _both_lines(conflict, grid, colour)
    diffs = diff_pairs(conflict.mine, conflict.theirs)
    if not diffs:
        grid.add_row("", Text("The two versions are identical.", style="dim"))
        return grid
    for d in diffs:
        head = (f"mine line {d.mine_line}" if d.mine_line else "not in mine") + " · " + \
               (f"disk line {d.theirs_line}" if d.theirs_line else "not on disk")
        grid.add_row(Text(head, style="bold underline"), "")
        for label, pair, other in (("mine", d.mine, d.theirs), ("disk", d.theirs, d.mine)):
            style = colour(VERSION_COLOUR[label]) + Style(bold=True)
            if pair is None:
                grid.add_row(Text(f"{label}  ", style=style), Text("(no such row)", style="dim"))
                continue
            for k, sign in ((0, "+"), (1, "-")):
                same = other is not None and other[k] == pair[k]
                grid.add_row(Text(f"{label} {sign}", style=style),
                             Text(clean(pair[k]), style="dim" if same else ""))
        grid.add_row("", "")
    return grid


def _both_lines(conflict: Conflict, grid: Table, colour: Colour) -> Table:
    """An unmatched dataset's differing lines, side by side: mine above the disk's."""
    diffs = diff_lines(conflict.mine, conflict.theirs)
    if not diffs:
        grid.add_row("", Text("The two versions are identical.", style="dim"))
        return grid
    for d in diffs:
        head = f"{d.side}: " + (f"mine line {d.mine_line}" if d.mine_line else "not in mine") + \
            " · " + (f"disk line {d.theirs_line}" if d.theirs_line else "not on disk")
        grid.add_row(Text(head, style="bold underline"), "")
        for label, text in (("mine", d.mine), ("disk", d.theirs)):
            grid.add_row(Text(label, style=colour(VERSION_COLOUR[label]) + Style(bold=True)),
                         Text(clean(text), style="") if text is not None
                         else Text("(no such line)", style="dim"))
        grid.add_row("", "")
    return grid


class BothScreen(Screen[Optional[str]]):
    """Both versions of a conflict, row by row. mode 'choose': m/t decide the conflict;
    mode 'view' (a past conflict): m/t put that version into the editor, undoably."""

    COMPONENT_CLASSES = COLOUR_CLASSES

    BINDINGS = [
        Binding("m", "choose('mine')", "Use mine"),
        Binding("t", "choose('theirs')", "Use disk version"),
        Binding("escape,q", "close", "Back"),
    ]

    def __init__(self, conflict: Conflict, mode: str = "choose") -> None:
        super().__init__()
        self.conflict = conflict
        self.mode = mode

    def compose(self) -> ComposeResult:
        what = ("Choose: m keeps mine, t takes the disk version, escape goes back"
                if self.mode == "choose" else
                "Last conflict: m puts your version back, t puts the disk version in (both undoable)")
        yield Label(what, id="both-title")
        with VerticalScroll(id="both-scroll"):
            yield Static(id="both-body")
        yield StudioFooter()

    def on_mount(self) -> None:
        """The body is built once the screen has its styles: the versions' colours are its."""
        self.query_one("#both-body", Static).update(both_text(self.conflict, colour_of(self)))
        self.query_one("#both-scroll").focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_close(self) -> None:
        self.dismiss(None)
