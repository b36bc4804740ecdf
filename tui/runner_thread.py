"""An event loop of its own, in a thread, for the judge's HTTP client and (when the runner
cannot have a process of its own, core.runner_process) for the runner.

The editor's loop then only draws and answers keys: the judge's replies (parsing, validation,
the SDK's bookkeeping) and the runner's scheduling never sit between two keys. Replies come
back through `App.post_message`, which is thread-safe, in batches of one frame
(core.run_service.Coalescer): each message wakes the editor's loop, and on a busy machine each
wake-up first waits for the GIL (up to the interpreter's 5 ms switch interval) behind the
runner and generation threads, which is why `scenarios edit` runs the runner in a process.
"""
from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import Future
from dataclasses import replace
from typing import Any, Callable, Coroutine, Optional, TypeVar

from core.config import Config
from core.run_service import Reply, serve_plan
from core.runner import Runner
from core.scheduler import RunPlan

T = TypeVar("T")

def editor_config(cfg: Config) -> Config:
    """The settings the editor runs with: unless the config says otherwise (model.cpu_threads),
    the local backend's generation leaves one core free, so that the editor's loop always has a
    core to draw on while a batch decodes (on two cores, torch's two threads took both)."""
    if cfg.cpu_threads or cfg.backend != "local":
        return cfg
    return replace(cfg, cpu_threads=max(1, (os.cpu_count() or 1) - 1))


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


class ThreadHost:
    """The runner on the editor's runner thread, sharing the editor's process: for a runner that
    cannot move to a process of its own (core.runner_process.CannotMove), such as one with a
    stand-in backend. Same calls and replies as core.runner_process.RunnerProcess."""

    in_process = True

    def __init__(self, runner: Runner, thread: RunnerThread, deliver: Callable[[Reply], None]) -> None:
        self._runner = runner
        self._thread = thread
        self._deliver = deliver
        self._runs: dict[int, Future] = {}

    def start(self, plan: RunPlan) -> None:
        future = self._thread.submit(serve_plan(self._runner, plan, self._deliver))
        self._runs[plan.token] = future
        future.add_done_callback(lambda _f, token=plan.token: self._runs.pop(token, None))

    def cancel(self, token: int) -> None:
        """The run ends with RunDone(cancelled=True) once its task has stopped."""
        future = self._runs.get(token)
        if future is not None:
            future.cancel()

    def close(self, timeout: float = 0.0) -> None:
        for future in list(self._runs.values()):
            future.cancel()
