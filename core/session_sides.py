"""An unmatched dataset as the editor judges it: each side a list of lines on its own.

Line N of positive.txt has nothing to do with line N of negative.txt (core.dataset_pairing), and
the two sides may have different lengths. So there are no pair verdicts and no pair problems:
each line gets its own verdict (core.verdicts: a positive passes at >= its threshold, a negative
at <= its threshold) and its own problems, and problem navigation and the filter stay on one
side. Cutting and adding touch one side (core.buffers `cut_line`, `add_line`); saving keeps the
two lengths (core.dataset_save with `matched=False`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .events import SIDES
from .lint import Finding
from .session_pairs import AMBIGUOUS_ON, Problem
from .verdicts import LineResult, LineVerdict, Thresholds, line_ambiguous, line_verdict


@dataclass(frozen=True)
class LineInfo:
    """One line of one side of an unmatched dataset, as the editor shows it."""
    side: str
    idx: int
    result: LineResult
    verdict: LineVerdict
    problems: tuple[Problem, ...]


def line_problems(side: str, r: LineResult, lint: list[Finding], t: Thresholds
                  ) -> tuple[LineVerdict, tuple[Problem, ...]]:
    """(verdict, problems) of one line on its own: a pure function of its result and lint."""
    verdict = line_verdict(side, r, t)
    problems: list[Problem] = []
    if verdict == "error":
        problems.append(Problem.ERROR)
    elif verdict == "fail":
        problems.append(Problem.FAILS)
    if line_ambiguous(r, t):
        problems.append(AMBIGUOUS_ON[side])
    if any(f.level == "error" for f in lint):
        problems.append(Problem.LINT_ERROR)
    return verdict, tuple(problems)


def size_words(n_positive: int, n_negative: int, matched: bool) -> str:
    """'12 pairs', or for an unmatched dataset '118 positive and 250 negative lines'."""
    if matched:
        n = max(n_positive, n_negative)
        return f"{n} pair{'s' if n != 1 else ''}"
    return f"{n_positive} positive and {n_negative} negative line{'s' if n_negative != 1 else ''}"


class Sides:
    """A Session part for unmatched datasets: reads the buffers, results and lint; owns
    nothing. (Matched datasets use core.session_pairs.)"""

    thresholds: Thresholds
    matched: bool
    lines: dict[str, list[str]]
    n_pairs: int

    def side_len(self, side: str) -> int:
        return len(self.lines[side])

    @property
    def size(self) -> str:
        """The dataset's size in words (core.session_sides.size_words)."""
        return size_words(len(self.lines["positive"]), len(self.lines["negative"]), self.matched)

    def unsavable(self) -> Optional[str]:
        """Why the buffers cannot be saved as they are (a load refuses an empty file), or None."""
        if self.matched:
            return None if self.n_pairs else ("a dataset needs at least one pair (u brings the "
                                              "cut pairs back)")
        empty = [side for side in SIDES if not self.lines[side]]
        return (f"each side needs at least one line and the {empty[0]} side has none (u brings "
                "the cut lines back)") if empty else None

    def cached_lines(self) -> tuple[int, int]:
        """(lines with a fresh result, all lines), both sides."""
        total = sum(len(self.lines[side]) for side in SIDES)
        fresh = sum(1 for side in SIDES for text in self.lines[side]
                    if self.has_fresh_result(side, text))
        return fresh, total

    def line_info(self, side: str, idx: int) -> LineInfo:
        r = self.result(side, idx)
        verdict, problems = line_problems(side, r, self.lint_for_line(side, idx), self.thresholds)
        return LineInfo(side, idx, r, verdict, problems)

    def is_line_problem(self, side: str, idx: int) -> bool:
        return bool(self.line_info(side, idx).problems)

    def visible_lines(self, side: str, problems_only: bool) -> list[int]:
        """The lines of one side the editor lists: all, or those with a problem."""
        n = len(self.lines[side])
        return [i for i in range(n) if not problems_only or self.is_line_problem(side, i)]

    def next_line_problem(self, side: str, start: int, step: int = 1) -> Optional[int]:
        """The next (step=1) or previous (step=-1) problem line of `side` after `start`,
        wrapping; None when the side has none."""
        n = len(self.lines[side])
        for k in range(1, n + 1):
            i = (start + step * k) % n
            if self.is_line_problem(side, i):
                return i
        return None

    def side_results(self, side: str) -> list[LineResult]:
        """Every line's shown result, in order (results.json from the editor)."""
        return [self.result(side, i) for i in range(len(self.lines[side]))]
