"""Verdicts: pure functions from scores to pass/fail/ambiguous/error and pair summaries."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Literal, Optional, Sequence

if TYPE_CHECKING:
    from .activations import Activations

LineVerdict = Literal["pass", "fail", "ambiguous", "error", "pending", "stale"]
PairVerdict = Literal["pass", "fail", "mismatch", "error", "pending"]


@dataclass(frozen=True)
class Thresholds:
    positive: int = 60      # a positive line passes at score >= this
    negative: int = 40      # a negative line passes at score <= this
    ambiguous_low: int = 40
    ambiguous_high: int = 60
    identical_tokens: int = 5   # pos/neg completions equal in this many first tokens = identical
    pairs_target: int = 50
    minimum_rate: float = 0.70
    ideal_rate: float = 0.90


@dataclass
class LineResult:
    """What is known about one scenario line. score None + error None = pending."""
    scenario: str
    completion: Optional[str] = None
    tokens: tuple[str, ...] = ()
    score: Optional[int] = None
    error: Optional[str] = None
    stale: bool = False
    activations: Optional["Activations"] = None   # the completion's hidden states (vectors on)


def passes(side: str, score: int, t: Thresholds = Thresholds()) -> bool:
    return score >= t.positive if side == "positive" else score <= t.negative


def is_ambiguous(score: Optional[int], t: Thresholds = Thresholds()) -> bool:
    """A score inside the ambiguous band."""
    return score is not None and t.ambiguous_low <= score <= t.ambiguous_high


def line_ambiguous(r: LineResult, t: Thresholds = Thresholds()) -> bool:
    """The one meaning of an ambiguous line (results.json, summaries, problems): a current
    score, not stale and not errored, inside the band."""
    return not r.stale and r.error is None and is_ambiguous(r.score, t)


def line_verdict(side: str, r: LineResult, t: Thresholds = Thresholds()) -> LineVerdict:
    """One word for a line. Errors are never counted as pass or fail; ambiguous wins over
    pass/fail for display (the pass flag still follows the threshold)."""
    if r.stale:
        return "stale"
    if r.error is not None:
        return "error"
    if r.score is None:
        return "pending"
    if line_ambiguous(r, t):
        return "ambiguous"
    return "pass" if passes(side, r.score, t) else "fail"


def line_passed(side: str, r: LineResult, t: Thresholds = Thresholds()) -> Optional[bool]:
    """True/False once scored (and not errored or stale); None otherwise."""
    if r.stale or r.error is not None or r.score is None:
        return None
    return passes(side, r.score, t)


_WORD = re.compile(r"\s*\S+")


def first_pieces(tokens: Sequence[str], completion: Optional[str], n: int) -> list[str]:
    """The first n pieces of a completion as generated, leading spaces kept (so they spell its
    start): its token pieces, or its words when no pieces are known."""
    if tokens:
        return list(tokens[:n])
    return _WORD.findall(completion or "")[:n]


def first_tokens(r: LineResult, n: int) -> tuple[str, ...]:
    """The first n pieces, stripped: what identical detection and results.json compare."""
    return tuple(p.strip() for p in first_pieces(r.tokens, r.completion, n))


def is_identical(pos: LineResult, neg: LineResult, t: Thresholds = Thresholds()) -> bool:
    """Both completions known and equal, or equal in their first `identical_tokens` tokens."""
    if pos.completion is None or neg.completion is None:
        return False
    if pos.completion.strip() == neg.completion.strip():
        return True
    a, b = first_tokens(pos, t.identical_tokens), first_tokens(neg, t.identical_tokens)
    return bool(a) and a == b


def pair_verdict(pos: LineResult, neg: LineResult, t: Thresholds = Thresholds()) -> PairVerdict:
    p, n = line_passed("positive", pos, t), line_passed("negative", neg, t)
    if pos.error is not None or neg.error is not None:
        return "error"
    if p is None or n is None:
        return "pending"
    if p and n:
        return "pass"
    if p != n:
        return "mismatch"
    return "fail"


@dataclass
class SideSummary:
    total: int = 0
    passed: int = 0
    failed: int = 0
    ambiguous: int = 0
    errors: int = 0
    pending: int = 0

    @property
    def scored(self) -> int:
        return self.passed + self.failed

    @property
    def pass_rate(self) -> float:
        return self.passed / self.scored if self.scored else 0.0


@dataclass
class Summary:
    positive: SideSummary = field(default_factory=SideSummary)
    negative: SideSummary = field(default_factory=SideSummary)
    pairs: int = 0
    pairs_passing: int = 0
    pairs_scored: int = 0
    mismatched: int = 0
    identical: int = 0
    target_status: str = "below minimum"

    @property
    def pair_rate(self) -> float:
        return self.pairs_passing / self.pairs_scored if self.pairs_scored else 0.0

    @property
    def complete(self) -> bool:
        return (self.positive.errors + self.negative.errors + self.positive.pending
                + self.negative.pending) == 0


def summarize_side(side: str, rows: Iterable[LineResult], t: Thresholds = Thresholds()) -> SideSummary:
    """One side's counts: passed, failed, ambiguous, errors, pending."""
    ss = SideSummary()
    for r in rows:
        ss.total += 1
        v = line_passed(side, r, t)
        if r.error is not None and not r.stale:
            ss.errors += 1
        elif v is None:
            ss.pending += 1
        elif v:
            ss.passed += 1
        else:
            ss.failed += 1
        if line_ambiguous(r, t):
            ss.ambiguous += 1
    return ss


def summarize_sides(positive: Sequence[LineResult], negative: Sequence[LineResult],
                    t: Thresholds = Thresholds()) -> Summary:
    """An unmatched dataset: each side on its own (any lengths); the pair fields stay 0."""
    return Summary(summarize_side("positive", positive, t), summarize_side("negative", negative, t))


def summarize(pairs: Iterable[tuple[LineResult, LineResult]], t: Thresholds = Thresholds()) -> Summary:
    """A matched dataset: both sides, and the pairs against the target."""
    pairs = list(pairs)
    s = summarize_sides([p for p, _ in pairs], [n for _, n in pairs], t)
    for pos, neg in pairs:
        s.pairs += 1
        pv = pair_verdict(pos, neg, t)
        if pv in ("pass", "fail", "mismatch"):
            s.pairs_scored += 1
        if pv == "pass":
            s.pairs_passing += 1
        elif pv == "mismatch":
            s.mismatched += 1
        if is_identical(pos, neg, t):
            s.identical += 1
    s.target_status = target_status(s.pairs_passing, s.pairs, t)
    return s


def target_status(passing_pairs: int, total_pairs: int, t: Thresholds = Thresholds()) -> str:
    """Against the plan's target: 50+ passing pairs at a 70% minimum, 90% ideal."""
    rate = passing_pairs / total_pairs if total_pairs else 0.0
    if passing_pairs >= t.pairs_target and rate >= t.ideal_rate:
        return "ideal"
    if passing_pairs >= t.pairs_target and rate >= t.minimum_rate:
        return "meets minimum"
    return "below minimum"
