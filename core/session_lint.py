"""The session's lint findings (core.lint) for the current, unsaved buffers.

Findings are recomputed when the buffers change, and the last few buffer versions' findings are
kept by content, so an undo (or a redo, or a cut then undo) finds its findings without linting
again. With `lint_deferred` (the editor sets it) the frame that shows an edit uses the findings
last computed for a pair with the same two lines, and `settle_lint()` computes the new ones
right after it.
"""
from __future__ import annotations

from typing import Callable, Optional

from .events import SIDES
from .lint import Finding, lint_lines

LintKey = tuple[tuple[str, ...], tuple[str, ...]]
LintResult = tuple[list[Finding], dict[int, list[Finding]]]     # (findings, findings by row)
LintFn = Callable[[list[str], list[str]], list[Finding]]
LINT_MEMO = 8                  # buffer versions whose lint findings are kept (undo, redo)


class LintMemo:
    """A Session part. Owns: the lint function, the memo of findings, lint_enabled/deferred."""

    lines: dict[str, list[str]]
    buf_version: int

    def _init_lint(self, lint: Optional[LintFn]) -> None:
        self._lint_fn: LintFn = lint if lint is not None else lint_lines
        self._lint_cache: Optional[tuple[int, list[Finding]]] = None
        self._lint_rows: dict[int, list[Finding]] = {}
        self._lint_memo: dict[LintKey, LintResult] = {}
        self._lint_by_text: dict[tuple[str, str], list[Finding]] = {}
        self._lint_by_line: dict[tuple[str, str], list[Finding]] = {}   # (side, text): one line's
        self._stale_check: tuple[int, bool] = (-1, False)
        self.lint_enabled = True         # the editor turns it on after its first frame
        self.lint_deferred = False

    def lint(self) -> list[Finding]:
        """Findings for the current buffers, recomputed when they change (memoised by content)."""
        if not self.lint_enabled:
            return []
        if self._lint_cache is None or self._lint_cache[0] != self.buf_version:
            key = self.lint_key()
            hit = self._lint_memo.get(key)
            if hit is None:
                hit = self.compute_lint(key)
            self.adopt_lint(key, hit)
            self._lint_cache = (self.buf_version, hit[0])
            self._lint_rows = hit[1]
            self._lint_by_text = {(key[0][i], key[1][i]): fs for i, fs in hit[1].items()
                                  if i < len(key[0]) and i < len(key[1])}
            self._lint_by_line = {}
            for f in hit[0]:
                if f.side in SIDES and f.line is not None and f.line <= len(key[SIDES.index(f.side)]):
                    text = key[SIDES.index(f.side)][f.line - 1]
                    self._lint_by_line.setdefault((f.side, text), []).append(f)
        return self._lint_cache[1]

    @property
    def lint_stale(self) -> bool:
        """With `lint_deferred`: the buffers changed and their findings are not computed yet
        (settle_lint computes them). Rows meanwhile show the findings last computed for a pair
        with the same two lines."""
        if not self.lint_deferred or not self.lint_enabled \
                or self._lint_cache is None or self._lint_cache[0] == self.buf_version:
            return False
        if self._stale_check[0] != self.buf_version:
            self._stale_check = (self.buf_version, self.lint_key() not in self._lint_memo)
        return self._stale_check[1]

    def settle_lint(self) -> bool:
        """Compute the findings of the current buffers now. Returns True when they were stale."""
        stale = self.lint_stale
        if stale:
            deferred, self.lint_deferred = self.lint_deferred, False
            try:
                self.lint()
            finally:
                self.lint_deferred = deferred
        return stale

    def lint_key(self) -> LintKey:
        """The buffers' content, as lint findings are kept by it."""
        return tuple(self.lines["positive"]), tuple(self.lines["negative"])

    def compute_lint(self, key: LintKey) -> LintResult:
        """(findings, findings by row) for these buffers. Reads nothing else of the session, so
        it may run in another thread (the editor lints the dataset it opens that way)."""
        try:
            found = list(self._lint_fn(list(key[0]), list(key[1])))
        except Exception:   # lint is advice; a bug there must not break editing
            found = []
        by_row: dict[int, list[Finding]] = {}
        for f in found:
            if f.line is not None and f.side in SIDES:
                by_row.setdefault(f.line - 1, []).append(f)
        return found, by_row

    def adopt_lint(self, key: LintKey, result: LintResult) -> None:
        """Keep findings computed for these buffers (most recent last, LINT_MEMO of them)."""
        self._lint_memo.pop(key, None)
        self._lint_memo[key] = result
        while len(self._lint_memo) > LINT_MEMO:
            self._lint_memo.pop(next(iter(self._lint_memo)))

    def lint_for(self, idx: int) -> list[Finding]:
        """Findings on row idx (either side; pair-level ones sit on the positive side)."""
        if self.lint_stale:
            return list(self._lint_by_text.get((self.lines["positive"][idx],
                                                 self.lines["negative"][idx]), ()))
        if not self.lint():
            return []
        return list(self._lint_rows.get(idx, ()))

    def lint_for_line(self, side: str, idx: int) -> list[Finding]:
        """Findings on one line of one side (an unmatched dataset has no pair findings). While
        stale, the findings last computed for the same text on that side."""
        if self.lint_stale:
            return list(self._lint_by_line.get((side, self.lines[side][idx]), ()))
        if not self.lint():
            return []
        return [f for f in self._lint_rows.get(idx, ()) if f.side == side]
