"""A conflict with the disk: keep mine / take theirs / show both; and the two-version view."""
from __future__ import annotations

from typing import Iterable, Optional

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Label, Static

from core.session import Conflict, diff_pairs

from ..render import clean
from ..widgets.footer import StudioFooter


def conflict_summary(conflict: Conflict, files: Iterable[str]) -> Text:
    diffs = diff_pairs(conflict.mine, conflict.theirs)
    t = Text()
    t.append(", ".join(files) or "The pair files", style="bold")
    t.append(" changed on disk while you have unsaved edits here.\n\n")
    mine_rows = [d.mine_line for d in diffs if d.mine_line]
    theirs_rows = [d.theirs_line for d in diffs if d.theirs_line]
    t.append(f"Yours: {conflict.mine.pairs} pairs; {_rows(mine_rows)} not on disk.\n")
    t.append(f"Disk:  {conflict.theirs.pairs} pairs; {_rows(theirs_rows)} not in yours.\n\n")
    t.append("m", style="bold cyan")
    t.append(" keep mine: the disk version stays viewable (palette: Show last conflict); ctrl+s then overwrites it\n")
    t.append("t", style="bold cyan")
    t.append(" take theirs: load the disk version; yours stays one u (undo) away\n")
    t.append("b", style="bold cyan")
    t.append(" show both versions, row by row\n")
    t.append("esc", style="bold cyan")
    t.append(" decide later (nothing changes; saving asks again)")
    return t


def _rows(nums: list[int], limit: int = 8) -> str:
    if not nums:
        return "every row also"
    s = ", ".join(map(str, nums[:limit])) + (f" and {len(nums) - limit} more" if len(nums) > limit else "")
    return f"row {s} is" if len(nums) == 1 else f"rows {s} are"


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
            yield Static(conflict_summary(self.conflict, self.files), id="conflict-body")
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


def both_text(conflict: Conflict) -> Table:
    """Every differing row, mine above the disk's; a side equal in both is dimmed."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    diffs = diff_pairs(conflict.mine, conflict.theirs)
    if not diffs:
        grid.add_row("", Text("The two versions are identical.", style="dim"))
        return grid
    for d in diffs:
        head = (f"mine line {d.mine_line}" if d.mine_line else "not in mine") + " · " + \
               (f"disk line {d.theirs_line}" if d.theirs_line else "not on disk")
        grid.add_row(Text(head, style="bold underline"), "")
        for label, pair, other, style in (("mine", d.mine, d.theirs, "cyan"),
                                          ("disk", d.theirs, d.mine, "yellow")):
            if pair is None:
                grid.add_row(Text(f"{label}  ", style=f"bold {style}"), Text("(no such row)", style="dim"))
                continue
            for k, sign in ((0, "+"), (1, "-")):
                same = other is not None and other[k] == pair[k]
                grid.add_row(Text(f"{label} {sign}", style=f"bold {style}"),
                             Text(clean(pair[k]), style="dim" if same else ""))
        grid.add_row("", "")
    return grid


class BothScreen(Screen[Optional[str]]):
    """Both versions of a conflict, row by row. mode 'choose': m/t decide the conflict;
    mode 'view' (a past conflict): m/t put that version into the editor, undoably."""

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
            yield Static(both_text(self.conflict), id="both-body")
        yield StudioFooter()

    def on_mount(self) -> None:
        self.query_one("#both-scroll").focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_close(self) -> None:
        self.dismiss(None)
