"""The editor's messages: what background work tells the app (all posted from other threads or
workers, handled on the event loop)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from textual.message import Message

from core.cowriter import Answer, CowriterError, Proposal, Suggestion, VetPrediction
from core.events import Event
from core.session_cowriter import PairKey
from core.session_lint import LintKey, LintResult
from core.session_vectors import VectorInputs

if TYPE_CHECKING:
    from core.vectors import VectorReport


@dataclass
class RunnerEvents(Message):
    """Events of the runner's stream, in order, with the run they belong to and the rubric
    epoch that run started under. One message carries what arrived within one frame
    (tui.runner_thread.Coalescer): the editor's loop wakes once per batch, not once per event."""
    events: tuple[Event, ...]
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


@dataclass
class VetReady(Message):
    """The co-writer's predictions for the lines asked about (a failure in place of an answer)."""
    answers: list[Answer[VetPrediction] | CowriterError]


@dataclass
class ProposalsReady(Message):
    """Proposed variations of the pair `key` (asked from `row`) with the vet predictions of
    their lines, or the error that stopped them."""
    key: PairKey
    row: int
    proposals: Optional[Answer[list[Proposal]]]
    vets: list[Answer[VetPrediction] | CowriterError]
    error: Optional[str] = None


@dataclass
class SuggestionReady(Message):
    """A diagnosis and rewrite of the pair `key` (asked from `row`), or the error."""
    key: PairKey
    row: int
    suggestion: Optional[Answer[Suggestion]]
    error: Optional[str] = None
