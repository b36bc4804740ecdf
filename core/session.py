"""The editor's model: two line buffers, per-line results, undo/redo, saves, reloads, review marks.

Pure Python (no Textual): the TUI draws what this holds and calls its methods; the tests drive
it directly.

* Rows are matched by line number (row N = line N of positive.txt and of negative.txt); results
  are matched by CONTENT: `results[(side, scenario)]` holds the LineResult of that text, so a
  cut, an insert or an undo never loses or misplaces a result, and the runner's events (which
  carry the scenario) land on every row that shows that text.
* An edited line shows the result of the text it replaced, marked stale, until its own result
  arrives (`prev_text` remembers what replaced what). A definition change marks every score
  stale; the completions stay valid.
* Undo/redo keep whole snapshots of both buffers per operation (a few hundred short strings):
  simple and impossible to get out of step. `dirty` is "the buffers differ from what is on
  disk", so undoing back to the saved state is clean again.
* Saving goes through `core.dataset.save_pair_files` with the digests seen at load (or at the
  last save/reload): a file changed on disk since raises ConflictError and writes nothing.
* Review marks (first-token test: EXPRESS / EXPLAIN) live in the Cache keyed by trait, side,
  scenario and completion: an edited line, or a new completion, has no mark.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Optional, Sequence

from .dataset import (DEFINITION, NEGATIVE, POSITIVE, DatasetError, Trait, file_digest,
                      load_trait, save_pair_files)
from .events import (SIDES, BackendStatus, CompletionReady, Event, LineError, RunDone, RunStarted,
                     ScoreReady)
from .lint import Finding, lint_lines
from .runner import Item
from .verdicts import (LineResult, PairVerdict, Summary, Thresholds, is_ambiguous, is_identical,
                       line_verdict, pair_verdict, summarize)

FILE_OF: dict[str, str] = {"positive": POSITIVE, "negative": NEGATIVE}
EXPRESS = "EXPRESS"
EXPLAIN = "EXPLAIN"
MARKS = (EXPRESS, EXPLAIN)

Key = tuple[str, str]          # (side, scenario text)
LINT_MEMO = 8                  # buffer versions whose lint findings are kept (undo, redo)


class EditError(ValueError):
    """An edit the buffers refuse (blank line, line break). The message is for the user."""


@dataclass(frozen=True)
class Snapshot:
    positive: tuple[str, ...]
    negative: tuple[str, ...]

    def side(self, side: str) -> tuple[str, ...]:
        return self.positive if side == "positive" else self.negative

    @property
    def pairs(self) -> int:
        return len(self.positive)


@dataclass(frozen=True)
class Operation:
    kind: Literal["cut", "edit", "add", "reload"]
    description: str
    before: Snapshot
    after: Snapshot
    cursor_before: int
    cursor_after: int


@dataclass
class DiskState:
    """What `read_disk` found. `theirs` is None when the pair files are what we last saw."""
    theirs: Optional[Snapshot] = None
    definition: Optional[str] = None          # new definition text, None when unchanged
    digests: dict[str, Optional[str]] = field(default_factory=dict)
    newlines: dict[str, str] = field(default_factory=dict)
    problem: Optional[str] = None             # the files cannot be loaded right now

    @property
    def changed(self) -> bool:
        return self.theirs is not None or self.definition is not None


@dataclass(frozen=True)
class Conflict:
    """Both versions of a conflict, kept reachable after the user chose one."""
    mine: Snapshot
    theirs: Snapshot
    choice: str = ""


@dataclass(frozen=True)
class PairDiff:
    """One differing row between two snapshots, for the 'show both' view."""
    mine_line: Optional[int]        # 1-based, None when the row is not in mine
    theirs_line: Optional[int]
    mine: Optional[tuple[str, str]]
    theirs: Optional[tuple[str, str]]


def diff_pairs(mine: Snapshot, theirs: Snapshot) -> list[PairDiff]:
    """Rows that differ between two versions, aligned by content (difflib on the pairs)."""
    a = list(zip(mine.positive, mine.negative))
    b = list(zip(theirs.positive, theirs.negative))
    out: list[PairDiff] = []
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            out.append(PairDiff(i + 1 if i < i2 else None, j + 1 if j < j2 else None,
                                a[i] if i < i2 else None, b[j] if j < j2 else None))
    return out


@dataclass(frozen=True)
class PairInfo:
    idx: int
    positive: LineResult
    negative: LineResult
    verdicts: tuple[str, str]
    pair: PairVerdict
    identical: bool
    problems: tuple[str, ...]

    @property
    def mismatch(self) -> bool:
        return self.pair == "mismatch"


def clean_line(text: str) -> str:
    """What an edit may store: one line, not blank. Pasted line breaks are refused, not joined
    silently (the user decides where the scenario ends)."""
    if "\n" in text.rstrip("\r\n") or "\r" in text.rstrip("\r\n"):
        raise EditError("a scenario is one line: remove the line break (pairs are matched by line number)")
    text = text.rstrip("\r\n")
    if not text.strip():
        raise EditError("a scenario may not be blank (to remove a pair, cut it with d)")
    return text


class Session:
    """One open trait in the editor."""

    def __init__(self, trait: Trait, *, thresholds: Thresholds = Thresholds(),
                 cache: Any = None, lint: Callable[[list[str], list[str]], list[Finding]] | None = None):
        self.trait = trait
        self.name = trait.name
        self.folder = Path(trait.path)
        self.thresholds = thresholds
        self.cache = cache
        self._lint_fn = lint if lint is not None else lint_lines
        self.lines: dict[str, list[str]] = {"positive": list(trait.positive.lines),
                                            "negative": list(trait.negative.lines)}
        self.saved = self.snapshot()
        self.newlines = {POSITIVE: trait.positive.newline, NEGATIVE: trait.negative.newline}
        self.definition = trait.definition or ""
        self.disk_digests: dict[str, Optional[str]] = {
            POSITIVE: trait.positive.digest, NEGATIVE: trait.negative.digest,
            DEFINITION: file_digest(self.folder / DEFINITION)}
        self.results: dict[Key, LineResult] = {}
        self.prev_text: dict[Key, str] = {}
        self.undo_stack: list[Operation] = []
        self.redo_stack: list[Operation] = []
        self.cost_usd = 0.0
        self.backends: dict[str, BackendStatus] = {}
        self.def_epoch = 0
        self.inflight: set[Key] = set()
        self.blocked: set[Key] = set()
        self.refresh_wanted: set[Key] = set()
        self._runs: dict[int, set[Key]] = {}
        self._run_seq = 0
        self.last_run: Optional[RunDone] = None
        self.last_conflict: Optional[Conflict] = None
        self.version = 0                 # bumps on every change of buffers or results
        self._lint_cache: tuple[int, list[Finding]] | None = None
        self._lint_rows: dict[int, list[Finding]] = {}
        self._lint_memo: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[list[Finding], dict[int, list[Finding]]]] = {}
        self.lint_enabled = True         # the editor turns it on after its first frame
        # The editor sets lint_deferred: after an edit, the frame that shows it uses the last
        # findings (by pair text) and settle_lint() computes the new ones right after it.
        self.lint_deferred = False
        self._lint_by_text: dict[tuple[str, str], list[Finding]] = {}
        self._stale_check: tuple[int, bool] = (-1, False)
        self._buf_version = 0
        self._marks: dict[str, Optional[str]] = {}

    # ------------------------------------------------------------------ buffers
    @property
    def n_pairs(self) -> int:
        return len(self.lines["positive"])

    def snapshot(self) -> Snapshot:
        return Snapshot(tuple(self.lines["positive"]), tuple(self.lines["negative"]))

    def _restore(self, snap: Snapshot) -> None:
        self.lines = {"positive": list(snap.positive), "negative": list(snap.negative)}
        self._touch(buffers=True)

    def _touch(self, buffers: bool = False) -> None:
        self.version += 1
        if buffers:
            self._buf_version += 1

    @property
    def dirty(self) -> bool:
        return self.snapshot() != self.saved

    def changed_lines(self) -> dict[str, list[int]]:
        """1-based line numbers that differ from the saved version, per side (for messages)."""
        out: dict[str, list[int]] = {}
        for side in SIDES:
            cur, old = self.lines[side], self.saved.side(side)
            sm = difflib.SequenceMatcher(a=list(old), b=cur, autojunk=False)
            out[side] = [j + 1 for tag, _i1, _i2, j1, j2 in sm.get_opcodes() if tag != "equal"
                         for j in range(j1, j2)]
        return out

    def describe_changes(self) -> str:
        """Unsaved changes in words: '1 pair cut, 2 pairs edited' ('' when clean)."""
        diffs = diff_pairs(self.saved, self.snapshot())
        cut = sum(1 for d in diffs if d.theirs_line is None)
        added = sum(1 for d in diffs if d.mine_line is None)
        edited = len(diffs) - cut - added
        parts = [f"{n} pair{'s' if n != 1 else ''} {what}"
                 for n, what in ((cut, "cut"), (edited, "edited"), (added, "added")) if n]
        return ", ".join(parts)

    def text(self, side: str, idx: int) -> str:
        return self.lines[side][idx]

    def _push(self, kind: str, description: str, before: Snapshot, cursor_before: int,
              cursor_after: int) -> Operation:
        op = Operation(kind, description, before, self.snapshot(), cursor_before, cursor_after)  # type: ignore[arg-type]
        self.undo_stack.append(op)
        self.redo_stack.clear()
        return op

    def cut_pair(self, idx: int) -> Operation:
        if not 0 <= idx < self.n_pairs:
            raise IndexError(idx)
        before = self.snapshot()
        for side in SIDES:
            del self.lines[side][idx]
        self._touch(buffers=True)
        return self._push("cut", f"cut pair {idx + 1}", before, idx,
                          min(idx, max(0, self.n_pairs - 1)))

    def edit_line(self, side: str, idx: int, new_text: str) -> Optional[Operation]:
        """Replace one line. Returns None when the text did not change."""
        new_text = clean_line(new_text)
        old = self.lines[side][idx]
        if new_text == old:
            return None
        before = self.snapshot()
        self.lines[side][idx] = new_text
        self._remember_prev(side, old, new_text)
        self._touch(buffers=True)
        return self._push("edit", f"edit {side} line {idx + 1}", before, idx, idx)

    def add_pair(self, after: int, positive: str, negative: str) -> Operation:
        """Insert a pair after row `after` (-1: at the top). Returns the op; its cursor_after is
        the new row."""
        positive, negative = clean_line(positive), clean_line(negative)
        at = max(0, min(after + 1, self.n_pairs))
        before = self.snapshot()
        self.lines["positive"].insert(at, positive)
        self.lines["negative"].insert(at, negative)
        self._touch(buffers=True)
        return self._push("add", f"add pair {at + 1}", before, max(0, min(after, self.n_pairs - 1)), at)

    def replace_buffers(self, snap: Snapshot, description: str, cursor: int = 0) -> Optional[Operation]:
        """Put a whole version into the buffers as one undoable operation (e.g. the other side
        of a past conflict). Does not touch the disk or its digests."""
        before = self.snapshot()
        if snap == before:
            return None
        self._remember_replacements(before, snap)
        self._restore(snap)
        return self._push("reload", description, before, cursor, min(cursor, max(0, snap.pairs - 1)))

    def undo(self) -> Optional[Operation]:
        if not self.undo_stack:
            return None
        op = self.undo_stack.pop()
        self._restore(op.before)
        self.redo_stack.append(op)
        return op

    def redo(self) -> Optional[Operation]:
        if not self.redo_stack:
            return None
        op = self.redo_stack.pop()
        self._restore(op.after)
        self.undo_stack.append(op)
        return op

    def _remember_replacements(self, old: Snapshot, new: Snapshot) -> None:
        """Lines replaced in place between two versions keep showing their old result (stale)
        until they are re-tested."""
        for side in SIDES:
            a_lines, b_lines = list(old.side(side)), list(new.side(side))
            sm = difflib.SequenceMatcher(a=a_lines, b=b_lines, autojunk=False)
            for tag, i1, i2, j1, j2 in sm.get_opcodes():
                if tag == "replace" and i2 - i1 == j2 - j1:
                    for a, b in zip(a_lines[i1:i2], b_lines[j1:j2]):
                        self._remember_prev(side, a, b)

    def _remember_prev(self, side: str, old: str, new: str) -> None:
        if old != new and (side, new) not in self.prev_text:
            self.prev_text[(side, new)] = old

    # ------------------------------------------------------------------ results
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

    def verdict(self, side: str, idx: int) -> str:
        return line_verdict(side, self.result(side, idx), self.thresholds)

    def is_inflight(self, side: str, idx: int) -> bool:
        return (side, self.lines[side][idx]) in self.inflight

    def is_blocked(self, side: str, idx: int) -> bool:
        return (side, self.lines[side][idx]) in self.blocked

    def prefill(self, cached_completion: Callable[[str], Any],
                cached_score: Callable[[str, str], Optional[int]]) -> int:
        """Fill results from the cache without running anything (the editor opens instantly).
        Returns how many lines got a score."""
        scored = 0
        for side in SIDES:
            for text in set(self.lines[side]):
                if self.has_fresh_result(side, text):
                    continue
                gen = cached_completion(text)
                if gen is None:
                    continue
                score = cached_score(text, gen.text)
                self.results[(side, text)] = LineResult(text, gen.text, tuple(gen.tokens), score)
                scored += score is not None
        self._touch()
        return scored

    def apply_event(self, event: Event, epoch: Optional[int] = None) -> bool:
        """Fold one runner event into the results. Returns True when something shown changed.

        `epoch` is the definition epoch the run started under: a score judged against an old
        definition is dropped instead of shown as current."""
        old_def = epoch is not None and epoch != self.def_epoch
        if isinstance(event, CompletionReady):
            key = (event.side, event.scenario)
            r = self.results.get(key)
            if r is None:
                r = self.results[key] = LineResult(event.scenario)
            if r.completion != event.text:
                r.completion, r.tokens, r.score = event.text, tuple(event.tokens), None
            elif not r.tokens:
                r.tokens = tuple(event.tokens)
            r.error = None
            self.blocked.discard(key)
            self._touch()
            return True
        if isinstance(event, ScoreReady):
            self.cost_usd += event.cost_usd
            key = (event.side, event.scenario)
            if old_def:
                return False
            r = self.results.get(key)
            if r is None:
                r = self.results[key] = LineResult(event.scenario, event.completion)
            if r.completion is not None and r.completion != event.completion:
                return False        # a score for a completion this line no longer has
            r.completion, r.score, r.error, r.stale = event.completion, event.score, None, False
            if not event.cached:
                self.backends["judge"] = BackendStatus("judge", "ready")
            self.inflight.discard(key)
            self.blocked.discard(key)
            self.refresh_wanted.discard(key)
            self._touch()
            return True
        if isinstance(event, LineError):
            key = (event.side, event.scenario)
            if old_def and event.stage == "judge":
                return False
            r = self.results.get(key)
            if r is None:
                r = self.results[key] = LineResult(event.scenario)
            r.error = event.message
            r.stale = False
            if event.stage == "judge":
                cur = self.backends.get("judge")
                if cur is None or cur.state != "ready":
                    self.backends["judge"] = BackendStatus("judge", "error", event.message)
            if event.stage == "generate":
                r.completion, r.tokens, r.score = None, (), None
            self.inflight.discard(key)
            self.refresh_wanted.discard(key)
            self._touch()
            return True
        if isinstance(event, BackendStatus):
            slot = "judge" if event.backend == "judge" else "generator"
            self.backends[slot] = event
            self._touch()
            return True
        if isinstance(event, RunDone):
            self.last_run = event
            self._touch()
            return True
        if isinstance(event, RunStarted):
            return False
        return False

    # ------------------------------------------------------------------ what to test
    def items_to_test(self, *, include_blocked: bool = False,
                      rows: Optional[Iterable[int]] = None) -> list[Item]:
        """One Item per (side, text) that has no fresh result, is not being tested, and (unless
        `include_blocked`) was not left pending by a run that could not test it (no backend)."""
        out: list[Item] = []
        seen: set[Key] = set()
        wanted = range(self.n_pairs) if rows is None else rows
        for side in SIDES:
            for idx in wanted:
                if not 0 <= idx < self.n_pairs:
                    continue
                text = self.lines[side][idx]
                key = (side, text)
                if key in seen or key in self.inflight or self.has_fresh_result(side, text):
                    continue
                if key in self.blocked and not include_blocked:
                    continue
                seen.add(key)
                out.append(Item(side, idx, text))  # type: ignore[arg-type]
        return out

    def request_refresh(self, rows: Iterable[int]) -> None:
        """Re-test these rows ignoring the cache; their current results show as stale meanwhile."""
        for idx in rows:
            for side in SIDES:
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
                    out.append(Item(side, idx, text))  # type: ignore[arg-type]
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

    # ------------------------------------------------------------------ summaries
    def pair_info(self, idx: int) -> PairInfo:
        pos, neg = self.result("positive", idx), self.result("negative", idx)
        t = self.thresholds
        vp, vn = line_verdict("positive", pos, t), line_verdict("negative", neg, t)
        pv = pair_verdict(pos, neg, t)
        ident = not pos.stale and not neg.stale and is_identical(pos, neg, t)
        problems: list[str] = []
        if pv == "error":
            problems.append("error")
        elif pv == "mismatch":
            problems.append("mismatch")
        elif pv == "fail":
            problems.append("both fail")
        if ident:
            problems.append("identical completions")
        for side, r in (("positive", pos), ("negative", neg)):
            if not r.stale and r.error is None and is_ambiguous(r.score, t):
                problems.append(f"{side} ambiguous")
        if any(f.level == "error" for f in self.lint_for(idx)):
            problems.append("lint error")
        return PairInfo(idx, pos, neg, (vp, vn), pv, ident, tuple(problems))

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
        pairs = [(self.result("positive", i), self.result("negative", i)) for i in range(self.n_pairs)]
        return summarize(pairs, self.thresholds)

    # ------------------------------------------------------------------ lint
    def lint(self) -> list[Finding]:
        """core.lint findings for the current (unsaved) buffers, recomputed when they change.
        The last few buffer versions' findings are kept by content, so an undo (or a redo, or
        a cut then undo) finds its findings without linting again."""
        if not self.lint_enabled:
            return []
        if self._lint_cache is None or self._lint_cache[0] != self._buf_version:
            key = self.lint_key()
            hit = self._lint_memo.get(key)
            if hit is None:
                hit = self.compute_lint(key)
            self.adopt_lint(key, hit)
            self._lint_cache = (self._buf_version, hit[0])
            self._lint_rows = hit[1]
            self._lint_by_text = {(key[0][i], key[1][i]): fs for i, fs in hit[1].items()
                                  if i < len(key[0]) and i < len(key[1])}
        return self._lint_cache[1]

    @property
    def lint_stale(self) -> bool:
        """With `lint_deferred`: the buffers changed and their findings are not computed yet
        (settle_lint computes them). Rows meanwhile show the findings last computed for a pair
        with the same two lines."""
        if not self.lint_deferred or not self.lint_enabled \
                or self._lint_cache is None or self._lint_cache[0] == self._buf_version:
            return False
        if self._stale_check[0] != self._buf_version:
            self._stale_check = (self._buf_version, self.lint_key() not in self._lint_memo)
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

    def lint_key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The buffers' content, as lint findings are kept by it."""
        return tuple(self.lines["positive"]), tuple(self.lines["negative"])

    def compute_lint(self, key: tuple[tuple[str, ...], tuple[str, ...]]
                     ) -> tuple[list[Finding], dict[int, list[Finding]]]:
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

    def adopt_lint(self, key: tuple[tuple[str, ...], tuple[str, ...]],
                   result: tuple[list[Finding], dict[int, list[Finding]]]) -> None:
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

    # ------------------------------------------------------------------ saving and reloading
    def save(self) -> dict[str, str]:
        """Write both files atomically. Raises ConflictError (nothing written) when a file
        changed on disk since we last saw it, DatasetError for anything else."""
        snap = self.snapshot()
        digests = save_pair_files(self.folder, list(snap.positive), list(snap.negative),
                                  expected={POSITIVE: self.disk_digests.get(POSITIVE),
                                            NEGATIVE: self.disk_digests.get(NEGATIVE)},
                                  newline=dict(self.newlines))
        self.disk_digests.update(digests)
        self.saved = snap
        self._touch()
        return digests

    def read_disk(self) -> DiskState:
        """Compare the files on disk with what we last saw. Reads; changes nothing."""
        state = DiskState()
        digests = {n: file_digest(self.folder / n) for n in (POSITIVE, NEGATIVE, DEFINITION)}
        state.digests = digests
        pair_changed = any(digests[n] != self.disk_digests.get(n) for n in (POSITIVE, NEGATIVE))
        def_changed = digests[DEFINITION] != self.disk_digests.get(DEFINITION)
        if not pair_changed and not def_changed:
            return state
        try:
            # The editor holds pairs: a count change on disk is a mismatch to resolve, not
            # a dataset turning unmatched under the open editor.
            trait = load_trait(str(self.folder), check_steering=False, pairing="matched",
                               pairing_source="the open editor",
                               require_definition=bool(self.definition))
        except DatasetError as exc:
            state.problem = str(exc.bare if exc.path is None else exc)
            return state
        state.digests = {POSITIVE: trait.positive.digest, NEGATIVE: trait.negative.digest,
                         DEFINITION: digests[DEFINITION]}
        state.newlines = {POSITIVE: trait.positive.newline, NEGATIVE: trait.negative.newline}
        if pair_changed:
            state.theirs = Snapshot(tuple(trait.positive.lines), tuple(trait.negative.lines))
        if (trait.definition or "") != self.definition:
            state.definition = trait.definition or ""
        return state

    def apply_definition(self, text: str, digest: Optional[str]) -> None:
        """definition.txt changed: every score is stale (re-judge), no completion is."""
        self.disk_digests[DEFINITION] = digest
        if text == self.definition:
            return
        self.definition = text
        self.def_epoch += 1
        for r in self.results.values():
            if r.score is not None or (r.error is not None and r.completion is not None):
                r.stale = True
        self.blocked.clear()
        self._touch()

    def _adopt_disk(self, state: DiskState) -> None:
        for n in (POSITIVE, NEGATIVE):
            if n in state.digests:
                self.disk_digests[n] = state.digests[n]
        self.newlines.update(state.newlines)

    def take_theirs(self, state: DiskState, cursor: int = 0, *,
                    conflict: bool = False) -> Optional[Operation]:
        """Replace the buffers with the disk version, as one undoable operation (undo brings
        back what was in the editor). Returns None when the contents were already equal.
        `conflict`: the editor had unsaved edits; both versions stay in `last_conflict`."""
        assert state.theirs is not None
        self._adopt_disk(state)
        mine = self.snapshot()
        theirs = state.theirs
        self.saved = theirs
        if mine == theirs:
            self._touch()
            return None
        # A line replaced in place shows its old result (stale) until it is re-tested.
        self._remember_replacements(mine, theirs)
        if conflict:
            self.last_conflict = Conflict(mine, theirs, "theirs")
        self._restore(theirs)
        return self._push("reload", "take the disk version" if conflict else "reload from disk",
                          mine, cursor, min(cursor, max(0, theirs.pairs - 1)))

    def keep_mine(self, state: DiskState) -> None:
        """Keep the editor's version; the next save overwrites the disk (the user chose so).
        The disk version stays reachable in `last_conflict`."""
        assert state.theirs is not None
        self._adopt_disk(state)
        self.last_conflict = Conflict(self.snapshot(), state.theirs, "mine")
        self.saved = state.theirs
        self._touch()

    def conflict_with(self, state: DiskState) -> Optional[Conflict]:
        """A conflict exists when the editor has unsaved edits and the disk holds something else."""
        if state.theirs is None:
            return None
        mine = self.snapshot()
        if not self.dirty or mine == state.theirs:
            return None
        return Conflict(mine, state.theirs)

    # ------------------------------------------------------------------ review marks
    def mark_key(self, side: str, idx: int) -> Optional[str]:
        """The cache key of this row's review mark, or None when the line has no completion of
        its own yet (an edited line loses its mark: the key holds scenario and completion)."""
        text = self.lines[side][idx]
        r = self._own(side, text)
        if r is None or r.completion is None:
            return None
        return _review_key(self.name, side, text, r.completion)

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
            for idx in range(self.n_pairs):
                m = self.get_mark(side, idx)
                if m is not None:
                    out[(side, idx)] = m
        return out

    def review_progress(self) -> tuple[int, int, int]:
        """(EXPRESS, EXPLAIN, unmarked lines with a completion)."""
        ex = ep = left = 0
        for side in SIDES:
            for idx in range(self.n_pairs):
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


def _review_key(trait: str, side: str, scenario: str, completion: str) -> str:
    from .cache import Cache
    return Cache.review_key(trait, side, scenario, completion)
