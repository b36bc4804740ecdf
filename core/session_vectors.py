"""The vector preview of the editor's current results (core.vectors), kept until its inputs change.

A Session part. The report is a pure function of each row's hidden states and whether the row
passes (stale and errored rows count as neither); it is computed again only when one of
those changed since the last time something asked (not on cursor moves, edits that leave
results alone, lint or marks), so the header, the row markers and the detail panel read one
report per redraw, and it follows every save as the results arrive.
"""
from __future__ import annotations

from typing import Any, Optional

from .vectors import VectorReport, vector_report
from .verdicts import Thresholds, line_passed


class Vectors:
    """A Session part. Owns: the memoised vector report and the inputs it was made from."""

    lines: dict[str, list[str]]
    thresholds: Thresholds
    version: int

    def _init_vectors(self) -> None:
        self._vectors_at = -1
        self._vectors_inputs: list[tuple[Any, ...]] = []
        self._vectors: Optional[VectorReport] = None

    def vector_report(self) -> Optional[VectorReport]:
        """None while no row has hidden states (vectors off, or nothing captured yet)."""
        if self._vectors_at == self.version:
            return self._vectors
        rows = {side: [self.result(side, i) for i in range(len(self.lines[side]))]
                for side in ("positive", "negative")}
        t = self.thresholds
        inputs = [(r.activations, line_passed(side, r, t), r.stale, r.error is None)
                  for side in ("positive", "negative") for r in rows[side]]
        same = len(inputs) == len(self._vectors_inputs) and all(
            a[0] is b[0] and a[1:] == b[1:] for a, b in zip(inputs, self._vectors_inputs))
        if not same:
            self._vectors = vector_report(rows["positive"], rows["negative"], t, matched=True)
            self._vectors_inputs = inputs
        self._vectors_at = self.version
        return self._vectors

    def projection(self, side: str, idx: int) -> Optional[float]:
        """The row's projection on the best layer's vector (0 = the threshold)."""
        report = self.vector_report()
        return report.projection(side, idx) if report is not None else None

    def wrong_way(self, side: str, idx: int) -> bool:
        """The row lands on the other side's side of the threshold: it pulls the vector wrong."""
        report = self.vector_report()
        return report is not None and report.wrong_side(side, idx)
