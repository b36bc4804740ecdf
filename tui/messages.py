"""The editor's messages: what background work tells the app (all posted from other threads or
workers, handled on the event loop)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from textual.message import Message

from core.events import Event
from core.session_lint import LintKey, LintResult
from core.session_vectors import VectorInputs

if TYPE_CHECKING:
    from core.vectors import VectorReport


@dataclass
class RunnerEvent(Message):
    """One event of the runner's stream, with the run it belongs to and the rubric epoch that
    run started under."""
    event: Event
    token: int
    epoch: int


@dataclass
class RunFinished(Message):
    """A run ended (always posted, also on error or cancel)."""
    token: int
    error: Optional[str]
    cancelled: bool


@dataclass
class LintReady(Message):
    """The lint findings of the buffers as they were when the editor opened (computed in a
    thread: ~10 ms of Python for 150 pairs, which the first keys would otherwise wait for)."""
    key: LintKey
    result: LintResult


@dataclass
class VectorsReady(Message):
    """The vector preview of `inputs`, computed in a worker (tens of ms for 8B-sized states)."""
    inputs: VectorInputs
    report: Optional["VectorReport"]


@dataclass
class DiskChanged(Message):
    names: frozenset[str]


@dataclass
class WatchFailed(Message):
    error: str
