"""Backend state: the one place that decides what the generator and the judge are doing.

Read by the editor's status line and its "why is this line pending" text, and by the CLI's
blockers. Starts from how the runner was built (`Runner.setup_status`) and follows the runner's
events (`fold_backend`).
"""
from __future__ import annotations

from typing import Literal, Optional

from .events import BackendState, BackendStatus, Event, LineError, ScoreReady

Slot = Literal["generator", "judge"]
SLOTS: tuple[Slot, Slot] = ("generator", "judge")


BLOCKING = frozenset({BackendState.NOT_CONFIGURED, BackendState.ERROR})
NO_GENERATOR = "no generation backend configured"
NO_JUDGE = "no judge configured"


def slot_of(status: BackendStatus) -> Slot:
    return "judge" if status.backend == "judge" else "generator"


def unconfigured(generator_name: str, generator_why: Optional[str] = None,
                 judge_why: Optional[str] = None) -> dict[Slot, BackendStatus]:
    """Both backends as built without them (no runner at all: both missing)."""
    return {"generator": BackendStatus(generator_name, BackendState.NOT_CONFIGURED,
                                       generator_why or NO_GENERATOR),
            "judge": BackendStatus("judge", BackendState.NOT_CONFIGURED, judge_why or NO_JUDGE)}


def fold_backend(backends: dict[Slot, BackendStatus], event: Event) -> bool:
    """Fold one runner event into the backends' state. Returns True when it changed."""
    if isinstance(event, BackendStatus):
        backends[slot_of(event)] = event
        return True
    if isinstance(event, ScoreReady) and not event.cached:
        if backends.get("judge", None) is None or backends["judge"].state != BackendState.READY:
            backends["judge"] = BackendStatus("judge", BackendState.READY)
            return True
        return False
    if isinstance(event, LineError) and event.stage == "judge":
        cur = backends.get("judge")
        if cur is None or cur.state != BackendState.READY:
            backends["judge"] = BackendStatus("judge", BackendState.ERROR, event.message)
            return True
    return False


def reason(status: BackendStatus) -> str:
    """The reason a backend is not ready, without repeating its state ('' when ready)."""
    if status.state == BackendState.READY:
        return ""
    msg = status.message
    if msg.startswith(status.state):
        msg = msg[len(status.state):].strip(" :")
    return msg


def blockers(backends: dict[Slot, BackendStatus]) -> dict[Slot, str]:
    """The backends that keep lines from being tested, with the reason."""
    return {slot: reason(st) or st.state for slot, st in backends.items() if st.state in BLOCKING}


def generator_name(backends: dict[Slot, BackendStatus], fallback: str) -> str:
    """The generator's name for labels (`fallback`, the configured one, when none was built)."""
    st = backends.get("generator")
    return st.backend if st is not None and st.backend != "generator" else fallback
