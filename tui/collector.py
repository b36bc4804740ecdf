"""The garbage collector's full passes, run by the editor when no key is being answered.

A full pass walks every tracked object with the GIL held, from whichever thread happens to
allocate: 20-60 ms each while the judge's SDK is imported, longer while a local model loads,
and a key pressed meanwhile waits. So the editor, a process whose objects mostly live as long as
it does, decides (core does not: the CLI has no keys to keep fast):

* everything built up to the first frame (Textual, the widgets, the dataset) is frozen out of
  the collector, once per process;
* what a heavy import brought in (the judge's SDK, torch and the weights) is frozen when it is
  done (`freeze_now`);
* young collections stay automatic; full ones run on a timer once the keys pause (IDLE_S), or
  every MAX_S at the latest.
"""
from __future__ import annotations

import gc
import time
from typing import Optional

IDLE_S = 0.5
MAX_S = 30.0
_frozen_once = False


def freeze_now() -> None:
    """Move every object alive now out of the collector's reach (they live as long as the
    process: imported modules, loaded weights)."""
    gc.freeze()


class FullCollections:
    """Takes the full passes over from the collector, and gives them back."""

    def __init__(self) -> None:
        self._saved: Optional[tuple[int, int, int]] = None
        self._full_every = 10
        self._last_full = 0.0

    def take_over(self) -> bool:
        """Returns False when already taken over."""
        global _frozen_once
        if self._saved is not None:
            return False
        if not _frozen_once:
            # once per process: frozen objects that later become cyclic garbage are never
            # freed, and a process that opens many editors (the tests) would keep each one
            _frozen_once = True
            freeze_now()
        self._saved = gc.get_threshold()
        t0, t1, t2 = self._saved
        self._full_every = max(1, t2)    # as often as the collector would (t2 gen-1 passes)
        gc.set_threshold(t0, t1, 1 << 30)
        self._last_full = time.monotonic()
        return True

    def tick(self, last_key: float) -> None:
        """Run a full pass when the keys paused since `last_key` (and one is due), or when
        MAX_S passed."""
        if self._saved is None:
            return
        now = time.monotonic()
        due = now - self._last_full >= MAX_S
        idle = now - last_key >= IDLE_S
        passes = gc.get_count()[2]            # gen-1 collections since the last full one
        if (idle and passes >= self._full_every) or (due and passes > 0):
            gc.collect()
            self._last_full = time.monotonic()

    def give_back(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
