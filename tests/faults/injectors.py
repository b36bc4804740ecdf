"""Fault injectors wrapped around the real things (never replacing them).

* FlakyBackend: the real LocalBackend, except that a batch containing a chosen prompt raises,
  with a message that may quote a planted secret (as some library errors quote URLs or headers).
* HangingBackend: the real backend behind a gate that never opens (async, or in a thread).
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, Sequence

from tests.standins import WrappedBackend


class GenerationFault(RuntimeError):
    pass


class FlakyBackend(WrappedBackend):
    def __init__(self, inner: Any, fails: Callable[[str], bool], message: str = "CUDA error: device-side assert (injected)"):
        super().__init__(inner)
        self.fails = fails
        self.message = message
        self.prompts: list[str] = []       # prompts the real backend was asked for
        self.raised = 0

    async def generate(self, prompts: Sequence[str]) -> Any:
        bad = [p for p in prompts if self.fails(p)]
        if bad:
            self.raised += 1
            raise GenerationFault(f"{self.message} on {bad[0][:30]!r}")
        self.prompts.extend(prompts)
        return await self.inner.generate(prompts)


class HangingBackend(WrappedBackend):
    """`mode="async"`: generate awaits forever (a remote call that never answers);
    `mode="thread"`: generate blocks a worker thread (a stuck local forward pass)."""

    def __init__(self, inner: Any, mode: str = "async"):
        super().__init__(inner)
        self.mode = mode
        self.entered = threading.Event()
        self.release = threading.Event()

    async def generate(self, prompts: Sequence[str]) -> Any:
        self.entered.set()
        if self.mode == "thread":
            await asyncio.to_thread(self.release.wait)
        else:
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return await self.inner.generate(prompts)
