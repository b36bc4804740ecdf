"""When to test what: one run at a time, later requests queued behind it.

The editor asks for tests after every edit, save, reload and undo; a run in flight is not
interrupted for that (its results are still wanted), the request is queued and served when it
ends. A new rubric is different: the run in flight judges against the old one, so it is
cancelled and replaced (`restart`). Each run gets a token (from the session) so that the end of
a cancelled run is told apart from the end of its replacement, and the rubric epoch it started
under, so that its late scores are dropped (core.stream).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from .runner import Item

if TYPE_CHECKING:
    from .session import Session


@dataclass(frozen=True)
class RunPlan:
    """A run to start now: refresh items (ignoring the cache) first, then the others."""
    token: int
    epoch: int
    refresh_items: list[Item]
    items: list[Item]
    dataset: tuple[str, ...] = ()         # every scenario now, in items_for order (core.batching)
    definition: str = ""                  # the rubric's text at `epoch` (a runner process's copy)

    @property
    def size(self) -> int:
        return len(self.refresh_items) + len(self.items)


@dataclass(frozen=True)
class RunEnd:
    """What the end of a run means: `left` lines without a result; `follow_up` is a queued
    request to serve now (its include_blocked), None when nothing was queued."""
    current: bool                         # False: a run already cancelled and replaced
    left: int
    follow_up: Optional[bool] = None


class Scheduler:
    """The editor's run queue. Holds no results: the session does."""

    def __init__(self) -> None:
        self.token: Optional[int] = None       # the run in flight
        self.running_items = 0
        self._queued = False
        self._queued_blocked = False

    @property
    def testing(self) -> bool:
        return self.token is not None

    @property
    def queued(self) -> bool:
        return self._queued

    def cancel(self, session: "Session") -> Optional[int]:
        """Drop the run in flight (its lines are pending again). Returns its token, if any."""
        token, self.token = self.token, None
        if token is not None:
            session.end_run(token, cancelled=True)
        return token

    def request(self, session: "Session", *, include_blocked: bool = False) -> Optional[RunPlan]:
        """A run to start for whatever has no result yet, or None (queued, or nothing to do)."""
        if self.token is not None:
            self._queued = True
            self._queued_blocked |= include_blocked
            return None
        refresh_items = session.take_refresh_items()
        fresh_keys = {(i.side, i.scenario) for i in refresh_items}
        items = [i for i in session.items_to_test(include_blocked=include_blocked)
                 if (i.side, i.scenario) not in fresh_keys]
        if not items and not refresh_items:
            self.running_items = 0
            return None
        self.token = session.begin_run(refresh_items + items)
        dataset = tuple(session.lines["positive"]) + tuple(session.lines["negative"])
        plan = RunPlan(self.token, session.rubric.epoch, refresh_items, items, dataset,
                       session.rubric.text)
        self.running_items = plan.size
        return plan

    def finished(self, session: "Session", token: int, *, cancelled: bool) -> RunEnd:
        if token != self.token:
            return RunEnd(False, 0)
        left = session.end_run(token, cancelled=cancelled)
        self.token = None
        self.running_items = 0
        follow_up = None
        if self._queued:
            follow_up, self._queued, self._queued_blocked = self._queued_blocked, False, False
        return RunEnd(True, left, follow_up)
