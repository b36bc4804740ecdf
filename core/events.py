"""The runner's event stream: what the CLI and the editor consume.

Events carry the scenario text as well as side and index: the editor may cut or insert lines
while a run is in flight, so it matches results to rows by content, not by position.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Optional, Union

from .activations import Activations

Side = Literal["positive", "negative"]
SIDES: tuple[Side, Side] = ("positive", "negative")


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    lines: int
    to_generate: int
    to_judge: int


class BackendState(StrEnum):
    IDLE = "idle"
    LOADING = "loading"
    WARMING = "warming"
    READY = "ready"
    NOT_CONFIGURED = "not configured"
    ERROR = "error"


@dataclass(frozen=True)
class BackendStatus:
    """What one backend is doing, with a sentence for the user. `backend` is the generator's
    name (local, modal; "generator" when there is none) or "judge"."""
    backend: str
    state: BackendState
    message: str = ""


@dataclass(frozen=True)
class CompletionReady:
    run_id: int
    side: Side
    idx: int
    scenario: str
    text: str
    tokens: tuple[str, ...]
    cached: bool
    activations: Optional[Activations] = None   # captured in the same pass (vectors on)


@dataclass(frozen=True)
class ScoreReady:
    run_id: int
    side: Side
    idx: int
    scenario: str
    completion: str
    score: int
    cached: bool
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class LineError:
    run_id: int
    side: Side
    idx: int
    scenario: str
    stage: Literal["generate", "judge"]
    message: str


@dataclass(frozen=True)
class RunDone:
    run_id: int
    cancelled: bool
    generations: int
    judge_calls: int
    errors: int
    cost_usd: float
    elapsed_s: float
    fatal: str | None = None
    extra: dict = field(default_factory=dict)


Event = Union[RunStarted, BackendStatus, CompletionReady, ScoreReady, LineError, RunDone]
