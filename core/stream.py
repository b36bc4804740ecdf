"""The one reducer of the runner's event stream, shared by `scenarios test` and the editor.

`fold_line` says how a line event changes that line's LineResult; `RunTally` keeps what the
stream says beyond lines (backend state, cost, counts, blockers, the last RunDone). The CLI
finds a line's result by position, the editor by content: each passes its own `line_for`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Union

from .backend_state import BLOCKING, Slot, fold_backend
from .events import (BackendStatus, CompletionReady, Event, LineError, RunDone, ScoreReady)
from .verdicts import LineResult

LineEvent = Union[CompletionReady, ScoreReady, LineError]


def fold_line(r: LineResult, event: LineEvent) -> bool:
    """Apply one line event to its result. Returns False when the event does not apply (a
    score for a completion this line no longer has)."""
    if isinstance(event, CompletionReady):
        if r.completion != event.text:
            r.completion, r.tokens, r.score = event.text, tuple(event.tokens), None
            r.activations = event.activations
        else:
            if not r.tokens:
                r.tokens = tuple(event.tokens)
            if event.activations is not None:
                r.activations = event.activations
        r.error = None
        return True
    if isinstance(event, ScoreReady):
        if r.completion is not None and r.completion != event.completion:
            return False
        r.completion, r.score, r.error, r.stale = event.completion, event.score, None, False
        return True
    r.error = event.message      # LineError (already redacted by the runner)
    r.stale = False
    if event.stage == "generate":
        r.completion, r.tokens, r.score, r.activations = None, (), None, None
    return True


@dataclass
class RunTally:
    """What the stream says besides per-line results."""
    backends: dict[Slot, BackendStatus] = field(default_factory=dict)
    cost_usd: float = 0.0
    generated: int = 0            # calls made, not cache hits
    judged: int = 0
    errors: int = 0
    blockers: list[str] = field(default_factory=list)   # setup problems, in order, as said
    last_run: Optional[RunDone] = None

    def fold(self, event: Event, line_for: Callable[[LineEvent], LineResult], *,
             old_rubric: bool = False) -> bool:
        """Fold one event: lines through `line_for`, the rest here. Returns True when
        something shown changed (for a line event: when it was applied to its line). `old_rubric`: the run started under an older rubric, so its
        scores (and judge errors) are not about the current one and are dropped."""
        changed = fold_backend(self.backends, event)
        if isinstance(event, ScoreReady):
            self.cost_usd += event.cost_usd
            self.judged += 0 if event.cached else 1
            if old_rubric:
                return False
        elif isinstance(event, CompletionReady):
            self.generated += 0 if event.cached else 1
        elif isinstance(event, LineError):
            self.errors += 1
            if old_rubric and event.stage == "judge":
                return False
        elif isinstance(event, BackendStatus):
            if event.state in BLOCKING:
                self.blockers.append(event.message)
            return True
        elif isinstance(event, RunDone):
            self.last_run = event
            self.generated, self.judged = event.generations, event.judge_calls
            if event.fatal and not self.blockers:
                self.blockers.append(event.fatal)
            return True
        else:
            return changed                     # RunStarted: nothing shown changes
        return fold_line(line_for(event), event)
