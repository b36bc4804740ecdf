"""An event loop of its own, in a thread, for the runner and the judge's HTTP client.

The editor's loop then only draws and answers keys: the judge's replies (parsing, validation,
the SDK's bookkeeping) and the runner's scheduling never sit between two keys. Events come back
with `App.post_message`, which is thread-safe.
"""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any, Coroutine, Optional, TypeVar

T = TypeVar("T")


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
