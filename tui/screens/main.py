"""The editor screen: status bar, the linked pair table, the message line, the detail panel."""
from __future__ import annotations

from typing import Optional

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, Vertical

from core.backend_state import blockers
from core.session import EditError, Operation

from ..actions import EDITOR, PROPOSALS, REVIEW, SUGGEST, TABLE, bindings
from ..colours import Colour
from ..widgets.detail import DetailPanel
from ..widgets.footer import StudioFooter
from ..widgets.pair_table import PairHeader, PairTable
from ..widgets.row_view import number_width
from ..widgets.status import MessageLine, StatusBar
from .editor_base import EditorScreen


class MainScreen(EditorScreen):
    """The pairs of a matched dataset (problems_only: only the pairs with a problem)."""

    ACTIONS = EDITOR
    HELP = (("Editor", EDITOR), ("Moving in the table", TABLE), ("First-token review (v)", REVIEW),
            ("Proposals (p)", PROPOSALS), ("Suggested fix (s)", SUGGEST))
    BINDINGS = bindings(EDITOR)

    def watch_problems_only(self) -> None:
        self.refresh_view(keep=self.table.current_row)

    def legend(self, colour: Colour) -> Text:
        return legend(colour)

    def compose(self) -> ComposeResult:
        session = self.studio.session
        yield StatusBar(id="status")
        with Container(id="body"):
            with Vertical(id="table-column"):
                yield PairHeader(id="pair-header")
                yield PairTable(session, id="pairs")
                yield MessageLine(id="message")
            yield DetailPanel(id="detail")
        yield StudioFooter(show_command_palette=False, compact=True)

    # ---------------------------------------------------------------- widgets
    @property
    def table(self) -> PairTable:
        return self.query_one(PairTable)

    def on_mount(self) -> None:
        self.query_one(PairHeader).num_width = number_width(self.studio.session.n_pairs)
        self.table.focus()
        self.refresh_view()

    def refresh_view(self, keep: Optional[int] = None) -> None:
        """Redraw everything from the session (called throttled while results stream in)."""
        session = self.studio.session
        table = self.table
        rows = session.visible_rows(self.problems_only)
        if rows != table.rows or keep is not None:
            table.set_rows(rows, keep)
        else:
            table.refresh_changed()
        self.query_one(PairHeader).num_width = number_width(session.n_pairs)
        self.refresh_status()
        self.refresh_detail()
        self.background_later()

    def refresh_detail(self) -> None:
        session = self.studio.session
        self.query_one(DetailPanel).show(session, self.table.current_row, blockers(session.backends))

    def on_pair_table_cursor_moved(self, message: PairTable.CursorMoved) -> None:
        self.refresh_detail()

    # ---------------------------------------------------------------- actions
    def _row(self) -> Optional[int]:
        row = self.table.current_row
        if row is None:
            self.say("No pair selected." if self.studio.session.n_pairs else
                     "No pairs: press a to add one.", "warning")
        return row

    def action_cut(self) -> None:
        row = self._row()
        if row is None:
            return
        session = self.studio.session
        session.cut_pair(row)
        self.refresh_view(keep=min(row, max(0, session.n_pairs - 1)))
        self.say(f"Cut pair {row + 1} (both lines). u undoes it; ctrl+s writes both files.")

    def after_history(self, op: Operation, cursor: int) -> None:
        self.refresh_view(keep=cursor)
        self.studio.request_tests()

    def action_edit(self) -> None:
        row = self._row()
        if row is None:
            return
        self.edit_line(self.table.side, row, keep=row)

    def action_add(self) -> None:
        session = self.studio.session
        row = self.table.current_row
        after = -1 if row is None else row
        from .edit import EditScreen

        def done(values: Optional[list[str]]) -> None:
            if not values:
                return
            try:
                op = session.add_pair(after, values[0], values[1])
            except EditError as exc:
                self.say(str(exc), "error")
                return
            self.problems_only = False      # the new pair shows (a change redraws)
            self.refresh_view(keep=op.cursor_after)
            self.studio.request_tests()
            self.say(f"Added pair {op.cursor_after + 1}; testing it now. ctrl+s saves.")

        self.app.push_screen(EditScreen(f"New pair after line {after + 1}" if after >= 0 else "New pair",
                                        [("positive", ""), ("negative", "")],
                                        "Both lines are required: pairs are matched by line number."),
                             done)

    def _go_problem(self, step: int) -> None:
        session = self.studio.session
        row = self.table.current_row
        start = (row if row is not None else (-1 if step > 0 else 0))
        nxt = session.next_problem(start, step)
        if nxt is None:
            self.say("No problem pairs (failures, mismatches, identical, ambiguous, errors, lint errors).")
            return
        self.table.go_to_row(nxt)
        info = session.pair_info(nxt)
        self.say(f"Pair {nxt + 1}: {', '.join(info.problems)}.")

    def action_filter(self) -> None:
        self.problems_only = not self.problems_only
        n = len(self.table.rows)
        self.say(f"Showing {n} problem pair{'s' if n != 1 else ''} (f shows all)." if self.problems_only
                 else "Showing all pairs.")

    def action_review(self) -> None:
        from .review import ReviewScreen
        row = self.table.current_row
        self.app.push_screen(ReviewScreen(start_row=row or 0), lambda _=None: self.refresh_view())

    def action_retest(self) -> None:
        row = self._row()
        if row is None:
            return
        self.retest(row, f"pair {row + 1}")

    def action_propose(self) -> None:
        row = self._row()
        if row is not None:
            self.studio.start_propose(row)

    def action_suggest(self) -> None:
        row = self._row()
        if row is not None:
            self.studio.start_suggest(row)


def legend(colour: Colour, matched: bool = True) -> Text:
    """What the colours and marks mean, in the colours studio.tcss gives them (an unmatched
    dataset's screen has no pair markers and no pair rates)."""
    dim = Style(dim=True)
    common = (
        ("  pass", colour("pass")), " positive ≥ threshold / negative ≤ threshold\n",
        ("  fail", colour("fail")), " the other way\n",
        ("  ambiguous", colour("warn")), " score in the 40-60 band\n",
        ("  ERR", colour("error")),
        " the backend or judge failed: neither pass nor fail (detail says why)\n",
        ("  …", dim), " being tested   ", ("·", dim), " not tested yet (or blocked: see status line)\n",
        ("  stale", Style(dim=True, italic=True)),
        " the line changed; the old result shows until the new one arrives\n",
        ("  ~72", colour("predicted")),
        " vet prediction (V): Claude's guess from the scenario alone, shown only until the\n"
        "  line is tested; never a measured score\n",
        "  vector preview: ", ("vec L16 92% d 2.1", colour("vector")),
        " the best layer's held-out accuracy and effect size;\n",
        "  ", ("↯", colour("vector")), " after a line number: the line projects to the other side's side\n",
    )
    detail = ("  detail panel: the first tokens are shown ", ("in reverse", Style(reverse=True)),
              ", their boundaries marked │\n")
    if not matched:
        return Text.assemble(
            *common,
            "  two panes, each side on its own (unmatched): no pair markers, each pane scrolls\n"
            "  alone, a cut removes one line of one side\n",
            *detail,
            "  status line: pos/neg passed/scored on each side; the two sides' lengths\n",
        )
    return Text.assemble(
        *common,
        "  middle column: ", ("≠", colour("fail")), " mismatch (one side passes)  ",
        ("=", colour("warn")), " identical completions  ", ("!", colour("fail")), " lint error  ",
        ("•", colour("caution")), " other problem\n",
        *detail,
        "  status line: pos/neg passed/scored; pairs passing both sides; goal = passing pairs\n"
        "  against the 50+ target: below minimum, meets minimum (70%+), ideal (90%+)\n",
    )
