"""First-token review marks (EXPRESS / EXPLAIN) of the session's rows.

Marks live in the Cache keyed by trait, side, scenario and completion: an edited line, or a new
completion, has no mark. Read marks are kept here so that drawing does not query SQLite per row.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from .cache import Cache
from .events import SIDES

Mark = Literal["EXPRESS", "EXPLAIN"]
EXPRESS: Mark = "EXPRESS"
EXPLAIN: Mark = "EXPLAIN"
MARKS: tuple[Mark, Mark] = (EXPRESS, EXPLAIN)


class ReviewMarks:
    """A Session part. Owns: the marks read so far (the cache owns the marks themselves)."""

    name: str
    cache: Any
    lines: dict[str, list[str]]
    n_pairs: int


    def _init_marks(self) -> None:
        self._marks: dict[str, Optional[str]] = {}

    def mark_key(self, side: str, idx: int) -> Optional[str]:
        """The cache key of this row's review mark, or None when the line has no completion of
        its own yet (an edited line loses its mark: the key holds scenario and completion)."""
        text = self.lines[side][idx]
        r = self._own(side, text)
        if r is None or r.completion is None:
            return None
        return Cache.review_key(self.name, side, text, r.completion)

    def get_mark(self, side: str, idx: int) -> Optional[str]:
        key = self.mark_key(side, idx)
        if key is None or self.cache is None:
            return None
        if key not in self._marks:
            self._marks[key] = self.cache.get_mark(key)
        return self._marks[key]

    def set_mark(self, side: str, idx: int, mark: Optional[str]) -> bool:
        """Set (or clear with None) a row's mark. Returns False when the row cannot be marked."""
        if mark is not None and mark not in MARKS:
            raise ValueError(f"unknown mark {mark!r}")
        key = self.mark_key(side, idx)
        if key is None or self.cache is None:
            return False
        self.cache.set_mark(key, self.name, side, self.lines[side][idx], mark)
        self._marks[key] = mark
        self._touch()
        return True

    def review_marks(self) -> dict[tuple[str, int], str]:
        """{(side, 0-based idx): mark} for every row of the current buffers that has one."""
        out: dict[tuple[str, int], str] = {}
        for side in SIDES:
            for idx in range(len(self.lines[side])):
                m = self.get_mark(side, idx)
                if m is not None:
                    out[(side, idx)] = m
        return out

    def review_progress(self) -> tuple[int, int, int]:
        """(EXPRESS, EXPLAIN, unmarked lines with a completion)."""
        ex = ep = left = 0
        for side in SIDES:
            for idx in range(len(self.lines[side])):
                if self.mark_key(side, idx) is None:
                    continue
                m = self.get_mark(side, idx)
                if m == EXPRESS:
                    ex += 1
                elif m == EXPLAIN:
                    ep += 1
                else:
                    left += 1
        return ex, ep, left
