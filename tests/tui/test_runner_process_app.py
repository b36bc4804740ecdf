"""The editor with its runner in a process of its own, as `scenarios edit` opens it: the real
local backend (tiny model) decoding in the child, the real judge against the loopback server."""
from __future__ import annotations

import os
import signal

from core.cache import Cache
from core.dataset import load_trait
from core.setup import make_runner
from tui.app import StudioApp

from .helpers import wait_idle, wait_until

SIZE = (80, 24)


def process_app(trait_copy, cfg) -> tuple[StudioApp, Cache]:
    trait = load_trait(str(trait_copy), check_steering=False)
    cache = Cache(cfg.resolved_cache_path())
    runner = make_runner(cfg, cache, trait.name, trait.definition)
    return StudioApp(trait, cfg=cfg, runner=runner, cache=cache, watch=False,
                     runner_process=True), cache


async def test_the_editor_tests_every_line_in_the_runners_process(trait_copy, cfg, judge_env):
    app, cache = process_app(trait_copy, cfg)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.testing, 10, "the opening run")
            await wait_idle(pilot, app, timeout=90)
            s = app.session.summary()
            assert s.positive.pending == 0 and s.negative.pending == 0
            assert judge_env.ok == 2 * app.session.n_pairs
            assert "Test run failed" not in app.main.message.message
            runner = app.runner
            assert runner.backend._loaded is None          # nothing decoded in this process
            # nothing in this process waits at the key gate for a runner that is not here
            assert runner.backend.between_steps is None and runner.judge.between_steps is None
            child = app._host._child.proc
            assert child.pid != os.getpid() and child.poll() is None
        assert child.poll() is not None                    # the editor's exit ends the child
    finally:
        cache.close()


async def test_a_runner_process_that_dies_is_an_error_and_r_starts_a_new_one(trait_copy, cfg, judge_env):
    judge_env.answer_first = 4            # then the judge holds every call: the run is going
    app, cache = process_app(trait_copy, cfg)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: judge_env.waiting >= 1, 60, "a held judge call")
            first = app._host._child.proc
            os.kill(first.pid, signal.SIGKILL)
            await wait_until(pilot, lambda: not app.testing, 20, "the run's end")
            message = app.main.message.message
            assert "Test run failed: the runner process was killed (SIGKILL" in message
            kept = app.session.summary()
            assert kept.positive.pending + kept.negative.pending > 0       # untested, not failed
            judge_env.answer_first = None
            judge_env.gate.set()
            await pilot.press("R")
            await wait_until(pilot, lambda: app.testing, 10, "the retry")
            await wait_idle(pilot, app, timeout=90)
            done = app.session.summary()
            assert done.positive.pending == 0 and done.negative.pending == 0
            assert app._host._child.proc.pid != first.pid
    finally:
        judge_env.gate.set()
        cache.close()
