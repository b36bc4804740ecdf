"""An event loop of its own, in a thread, for the runner and the judge's HTTP client.

The editor's loop then only draws and answers keys: the judge's replies (parsing, validation,
the SDK's bookkeeping) and the runner's scheduling never sit between two keys. Events come back
with `App.post_message`, which is thread-safe, gathered by a Coalescer into one message per
frame: each message wakes the editor's loop, and on a busy machine each wake-up first waits for
the GIL (up to the interpreter's 5 ms switch interval) behind the runner and generation threads.
"""
from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import Future
from dataclasses import replace
from typing import Any, Callable, Coroutine, Generic, Optional, TypeVar

from core.config import Config

T = TypeVar("T")

FRAME_S = 1 / 60         # Textual draws at most 60 frames a second: finer batches show nothing sooner


def editor_config(cfg: Config) -> Config:
    """The settings the editor runs with: unless the config says otherwise (model.cpu_threads),
    the local backend's generation leaves one core free, so that the editor's loop always has a
    core to draw on while a batch decodes (on two cores, torch's two threads took both)."""
    if cfg.cpu_threads or cfg.backend != "local":
        return cfg
    return replace(cfg, cpu_threads=max(1, (os.cpu_count() or 1) - 1))


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


class RunnerThread:
    def __init__(self, name: str = "scenarios-runner") -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._name = name

    def _ensure(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
            self._thread.start()
            self._loop = loop
        return self._loop

    def submit(self, coro: Coroutine[Any, Any, T]) -> "Future[T]":
        """Run `coro` on the thread's loop. Cancelling the returned future cancels the task."""
        return asyncio.run_coroutine_threadsafe(coro, self._ensure())

    async def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> Optional[T]:
        """Run `coro` there and wait for it from the caller's loop (None on timeout)."""
        try:
            return await asyncio.wait_for(asyncio.wrap_future(self.submit(coro)), timeout)
        except asyncio.TimeoutError:
            return None

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        if not loop.is_running():
            loop.close()
