"""The editor screen of an unmatched dataset: each side in a pane of its own.

Line N of positive.txt has nothing to do with line N of negative.txt (core.session_sides), so
the two panes scroll independently, each with its own cursor; there are no pair markers and no
pair verdicts. The keys are the pair screen's (tui.actions.SIDES_EDITOR), acting on the
selected line of the active pane: `d` cuts that one line, `a` adds a line to that side, `n`/`N`
and the filter look at lines. The status bar shows each side's pass rate.
"""
from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.reactive import reactive

from core.backend_state import blockers
from core.events import SIDES
from core.session import EditError, Operation

from ..actions import SIDE_PANES, SIDE_TABLE, SIDES_EDITOR, SIDES_REVIEW, bindings
from ..colours import Colour
from ..widgets.detail import DetailPanel
from ..widgets.footer import StudioFooter
from ..widgets.side_table import SideHeader, SideTable
from ..widgets.row_view import number_width
from ..widgets.status import MessageLine, StatusBar
from .editor_base import EditorScreen
from .main import legend

Keep = Optional[tuple[str, int]]        # (side, line) to keep the cursor on


class SidesScreen(EditorScreen):
    """Two independent panes (problems_only: only the lines with a problem, both sides)."""

    ACTIONS = SIDES_EDITOR
    HELP = (("Editor (unmatched dataset: each side on its own)", SIDES_EDITOR),
            ("Moving in a pane", SIDE_TABLE), ("First-token review (v)", SIDES_REVIEW))
    BINDINGS = bindings(SIDES_EDITOR) + bindings(SIDE_PANES)

    active: reactive[str] = reactive("positive", init=False)
    """View state: the pane the keys act on (it has the focus). Its watcher moves the focus."""

    def compose(self) -> ComposeResult:
        session = self.studio.session
        yield StatusBar(id="status")
        with Container(id="body"):
            with Vertical(id="table-column"):
                with Horizontal(id="sides"):
                    for side in SIDES:
                        with Vertical(id=f"pane-{side}", classes="side-pane"):
                            yield SideHeader(side, id=f"header-{side}")
                            yield SideTable(session, side, id=f"side-{side}")
                yield MessageLine(id="message")
            yield DetailPanel(id="detail")
        yield StudioFooter(show_command_palette=False, compact=True)

    # ---------------------------------------------------------------- widgets
    def pane(self, side: str) -> SideTable:
        return self.query_one(f"#side-{side}", SideTable)

    @property
    def table(self) -> SideTable:
        """The active pane (the app asks it for the cursor's line)."""
        return self.pane(self.active)

    def on_mount(self) -> None:
        self.table.focus()
        self.refresh_view()

    def watch_active(self, side: str) -> None:
        if not self.pane(side).has_focus:
            self.set_focus(self.pane(side))     # now, not after the keys already queued
        self.refresh_detail()

    def watch_problems_only(self) -> None:
        self.refresh_view()

    def legend(self, colour: Colour) -> Text:
        return legend(colour, matched=False)

    def action_side(self, side: str) -> None:
        self.active = side

    def action_toggle_side(self) -> None:
        self.active = "negative" if self.active == "positive" else "positive"

    def on_side_table_cursor_moved(self, message: SideTable.CursorMoved) -> None:
        if message.table.has_focus:
            self.active = message.table.side        # a click or tab into the other pane
        if message.table.side == self.active:
            self.refresh_detail()

    def refresh_view(self, keep: Keep = None) -> None:
        """Redraw both panes from the session (called throttled while results stream in)."""
        session = self.studio.session
        for side in SIDES:
            table = self.pane(side)
            rows = session.visible_lines(side, self.problems_only)
            kept = keep[1] if keep is not None and keep[0] == side else None
            if rows != table.rows or kept is not None:
                table.set_rows(rows, kept)
            else:
                table.refresh_changed()
            self.query_one(f"#header-{side}", SideHeader).num_width = number_width(session.side_len(side))
        self.refresh_status()
        self.refresh_detail()
        self.background_later()

    def refresh_detail(self) -> None:
        session = self.studio.session
        self.query_one(DetailPanel).show_line(session, self.active, self.table.current_row,
                                              blockers(session.backends))

    # ---------------------------------------------------------------- actions
    def _line(self) -> Optional[int]:
        row = self.table.current_row
        if row is None:
            self.say(f"No {self.active} line selected." if self.studio.session.side_len(self.active)
                     else f"No {self.active} lines: press a to add one.", "warning")
        return row

    def action_cut(self) -> None:
        row = self._line()
        if row is None:
            return
        side, session = self.active, self.studio.session
        op = session.cut_line(side, row)
        self.refresh_view(keep=(side, op.cursor_after))
        other = "negative" if side == "positive" else "positive"
        self.say(f"Cut {side} line {row + 1} (the {other} side is untouched). u undoes it; "
                 "ctrl+s writes both files.")

    def after_history(self, op: Operation, cursor: int) -> None:
        if op.side is not None:
            self.active = op.side
        self.refresh_view(keep=(op.side, cursor) if op.side is not None else None)
        self.studio.request_tests()

    def action_edit(self) -> None:
        row = self._line()
        if row is None:
            return
        self.edit_line(self.active, row, keep=(self.active, row))

    def action_add(self) -> None:
        side, session = self.active, self.studio.session
        row = self.table.current_row
        after = -1 if row is None else row

        def done(values: Optional[list[str]]) -> None:
            if not values:
                return
            try:
                op = session.add_line(side, after, values[0])
            except EditError as exc:
                self.say(str(exc), "error")
                return
            self.problems_only = False      # the new line shows (a change redraws)
            self.refresh_view(keep=(side, op.cursor_after))
            self.studio.request_tests()
            self.say(f"Added {side} line {op.cursor_after + 1}; testing it now. ctrl+s saves.")

        title = f"New {side} line after line {after + 1}" if after >= 0 else f"New {side} line"
        from .edit import EditScreen
        self.app.push_screen(EditScreen(title, [(side, "")],
                                        f"Unmatched dataset: the line joins the {side} side only."),
                             done)

    def _go_problem(self, step: int) -> None:
        side, session = self.active, self.studio.session
        row = self.table.current_row
        start = row if row is not None else (-1 if step > 0 else 0)
        nxt = session.next_line_problem(side, start, step)
        if nxt is None:
            self.say(f"No problem lines on the {side} side (failures, ambiguous, errors, lint errors).")
            return
        self.table.go_to_row(nxt)
        self.say(f"{side.capitalize()} line {nxt + 1}: {', '.join(session.line_info(side, nxt).problems)}.")

    def action_filter(self) -> None:
        self.problems_only = not self.problems_only
        if self.problems_only:
            p, n = (len(self.pane(side).rows) for side in SIDES)
            self.say(f"Showing problem lines: {p} positive, {n} negative (f shows all).")
        else:
            self.say("Showing all lines.")

    def action_review(self) -> None:
        from .review import ReviewScreen
        row = self.table.current_row
        self.app.push_screen(ReviewScreen(start_row=row or 0, start_side=self.active),
                             lambda _=None: self.refresh_view())

    def action_retest(self) -> None:
        row = self._line()
        if row is None:
            return
        self.retest(row, f"{self.active} line {row + 1}", sides=(self.active,))
