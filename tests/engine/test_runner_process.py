"""The runner in a process of its own (core.runner_process, core.runner_child), driven with the
real local backend on the tiny model and the real judge against the loopback server."""
from __future__ import annotations

import os
import queue
import signal
import time

import pytest

from core.cache import Cache
from core.config import Config
from core.events import CompletionReady, ScoreReady
from core.judge import Judge
from core.run_service import Reply, RunBatch, RunDone
from core.runner import Runner, items_for
from core.runner_child import NICENESS
from core.runner_process import CannotMove, RunnerProcess, recipe_of
from core.scheduler import RunPlan
from core.setup import make_runner
from tests.standins import CountingBackend

POS = ["She walked in and said, \"", "The answer was clear: \"", "He paused, then \""]
NEG = ["She walked out and said, \"", "The answer was vague: \"", "He ran, then \""]
DEFINITION = "HIGH (70-100): confident.\n\nLOW (0-40): unsure.\n"


@pytest.fixture
def cfg(tiny_model, tmp_path) -> Config:
    return Config(model=str(tiny_model), backend="local", device="cpu", max_new_tokens=4,
                  batch_size=8, judge_concurrency=4, judge_max_retries=0, cpu_threads=1,
                  cache_path=str(tmp_path / "cache.sqlite3"))


@pytest.fixture
def cache(cfg):
    c = Cache(cfg.resolved_cache_path())
    yield c
    c.close()


def plan(token: int, lines: tuple[list[str], list[str]] = (POS, NEG)) -> RunPlan:
    return RunPlan(token, 0, [], items_for(*lines), (), DEFINITION)


class Replies:
    """What the reader thread delivers, for the test's thread to wait on."""

    def __init__(self) -> None:
        self.q: "queue.Queue[Reply]" = queue.Queue()
        self.got: list[Reply] = []

    def __call__(self, reply: Reply) -> None:
        self.q.put(reply)

    def until_done(self, token: int, timeout: float = 60.0) -> RunDone:
        deadline = time.monotonic() + timeout
        while True:
            reply = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            self.got.append(reply)
            if isinstance(reply, RunDone) and reply.token == token:
                return reply

    def events(self, token: int) -> list:
        return [e for r in self.got if isinstance(r, RunBatch) and r.token == token for e in r.events]


def test_a_run_in_the_child_completes_judges_and_fills_the_shared_cache(cfg, cache, judge_env):
    runner = make_runner(cfg, cache, "test/trait", DEFINITION)
    replies = Replies()
    host = RunnerProcess(recipe_of(runner), replies)
    try:
        host.start(plan(1))
        done = replies.until_done(1)
        assert done == RunDone(1, None, False)
        events = replies.events(1)
        completions = [e for e in events if isinstance(e, CompletionReady)]
        scores = [e for e in events if isinstance(e, ScoreReady)]
        assert sorted((e.side, e.idx) for e in completions) == sorted((i.side, i.idx) for i in items_for(POS, NEG))
        assert len(scores) == 6 and judge_env.ok == 6
        child = host._child.proc.pid
        assert child is not None and child != os.getpid()
        # the child yields a contended core to the editor
        assert os.getpriority(os.PRIO_PROCESS, child) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
        # the child decoded: this process never loaded the model
        assert runner.backend._loaded is None
        # what the child cached, this process reads (one cache file, two processes)
        cached = runner.cached_results(POS + NEG)
        assert len(cached) == 6 and all(score is not None for _g, score in cached.values())
        # a second run goes to the same child and comes from the cache
        host.start(plan(2))
        assert replies.until_done(2).error is None
        assert host._child.proc.pid == child and judge_env.ok == 6
        assert all(e.cached for e in replies.events(2) if isinstance(e, (CompletionReady, ScoreReady)))
        proc = host._child.proc
    finally:
        host.close()
    assert proc.poll() is not None               # closing ends the child


def test_cancel_ends_a_run_the_judge_holds_and_close_ends_the_child(cfg, cache, judge_env):
    judge_env.answer_first = 0          # the judge never answers: the run is provably going
    runner = make_runner(cfg, cache, "test/trait", DEFINITION)
    replies = Replies()
    host = RunnerProcess(recipe_of(runner), replies)
    try:
        host.start(plan(7))
        deadline = time.monotonic() + 60
        while judge_env.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert judge_env.waiting >= 1
        host.cancel(7)
        assert replies.until_done(7, timeout=20) == RunDone(7, None, True)
        proc = host._child.proc
    finally:
        judge_env.gate.set()
        t0 = time.monotonic()
        host.close()
    assert proc.poll() is not None and time.monotonic() - t0 < 5


def test_a_killed_child_ends_its_run_with_an_error_and_the_next_run_starts_a_new_one(cfg, cache, judge_env):
    judge_env.answer_first = 0
    runner = make_runner(cfg, cache, "test/trait", DEFINITION)
    replies = Replies()
    host = RunnerProcess(recipe_of(runner), replies)
    try:
        host.start(plan(1))
        first = host._child.proc.pid
        deadline = time.monotonic() + 60
        while judge_env.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(first, signal.SIGKILL)
        done = replies.until_done(1, timeout=20)
        assert not done.cancelled and done.error is not None
        assert done.error == "the runner process was killed (SIGKILL, often the system out of memory)"
        judge_env.answer_first = None
        judge_env.gate.set()
        host.start(plan(2))
        assert replies.until_done(2).error is None
        assert host._child.proc.pid != first
    finally:
        judge_env.gate.set()
        host.close()


def test_a_child_that_cannot_start_says_why(cfg, tmp_path, judge_env):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    cache = Cache(tmp_path / "ok.sqlite3")
    try:
        runner = make_runner(cfg, cache, "test/trait", DEFINITION)
        recipe = recipe_of(runner)
        from dataclasses import replace
        replies = Replies()
        host = RunnerProcess(replace(recipe, cache_path=str(folder)), replies)  # a folder: no cache
        host.start(plan(3))
        done = replies.until_done(3, timeout=60)
        assert done.error is not None and "runner process stopped (exit code 1)" in done.error
        assert "sqlite3" in done.error or "database" in done.error       # the child's last word
        assert "PLANTED-SECRET" not in done.error
        host.close()
    finally:
        cache.close()


def test_only_a_runner_built_from_its_settings_can_move(cfg, cache, tiny_backend_local):
    runner = make_runner(cfg, cache, "t/t", DEFINITION, backend=CountingBackend(tiny_backend_local))
    with pytest.raises(CannotMove):
        recipe_of(runner)
    memory = Cache(":memory:")
    try:
        with pytest.raises(CannotMove):
            recipe_of(Runner(cfg, memory, trait="t/t", definition=DEFINITION))
    finally:
        memory.close()
    judge = Judge("claude-haiku-4-5", api_key="sk-ant-explicit-9876543210", base_url="http://127.0.0.1:9")
    recipe = recipe_of(Runner(cfg, cache, trait="t/t", definition=DEFINITION, judge=judge))
    assert recipe.judge == judge.settings and not recipe.has_backend
    assert "sk-ant-explicit" not in repr(recipe)          # the key travels, it never prints
    assert Judge.from_settings(recipe.judge).settings == judge.settings


@pytest.fixture
def tiny_backend_local(cfg):
    from core.backends.local import LocalBackend
    return LocalBackend(cfg)


def test_a_plan_carries_the_rubric_the_child_judges_with(cfg, cache, judge_env):
    """The editor's rubric changes while the child lives: each run adopts the plan's text."""
    judge_env.keep_bodies = True
    runner = make_runner(cfg, cache, "test/trait", DEFINITION)
    replies = Replies()
    host = RunnerProcess(recipe_of(runner), replies)
    try:
        host.start(plan(1, ([POS[0]], [NEG[0]])))
        replies.until_done(1)
        newer = RunPlan(2, 1, items_for([POS[0]], [NEG[0]]), [], (), "HIGH (70-100): a NEW rubric.\n")
        host.start(newer)
        assert replies.until_done(2).error is None
        assert "a NEW rubric" in str(judge_env.bodies[-1])
        assert "a NEW rubric" not in str(judge_env.bodies[0])
    finally:
        host.close()
