"""The linked pair table: positive pane left, negative pane right, one row per line number.

Rendered with the Line API (a ScrollView drawing only the rows on screen), so a dataset of a
few thousand lines scrolls as fast as one of ten. Both panes share one cursor row and one
scroll position: they cannot drift apart. The cursor also has a side (left/right, tab) that
says which line `e` edits.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from ..actions import TABLE, bindings
from .row_view import RowView, append_pane_header, number_width, pane_segments

from core.session_pairs import Problem

if TYPE_CHECKING:
    from core.session import PairInfo, Session

SIDES = ("positive", "negative")
MARKER_W = 3


def pane_widths(total: int) -> tuple[int, int]:
    inner = max(0, total - MARKER_W)
    return inner // 2, inner - inner // 2


class PairHeader(Widget):
    """Column headings above the table, laid out exactly like its rows."""

    DEFAULT_CSS = "PairHeader { height: 1; }"
    num_width: reactive[int] = reactive(number_width(0))
    """Cells of the line-number column: a cut or an add repaints the headings only when it
    changes (a repaint is ~1 ms of a key's frame)."""

    def render(self) -> Text:
        left, right = pane_widths(self.size.width)
        t = Text(no_wrap=True, overflow="crop")
        for i, (label, w) in enumerate((("POSITIVE", left), ("NEGATIVE", right))):
            append_pane_header(t, label, w, self.num_width)
            if i == 0:
                t.append("│ │", style="dim")
        return t


class PairTable(RowView, can_focus=True):
    """The two linked panes."""

    BINDINGS = bindings(TABLE)

    side: reactive[str] = reactive("positive")

    class CursorMoved(Message):
        def __init__(self, row: Optional[int], side: str) -> None:
            self.row = row
            self.side = side
            super().__init__()

    def __init__(self, session: "Session", **kw) -> None:
        super().__init__(list(range(session.n_pairs)), **kw)
        self.session = session

    def cursor_moved(self) -> None:
        self.post_message(self.CursorMoved(self.current_row, self.side))

    def watch_side(self, old: str, new: str) -> None:
        self.refresh_line(self.cursor)
        self.post_message(self.CursorMoved(self.current_row, self.side))

    def _state(self, pos: int) -> tuple[tuple, Optional["PairInfo"]]:
        s = self.session
        # what a line shows of the table as a whole: a cut or an add changes only the lines
        # that now hold another row (and all of them when the number column widens)
        base = (pos == self.cursor, self.side, self.has_focus, not self.rows, s.n_pairs == 0,
                number_width(s.n_pairs))
        if pos >= len(self.rows) or s.n_pairs == 0 or self.rows[pos] >= s.n_pairs:
            return base, None
        row = self.rows[pos]
        info = s.pair_info(row)
        p, n = info.positive, info.negative
        return base + (row, s.text("positive", row), s.text("negative", row),
                       p.completion, p.score, p.error, p.stale, n.completion, n.score, n.error,
                       n.stale, info.verdicts, info.problems, info.identical,
                       s.is_inflight("positive", row), s.is_inflight("negative", row),
                       s.prediction("positive", row), s.prediction("negative", row),
                       s.wrong_way("positive", row), s.wrong_way("negative", row)), info

    # -------------------------------------------------------------- actions
    def action_side(self, side: str) -> None:
        self.side = side

    def action_toggle_side(self) -> None:
        self.side = "negative" if self.side == "positive" else "positive"

    def on_click(self, event) -> None:
        y = event.y + int(self.scroll_y)
        if 0 <= y < len(self.rows):
            left, _ = pane_widths(self.scrollable_content_region.width)
            self.side = "positive" if event.x < left + 1 else "negative"
            self.cursor = y

    # -------------------------------------------------------------- drawing
    def empty_note(self) -> str:
        return ("No pair has a problem (f shows all pairs)" if self.session.n_pairs
                else "No pairs: press a to add one")

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        pos = int(self.scroll_y) + y
        self._drawn[pos], info = self._state(pos)
        base = self._base_style()
        if info is None:             # past the rows, or a row past the pairs (_state)
            return self.no_row_line(pos, width, base)
        row = self.rows[pos]
        is_cursor = pos == self.cursor
        left, right = pane_widths(width)
        segs: list[Segment] = []
        row_style = base + (self._style("cursor") if is_cursor else Style())
        for i, (side, w) in enumerate((("positive", left), ("negative", right))):
            style = row_style
            if is_cursor and side == self.side and self.has_focus:
                style = style + self._style("cursor-side")
            segs.extend(self._pane(side, row, info.positive if i == 0 else info.negative,
                                   info.verdicts[i], w, style))
            if i == 0:
                sep = row_style + self._style("sep")
                if info.mismatch:
                    mark, mstyle = "≠", self._style("mismatch")
                elif info.identical:
                    mark, mstyle = "=", self._style("identical")
                elif Problem.LINT_ERROR in info.problems:
                    mark, mstyle = "!", self._style("lint")
                elif info.problems:
                    mark, mstyle = "•", self._style("ambiguous")
                else:
                    mark, mstyle = " ", Style()
                segs += [Segment("│", sep), Segment(mark, row_style + mstyle), Segment("│", sep)]
        return Strip(segs, width).adjust_cell_length(width, base)

    def _pane(self, side: str, row: int, r, verdict: str, width: int, style: Style) -> list[Segment]:
        return pane_segments(self.session.text(side, row), row, r, verdict,
                             self.session.is_inflight(side, row), width, self.session.n_pairs,
                             style, self._style, self.session.prediction(side, row),
                             self.session.wrong_way(side, row))
