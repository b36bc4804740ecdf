"""One side of an unmatched dataset: a pane of its own lines, with its own cursor and scroll.

An unmatched dataset's line N of positive.txt has nothing to do with line N of negative.txt
(core.session_sides), so its two panes are two of these, side by side, scrolling
independently; there is no middle column of pair markers. Each line is coloured by its own
verdict. Drawn with the Line API like the pair table (tui.widgets.row_view).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from ..actions import SIDE_MOVES, bindings
from .row_view import RowView, append_pane_header, number_width, pane_segments

if TYPE_CHECKING:
    from core.session import LineInfo, Session


class SideHeader(Widget):
    """Column headings above one side's pane, laid out exactly like its rows."""

    DEFAULT_CSS = "SideHeader { height: 1; }"
    num_width: reactive[int] = reactive(number_width(0))
    """Cells of the line-number column: a cut or an add repaints the headings only when it
    changes (a repaint is ~1 ms of a key's frame)."""

    def __init__(self, side: str, **kw) -> None:
        super().__init__(**kw)
        self.side = side

    def render(self) -> Text:
        t = Text(no_wrap=True, overflow="crop")
        append_pane_header(t, self.side.upper(), self.size.width, self.num_width)
        return t


class SideTable(RowView, can_focus=True):
    """The lines of one side (all, or those with a problem)."""

    BINDINGS = bindings(SIDE_MOVES)

    class CursorMoved(Message):
        def __init__(self, table: "SideTable", row: Optional[int]) -> None:
            self.table = table
            self.row = row
            super().__init__()

    def __init__(self, session: "Session", side: str, **kw) -> None:
        super().__init__(list(range(session.side_len(side))), **kw)
        self.session = session
        self.side = side

    def cursor_moved(self) -> None:
        self.post_message(self.CursorMoved(self, self.current_row))

    def on_focus(self) -> None:
        self.refresh_line(self.cursor)
        self.cursor_moved()

    def on_blur(self) -> None:
        self.refresh_line(self.cursor)

    def _state(self, pos: int) -> tuple[tuple, Optional["LineInfo"]]:
        s = self.session
        n = s.side_len(self.side)
        # a cut or an add changes only the lines that now hold another row (tui.widgets.pair_table)
        base = (pos == self.cursor, self.has_focus, not self.rows, n == 0, number_width(n))
        if pos >= len(self.rows) or self.rows[pos] >= n:
            return base, None
        row = self.rows[pos]
        info = s.line_info(self.side, row)
        r = info.result
        return base + (row, s.text(self.side, row), r.completion, r.score, r.error, r.stale,
                       info.verdict, info.problems, s.is_inflight(self.side, row),
                       s.prediction(self.side, row), s.wrong_way(self.side, row)), info

    # -------------------------------------------------------------- actions
    def on_click(self, event) -> None:
        y = event.y + int(self.scroll_y)
        if 0 <= y < len(self.rows):
            self.cursor = y

    # -------------------------------------------------------------- drawing
    def empty_note(self) -> str:
        return (f"No {self.side} line has a problem (f shows all)"
                if self.session.side_len(self.side) else "No lines: press a to add one")

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        pos = int(self.scroll_y) + y
        self._drawn[pos], info = self._state(pos)
        base = self._base_style()
        if info is None:
            return self.no_row_line(pos, width, base)
        style = base
        if pos == self.cursor:
            style = style + self._style("cursor")
            if self.has_focus:
                style = style + self._style("cursor-side")
        segs = pane_segments(self.session.text(self.side, info.idx), info.idx, info.result,
                             info.verdict, self.session.is_inflight(self.side, info.idx), width,
                             self.session.side_len(self.side), style, self._style,
                             self.session.prediction(self.side, info.idx),
                             self.session.wrong_way(self.side, info.idx))
        return Strip(segs, width).adjust_cell_length(width, base)
