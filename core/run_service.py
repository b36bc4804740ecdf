"""Serve one RunPlan on a runner and hand its events on in batches, whoever hosts the runner:
the editor's runner thread (tui.runner_thread) or the runner's own process
(core.runner_process). A run always ends with one RunDone, also on error or cancel."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Callable, Generic, Optional, TypeVar, Union

from .events import Event
from .redact import redact
from .runner import Runner
from .scheduler import RunPlan

T = TypeVar("T")

FRAME_S = 1 / 60         # Textual draws at most 60 frames a second: finer batches show nothing sooner


@dataclass(frozen=True)
class RunBatch:
    """Events of one run, in order, as they arrived within one frame; `epoch` is the rubric
    epoch the run started under (RunPlan.epoch)."""
    token: int
    epoch: int
    events: tuple[Event, ...]


@dataclass(frozen=True)
class RunDone:
    """A run ended. `error`: why it failed (redacted), None when it finished or was cancelled."""
    token: int
    error: Optional[str]
    cancelled: bool


Reply = Union[RunBatch, RunDone]


class Coalescer(Generic[T]):
    """Gathers items added on one event loop and hands them on together, in order: the first
    item of a batch waits at most `interval` seconds. Used from that loop only."""

    def __init__(self, send: Callable[[tuple[T, ...]], None], interval: float = FRAME_S) -> None:
        self._send = send
        self._interval = interval
        self._items: list[T] = []
        self._timer: Optional[asyncio.TimerHandle] = None

    def add(self, item: T) -> None:
        self._items.append(item)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval, self.flush)

    def flush(self) -> None:
        """Send what is gathered now (also called at the end of a run, before its last word)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._items:
            items, self._items = tuple(self._items), []
            self._send(items)


async def serve_plan(runner: Runner, plan: RunPlan, send: Callable[[Reply], None],
                     interval: float = FRAME_S) -> None:
    """Run `plan` (its refresh items first, ignoring the cache; then the others) and send its
    events in batches, then one RunDone. Cancelling the task sends RunDone(cancelled=True)."""
    error: Optional[str] = None
    cancelled = False
    out = Coalescer(lambda events: send(RunBatch(plan.token, plan.epoch, events)), interval)
    try:
        for batch, refresh in ((plan.refresh_items, True), (plan.items, False)):
            if batch:
                async for event in runner.run(batch, refresh=refresh, dataset=plan.dataset):
                    out.add(event)
    except asyncio.CancelledError:
        cancelled = True
        raise
    except Exception as exc:          # a bug or a backend blowing up: a status, not a crash
        error = redact(f"{type(exc).__name__}: {exc}")
    finally:
        out.flush()
        send(RunDone(plan.token, error, cancelled))
