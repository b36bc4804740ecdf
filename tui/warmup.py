"""Background warm-up of the judge, so that its one-time costs stay off the event loop.

The first judge call of a session costs the process, besides the ~1 s import of the SDK (which
core.judge already does in a thread, when the first completion needs a score), one-time work
that lands on the event loop while results start streaming in and the user types: lazy imports
when the SDK client is built, validator building when the first reply is parsed. A judge that
offers `warm_up()` (blocking, best effort, safe to run in a thread) gets it called in a daemon
thread as soon as the editor's first screen is up. The editor itself never touches the SDK
(tests/tui/test_boundaries.py): what warming up means is the judge's business.
"""
from __future__ import annotations

import threading
from typing import Any, Optional


def _run(warm: Any) -> None:
    try:
        warm()
    except Exception:
        pass            # best effort: the judge does the same work itself when it needs it


def warm_up_judge(runner: Any) -> Optional[threading.Thread]:
    """Start `runner.judge.warm_up()` in a daemon thread, when the judge has one."""
    warm = getattr(getattr(runner, "judge", None), "warm_up", None)
    if not callable(warm):
        return None
    t = threading.Thread(target=_run, args=(warm,), daemon=True, name="scenarios-warm-up-judge")
    t.start()
    return t
