"""The garbage collector's older passes, run by the editor when no key is being answered.

A full pass walks every tracked object with the GIL held, from whichever thread happens to
allocate: 20-60 ms each while the judge's SDK is imported, longer while a local model loads,
and a key pressed meanwhile waits. A middle (generation 1) pass took 4-14 ms in the middle of a
key's frame while results streamed in. So the editor, a process whose objects mostly live as
long as it does, decides (core does not: the CLI has no keys to keep fast):

* `scenarios edit` runs no collection at all until the first frame (`hold_until_first_frame`):
  start-up builds what lives as long as the process (modules, the stylesheet, the widgets, the
  dataset), and its 120 young, 10 middle and one full pass took 43-69 ms of a ~500 ms first
  screen to free ~4000 objects of cyclic garbage, which now stay, frozen with the rest;
* everything built up to the first frame (Textual, the widgets, the dataset) is frozen out of
  the collector, once per process;
* what a heavy import brought in (the judge's SDK, torch and the weights) is frozen when it is
  done (`freeze_now`);
* young (generation 0) passes stay automatic: under a millisecond each; middle and full passes
  run on a timer once the keys pause (IDLE_S), as often as the collector would have run them,
  or every MAX_S at the latest.
"""
from __future__ import annotations

import gc
import time
from typing import Optional

IDLE_S = 0.5
MAX_S = 30.0
_frozen_once = False
_held = False


def hold_until_first_frame() -> None:
    """No collection until FullCollections.take_over (the first frame) or end_hold."""
    global _held
    if gc.isenabled():
        _held = True
        gc.disable()


def end_hold() -> None:
    global _held
    if _held:
        _held = False
        gc.enable()


def freeze_now() -> None:
    """Move every object alive now out of the collector's reach (they live as long as the
    process: imported modules, loaded weights)."""
    gc.freeze()


class FullCollections:
    """Takes the middle and full passes over from the collector, and gives them back."""

    def __init__(self) -> None:
        self._saved: Optional[tuple[int, int, int]] = None
        self._middle_every = 10
        self._full_every = 10
        self._last_pass = 0.0

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
        end_hold()
        self._saved = gc.get_threshold()
        t0, t1, t2 = self._saved
        # as often as the collector would: a middle pass every t1 young ones, a full one every
        # t2 middle ones
        self._middle_every, self._full_every = max(1, t1), max(1, t2)
        gc.set_threshold(t0, 1 << 30, 1 << 30)
        self._last_pass = time.monotonic()
        return True

    def tick(self, last_key: float) -> None:
        """Run the passes that are due when the keys paused since `last_key`, or all of them
        when MAX_S passed."""
        if self._saved is None:
            return
        now = time.monotonic()
        due = now - self._last_pass >= MAX_S
        idle = now - last_key >= IDLE_S
        young, middle = gc.get_count()[1], gc.get_count()[2]   # passes since the next older one
        if (idle and middle >= self._full_every) or (due and (middle > 0 or young > 0)):
            gc.collect()
        elif idle and young >= self._middle_every:
            gc.collect(1)
        else:
            return
        self._last_pass = time.monotonic()

    def give_back(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
