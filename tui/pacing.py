"""Keys first: the editor's deferrable work waits for a pause in the keys.

A key's own frame must show its effect within 50 ms on two busy cores. Work that no key waits
for (drawing results that streamed in, linting an edit, recomputing the vector preview) costs
5-15 ms each; run as soon as it is asked for, it lands on the next key and that key waits for
it. So each such job runs once the keys have paused for KEYS_PAUSE_S, or, while keys keep
coming, once it has waited its longest wait (MAX_WAIT_S unless the job says otherwise): its
outcome is never later than that on screen.
"""
from __future__ import annotations

import importlib.abc
from importlib.machinery import ModuleSpec
import sys
import threading
import time
from typing import Any, Callable, Optional, Protocol

KEYS_PAUSE_S = 0.1       # a job waits until no key came for this long ...
MAX_WAIT_S = 0.4         # ... or until it has waited this long


def wait_more(now: float, last_key: float, asked: float, max_wait_s: float = MAX_WAIT_S) -> Optional[float]:
    """Seconds a job asked for at `asked` should still wait, or None to run it now."""
    since_key = now - last_key
    if since_key < KEYS_PAUSE_S and now - asked < max_wait_s:
        return min(KEYS_PAUSE_S - since_key, max_wait_s - (now - asked))
    return None


class TimerHost(Protocol):
    """What a Paced job needs of the app: Textual's set_timer, and when the last key came."""

    def set_timer(self, delay: float, callback: Callable[[], object]) -> object: ...

    @property
    def last_key(self) -> float: ...


class Paced:
    """One deferrable job: `ask()` any number of times, it runs once, keys first.

    `first_s` is the least it waits after being asked (the results' redraw gathers a few
    batches of events into one frame); `max_wait_s` the most, while keys keep coming."""

    def __init__(self, host: TimerHost, job: Callable[[], None], first_s: float = KEYS_PAUSE_S,
                 max_wait_s: float = MAX_WAIT_S) -> None:
        self._host = host
        self._job = job
        self._first_s = first_s
        self._max_wait_s = max_wait_s
        self._asked: Optional[float] = None      # when it was asked for; None: not pending

    @property
    def pending(self) -> bool:
        return self._asked is not None

    def ask(self) -> None:
        if self._asked is None:
            self._asked = time.monotonic()
            self._host.set_timer(self._first_s, self._fire)

    def _fire(self) -> None:
        if self._asked is None:
            return
        wait = wait_more(time.monotonic(), self._host.last_key, self._asked, self._max_wait_s)
        if wait is not None:
            self._host.set_timer(wait, self._fire)
            return
        self._asked = None
        self._job()


GATE_MAX_S = 0.1         # the longest a background thread waits on one key


class KeyGate:
    """Lets background threads wait while a key is being answered.

    The local backend's decoding of a small model, the judge client's requests and replies and
    a large import are Python that holds the GIL the editor's loop needs to answer a key: on
    two cores a cut's 20 ms of work took 40-70 ms while a batch decoded. The app closes the gate
    when a key arrives and opens it when the next frame is drawn; the threads wait at it
    between their steps. A key that changes nothing on screen draws no frame, so the gate
    counts as open GATE_MAX_S after it closed, however it was left: no thread ever waits
    longer than that for one key."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self._closed_at = 0.0

    @property
    def is_open(self) -> bool:
        return self._open.is_set() or time.monotonic() - self._closed_at >= GATE_MAX_S

    def close(self) -> None:
        self._closed_at = time.monotonic()
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    def wait(self) -> None:
        """Called from a background thread, between its steps."""
        if self._open.is_set():
            return
        left = self._closed_at + GATE_MAX_S - time.monotonic()
        if left > 0:
            self._open.wait(left)


class GatedImports(importlib.abc.MetaPathFinder):
    """While installed, every thread but the one that installed it (the editor's loop) waits at
    the key gate before it runs each module it imports, so that an import in the background
    pauses while a key is answered: the judge SDK's (~3800 modules, 2.7 s of CPU, most under
    1 ms each, warmed up after the first screen), and what the runner's thread and the
    decoding thread import on first use.

    It finds modules with the import system's own finders and wraps their loaders: the wait is
    in `exec_module`, where only that module's lock is held. (Waiting in `find_spec` would
    hold the global import lock, and an import on the editor's loop would wait for the gate
    that only its own frame opens.)"""

    def __init__(self, gate: KeyGate) -> None:
        self._gate = gate
        self._loop_thread = threading.get_ident()
        self._finding = threading.local()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Optional[ModuleSpec]:
        if threading.get_ident() == self._loop_thread or getattr(self._finding, "on", False):
            return None
        self._finding.on = True
        try:
            spec = next((found for finder in list(sys.meta_path) if finder is not self
                         and hasattr(finder, "find_spec")
                         and (found := finder.find_spec(fullname, path, target)) is not None), None)
        finally:
            self._finding.on = False
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = GatedLoader(spec.loader, self._gate)
        return spec

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def remove(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


class GatedLoader(importlib.abc.Loader):
    """A module's own loader, run after the key gate opens (GatedImports)."""

    def __init__(self, inner: Any, gate: KeyGate) -> None:
        self._inner = inner
        self._gate = gate

    def create_module(self, spec: ModuleSpec) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._gate.wait()
        self._inner.exec_module(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)     # get_data, get_resource_reader, is_package, ...
