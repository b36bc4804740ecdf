"""Background warm-up of the judge, so that its one-time costs stay off the event loop.

The first judge call of a session costs the process, besides the ~1 s import of the SDK (which
core.judge already does in a thread, when the first completion needs a score), one-time work
that lands on the event loop while results start streaming in and the user types: lazy imports
when the SDK client is built, validator building when the first reply is parsed. A judge that
offers `warm_up()` (blocking, best effort, safe to run in a thread) gets it called in the
editor's background thread as soon as its first screen is up (after the first lint, in the same
thread: one thread competing for the GIL with the event loop, not two). The editor itself never touches the SDK
(tests/tui/test_boundaries.py): what warming up means is the judge's business.
"""
from __future__ import annotations

from typing import Any, Callable, Optional


def judge_warm_up(runner: Any) -> Optional[Callable[[], None]]:
    """`runner.judge.warm_up`, when the judge has one, wrapped to never raise."""
    warm = getattr(getattr(runner, "judge", None), "warm_up", None)
    if not callable(warm):
        return None

    def run() -> None:
        try:
            warm()
        except Exception:
            pass        # best effort: the judge does the same work itself when it needs it
    return run
