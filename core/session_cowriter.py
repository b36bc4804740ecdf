"""The co-writer's part of the session: vet predictions, proposals, rejections, suggestions.

Pure Python like the rest of the session. Predictions are kept by content, (side, scenario),
like results, and a row shows one only while it has no measured score: a prediction never sits
beside, or stands in for, a measurement. Proposals and the suggestion are kept per pair, by the
pair's two lines; a rejected proposal is remembered for that pair (in the cache, so also in the
next session) and never offered again. Accepting a proposal or a suggestion is an ordinary
undoable edit of the buffers: unsaved until the user saves, then tested like any other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

from .buffers import Operation
from .cache import Cache
from .cowriter import Answer, CowriterError, PairResults, Proposal, Suggestion, VetPrediction
from .events import SIDES, Side
from .lint import Finding
from .lint_spread import Spread, dataset_spread
from .session_pairs import Problem
from .session_results import Key
from .verdicts import LineResult, LineVerdict, Thresholds, is_ambiguous, passes

PairKey = tuple[str, str]        # (positive text, negative text)
# What a suggested fix can diagnose: a measured problem of the pair's completions.
SUGGESTIBLE = (Problem.MISMATCH, Problem.BOTH_FAIL, Problem.IDENTICAL,
               Problem.POSITIVE_AMBIGUOUS, Problem.NEGATIVE_AMBIGUOUS)


@dataclass(frozen=True)
class ProposalsKept:
    """What set_proposals kept, and how many it dropped as rejected before or already in the
    dataset (said to the user: an empty list is never silent)."""
    kept: int
    dropped: int


def predicted_verdict(side: str, score: int, t: Thresholds) -> LineVerdict:
    """The verdict a predicted score would get if it were measured (core.verdicts' rules), for
    wording only ("predicted pass"): the session's verdicts never read predictions."""
    return "ambiguous" if is_ambiguous(score, t) else "pass" if passes(side, score, t) else "fail"


class CoWriting:
    """A Session part. Owns: predictions, proposals, rejected (this session's), suggestions,
    cowriter_cost."""

    name: str
    cache: Any
    lines: dict[str, list[str]]
    thresholds: Thresholds
    n_pairs: int

    def _init_cowriter(self) -> None:
        self.predictions: dict[Key, VetPrediction] = {}
        self.proposals: dict[PairKey, list[Proposal]] = {}
        self._rejected: dict[PairKey, list[PairKey]] = {}
        self.suggestions: dict[PairKey, Suggestion] = {}
        self.cowriter_cost = 0.0

    # ------------------------------------------------------------------ what a row shows
    def pair_key(self, row: int) -> PairKey:
        return self.lines["positive"][row], self.lines["negative"][row]

    def row_of(self, key: PairKey, hint: int = 0) -> Optional[int]:
        """The row holding this pair now (the one nearest `hint` when it appears twice)."""
        rows = [i for i in range(self.n_pairs) if self.pair_key(i) == key]
        return min(rows, key=lambda i: abs(i - hint)) if rows else None

    def prediction(self, side: str, idx: int) -> Optional[VetPrediction]:
        """The vet prediction a row shows: only while the row has no measured score."""
        r: LineResult = self.result(side, idx)     # type: ignore[attr-defined]
        if r.score is not None:
            return None
        return self.predictions.get((side, self.lines[side][idx]))

    def to_vet(self, rows: Optional[Iterable[int]] = None) -> list[tuple[Side, str]]:
        """(side, scenario) of the lines without a measured score and without a prediction."""
        out: list[tuple[Side, str]] = []
        for idx in (range(self.n_pairs) if rows is None else rows):
            for side in SIDES:
                if idx < len(self.lines[side]) and self.result(side, idx).score is None:  # type: ignore[attr-defined]
                    key = (side, self.lines[side][idx])
                    if key not in self.predictions and key not in out:
                        out.append(key)
        return out

    def adopt_predictions(self, answers: Sequence[Answer[VetPrediction] | CowriterError]
                          ) -> tuple[int, list[str]]:
        """Keep the predictions and their cost. Returns (how many, the distinct errors)."""
        errors: list[str] = []
        n = 0
        for a in answers:
            if isinstance(a, CowriterError):
                if str(a) not in errors:
                    errors.append(str(a))
                continue
            self.predictions[(a.value.side, a.value.scenario)] = a.value
            self.cowriter_cost += a.cost_usd
            n += 1
        self._touch()   # type: ignore[attr-defined]
        return n, errors

    def add_cowriter_cost(self, usd: float) -> None:
        self.cowriter_cost += usd
        self._touch()   # type: ignore[attr-defined]

    # ------------------------------------------------------------------ what a request carries
    def pair_results(self, row: int) -> PairResults:
        """The pair's lines and measured results: all a request about it may carry."""
        info = self.pair_info(row)      # type: ignore[attr-defined]
        p, n = info.positive, info.negative
        measured = [(r.completion, r.score) if not r.stale else (None, None) for r in (p, n)]
        return PairResults(self.lines["positive"][row], self.lines["negative"][row],
                           (measured[0][0], measured[1][0]), (measured[0][1], measured[1][1]),
                           info.verdicts, tuple(str(x) for x in info.problems))

    def spread(self) -> Spread:
        return dataset_spread(self.lines["positive"], self.lines["negative"])

    # ------------------------------------------------------------------ proposals
    def _cache_key(self, key: PairKey) -> str:
        return Cache.pair_key(self.name, *key)

    def rejected_for(self, key: PairKey) -> list[PairKey]:
        """Proposals rejected for this pair, in this session and (from the cache) before."""
        out = list(self.cache.rejected(self._cache_key(key))) if self.cache is not None else []
        out += [p for p in self._rejected.get(key, []) if p not in out]
        return out

    def set_proposals(self, key: PairKey, proposals: Sequence[Proposal]) -> ProposalsKept:
        """Offer these for the pair, after the ones still open; drop those rejected before and
        those already in the dataset or on offer."""
        rejected = set(self.rejected_for(key))
        present = {(s, t) for s in SIDES for t in self.lines[s]}
        offered = self.proposals.setdefault(key, [])
        kept = dropped = 0
        for p in proposals:
            if ((p.positive, p.negative) in rejected or ("positive", p.positive) in present
                    or ("negative", p.negative) in present or p in offered):
                dropped += 1
                continue
            offered.append(p)
            kept += 1
        self._touch()   # type: ignore[attr-defined]
        return ProposalsKept(kept, dropped)

    def proposals_for(self, key: PairKey) -> list[Proposal]:
        return list(self.proposals.get(key, ()))

    def accept_proposal(self, key: PairKey, proposal: Proposal, hint: int,
                        after: Optional[int] = None) -> Operation:
        """Add the proposal as a new pair after row `after`, or (None) right after its pair,
        found by content near `hint`, the row it was asked from. Unsaved and undoable; tested
        when saved, like any added pair."""
        if after is None:
            row = self.row_of(key, hint)
            after = row if row is not None else min(hint, self.n_pairs - 1)
        op = self.add_pair(after, proposal.positive, proposal.negative)    # type: ignore[attr-defined]
        self._drop_offer(key, proposal)
        return op

    def reject_proposal(self, key: PairKey, proposal: Proposal) -> None:
        """Never offer it again for this pair (remembered in the cache when there is one)."""
        pair = (proposal.positive, proposal.negative)
        mine = self._rejected.setdefault(key, [])
        if pair not in mine:
            mine.append(pair)
        if self.cache is not None:
            self.cache.reject(self._cache_key(key), *pair)
        self._drop_offer(key, proposal)

    def _drop_offer(self, key: PairKey, proposal: Proposal) -> None:
        offered = self.proposals.get(key, [])
        if proposal in offered:
            offered.remove(proposal)
        self._touch()   # type: ignore[attr-defined]

    def proposal_findings(self, row: int, proposal: Proposal) -> list[Finding]:
        """Lint's findings on the proposal as if it were inserted after `row` (the pair checks
        and the dataset-wide ones, such as near duplicates and lock-in groups, included)."""
        at = row + 1
        pos = list(self.lines["positive"])
        neg = list(self.lines["negative"])
        pos.insert(at, proposal.positive)
        neg.insert(at, proposal.negative)
        found = self._lint_fn(pos, neg)      # type: ignore[attr-defined]
        return [f for f in found if f.line == at + 1 and f.side in SIDES]

    # ------------------------------------------------------------------ suggestions
    def suggestible(self, row: int) -> tuple[Problem, ...]:
        """The row's measured problems a suggestion can diagnose (none: nothing to fix yet)."""
        return tuple(p for p in self.pair_info(row).problems if p in SUGGESTIBLE)  # type: ignore[attr-defined]

    def set_suggestion(self, key: PairKey, suggestion: Suggestion) -> None:
        self.suggestions[key] = suggestion
        self._touch()   # type: ignore[attr-defined]

    def accept_suggestion(self, key: PairKey, hint: int) -> Optional[Operation]:
        """Rewrite the pair as suggested (one undoable edit). None when the pair is gone."""
        suggestion = self.suggestions.pop(key, None)
        row = self.row_of(key, hint)
        if suggestion is None or row is None:
            return None
        return self.replace_pair(row, suggestion.positive, suggestion.negative,   # type: ignore[attr-defined]
                                 f"rewrite pair {row + 1} as suggested ({suggestion.diagnosis})")

    def reject_suggestion(self, key: PairKey) -> None:
        self.suggestions.pop(key, None)
        self._touch()   # type: ignore[attr-defined]
