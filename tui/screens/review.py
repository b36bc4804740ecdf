"""First-token review: for each line, the scenario's ending beside the first tokens of its
completion; x marks EXPRESS (the tokens express the trait), p marks EXPLAIN (they explain an act
the scenario already committed), space skips. Marks are stored in the cache keyed by content."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from core.session import EXPLAIN, EXPRESS
from core.verdicts import first_pieces

from ..actions import REVIEW, bindings
from ..colours import COLOUR_CLASSES, colour_of
from ..render import clean, completion_text, fit_end, fit_start
from ..widgets.footer import StudioFooter

if TYPE_CHECKING:
    from core.session import Session

SIDES = ("positive", "negative")
FIRST_N = 5


def review_layout(width: int, n_rows: int) -> dict[str, int]:
    num = max(3, len(str(max(n_rows, 1))))
    rest = max(0, width - (num + 1) - 2 - 3 - 1 - 7)
    ending = max(8, rest * 55 // 100)
    return {"num": num, "ending": ending, "tokens": max(0, rest - ending)}


def review_order(session: "Session") -> list[tuple[int, str]]:
    """(line, side) in list order: a matched dataset pair by pair (positive above negative);
    an unmatched one every positive line, then every negative line (sides of any length)."""
    if session.matched:
        return [(row, side) for row in range(session.n_pairs) for side in SIDES]
    return [(row, side) for side in SIDES for row in range(session.side_len(side))]


class ReviewList(ScrollView, can_focus=True):
    """Two lines per pair (positive, negative), or each side's lines in turn for an unmatched
    dataset; the cursor is on one line."""

    COMPONENT_CLASSES = {"review-list--cursor", "review-list--express", "review-list--explain",
                         "review-list--none", "review-list--sep", "review-list--token"}

    cursor: reactive[int] = reactive(0, always_update=True)

    class Moved(Message):
        pass

    def __init__(self, session: "Session", **kw) -> None:
        super().__init__(**kw)
        self.session = session
        self.entries = review_order(session)
        self._entries_of = session.buf_version

    def order(self) -> list[tuple[int, str]]:
        """The list's lines, rebuilt when the buffers changed (a cut or reload meanwhile)."""
        if self._entries_of != self.session.buf_version:
            self.entries, self._entries_of = review_order(self.session), self.session.buf_version
        return self.entries

    @property
    def n_lines(self) -> int:
        return len(self.order())

    @property
    def position(self) -> tuple[int, str]:
        entries = self.order()
        if not entries:
            return 0, SIDES[0]
        return entries[max(0, min(self.cursor, len(entries) - 1))]

    def index_of(self, row: int, side: str) -> int:
        """The list line of (row, side), or the nearest one of that side."""
        entries = self.order()
        same = [i for i, (r, s) in enumerate(entries) if s == side]
        if not same:
            return 0
        return next((i for i in same if entries[i][0] >= row), same[-1])

    def on_mount(self) -> None:
        self.virtual_size = Size(self.size.width, self.n_lines)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.n_lines)
        self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, force=True,
                              immediate=True, x_axis=False)

    def watch_cursor(self, old: int, new: int) -> None:
        clamped = max(0, min(new, self.n_lines - 1))
        if clamped != new:
            self.cursor = clamped
            return
        # keep the whole pair in view (an unmatched dataset: the line)
        paired = self.session.matched
        top = clamped - clamped % 2 if paired else clamped
        self.scroll_to_region(Region(0, top, 1, 2 if paired else 1), animate=False, force=True,
                              immediate=True, x_axis=False)
        self.refresh()
        self.post_message(self.Moved())

    def _s(self, name: str) -> Style:
        st = self.get_component_rich_style(f"review-list--{name}")
        if name == "cursor":
            return Style(bgcolor=st.bgcolor)
        return Style(color=st.color, bold=st.bold, italic=st.italic, dim=st.dim)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = int(self.scroll_y) + y
        base = self.rich_style
        if line >= self.n_lines:
            return Strip.blank(width, base)
        row, side = self.order()[line]
        style = base + (self._s("cursor") if line == self.cursor else Style())
        lay = review_layout(width, self.session.n_pairs)
        s = self.session
        numbered = side == "positive" or not s.matched      # unmatched: every line its number
        num = f"{row + 1:>{lay['num']}} " if numbered else " " * (lay["num"] + 1)
        sign = "+ " if side == "positive" else "- "
        own = s.results.get((side, s.text(side, row)))
        segs = [Segment(num, style + Style(dim=True)), Segment(sign, style + Style(bold=True)),
                Segment(fit_end(s.text(side, row), lay["ending"]), style),
                Segment(" → ", style + self._s("sep"))]
        if own is None or own.completion is None:
            segs.append(Segment(fit_start("(no completion yet)", lay["tokens"]), style + Style(dim=True)))
        else:
            room = lay["tokens"]
            for i, piece in enumerate(first_pieces(own.tokens, own.completion, FIRST_N)):
                piece = clean(piece) or "∅"
                sep = "│" if i else ""
                need = cell_len(sep) + cell_len(piece)
                if need > room:
                    if room > 0:
                        segs.append(Segment(fit_start(sep + piece, room), style + self._s("token")))
                        room = 0
                    break
                if sep:
                    segs.append(Segment(sep, style + self._s("sep")))
                segs.append(Segment(piece, style + self._s("token")))
                room -= need
            if room > 0:
                segs.append(Segment(" " * room, style))
        mark = s.get_mark(side, row)
        label = {EXPRESS: "EXPRESS", EXPLAIN: "EXPLAIN"}.get(mark or "", "      ·")
        mstyle = self._s("express" if mark == EXPRESS else "explain" if mark == EXPLAIN else "none")
        segs += [Segment(" ", style), Segment(label, style + mstyle)]
        return Strip(segs).adjust_cell_length(width, style)


class ReviewScreen(Screen):
    BINDINGS = bindings(REVIEW)
    COMPONENT_CLASSES = COLOUR_CLASSES

    def __init__(self, start_row: int = 0, start_side: str = "positive") -> None:
        super().__init__(id="review")
        self.start_row = start_row
        self.start_side = start_side

    @property
    def session(self) -> "Session":
        return self.app.session  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static(id="review-head")
        yield ReviewList(self.session, id="review-list")
        yield Static(id="review-detail")
        yield StudioFooter()

    def on_mount(self) -> None:
        lst = self.query_one(ReviewList)
        lst.cursor = (min(self.start_row * 2, max(0, lst.n_lines - 1)) if self.session.matched
                      else lst.index_of(self.start_row, self.start_side))
        lst.focus()
        self.refresh_all()

    def refresh_all(self, note: str = "") -> None:
        s = self.session
        ex, ep, left = s.review_progress()
        head = Text()
        head.append("First-token review", style="bold")
        head.append(f"  {ex} EXPRESS · {ep} EXPLAIN · {left} to review\n", style="dim")
        head.append("Do the first tokens EXPRESS the trait, or EXPLAIN an act already committed? ",
                    style="italic")
        if note:
            head.append(note, style=colour_of(self)("warn"))
        self.query_one("#review-head", Static).update(head)
        lst = self.query_one(ReviewList)
        if lst.virtual_size.height != lst.n_lines:        # pairs were cut or reloaded meanwhile
            lst.virtual_size = Size(lst.size.width, lst.n_lines)
            if lst.cursor >= lst.n_lines:
                lst.cursor = max(0, lst.n_lines - 1)
        lst.refresh()
        self.refresh_detail()

    def refresh_detail(self) -> None:
        s = self.session
        lst = self.query_one(ReviewList)
        if lst.n_lines == 0:
            self.query_one("#review-detail", Static).update("No pairs.")
            return
        row, side = lst.position
        t = Text()
        t.append(f"{side} {row + 1}: ", style="bold")
        t.append(clean(s.text(side, row)), style="italic")
        t.append("\n")
        own = s.results.get((side, s.text(side, row)))
        if own is not None and own.completion is not None:
            t.append("→ ", style="bold")
            t.append_text(completion_text(own.tokens, own.completion, FIRST_N))
        else:
            t.append("no completion yet: nothing to review", style="dim")
        self.query_one("#review-detail", Static).update(t)

    def on_review_list_moved(self, _message: ReviewList.Moved) -> None:
        self.refresh_detail()

    def _advance(self) -> None:
        lst = self.query_one(ReviewList)
        lst.cursor = min(lst.cursor + 1, max(0, lst.n_lines - 1))

    def action_mark(self, mark: str) -> None:
        row, side = self.query_one(ReviewList).position
        if self.query_one(ReviewList).n_lines == 0:
            return
        if not self.session.set_mark(side, row, mark):
            self.refresh_all("No completion to mark yet.")
            return
        self._advance()
        self.refresh_all()

    def action_clear(self) -> None:
        row, side = self.query_one(ReviewList).position
        if self.query_one(ReviewList).n_lines and self.session.set_mark(side, row, None):
            self.refresh_all()

    def action_skip(self) -> None:
        self._advance()

    def action_move(self, step: int) -> None:
        lst = self.query_one(ReviewList)
        lst.cursor = max(0, min(lst.cursor + step, max(0, lst.n_lines - 1)))

    def action_other_side(self) -> None:
        lst = self.query_one(ReviewList)
        if self.session.matched:
            lst.cursor = lst.cursor + 1 if lst.cursor % 2 == 0 else lst.cursor - 1
            return
        row, side = lst.position        # unmatched: the same line number on the other side
        lst.cursor = lst.index_of(row, "negative" if side == "positive" else "positive")

    def action_next_unmarked(self) -> None:
        lst = self.query_one(ReviewList)
        s = self.session
        n = lst.n_lines
        for k in range(1, n + 1):
            line = (lst.cursor + k) % n
            row, side = lst.order()[line]
            if s.mark_key(side, row) is not None and s.get_mark(side, row) is None:
                lst.cursor = line
                return
        self.refresh_all("Every line with a completion is marked.")

    def action_back(self) -> None:
        self.dismiss(None)
