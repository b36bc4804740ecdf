"""Pairs as the editor judges them: verdicts, problems (typed), navigation, the summary."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Optional

from .lint import Finding
from .verdicts import (LineResult, LineVerdict, PairVerdict, Summary, Thresholds, line_ambiguous,
                       is_identical, line_verdict, pair_verdict, summarize, summarize_sides)


class Problem(StrEnum):
    """Why a pair (or, in an unmatched dataset, a line: core.session_sides) is a problem
    (n/N stop there, f shows only those). The value is the words shown to the user."""
    ERROR = "error"
    MISMATCH = "mismatch"
    BOTH_FAIL = "both fail"
    FAILS = "fails"                       # one line of an unmatched dataset
    IDENTICAL = "identical completions"
    POSITIVE_AMBIGUOUS = "positive ambiguous"
    NEGATIVE_AMBIGUOUS = "negative ambiguous"
    LINT_ERROR = "lint error"


AMBIGUOUS_ON = {"positive": Problem.POSITIVE_AMBIGUOUS, "negative": Problem.NEGATIVE_AMBIGUOUS}
VERDICT_PROBLEM: dict[PairVerdict, Problem] = {"error": Problem.ERROR, "mismatch": Problem.MISMATCH,
                                               "fail": Problem.BOTH_FAIL}


@dataclass(frozen=True)
class PairInfo:
    idx: int
    positive: LineResult
    negative: LineResult
    verdicts: tuple[LineVerdict, LineVerdict]
    pair: PairVerdict
    identical: bool
    problems: tuple[Problem, ...]

    @property
    def mismatch(self) -> bool:
        return self.pair == "mismatch"


def pair_problems(pos: LineResult, neg: LineResult, lint: list[Finding],
                  t: Thresholds) -> tuple[PairVerdict, bool, tuple[Problem, ...]]:
    """(pair verdict, identical, problems) of one pair: a pure function of its two results."""
    pv = pair_verdict(pos, neg, t)
    ident = not pos.stale and not neg.stale and is_identical(pos, neg, t)
    problems: list[Problem] = []
    if pv in VERDICT_PROBLEM:
        problems.append(VERDICT_PROBLEM[pv])
    if ident:
        problems.append(Problem.IDENTICAL)
    for side, r in (("positive", pos), ("negative", neg)):
        if line_ambiguous(r, t):
            problems.append(AMBIGUOUS_ON[side])
    if any(f.level == "error" for f in lint):
        problems.append(Problem.LINT_ERROR)
    return pv, ident, tuple(problems)


class Pairs:
    """A Session part: reads the buffers, results and lint; owns nothing."""

    thresholds: Thresholds
    n_pairs: int
    matched: bool
    lines: dict[str, list[str]]


    def pair_info(self, idx: int) -> PairInfo:
        pos, neg = self.result("positive", idx), self.result("negative", idx)
        t = self.thresholds
        pv, ident, problems = pair_problems(pos, neg, self.lint_for(idx), t)
        return PairInfo(idx, pos, neg, (line_verdict("positive", pos, t),
                                        line_verdict("negative", neg, t)), pv, ident, problems)

    def is_problem(self, idx: int) -> bool:
        return bool(self.pair_info(idx).problems)

    def problem_rows(self) -> list[int]:
        return [i for i in range(self.n_pairs) if self.is_problem(i)]

    def visible_rows(self, problems_only: bool) -> list[int]:
        return self.problem_rows() if problems_only else list(range(self.n_pairs))

    def next_problem(self, start: int, step: int = 1) -> Optional[int]:
        """The next (step=1) or previous (step=-1) problem row after `start`, wrapping."""
        n = self.n_pairs
        if n == 0:
            return None
        for k in range(1, n + 1):
            i = (start + step * k) % n
            if self.is_problem(i):
                return i
        return None

    def summary(self) -> Summary:
        """Pass rates per side; for a matched dataset also the pairs against the target."""
        if not self.matched:
            return summarize_sides(
                [self.result("positive", i) for i in range(len(self.lines["positive"]))],
                [self.result("negative", i) for i in range(len(self.lines["negative"]))],
                self.thresholds)
        pairs = [(self.result("positive", i), self.result("negative", i)) for i in range(self.n_pairs)]
        return summarize(pairs, self.thresholds)
