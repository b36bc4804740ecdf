"""core.runner: one event stream per run; judging starts as completions arrive; failures become
line errors or a backend status, never a pass or a fail."""
from __future__ import annotations

import asyncio

from core.backends import BackendSetupError
from core.cache import Cache
from core.config import Config
from core.events import BackendStatus, CompletionReady, LineError, RunDone, RunStarted, ScoreReady
from core.judge import Judge
from core.runner import Runner, items_for
from tests.engine.helpers import DEFINITION, InstantBackend, collect, fixed_completion, of_type, sample_pairs
from tests.standins import default_scorer


def make_runner(tmp_path, backend, judge, cfg=None, **kw):
    cache = Cache(tmp_path / "cache.sqlite3")
    return Runner(cfg or Config(model="instant-model", batch_size=2), cache, trait="cat/t",
                  definition=DEFINITION, backend=backend, judge=judge, **kw)


def expected_score(completion: str) -> int:
    from core.judge import build_judge_messages
    system, messages = build_judge_messages("cat/t", DEFINITION, completion)
    return default_scorer({"messages": messages})


async def test_every_line_gets_a_completion_and_its_score(tmp_path, judge_env):
    pos, neg = sample_pairs(3)
    judge = Judge("claude-haiku-4-5", max_retries=0)
    runner = make_runner(tmp_path, InstantBackend(), judge)
    events = await collect(runner, items_for(pos, neg))
    await judge.aclose()
    assert isinstance(events[-1], RunDone) and len(of_type(events, RunDone)) == 1
    started = of_type(events, RunStarted)[0]
    assert (started.lines, started.to_generate, started.to_judge) == (6, 6, 6)
    comps = {(e.side, e.idx): e for e in of_type(events, CompletionReady)}
    scores = {(e.side, e.idx): e for e in of_type(events, ScoreReady)}
    assert set(comps) == set(scores) == {(s, i) for s in ("positive", "negative") for i in range(3)}
    for (side, i), e in scores.items():
        scenario = (pos if side == "positive" else neg)[i]
        assert e.scenario == scenario and e.completion == fixed_completion(scenario).text
        assert comps[(side, i)].tokens == fixed_completion(scenario).tokens
        assert e.score == expected_score(e.completion)
        assert (e.input_tokens, e.output_tokens) == (400, 20) and abs(e.cost_usd - 0.0005) < 1e-12
    done = events[-1]
    assert (done.generations, done.judge_calls, done.errors, done.fatal) == (6, 6, 0, None)
    assert abs(done.cost_usd - 6 * 0.0005) < 1e-9
    assert judge_env.requests == 6


class GatedBackend(InstantBackend):
    """The second batch is released only once the judge has seen a request: a runner that waited
    for all generation before judging would time out here."""

    def __init__(self, server):
        super().__init__()
        self.server = server

    async def generate(self, prompts):
        if self.calls >= 1:
            for _ in range(300):
                if self.server.requests:
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("no judge call while generation was still going on")
        return await super().generate(prompts)


async def test_judging_starts_while_generation_goes_on(tmp_path, judge_env):
    pos, neg = sample_pairs(2)
    judge = Judge("claude-haiku-4-5", max_retries=0)
    runner = make_runner(tmp_path, GatedBackend(judge_env), judge, Config(model="m", batch_size=1))
    events = await collect(runner, items_for(pos, neg))
    await judge.aclose()
    assert not of_type(events, LineError)
    assert len(of_type(events, ScoreReady)) == 4


async def test_same_scenario_on_both_sides_is_generated_and_judged_once(tmp_path, judge_env):
    judge = Judge("claude-haiku-4-5", max_retries=0)
    backend = InstantBackend()
    runner = make_runner(tmp_path, backend, judge)
    events = await collect(runner, items_for(["same text", "pos only"], ["same text", "neg only"]))
    await judge.aclose()
    assert sorted(backend.prompts) == ["neg only", "pos only", "same text"]
    assert judge_env.requests == 3
    assert len(of_type(events, ScoreReady)) == 4


async def test_one_failing_prompt_does_not_take_its_batch_down(tmp_path, judge_env):
    pos, neg = sample_pairs(3)
    judge = Judge("claude-haiku-4-5", max_retries=0)
    backend = InstantBackend(fail_on=[pos[1]])
    runner = make_runner(tmp_path, backend, judge, Config(model="m", batch_size=8))
    events = await collect(runner, items_for(pos, neg))
    await judge.aclose()
    errors = of_type(events, LineError)
    assert [(e.side, e.idx, e.stage) for e in errors] == [("positive", 1, "generate")]
    assert "generation failed: RuntimeError" in errors[0].message
    assert len(of_type(events, ScoreReady)) == 5
    assert runner.cache.counts()["completions"] == 5           # the failure is not cached
    assert events[-1].errors == 1


async def test_unscored_judge_answers_are_line_errors_and_not_cached(tmp_path, judge_env):
    pos, neg = sample_pairs(2)
    bad = fixed_completion(neg[1]).text
    judge_env.scorer = lambda body: "hmm, fairly high" if bad in body["messages"][0]["content"] else 50
    judge = Judge("claude-haiku-4-5", max_retries=0)
    runner = make_runner(tmp_path, InstantBackend(), judge)
    events = await collect(runner, items_for(pos, neg))
    await judge.aclose()
    errors = of_type(events, LineError)
    assert [(e.side, e.idx, e.stage) for e in errors] == [("negative", 1, "judge")]
    assert errors[0].message.startswith("unscored:")
    assert not [e for e in of_type(events, ScoreReady) if (e.side, e.idx) == ("negative", 1)]
    assert runner.cache.counts()["scores"] == 3
    # the next run asks again for that line only
    judge_env.scorer = lambda body: 50
    before = judge_env.requests
    judge = Judge("claude-haiku-4-5", max_retries=0)
    runner.judge = judge
    events = await collect(runner, items_for(pos, neg))
    await judge.aclose()
    assert judge_env.requests - before == 1 and not of_type(events, LineError)


async def test_missing_backend_or_judge_is_a_status_and_lines_stay_pending(tmp_path, judge_env):
    pos, neg = sample_pairs(2)
    runner = make_runner(tmp_path, None, None, backend_problem="no model: pass --model",
                         judge_problem="ANTHROPIC_API_KEY is not set")
    events = await collect(runner, items_for(pos, neg))
    status = of_type(events, BackendStatus)
    assert [(s.backend, s.state, s.message) for s in status] == [("generator", "not configured", "no model: pass --model")]
    assert not of_type(events, CompletionReady) and not of_type(events, ScoreReady)
    assert events[-1].fatal == "no model: pass --model"

    runner = make_runner(tmp_path, InstantBackend(), None, judge_problem="ANTHROPIC_API_KEY is not set")
    events = await collect(runner, items_for(pos, neg))
    assert len(of_type(events, CompletionReady)) == 4 and not of_type(events, ScoreReady)
    judge_status = [s for s in of_type(events, BackendStatus) if s.backend == "judge"]
    assert len(judge_status) == 1 and judge_status[0].message == "ANTHROPIC_API_KEY is not set"
    assert judge_env.requests == 0


class BrokenSetup(InstantBackend):
    async def prepare(self):
        raise BackendSetupError("Modal is not set up on this machine: run `modal setup`")


async def test_backend_setup_error_is_reported_once(tmp_path, judge_env):
    pos, neg = sample_pairs(2)
    judge = Judge("claude-haiku-4-5", max_retries=0)
    runner = make_runner(tmp_path, BrokenSetup(), judge)
    events = await collect(runner, items_for(pos, neg))
    await judge.aclose()
    bad = [s for s in of_type(events, BackendStatus) if s.state == "not configured"]
    assert [s.message for s in bad] == ["Modal is not set up on this machine: run `modal setup`"]
    assert not of_type(events, CompletionReady) and not of_type(events, LineError)
    assert judge_env.requests == 0


class ShortBatches(InstantBackend):
    """Returns one result too few for any batch of several prompts."""

    async def generate(self, prompts):
        out = await super().generate(prompts)
        return out[:-1] if len(prompts) > 1 else out


async def test_a_batch_with_missing_results_is_redone_prompt_by_prompt(tmp_path, judge_env):
    pos, neg = sample_pairs(2)
    judge = Judge("claude-haiku-4-5", max_retries=0)
    backend = ShortBatches()
    runner = make_runner(tmp_path, backend, judge, Config(model="m", batch_size=4))
    events = await collect(runner, items_for(pos, neg))
    await judge.aclose()
    assert not of_type(events, LineError)
    for e in of_type(events, CompletionReady):
        assert e.text == fixed_completion(e.scenario).text      # nothing shifted onto a neighbour
    assert len(of_type(events, ScoreReady)) == 4


class ColdThenWarm(InstantBackend):
    """Shaped like the Modal backend: prepare() is a quick lookup, the container warms on the
    first call, and `likely_cold` turns False once a call has come back."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self.done_calls = 0

    @property
    def likely_cold(self) -> bool:
        return self.done_calls == 0

    async def generate(self, prompts):
        out = await super().generate(prompts)
        self.done_calls += 1
        return out


async def test_status_says_warming_on_the_first_modal_call_only(tmp_path, judge_env):
    pos, neg = sample_pairs(2)
    judge = Judge("claude-haiku-4-5", max_retries=0)
    backend = ColdThenWarm("modal")
    runner = make_runner(tmp_path, backend, judge)
    first = [(e.backend, e.state) for e in of_type(await collect(runner, items_for(pos, neg)), BackendStatus)]
    assert first[0] == ("modal", "warming") and ("modal", "ready") in first
    # An edited line later in the session: the container is warm, no "warming" any more.
    second = [(e.backend, e.state) for e in
              of_type(await collect(runner, items_for([p + " again" for p in pos], neg)), BackendStatus)]
    await judge.aclose()
    assert ("modal", "warming") not in second and ("modal", "ready") in second


async def test_local_backend_says_loading_before_the_load(tmp_path, judge_env):
    pos, neg = sample_pairs(1)
    judge = Judge("claude-haiku-4-5", max_retries=0)
    runner = make_runner(tmp_path, ColdThenWarm("local"), judge)
    states = [(e.backend, e.state) for e in of_type(await collect(runner, items_for(pos, neg)), BackendStatus)]
    await judge.aclose()
    assert states[0] == ("local", "loading") and ("local", "warming") not in states


def test_modal_backend_counts_as_cold_until_a_call_and_after_the_scaledown_window():
    import time as _time
    from core.backends.modal_client import ModalBackend
    b = ModalBackend(Config(backend="modal"))
    assert b.likely_cold
    b._last_done = _time.monotonic()
    assert not b.likely_cold
    b._last_done = _time.monotonic() - b.scaledown_s - 1
    assert b.likely_cold
