"""The editor's model: one open trait, its two line buffers, results, lint, disk and marks.

Pure Python (no Textual): the editor draws what this holds and calls its methods; the tests
drive it directly. `Session` is a facade over one part per concern, each in its own module:

* core.buffers: the lines, undo/redo, what was saved (`dirty`);
* core.session_results: results matched by content, what is being and still to be tested,
  the runner's events folded in (core.stream, the reducer the CLI uses too);
* core.session_pairs: verdicts and typed problems per pair, navigation, the summary;
* core.session_sides: an unmatched dataset's lines, each side on its own (verdicts, problems
  and navigation per line; `matched` is False);
* core.session_lint: core.lint findings of the unsaved buffers, memoised by content;
* core.session_disk: saving, reading the disk, reloads and conflicts (and the decisions);
* core.session_marks: first-token review marks;
* core.session_cowriter: the co-writer's vet predictions, proposals and suggestions;
* core.session_vectors: the vector preview of the current results (core.vectors).

The rubric is a core.rubric.Rubric shared with the runner: one holder, so a changed
definition.txt reaches the judge and the stale marks at once.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Optional

from .backend_state import Slot, unconfigured
from .buffers import (Buffers, EditError, LineDiff, Operation, PairDiff, Snapshot, clean_line,
                      diff_lines, diff_pairs)
from .dataset import NEGATIVE, POSITIVE, Trait
from .events import BackendStatus, RunDone
from .lint import lint_lines
from .rubric import Rubric
from .session_cowriter import CoWriting
from .dataset_pairing import ReopenNote
from .session_disk import Conflict, DiskState, DiskSync, Saved
from .session_lint import LintFn, LintMemo
from .session_marks import EXPLAIN, EXPRESS, MARKS, ReviewMarks
from .session_pairs import PairInfo, Pairs, Problem
from .session_results import Key, Results
from .session_sides import LineInfo, Sides
from .session_vectors import Vectors
from .stream import RunTally
from .verdicts import Thresholds

__all__ = ["Session", "EditError", "Operation", "PairDiff", "LineDiff", "Snapshot", "clean_line",
           "diff_pairs", "diff_lines", "Conflict", "DiskState", "EXPLAIN", "EXPRESS", "MARKS",
           "PairInfo", "LineInfo", "Problem", "Key", "ReopenNote", "Saved"]


class Session(Buffers, Results, Pairs, Sides, LintMemo, DiskSync, ReviewMarks, CoWriting, Vectors):
    """One open trait in the editor: matched pairs, or (`matched` False) two sides of their own."""

    def __init__(self, trait: Trait, *, thresholds: Thresholds = Thresholds(),
                 cache: Any = None, lint: Optional[LintFn] = None,
                 rubric: Optional[Rubric] = None,
                 backends: Optional[dict[Slot, BackendStatus]] = None):
        self.trait = trait
        self.name = trait.name
        self.thresholds = thresholds
        self.cache = cache
        self.rubric = rubric if rubric is not None else Rubric(trait.definition or "")
        self._init_buffers(trait.positive.lines, trait.negative.lines, trait.matched)
        self._init_results(RunTally(backends=dict(backends) if backends is not None
                                    else unconfigured("local")))
        if lint is None and not trait.matched:
            lint = partial(lint_lines, matched=False)      # no pair checks on unrelated lines
        self._init_lint(lint)
        self._init_disk(Path(trait.path), {POSITIVE: trait.positive.digest,
                                           NEGATIVE: trait.negative.digest},
                        {POSITIVE: trait.positive.newline, NEGATIVE: trait.negative.newline})
        self._init_marks()
        self._init_cowriter()
        self._init_pairs()
        self._init_vectors()

    # What the runner's stream said beyond lines (core.stream.RunTally owns it).
    @property
    def backends(self) -> dict[Slot, BackendStatus]:
        return self.tally.backends

    @property
    def cost_usd(self) -> float:
        """Everything this session spent: the runs' judging and the co-writer's questions."""
        return self.tally.cost_usd + self.cowriter_cost

    @property
    def last_run(self) -> Optional[RunDone]:
        return self.tally.last_run
