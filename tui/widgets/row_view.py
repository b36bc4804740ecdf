"""What the pair table and the side tables share: a ScrollView of dataset rows drawn with the
Line API (only the rows on screen), one cursor over the listed rows, repainting only the lines
whose content changed, and one pane's cells (line number, scenario ending, first tokens, score)
in the colours studio.tcss gives the `pair-table--*` component classes.
"""
from __future__ import annotations

from typing import Callable, Optional

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..render import fit_end, fit_start, predicted_cell, score_cell
from .scroll_size import set_virtual_size

ROW_CLASSES = {
    "pair-table--pass", "pair-table--fail", "pair-table--ambiguous", "pair-table--error",
    "pair-table--pending", "pair-table--stale", "pair-table--cursor",
    "pair-table--cursor-side", "pair-table--lineno", "pair-table--mismatch",
    "pair-table--identical", "pair-table--lint", "pair-table--sep", "pair-table--predicted",
    "pair-table--wrong-way",
}

WRONG_WAY = "↯"        # after the line number: the line pulls the trait vector the wrong way


def number_width(n_rows: int) -> int:
    """Cells of the line-number column for n_rows rows."""
    return max(3, len(str(max(n_rows, 1))))


def pane_layout(width: int, n_rows: int) -> dict[str, int]:
    """Column widths of one pane: line number, scenario ending, first tokens, score."""
    return columns(width, number_width(n_rows))


def columns(width: int, num: int) -> dict[str, int]:
    """Column widths of one pane whose line numbers take `num` cells."""
    rest = max(0, width - num - 1 - 1 - 3)          # spaces after num and before score
    tokens = min(36, (rest * 42) // 100)        # the ending matters most: it gets what grows
    ending = max(4, rest - tokens - 1)
    tokens = max(0, rest - ending - 1)
    return {"num": num, "ending": ending, "tokens": tokens, "score": 3, "width": width}


def append_pane_header(t: Text, label: str, width: int, num: int) -> None:
    """One pane's column headings, laid out exactly like its rows (`num`: number_width)."""
    lay = columns(width, num)
    t.append(f"{'#':>{lay['num']}} ", style="dim")
    t.append(fit_start(f"{label} ending", lay["ending"]), style="bold")
    t.append(" ")
    t.append(fit_start("first tokens", lay["tokens"]), style="dim")
    t.append(" ")
    t.append("scr", style="dim")


def pane_segments(text: str, row: int, r, verdict: str, inflight: bool, width: int, n_rows: int,
                  style: Style, st: Callable[[str], Style], pred=None,
                  wrong_way: bool = False) -> list[Segment]:
    """One pane's cells for line `row` (0-based) with result `r`: the number, the END of the
    scenario, the first tokens (or the error), the score; coloured by verdict. `pred`: the
    co-writer's vet prediction, shown in its own style only where there is no measured score.
    `wrong_way`: the vector preview puts this line on the other side's side of the threshold
    (core.session_vectors): marked after the number."""
    lay = pane_layout(width, n_rows)
    vstyle = st(verdict)
    text_style = style + (vstyle if verdict in ("pending", "stale") else Style())
    num = f"{row + 1:>{lay['num']}}"
    if wrong_way:
        lineno = [Segment(num, style + st("lineno")), Segment(WRONG_WAY, style + st("wrong-way"))]
    else:
        lineno = [Segment(num + " ", style + st("lineno"))]
    ending = fit_end(text, lay["ending"])
    if r.error is not None and not r.stale:
        tok = fit_start("! " + r.error, lay["tokens"])
    elif r.completion is not None:
        tok = fit_start(r.completion.lstrip(" ") if r.completion.strip() else "(empty)", lay["tokens"])
    else:
        tok = fit_start("testing…" if inflight else "", lay["tokens"])
    score = score_cell(r.score, verdict, inflight)
    tok_style = style + vstyle
    score_style = style + vstyle + Style(bold=verdict not in ("pending", "stale"))
    # No measured score: the vet prediction, in its own style, never a verdict's colour
    # (also while being tested: a cold start keeps lines in flight for minutes).
    if pred is not None and verdict in ("pending", "stale"):
        score, score_style = predicted_cell(pred.score), style + st("predicted")
        if r.completion is None and not inflight:
            tok, tok_style = fit_start("~ " + pred.reason, lay["tokens"]), score_style
    segs = [
        *lineno,
        Segment(ending, text_style),
        Segment(" ", style),
        Segment(tok, tok_style),
        Segment(" ", style),
        Segment(score, score_style),
    ]
    used = sum(cell_len(s.text) for s in segs)
    if used < width:
        segs.append(Segment(" " * (width - used), style))
    return segs


class RowView(ScrollView, can_focus=True):
    """A cursor over `rows` (dataset line indices, all or the filtered ones). Subclasses say
    what a line depends on (`_state`), draw it (`render_line`) and announce a moved cursor."""

    COMPONENT_CLASSES = ROW_CLASSES

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    """always_update: set_rows announces the row under an unmoved cursor (it may be another
    pair after a cut); repaint=False: watch_cursor repaints the two lines that changed, or all
    of them when the view scrolled (a repaint of every line is ~3 ms of a key's frame)."""

    def __init__(self, rows: list[int], **kw) -> None:
        super().__init__(**kw)
        self.rows: list[int] = rows
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
        set_virtual_size(self, Size(self.size.width, len(rows)))
        if rows and target is not None:
            pos = next((i for i, r in enumerate(rows) if r >= target), len(rows) - 1)
            self.cursor = pos
        else:
            self.cursor = 0
        self.refresh_changed()      # the lines that now show another row (a scroll repaints all)

    def go_to_row(self, row: int) -> None:
        if row in self.rows:
            self.cursor = self.rows.index(row)

    def cursor_moved(self) -> None:
        """The cursor (or what it points at) moved: tell the screen."""

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
        self.cursor_moved()

    def _state(self, pos: int) -> tuple[tuple, object]:
        raise NotImplementedError

    def line_state(self, pos: int) -> tuple:
        """Everything render_line(pos) depends on besides size, scroll and styles: equal states
        draw equal lines."""
        return self._state(pos)[0]

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

    def empty_note(self) -> str:
        """What the first line says when no row is listed."""
        raise NotImplementedError

    def no_row_line(self, pos: int, width: int, base: Style) -> Strip:
        """A line that shows no row: the empty table's note on its first line, else blank."""
        if pos == 0 and not self.rows:
            return Strip([Segment(fit_start("  " + self.empty_note(), width), base + self._style("pending"))])
        return Strip.blank(width, base)

    def _base_style(self) -> Style:
        hit = self._styles.get("")
        if hit is None:
            hit = self._styles[""] = self.rich_style
        return hit

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()
