"""The editor's messages: what background work tells the app (all posted from other threads or
workers, handled on the event loop)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from textual.message import Message

from core.events import Event
from core.session_lint import LintKey, LintResult


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
class DiskChanged(Message):
    names: frozenset[str]


@dataclass
class WatchFailed(Message):
    error: str
