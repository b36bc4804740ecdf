"""The vector preview of the editor's current results (core.vectors).

A Session part. The report is a pure function of each row's hidden states and whether the row
passes (stale and errored rows count as neither), so a new one is needed only when one of those
changed: not on cursor moves, edits that leave results alone, lint or marks. For 8B-sized
states it takes tens of milliseconds (docs/performance.md), so the editor computes it in a
worker: `vector_inputs()` snapshots what changed on the editor's loop, `VectorInputs.compute()`
runs anywhere, `adopt_vectors()` shows it. `vector_report()` does all three at once, for callers
that do not mind waiting (and tests). What the widgets read (`shown_vectors`, `projection`,
`wrong_way`) never computes; a row whose text changed since the shown report has no projection
until the next one.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Optional

from .verdicts import LineResult, Thresholds, line_passed

if TYPE_CHECKING:
    from .vectors import VectorReport

Signature = list[tuple[Any, ...]]


def same_inputs(a: Signature, b: Signature) -> bool:
    """Rows with the very same Activations objects (compared by identity: no 40 KiB compares)
    and the same pass/stale/error flags."""
    return len(a) == len(b) and all(x[0] is y[0] and x[1:] == y[1:] for x, y in zip(a, b))


@dataclass(frozen=True)
class VectorInputs:
    """A snapshot of the rows a report is made from (copies: the editor's loop goes on
    folding results into the originals while a worker computes)."""
    signature: Signature
    positive: tuple[LineResult, ...]
    negative: tuple[LineResult, ...]
    thresholds: Thresholds
    matched: bool
    version: int                # the session version the snapshot was taken at

    def compute(self) -> Optional["VectorReport"]:
        from .vectors import vector_report   # numpy loads with the first hidden states, not with the editor
        return vector_report(self.positive, self.negative, self.thresholds, matched=self.matched)


class Vectors:
    """A Session part. Owns: the shown vector report and the inputs it was made from."""

    lines: dict[str, list[str]]
    thresholds: Thresholds
    matched: bool
    version: int

    def _init_vectors(self) -> None:
        self._vectors: Optional["VectorReport"] = None
        self._vectors_signature: Signature = []
        self._vectors_texts: dict[str, tuple[str, ...]] = {"positive": (), "negative": ()}
        self._vectors_checked_at = -1     # session version at which the shown report was current

    def vectors_checked(self) -> bool:
        """The shown report was found current (or made) at this session version: nothing a
        report depends on can have changed since, so `vector_inputs()` would return None.
        Cheap, unlike vector_inputs (which reads every row): the editor asks it per redraw."""
        return self._vectors_checked_at == self.version

    def vector_inputs(self) -> Optional[VectorInputs]:
        """What a new report needs, when a row's states or pass/fail changed since the shown
        one; None when it is current."""
        if self.vectors_checked():
            return None
        t = self.thresholds
        rows = {side: [self.result(side, i) for i in range(len(self.lines[side]))]
                for side in ("positive", "negative")}
        signature = [(r.activations, line_passed(side, r, t), r.stale, r.error is None)
                     for side in ("positive", "negative") for r in rows[side]]
        if same_inputs(signature, self._vectors_signature) and self._aligned():
            self._vectors_checked_at = self.version
            return None
        return VectorInputs(signature, tuple(replace(r) for r in rows["positive"]),
                            tuple(replace(r) for r in rows["negative"]), t, self.matched, self.version)

    def adopt_vectors(self, inputs: VectorInputs, report: Optional["VectorReport"]) -> None:
        self._vectors = report
        self._vectors_signature = inputs.signature
        self._vectors_texts = {"positive": tuple(r.scenario for r in inputs.positive),
                               "negative": tuple(r.scenario for r in inputs.negative)}
        self._vectors_checked_at = inputs.version

    def vector_report(self) -> Optional["VectorReport"]:
        """The report of the current results, computed here if it is not (None while no row
        has hidden states: vectors off, or nothing captured yet)."""
        inputs = self.vector_inputs()
        if inputs is not None:
            self.adopt_vectors(inputs, inputs.compute())
        return self._vectors

    def shown_vectors(self) -> Optional["VectorReport"]:
        """The last adopted report, as it is."""
        return self._vectors

    def _aligned(self) -> bool:
        return all(self._vectors_texts[side] == tuple(self.lines[side]) for side in ("positive", "negative"))

    def _current_row(self, side: str, idx: int) -> bool:
        texts = self._vectors_texts[side]
        return 0 <= idx < len(texts) and idx < len(self.lines[side]) and texts[idx] == self.lines[side][idx]

    def projection(self, side: str, idx: int) -> Optional[float]:
        """The row's projection on the best layer's vector (0 = the threshold)."""
        report = self._vectors
        return report.projection(side, idx) if report is not None and self._current_row(side, idx) else None

    def wrong_way(self, side: str, idx: int) -> bool:
        """The row lands on the other side's side of the threshold: it pulls the vector wrong."""
        report = self._vectors
        return report is not None and self._current_row(side, idx) and report.wrong_side(side, idx)
