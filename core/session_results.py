"""The session's results, matched by CONTENT, and what is being (or still to be) tested.

`results[(side, scenario)]` holds the LineResult of that text, so a cut, an insert or an undo
never loses or misplaces a result, and the runner's events (which carry the scenario) land on
every row that shows that text. An edited line shows the result of the text it replaced, marked
stale, until its own result arrives (`prev_text`, kept by the buffers). A rubric change marks
every score stale; the completions stay valid.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Iterable, Optional, Sequence

from .events import SIDES, CompletionReady, Event, LineError, ScoreReady
from .runner import Item
from .rubric import Rubric
from .stream import LineEvent, RunTally
from .verdicts import LineResult, LineVerdict, Thresholds, line_verdict

Key = tuple[str, str]          # (side, scenario text)


class Results:
    """A Session part. Owns: results, tally, inflight, blocked, refresh_wanted, the runs."""

    lines: dict[str, list[str]]
    prev_text: dict[Key, str]
    thresholds: Thresholds
    rubric: Rubric
    n_pairs: int


    def _init_results(self, tally: RunTally) -> None:
        self.results: dict[Key, LineResult] = {}
        self.tally = tally
        self.inflight: set[Key] = set()
        self.blocked: set[Key] = set()           # left untested by a run that could not test it
        self.refresh_wanted: set[Key] = set()    # re-test ignoring the cache
        self._runs: dict[int, set[Key]] = {}
        self._run_seq = 0

    # -------------------------------------------------------------- what a row shows
    def _own(self, side: str, text: str) -> Optional[LineResult]:
        return self.results.get((side, text))

    def result(self, side: str, idx: int) -> LineResult:
        """The result shown for a row: its own, or (marked stale) that of the text it replaced."""
        text = self.lines[side][idx]
        own = self._own(side, text)
        if own is not None and (own.completion is not None or own.score is not None
                                or own.error is not None):
            return own
        seen = {text}
        prev = self.prev_text.get((side, text))
        while prev is not None and prev not in seen:
            seen.add(prev)
            old = self._own(side, prev)
            if old is not None and (old.score is not None or old.completion is not None):
                return replace(old, scenario=text, stale=True)
            prev = self.prev_text.get((side, prev))
        return own if own is not None else LineResult(text)

    def has_fresh_result(self, side: str, text: str) -> bool:
        r = self._own(side, text)
        return r is not None and not r.stale and (r.score is not None or r.error is not None)

    def verdict(self, side: str, idx: int) -> LineVerdict:
        return line_verdict(side, self.result(side, idx), self.thresholds)

    def is_inflight(self, side: str, idx: int) -> bool:
        return (side, self.lines[side][idx]) in self.inflight

    def is_blocked(self, side: str, idx: int) -> bool:
        return (side, self.lines[side][idx]) in self.blocked

    # -------------------------------------------------------------- filling in
    def prefill(self, cached: Callable[[list[str]], dict[str, tuple[Any, Optional[int]]]]) -> int:
        """Fill results from the cache without running anything (the editor opens instantly).
        `cached` maps scenarios to (completion, score or None) for those it has (one call for
        the whole dataset: Runner.cached_results). Returns how many lines got a score."""
        wanted = {(side, text) for side in SIDES for text in self.lines[side]
                  if not self.has_fresh_result(side, text)}
        hits = cached(sorted({text for _, text in wanted}))
        scored = 0
        for side, text in wanted:
            if text not in hits:
                continue
            gen, score = hits[text]
            self.results[(side, text)] = LineResult(text, gen.text, tuple(gen.tokens), score,
                                                    activations=gen.activations)
            scored += score is not None
        self._touch()
        return scored

    def _line_for(self, event: LineEvent) -> LineResult:
        key = (event.side, event.scenario)
        r = self.results.get(key)
        if r is None:
            r = self.results[key] = LineResult(event.scenario)
        return r

    def apply_event(self, event: Event, epoch: Optional[int] = None) -> bool:
        """Fold one runner event into the results (core.stream). Returns True when something
        shown changed. `epoch` is the rubric epoch the run started under: a score judged
        against an old rubric is dropped instead of shown as current."""
        old_rubric = epoch is not None and epoch != self.rubric.epoch
        changed = self.tally.fold(event, self._line_for, old_rubric=old_rubric)
        if changed and isinstance(event, (CompletionReady, ScoreReady, LineError)):
            key = (event.side, event.scenario)
            if not isinstance(event, LineError):
                self.blocked.discard(key)       # an error leaves the line as blocked as it was
            if not isinstance(event, CompletionReady):
                self.inflight.discard(key)      # it has its final word: a score or an error
                self.refresh_wanted.discard(key)
        if changed:
            self._touch()
        return changed

    # -------------------------------------------------------------- what to test
    def items_to_test(self, *, include_blocked: bool = False,
                      rows: Optional[Iterable[int]] = None) -> list[Item]:
        """One Item per (side, text) that has no fresh result, is not being tested, and (unless
        `include_blocked`) was not left pending by a run that could not test it (no backend)."""
        out: list[Item] = []
        seen: set[Key] = set()
        wanted = range(self.n_pairs) if rows is None else rows
        for side in SIDES:
            for idx in wanted:
                if not 0 <= idx < len(self.lines[side]):
                    continue
                text = self.lines[side][idx]
                key = (side, text)
                if key in seen or key in self.inflight or self.has_fresh_result(side, text):
                    continue
                if key in self.blocked and not include_blocked:
                    continue
                seen.add(key)
                out.append(Item(side, idx, text))
        return out

    def request_refresh(self, rows: Iterable[int], sides: Sequence[str] = SIDES) -> None:
        """Re-test these rows of these sides ignoring the cache; their current results show as
        stale meanwhile. A row past the end of a side (unmatched datasets) is skipped there."""
        for idx in rows:
            for side in sides:
                if not 0 <= idx < len(self.lines[side]):
                    continue
                key = (side, self.lines[side][idx])
                self.refresh_wanted.add(key)
                self.blocked.discard(key)
                r = self.results.get(key)
                if r is not None:
                    r.stale = True
        self._touch()

    def take_refresh_items(self) -> list[Item]:
        out: list[Item] = []
        for side in SIDES:
            for idx, text in enumerate(self.lines[side]):
                key = (side, text)
                if key in self.refresh_wanted and key not in self.inflight:
                    self.refresh_wanted.discard(key)
                    out.append(Item(side, idx, text))
        # refresh requests for texts no longer in the buffers are dropped
        self.refresh_wanted = {k for k in self.refresh_wanted if k[1] in self.lines[k[0]]}
        return out

    def begin_run(self, items: Sequence[Item]) -> int:
        self._run_seq += 1
        keys = {(i.side, i.scenario) for i in items}
        self._runs[self._run_seq] = keys
        self.inflight |= keys
        self._touch()
        return self._run_seq

    def end_run(self, token: int, *, cancelled: bool = False) -> int:
        """A run finished: what it left without a result is blocked (or, when it was cancelled,
        simply pending again). Returns how many items it left."""
        keys = self._runs.pop(token, set())
        left = {k for k in keys if k in self.inflight}
        self.inflight -= left
        if not cancelled:
            self.blocked |= {k for k in left if not self.has_fresh_result(*k)}
        self._touch()
        return len(left)

    def mark_scores_stale(self) -> None:
        """The rubric changed: every score (and judge error) is stale, no completion is."""
        for r in self.results.values():
            if r.score is not None or (r.error is not None and r.completion is not None):
                r.stale = True
        self.blocked.clear()
        self._touch()
