"""The vector preview of the editor's current results (core.vectors), kept until they change.

A Session part: the report is computed from the rows' results (stale ones excluded) the first
time something asks after a change (`version`), so the header, the row markers and the detail
panel read one report per redraw, and it follows every save as the results arrive.
"""
from __future__ import annotations

from typing import Optional

from .vectors import VectorReport, vector_report
from .verdicts import Thresholds


class Vectors:
    """A Session part. Owns: the memoised vector report."""

    lines: dict[str, list[str]]
    thresholds: Thresholds
    version: int

    def _init_vectors(self) -> None:
        self._vectors_at = -1
        self._vectors: Optional[VectorReport] = None

    def vector_report(self) -> Optional[VectorReport]:
        """None while no row has hidden states (vectors off, or nothing captured yet)."""
        if self._vectors_at != self.version:
            rows = {side: [self.result(side, i) for i in range(len(self.lines[side]))]
                    for side in ("positive", "negative")}
            self._vectors = vector_report(rows["positive"], rows["negative"], self.thresholds, matched=True)
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
