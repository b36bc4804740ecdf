"""How the editor paces its work around keys: runner events in one message per frame, the
opening run after the first screen settles, one core left for drawing, a footer that is not
rebuilt for nothing, deferrable work that waits for a pause in the keys, and local decoding
that waits while a key is answered."""
from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

import pytest

from core.cache import Cache
from core.config import Config
from core.dataset import load_trait
from core.setup import make_runner
from tui.app import StudioApp
from tui.pacing import GATE_MAX_S, KEYS_PAUSE_S, MAX_WAIT_S, KeyGate, Paced, wait_more
from core.run_service import FRAME_S, Coalescer
from tui.runner_thread import RunnerThread, editor_config
from tui.widgets.footer import StudioFooter

from .helpers import wait_idle, wait_until

SIZE = (80, 24)


async def test_the_coalescer_keeps_order_and_sends_one_batch_per_frame():
    sent: list[tuple[int, ...]] = []
    out = Coalescer(sent.append, interval=0.05)
    for i in range(5):
        out.add(i)
    assert sent == []                          # nothing goes out before the frame is over
    await asyncio.sleep(0.15)
    assert sent == [(0, 1, 2, 3, 4)]
    out.add(5)
    out.add(6)
    out.flush()                                # the end of a run: the rest goes at once
    assert sent == [(0, 1, 2, 3, 4), (5, 6)]
    out.flush()
    await asyncio.sleep(0.1)
    assert sent == [(0, 1, 2, 3, 4), (5, 6)]  # no empty batch, no second send of a flushed one


async def test_events_posted_from_the_runners_loop_arrive_in_order():
    sent: list[tuple[int, ...]] = []
    thread = RunnerThread()

    async def produce() -> None:
        out = Coalescer(sent.append)
        for i in range(200):
            out.add(i)
            if i % 50 == 0:
                await asyncio.sleep(2 * FRAME_S)
        out.flush()

    try:
        await thread.run(produce(), timeout=10)
    finally:
        thread.stop()
    assert [x for batch in sent for x in batch] == list(range(200))
    assert 2 <= len(sent) < 20                 # batches, not one message per event


def test_the_editor_leaves_a_core_for_drawing():
    cores = os.cpu_count() or 1
    assert editor_config(Config(backend="local")).cpu_threads == max(1, cores - 1)
    assert editor_config(Config(backend="local", cpu_threads=7)).cpu_threads == 7   # the user's
    assert editor_config(Config(backend="modal")).cpu_threads == 0    # nothing decodes here


async def test_the_opening_run_starts_once_the_screen_settles(make_app, judge_env, backend):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.busy and not app.testing and backend.prompts == []   # due, not started
        await wait_until(pilot, lambda: app.testing, 10, "the opening run")
        assert "Testing" in app.main.message.message
        await wait_idle(pilot, app)
        assert app.session.summary().positive.pending == 0


async def test_a_key_before_the_run_starts_keeps_its_message(make_app, judge_env):
    judge_env.latency_s = 0.5                  # the run outlasts the check below
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "d")
        await wait_until(pilot, lambda: app.testing, 10, "the opening run")
        assert app.main.message.message.startswith("Cut pair 2")   # not the "Testing" note
        await wait_idle(pilot, app)


async def test_the_footer_is_rebuilt_only_when_its_keys_change(make_app):
    app = make_app(runner=None, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        footer = app.main.query_one(StudioFooter)
        keys = list(footer.children)
        assert keys and "Save" in " ".join(str(k.render()) for k in keys)
        app.main.refresh_bindings()            # same keys: the same widgets stay
        await pilot.pause(0.2)
        assert list(footer.children) == keys
        app.update_keymap({"cut": "x"})        # another key for cut: rebuilt
        await pilot.pause(0.2)
        assert list(footer.children) != keys
        assert "x Cut" in " ".join(str(k.render()) for k in footer.children)


# ---------------------------------------------------------------- keys first (tui.pacing)

def test_a_job_waits_for_a_pause_in_the_keys_or_its_longest_wait():
    # no key for a while: run now
    assert wait_more(now=10.0, last_key=9.0, asked=9.95) is None
    # a key 30 ms ago: wait out the rest of the pause
    assert wait_more(now=10.0, last_key=9.97, asked=9.9) == pytest.approx(KEYS_PAUSE_S - 0.03)
    # keys keep coming, but the job has waited its longest: run now
    assert wait_more(now=10.0, last_key=9.99, asked=10.0 - MAX_WAIT_S) is None
    # never past the longest wait, even when the pause would end later
    assert wait_more(now=10.0, last_key=9.999, asked=10.0 - 1.95, max_wait_s=2.0) == pytest.approx(0.05)


class LoopHost:
    """A TimerHost on the running asyncio loop, whose keys the test presses."""

    def __init__(self) -> None:
        self.last_key = 0.0

    def set_timer(self, delay: float, callback):
        return asyncio.get_running_loop().call_later(delay, callback)


async def test_a_paced_job_runs_once_however_often_it_is_asked():
    host, runs = LoopHost(), []
    job = Paced(host, lambda: runs.append(time.monotonic()), first_s=0.02)
    for _ in range(5):
        job.ask()
    assert job.pending
    await asyncio.sleep(0.2)
    assert len(runs) == 1 and not job.pending


async def test_a_paced_job_waits_while_keys_come_and_runs_in_the_pause():
    host, runs = LoopHost(), []
    job = Paced(host, lambda: runs.append(time.monotonic()), first_s=0.02, max_wait_s=5.0)
    job.ask()
    typing_until = time.monotonic() + 0.3
    while time.monotonic() < typing_until:      # a key every 20 ms for 0.3 s
        host.last_key = time.monotonic()
        await asyncio.sleep(0.02)
    assert runs == []                            # not while the keys came
    await asyncio.sleep(KEYS_PAUSE_S + 0.1)
    assert len(runs) == 1 and runs[0] >= host.last_key + KEYS_PAUSE_S - 0.01


async def test_a_paced_job_runs_at_its_longest_wait_while_keys_keep_coming():
    host, runs = LoopHost(), []
    job = Paced(host, lambda: runs.append(time.monotonic()), first_s=0.02, max_wait_s=0.15)
    asked = time.monotonic()
    job.ask()
    while time.monotonic() < asked + 0.5:
        host.last_key = time.monotonic()
        await asyncio.sleep(0.01)
    assert len(runs) == 1 and 0.15 <= runs[0] - asked < 0.4


def test_the_key_gate_holds_a_thread_until_it_opens_and_never_long():
    gate = KeyGate()
    t = time.monotonic()
    gate.wait()
    assert time.monotonic() - t < 0.05          # open: no wait
    gate.close()
    t = time.monotonic()
    gate.wait()
    assert GATE_MAX_S - 0.01 <= time.monotonic() - t < GATE_MAX_S + 0.2   # closed: bounded
    waited: list[float] = []

    def background() -> None:
        t0 = time.monotonic()
        gate.wait()
        waited.append(time.monotonic() - t0)

    gate.close()                                 # the next key
    worker = threading.Thread(target=background)
    worker.start()
    time.sleep(0.03)
    gate.open()                                  # the frame is drawn: the thread goes on
    worker.join()
    assert 0.02 <= waited[0] < GATE_MAX_S


class RecordingGate(KeyGate):
    """The app's real gate, with a record of when it closed and opened."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []

    def close(self) -> None:
        self.log.append("close")
        super().close()

    def open(self) -> None:
        self.log.append("open")
        super().open()


class FrameLoggingStudio(StudioApp):
    """The real app, writing each frame into its gate's log."""

    def post_display_hook(self) -> None:
        if isinstance(self.key_gate, RecordingGate):
            self.key_gate.log.append("frame")
        super().post_display_hook()


async def test_a_key_closes_the_gate_of_local_decoding_until_its_frame(trait_copy, cfg, tiny_backend):
    cache = Cache(cfg.resolved_cache_path())
    trait = load_trait(str(trait_copy), check_steering=False)
    runner = make_runner(cfg, cache, trait.name, trait.definition, backend=tiny_backend)
    app = FrameLoggingStudio(trait, cfg=cfg, runner=runner, cache=cache, autorun=False, watch=False)
    try:
        assert tiny_backend.between_steps == app.key_gate.wait     # wired to the local backend
        app.key_gate = gate = RecordingGate()
        tiny_backend.between_steps = gate.wait
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.2)
            gate.log.clear()
            await pilot.press("down")
            await pilot.pause(0.1)
            assert app.main.table.cursor == 1
            first = gate.log.index("close")
            assert gate.log[first:].index("frame") < gate.log[first:].index("open")   # open at a frame
            assert gate.is_open
    finally:
        tiny_backend.between_steps = None
        cache.close()


def test_older_collections_wait_for_a_pause_in_the_keys():
    import gc

    from tui.collector import FullCollections

    collected: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collected.append(info["generation"])

    before = gc.get_threshold()
    c = FullCollections()
    try:
        assert c.take_over()
        assert gc.get_threshold() == (before[0], 1 << 30, 1 << 30)   # young passes only
        gc.callbacks.append(seen)
        for _ in range(before[1] * 3):                 # enough young passes for a middle one
            junk = [[] for _ in range(before[0] + 50)]
            for a, b in zip(junk, junk[1:]):
                a.append(b)
                b.append(a)
            del junk
        assert collected and set(collected) == {0}     # nothing older ran by itself
        collected.clear()
        c.tick(last_key=time.monotonic())              # a key just came: nothing runs
        assert collected == []
        c.tick(last_key=time.monotonic() - 1.0)        # the keys paused: the middle pass runs
        assert collected == [1]
    finally:
        if seen in gc.callbacks:
            gc.callbacks.remove(seen)
        c.give_back()
    assert gc.get_threshold() == before


def test_no_collection_runs_from_the_editors_start_until_the_first_frame():
    import gc

    from tui.collector import FullCollections, end_hold, hold_until_first_frame

    ran: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            ran.append(info["generation"])

    c = FullCollections()
    gc.callbacks.append(seen)
    try:
        hold_until_first_frame()
        assert not gc.isenabled()
        junk = [[] for _ in range(20 * gc.get_threshold()[0])]      # many young passes' worth
        del junk
        assert ran == []
        c.take_over()                                # the first frame: collections come back
        assert gc.isenabled()
        end_hold()                                   # (run_editor's finally): nothing to undo
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(seen)
        end_hold()
        c.give_back()
        gc.enable()


def test_a_background_import_waits_at_the_key_gate_between_modules(tmp_path, monkeypatch):
    from tui.pacing import GatedImports

    for name in ("gated_one", "gated_two", "gated_three"):
        (tmp_path / f"{name}.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    gate = KeyGate()
    gated = GatedImports(gate)                  # this thread plays the editor's loop
    took: dict[str, float] = {}

    def background(name: str) -> None:
        t = time.monotonic()
        __import__(name)
        took[name] = time.monotonic() - t

    gated.install()
    try:
        worker = threading.Thread(target=background, args=("gated_one",))
        worker.start()
        worker.join()
        assert took["gated_one"] < GATE_MAX_S / 2             # open gate: no wait
        gate.close()                                         # a key is being answered
        worker = threading.Thread(target=background, args=("gated_two",))
        worker.start()
        time.sleep(0.03)
        assert "gated_two" not in took                       # it waits before the module runs
        t = time.monotonic()
        __import__("gated_three")                            # the loop's own import does not
        assert time.monotonic() - t < GATE_MAX_S / 2
        gate.open()                                          # the key's frame is drawn
        worker.join()
        assert 0.02 <= took["gated_two"] < GATE_MAX_S + 0.1
        assert sys.modules["gated_two"].VALUE == 1
    finally:
        gated.remove()
    assert gated not in sys.meta_path


def test_a_gate_left_closed_holds_no_thread_past_its_bound():
    """A key that changes nothing draws no frame, and nothing opens the gate: threads still
    go on GATE_MAX_S after it closed, not GATE_MAX_S per step (3800 module imports would
    otherwise take minutes)."""
    gate = KeyGate()
    gate.close()
    time.sleep(GATE_MAX_S + 0.02)
    assert gate.is_open
    t = time.monotonic()
    for _ in range(50):                          # 50 steps after the bound: no wait at all
        gate.wait()
    assert time.monotonic() - t < GATE_MAX_S / 2
    gate.close()                                 # the next key closes it again
    assert not gate.is_open
