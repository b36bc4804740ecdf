"""The detail panel: the selected pair in full (scenarios, completions, scores, errors, lint)."""
from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Optional, Sequence

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.visual import Visual, visualize

from core.session_cowriter import predicted_verdict
from core.session_pairs import AMBIGUOUS_ON, VERDICT_PROBLEM, Problem
from core.verdicts import LineResult

from ..colours import COLOUR_CLASSES, Colour, colour_of
from ..render import clean, completion_text
from .scroll_size import set_virtual_size

if TYPE_CHECKING:
    from core.session import Session

# A verdict's colour (studio.tcss, tui.colours); pending and stale are drawn faint.
VERDICT_COLOUR = {"pass": "pass", "fail": "fail", "ambiguous": "warn", "error": "error"}
FAINT = {"pending": Style(dim=True), "stale": Style(dim=True, italic=True)}


def verdict_style(verdict: str, colour: Colour) -> Style:
    name = VERDICT_COLOUR.get(verdict)
    return colour(name) if name else FAINT.get(verdict, Style())
PAIR_WORDS = {"pass": "both sides pass", "fail": "both sides fail", "mismatch": "mismatch",
              "error": "error", "pending": "pending"}


def why_pending(session: "Session", side: str, row: int, blockers: dict[str, str]) -> str:
    if session.is_inflight(side, row):
        return "being tested…"
    if session.is_blocked(side, row):
        r = session.result(side, row)
        which = "judge" if r.completion is not None else "generator"
        why = blockers.get(which) or blockers.get("generator") or blockers.get("judge")
        return f"not tested: {why}" if why else "not tested (ctrl+s or r retries)"
    return "waiting to be tested"


def pair_text(session: "Session", row: Optional[int], blockers: dict[str, str], colour: Colour,
              first_n: int = 5) -> Text:
    t = Text()
    if row is None or not 0 <= row < session.n_pairs:
        t.append("No pair selected.", style="dim")
        return t
    info = session.pair_info(row)
    for i, side in enumerate(("positive", "negative")):
        if i:
            t.append("\n")
        side_block(t, session, side, row, info.positive if i == 0 else info.negative,
                   info.verdicts[i], blockers, colour, first_n)
    lint_block(t, session.lint_for(row), colour)
    return t


def side_block(t: Text, session: "Session", side: str, row: int, r: LineResult, verdict: str,
               blockers: dict[str, str], colour: Colour, first_n: int = 5) -> None:
    """One line in full: heading, score and verdict, mark, scenario, completion, why pending."""
    t.append(f"{side.upper()} {row + 1}", style="bold underline")
    t.append("  ")
    if r.score is not None:
        t.append(f"score {r.score}", style=verdict_style(verdict, colour))
        t.append(" ")
    t.append(verdict, style=verdict_style(verdict, colour))
    mark = session.get_mark(side, row)
    if mark:
        t.append(f"  [{mark}]", style=colour("mark"))
    proj = session.projection(side, row)
    if proj is not None:
        t.append(f"  proj {proj:+.2f}", style="dim")
        if session.wrong_way(side, row):
            t.append(" ↯ wrong side", style=colour("vector"))
    t.append("\n")
    t.append(clean(session.text(side, row)), style="italic")
    t.append("\n")
    if r.stale:
        t.append("stale: the result of the previous text or definition; re-testing…\n",
                 style="dim italic")
    if r.error is not None and not r.stale:
        t.append("error: ", style=colour("error"))
        t.append(clean(r.error), style=colour("error-text"))
        t.append("\n")
    pred = session.prediction(side, row)
    if pred is not None:
        t.append(f"~{pred.score} predicted {predicted_verdict(side, pred.score, session.thresholds)}"
                 " (vet, from the scenario alone; not measured): ", style=colour("predicted"))
        t.append(clean(pred.reason), style=colour("predicted"))
        t.append("\n")
    if r.completion is not None:
        t.append("→ ", style="bold")
        t.append_text(completion_text(r.tokens, r.completion, first_n))
        t.append("\n")
        if r.score is None and r.error is None and not r.stale:
            t.append(why_pending(session, side, row, blockers).replace("not tested", "not scored"),
                     style="dim")
            t.append("\n")
    elif r.error is None:
        t.append(why_pending(session, side, row, blockers), style="dim")
        t.append("\n")


def lint_block(t: Text, lint: list, colour: Colour) -> None:
    if lint:
        t.append("\n")
        for f in lint:
            t.append(f"lint {f.level}: ", style=colour("fail" if f.level == "error" else "warn"))
            t.append(f"{f.side or ''} line {f.line if f.line is not None else '?'}: {f.message}\n")


def line_text(session: "Session", side: str, row: Optional[int], blockers: dict[str, str],
              colour: Colour) -> Text:
    """One line of an unmatched dataset in full (it has no partner to show)."""
    t = Text()
    if row is None or not 0 <= row < session.side_len(side):
        t.append(f"No {side} line selected.", style="dim")
        return t
    info = session.line_info(side, row)
    side_block(t, session, side, row, info.result, info.verdict, blockers, colour)
    lint_block(t, session.lint_for_line(side, row), colour)
    return t


def line_title(session: "Session", side: str, row: Optional[int]) -> str:
    if row is None or not 0 <= row < session.side_len(side):
        return side
    info = session.line_info(side, row)
    said = {Problem.ERROR, Problem.FAILS, *AMBIGUOUS_ON.values()}     # the verdict says these
    return " · ".join([f"{side} {row + 1}/{session.side_len(side)}", info.verdict,
                       *(p for p in info.problems if p not in said)])


def pair_title(session: "Session", row: Optional[int]) -> str:
    if row is None or not 0 <= row < session.n_pairs:
        return "pair"
    info = session.pair_info(row)
    bits = [f"pair {row + 1}/{session.n_pairs}", PAIR_WORDS.get(info.pair, info.pair)]
    bits += [p for p in info.problems if p not in VERDICT_PROBLEM.values()]
    return " · ".join(bits)


def surely_overflows(plain: str, width: int, height: int) -> bool:
    """More than `height` lines at `width` whatever the wrap: each paragraph takes at least
    ceil(cells / width) lines (a wrap only ever adds lines to that)."""
    lines = 0
    for paragraph in plain.split("\n"):
        lines += max(1, -(-cell_len(paragraph) // width))
        if lines > height:
            return True
    return False


WRAPS_KEPT = 16                 # texts kept wrapped, most recently shown last


class DetailPanel(ScrollView, can_focus=False):
    """Shows one pair; scrolls with [ and ] from the table.

    Drawn with the Line API into the fixed region studio.tcss gives it: new text repaints the
    panel without a layout pass (a layout pass arranges and draws the whole screen again; with
    a child widget of the text's height, each cursor move or cut that changed the number of
    lines cost two). Only a text that starts or stops overflowing, which shows or hides the
    scrollbar, still asks for one (tui.widgets.scroll_size)."""

    COMPONENT_CLASSES = COLOUR_CLASSES

    _shown: Optional[Text] = None
    _lines: Sequence[Strip] = ()       # the text wrapped to the panel's width

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._wraps: OrderedDict[tuple, tuple[int, list[Strip]]] = OrderedDict()

    @property
    def shown_text(self) -> str:
        """The text the panel shows, unwrapped."""
        return "" if self._shown is None else self._shown.plain

    def show(self, session: "Session", row: Optional[int], blockers: dict[str, str]) -> None:
        """Show this pair."""
        self._show(pair_title(session, row), pair_text(session, row, blockers, colour_of(self)))

    def show_line(self, session: "Session", side: str, row: Optional[int],
                  blockers: dict[str, str]) -> None:
        """Show one line of an unmatched dataset."""
        self._show(line_title(session, side, row),
                   line_text(session, side, row, blockers, colour_of(self)))

    def _show(self, title: str, text: Text) -> None:
        """Leaves the widget alone when nothing shown changed (a redraw while results stream
        in usually concerns other rows)."""
        if title != self.border_title:
            self.border_title = title
        if text == self._shown:
            return
        self._shown = text
        self._wrap(layout=False)

    def _wrap(self, layout: bool) -> None:
        """Wrap the text to the panel's width, narrower by the scrollbar when it overflows."""
        width, height = self.content_size
        if self._shown is None or width <= 0:
            return
        # A wrap is ~3 ms of a key's 10-20: the pairs moved back to (up after down, an undo
        # after a cut) are kept wrapped. Not while a selection is drawn into the strips.
        key = (width, height, self.visual_style, self._shown.plain, tuple(self._shown.spans))
        hit = self._wraps.get(key) if self.text_selection is None else None
        if hit is None:
            hit = self._wrap_at(width, height)
            if self.text_selection is None:
                self._wraps[key] = hit
                if len(self._wraps) > WRAPS_KEPT:
                    self._wraps.popitem(last=False)
        else:
            self._wraps.move_to_end(key)
        width, lines = hit
        self._lines = lines
        size = Size(width, len(lines))
        if layout:
            self.virtual_size = size
        else:
            set_virtual_size(self, size)
        self.refresh()

    def _wrap_at(self, width: int, height: int) -> tuple[int, list[Strip]]:
        """(width wrapped to, lines): beside the scrollbar when the text overflows."""
        visual = visualize(self, self._shown)
        bar = self.styles.scrollbar_size_vertical
        if surely_overflows(self._shown.plain, width, height):
            # one wrap instead of two: a text that overflows whatever its line breaks is
            # wrapped beside the scrollbar only
            width -= bar
            return width, Visual.to_strips(self, visual, width, None, self.visual_style)
        lines = Visual.to_strips(self, visual, width, None, self.visual_style)
        if len(lines) > height:
            width -= bar
            lines = Visual.to_strips(self, visual, width, None, self.visual_style)
        return width, lines

    def on_resize(self) -> None:
        self._wrap(layout=True)

    def get_selection(self, selection: Selection) -> Optional[tuple[str, str]]:
        """The text under a mouse selection (the strips carry offsets into the unwrapped text)."""
        return None if self._shown is None else (selection.extract(self._shown.plain), "\n")

    def selection_updated(self, selection: Optional[Selection]) -> None:
        self._wrap(layout=False)            # the strips draw the selection's highlight

    def render_line(self, y: int) -> Strip:
        i = y + int(self.scroll_y)
        if i < len(self._lines):
            return self._lines[i]
        return Strip.blank(self.scrollable_content_region.width, self.visual_style.rich_style)
