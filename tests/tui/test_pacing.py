"""How the editor paces its work around keys: runner events in one message per frame, the
opening run after the first screen settles, one core left for drawing, and a footer that is
not rebuilt for nothing."""
from __future__ import annotations

import asyncio
import os

from core.config import Config
from tui.runner_thread import FRAME_S, Coalescer, RunnerThread, editor_config
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
