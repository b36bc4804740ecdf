"""The linked pair table: positive pane left, negative pane right, one row per line number.

Rendered with the Line API (a ScrollView drawing only the rows on screen), so a dataset of a
few thousand lines scrolls as fast as one of ten. Both panes share one cursor row and one
scroll position: they cannot drift apart. The cursor also has a side (left/right, tab) that
says which line `e` edits.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from ..actions import TABLE, bindings
from ..render import fit_end, fit_start, score_cell

from core.session_pairs import Problem

if TYPE_CHECKING:
    from core.session import PairInfo, Session

SIDES = ("positive", "negative")
MARKER_W = 3
WRONG_WAY = "↯"        # after the line number: the line pulls the trait vector the wrong way


def pane_layout(width: int, n_rows: int) -> dict[str, int]:
    """Column widths of one pane: line number, scenario ending, first tokens, score."""
    num = max(3, len(str(max(n_rows, 1))))
    rest = max(0, width - num - 1 - 1 - 3)          # spaces after num and before score
    tokens = min(36, (rest * 42) // 100)        # the ending matters most: it gets what grows
    ending = max(4, rest - tokens - 1)
    tokens = max(0, rest - ending - 1)
    return {"num": num, "ending": ending, "tokens": tokens, "score": 3, "width": width}


def pane_widths(total: int) -> tuple[int, int]:
    inner = max(0, total - MARKER_W)
    return inner // 2, inner - inner // 2


class PairHeader(Widget):
    """Column headings above the table, laid out exactly like its rows."""

    DEFAULT_CSS = "PairHeader { height: 1; }"
    n_rows: reactive[int] = reactive(0)

    def render(self) -> Text:
        left, right = pane_widths(self.size.width)
        t = Text(no_wrap=True, overflow="crop")
        for i, (label, w) in enumerate((("POSITIVE", left), ("NEGATIVE", right))):
            lay = pane_layout(w, self.n_rows)
            t.append(f"{'#':>{lay['num']}} ", style="dim")
            t.append(fit_start(f"{label} ending", lay["ending"]), style="bold")
            t.append(" ")
            t.append(fit_start("first tokens", lay["tokens"]), style="dim")
            t.append(" ")
            t.append("scr", style="dim")
            if i == 0:
                t.append("│ │", style="dim")
        return t


class PairTable(ScrollView, can_focus=True):
    """The two linked panes."""

    COMPONENT_CLASSES = {
        "pair-table--pass", "pair-table--fail", "pair-table--ambiguous", "pair-table--error",
        "pair-table--pending", "pair-table--stale", "pair-table--cursor",
        "pair-table--cursor-side", "pair-table--lineno", "pair-table--mismatch",
        "pair-table--identical", "pair-table--lint", "pair-table--sep", "pair-table--wrong-way",
    }

    BINDINGS = bindings(TABLE)

    cursor: reactive[int] = reactive(0, always_update=True)
    side: reactive[str] = reactive("positive")

    class CursorMoved(Message):
        def __init__(self, row: Optional[int], side: str) -> None:
            self.row = row
            self.side = side
            super().__init__()

    def __init__(self, session: "Session", **kw) -> None:
        super().__init__(**kw)
        self.session = session
        self.rows: list[int] = list(range(session.n_pairs))
        # What render_line last drew at each table position (see line_state): lets a redraw
        # repaint only the lines whose content changed, not the whole table.
        self._drawn: dict[int, tuple] = {}
        self._styles: dict[str, Style] = {}

    # -------------------------------------------------------------- data
    @property
    def current_row(self) -> Optional[int]:
        """The dataset row (0-based line index) under the cursor, None when nothing is shown."""
        if not self.rows:
            return None
        return self.rows[max(0, min(self.cursor, len(self.rows) - 1))]

    def set_rows(self, rows: list[int], keep: Optional[int] = None) -> None:
        """Show these dataset rows; keep the cursor on dataset row `keep` (or the nearest)."""
        target = self.current_row if keep is None else keep
        self.rows = rows
        self.virtual_size = Size(self.size.width, len(rows))
        if rows and target is not None:
            pos = next((i for i, r in enumerate(rows) if r >= target), len(rows) - 1)
            self.cursor = pos
        else:
            self.cursor = 0
        self.refresh()

    def go_to_row(self, row: int) -> None:
        if row in self.rows:
            self.cursor = self.rows.index(row)

    def watch_cursor(self, old: int, new: int) -> None:
        if self.rows:
            clamped = max(0, min(new, len(self.rows) - 1))
            if clamped != new:
                self.cursor = clamped
                return
            scroll = self.scroll_y
            self.scroll_to_region(Region(0, clamped, 1, 1), animate=False, force=True, immediate=True,
                                  x_axis=False)
            if self.scroll_y == scroll:
                # Only the rows that lost and gained the cursor change (a scroll repaints all).
                self.refresh_line(old)
                self.refresh_line(new)
            else:
                self.refresh()
        else:
            self.refresh()
        self.post_message(self.CursorMoved(self.current_row, self.side))

    def watch_side(self, old: str, new: str) -> None:
        self.refresh_line(self.cursor)
        self.post_message(self.CursorMoved(self.current_row, self.side))

    def line_state(self, pos: int) -> tuple:
        """Everything render_line(pos) depends on besides size, scroll and styles: equal states
        draw equal lines."""
        return self._state(pos)[0]

    def _state(self, pos: int) -> tuple[tuple, Optional["PairInfo"]]:
        s = self.session
        base = (pos == self.cursor, self.side, self.has_focus, len(self.rows), s.n_pairs)
        if pos >= len(self.rows) or s.n_pairs == 0 or self.rows[pos] >= s.n_pairs:
            return base, None
        row = self.rows[pos]
        info = s.pair_info(row)
        p, n = info.positive, info.negative
        return base + (row, s.text("positive", row), s.text("negative", row),
                       p.completion, p.score, p.error, p.stale, n.completion, n.score, n.error,
                       n.stale, info.verdicts, info.problems, info.identical,
                       s.is_inflight("positive", row), s.is_inflight("negative", row),
                       s.wrong_way("positive", row), s.wrong_way("negative", row)), info

    def refresh_changed(self) -> int:
        """Repaint only the visible lines whose state differs from what was last drawn there
        (the results streaming in touch a few rows at a time). Returns how many."""
        top = int(self.scroll_y)
        n = 0
        for pos in range(top, top + max(0, self.scrollable_content_region.height)):
            if self._drawn.get(pos) != self.line_state(pos):
                self.refresh_line(pos)
                n += 1
        return n

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))
        if self.rows:
            self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, force=True, immediate=True,
                                  x_axis=False)

    # -------------------------------------------------------------- actions
    def action_cursor_up(self) -> None:
        self.cursor = max(0, self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.cursor = min(max(0, len(self.rows) - 1), self.cursor + 1)

    def action_page_up(self) -> None:
        self.cursor = max(0, self.cursor - max(1, self.size.height - 1))

    def action_page_down(self) -> None:
        self.cursor = min(max(0, len(self.rows) - 1), self.cursor + max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(0, len(self.rows) - 1)

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
    def _style(self, name: str) -> Style:
        """A component's foreground (colour, bold, italic) or, for cursor components, its
        background, resolved against the widget's background (alpha blended). Kept until the
        styles change (theme, CSS, classes): render_line asks for a dozen per line."""
        hit = self._styles.get(name)
        if hit is not None:
            return hit
        st = self.get_component_rich_style(f"pair-table--{name}")
        if name.startswith("cursor"):
            out = Style(bgcolor=st.bgcolor)
        else:
            out = Style(color=st.color, bold=st.bold, italic=st.italic, dim=st.dim)
        self._styles[name] = out
        return out

    def _base_style(self) -> Style:
        hit = self._styles.get("")
        if hit is None:
            hit = self._styles[""] = self.rich_style
        return hit

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        pos = int(self.scroll_y) + y
        self._drawn[pos], info = self._state(pos)
        base = self._base_style()
        if pos >= len(self.rows) or self.session.n_pairs == 0:
            if pos == 0 and not self.rows:
                msg = ("No pair has a problem (f shows all pairs)" if self.session.n_pairs
                       else "No pairs: press a to add one")
                return Strip([Segment(fit_start("  " + msg, width), base + self._style("pending"))])
            return Strip.blank(width, base)
        row = self.rows[pos]
        if row >= self.session.n_pairs or info is None:
            return Strip.blank(width, base)
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
        lay = pane_layout(width, self.session.n_pairs)
        vstyle = self._style(verdict)
        inflight = self.session.is_inflight(side, row)
        text_style = style + (vstyle if verdict in ("pending", "stale") else Style())
        num = f"{row + 1:>{lay['num']}}"
        # The vector preview: this line projects to the other side of the best layer's threshold.
        if self.session.wrong_way(side, row):
            lineno = [Segment(num, style + self._style("lineno")),
                      Segment(WRONG_WAY, style + self._style("wrong-way"))]
        else:
            lineno = [Segment(num + " ", style + self._style("lineno"))]
        ending = fit_end(self.session.text(side, row), lay["ending"])
        if r.error is not None and not r.stale:
            tok = fit_start("! " + r.error, lay["tokens"])
        elif r.completion is not None:
            tok = fit_start(r.completion.lstrip(" ") if r.completion.strip() else "(empty)", lay["tokens"])
        else:
            tok = fit_start("testing…" if inflight else "", lay["tokens"])
        score = score_cell(r.score, verdict, inflight)
        segs = [
            *lineno,
            Segment(ending, text_style),
            Segment(" ", style),
            Segment(tok, style + vstyle),
            Segment(" ", style),
            Segment(score, style + vstyle + Style(bold=verdict not in ("pending", "stale"))),
        ]
        used = sum(cell_len(s.text) for s in segs)
        if used < width:
            segs.append(Segment(" " * (width - used), style))
        return segs
