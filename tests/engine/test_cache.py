"""core.cache and the runner's content keys: a cut or reorder still hits, one edited line costs one
generation and one judge call, a definition edit re-judges without regenerating, --refresh redoes all."""
from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import replace

import pytest

import core.backends
from core.backends import completion_identity
from core.backends.modal_settings import PINS
from core.cache import Cache
from core.config import Config
from core.events import CompletionReady, RunDone, ScoreReady
from core.judge import Judge
from core.runner import Runner, completion_key, items_for, score_key
from tests.engine.helpers import DEFINITION, InstantBackend, collect, fixed_completion, of_type, sample_pairs


def test_cache_round_trip_and_persistence(tmp_path):
    path = tmp_path / "sub" / "cache.sqlite3"
    c = Cache(path)
    c.put_completion("k1", "m", "prompt", " text", (" te", "xt"))
    c.put_score("s1", "judge", 73, 400, 20)
    key = Cache.review_key("cat/t", "positive", "scen", " text")
    c.set_mark(key, "cat/t", "positive", "scen", "express")
    c.close()
    c = Cache(path)
    hit = c.get_completion("k1")
    assert hit.text == " text" and hit.tokens == (" te", "xt")
    assert (c.get_score("s1").score, c.get_score("s1").input_tokens) == (73, 400)
    assert c.get_mark(key) == "express" and c.get_completion("nope") is None and c.get_score("nope") is None
    c.set_mark(key, "cat/t", "positive", "scen", None)
    assert c.get_mark(key) is None
    assert c.counts() == {"completions": 1, "scores": 1, "review_marks": 0, "predictions": 0,
                        "rejected_proposals": 0, "activations": 0}
    mode = sqlite3.connect(str(path)).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"
    c.close()


def test_two_openers_share_one_file(tmp_path):
    """The editor and the CLI open the cache at once; writes from threads of both land."""
    path = tmp_path / "cache.sqlite3"
    a, b = Cache(path), Cache(path)
    errors = []

    def write(cache, tag):
        try:
            for i in range(100):
                cache.put_completion(f"{tag}{i}", "m", f"p{i}", "t", ())
        except Exception as exc:  # pragma: no cover - the failure we look for
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(c, t)) for c, t in ((a, "a"), (b, "b"), (a, "c"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert a.counts()["completions"] == 300 and b.get_completion("b99") is not None
    a.close()
    b.close()


def test_keys_depend_on_content_and_settings():
    ident = {"model": "m", "max_new_tokens": 32, "temperature": 0.0, "chat_template": False, "decoder": "greedy-v1"}
    k = completion_key(ident, "prompt")
    assert k == completion_key(dict(ident), "prompt")
    assert k != completion_key(ident, "prompt ") and k != completion_key({**ident, "max_new_tokens": 31}, "prompt")
    s = score_key("j", "cat/t", "def", "completion", None)
    assert s == score_key("j", "cat/t", "def", "completion", None)
    for other in (score_key("j2", "cat/t", "def", "completion", None),
                  score_key("j", "cat/u", "def", "completion", None),
                  score_key("j", "cat/t", "def2", "completion", None),
                  score_key("j", "cat/t", "def", "completion2", None),
                  score_key("j", "cat/t", "def", "completion", "scenario")):
        assert other != s


def test_the_fast_version_lookup_agrees_with_importlib_metadata():
    """installed_version reads dist-info folder names first (the editor's first screen needs
    the transformers version): it must agree with importlib.metadata on every distribution."""
    from importlib import metadata
    names = {d.metadata["Name"] for d in metadata.distributions()}
    assert {"transformers", "textual", "anthropic", "torch"} <= names
    for name in names:
        fast = core.backends._dist_info_version(name)
        if fast is not None:
            assert fast == metadata.version(name), name
    assert core.backends._dist_info_version("transformers") == metadata.version("transformers")
    assert core.backends.installed_version("no-such-distribution-here") == "not installed"


def test_completion_identity_holds_what_changes_the_output():
    base_cfg = Config(model="m", device="cpu", max_new_tokens=6)
    base = completion_identity(base_cfg)
    assert base["model"] == "m" and base["max_new_tokens"] == 6 and base["precision"] == "float32"
    assert base["transformers"] == core.backends.installed_version("transformers")
    for change in ({"max_new_tokens": 7}, {"temperature": 0.5}, {"chat_template": True}, {"model": "m2"},
                   {"device": "cuda"}):
        assert completion_identity(replace(base_cfg, **change)) != base, change
    # connection details, batching and the judge do not change a completion
    for same in ({"batch_size": 3}, {"device": "mps"}, {"modal_gpu": "L40S"}, {"judge_model": "x"}):
        assert completion_identity(replace(base_cfg, **same)) == base, same


def test_modal_and_a_local_gpu_share_completions_only_on_the_same_transformers(monkeypatch):
    modal = completion_identity(Config(model="m", backend="modal"))
    assert modal["transformers"] == PINS["transformers"] and modal["precision"] == "bfloat16"
    local_gpu = Config(model="m", backend="local", device="cuda")
    monkeypatch.setattr(core.backends, "installed_version", lambda dist: PINS["transformers"])
    assert completion_identity(local_gpu) == modal
    monkeypatch.setattr(core.backends, "installed_version", lambda dist: "5.99.0")
    assert completion_identity(local_gpu) != modal


async def test_an_upgraded_transformers_misses_the_cache(setup, monkeypatch):
    """Through the runner, which owns the key: the same settings under another transformers
    version regenerate every line (the judge still hits: the completions came out the same)."""
    backend, judged, _, _ = await setup.run()
    assert len(backend.prompts) == 10 and judged == 10
    installed = core.backends.installed_version("transformers")
    monkeypatch.setattr(core.backends, "installed_version", lambda dist: installed + ".post1")
    backend, judged, events, done = await setup.run()
    assert len(backend.prompts) == 10 and done.extra["cached_completions"] == 0 and judged == 0
    monkeypatch.setattr(core.backends, "installed_version", lambda dist: installed)
    backend, judged, _, done = await setup.run()
    assert backend.prompts == [] and done.extra["cached_completions"] == 10


# ---------------------------------------------------------------------- economy through the runner

class Setup:
    def __init__(self, tmp_path, server):
        self.cache = Cache(tmp_path / "cache.sqlite3")
        self.server = server
        self.cfg = Config(model="instant-model", judge_model="claude-haiku-4-5", batch_size=4)
        self.pos, self.neg = sample_pairs(5)

    async def run(self, pos=None, neg=None, *, cfg=None, definition=DEFINITION, refresh=False):
        backend = InstantBackend()
        judge = Judge((cfg or self.cfg).judge_model, max_retries=0)
        before = self.server.requests
        runner = Runner(cfg or self.cfg, self.cache, trait="cat/t", definition=definition,
                        backend=backend, judge=judge)
        try:
            events = await collect(runner, items_for(pos or self.pos, neg or self.neg), refresh=refresh)
        finally:
            await judge.aclose()
        done = of_type(events, RunDone)[-1]
        return backend, self.server.requests - before, events, done


def scores_by_scenario(events) -> dict[str, int]:
    return {e.scenario: e.score for e in of_type(events, ScoreReady)}


@pytest.fixture
def setup(tmp_path, judge_env):
    s = Setup(tmp_path, judge_env)
    yield s
    s.cache.close()


async def test_second_run_costs_nothing(setup):
    backend, judged, events, done = await setup.run()
    assert len(backend.prompts) == 10 and judged == 10
    assert (done.generations, done.judge_calls, done.errors) == (10, 10, 0)
    first = scores_by_scenario(events)
    backend, judged, events, done = await setup.run()
    assert backend.prompts == [] and judged == 0 and backend.prepared == 0
    assert (done.generations, done.judge_calls) == (0, 0)
    assert done.extra == {"cached_completions": 10, "cached_scores": 10}
    assert all(e.cached for e in of_type(events, CompletionReady) + of_type(events, ScoreReady))
    assert scores_by_scenario(events) == first


async def test_cut_and_reorder_still_hit(setup):
    _, _, events, _ = await setup.run()
    first = scores_by_scenario(events)
    pos = [setup.pos[i] for i in (4, 2, 0)]
    neg = [setup.neg[i] for i in (4, 2, 0)]
    backend, judged, events, _ = await setup.run(pos, neg)
    assert backend.prompts == [] and judged == 0
    for e in of_type(events, CompletionReady):
        assert e.text == fixed_completion(e.scenario).text
        assert e.scenario == (pos if e.side == "positive" else neg)[e.idx]
    for e in of_type(events, ScoreReady):
        assert e.score == first[e.scenario]
        assert e.scenario == (pos if e.side == "positive" else neg)[e.idx]


async def test_one_edited_line_costs_one_generation_and_one_judge_call(setup):
    await setup.run()
    pos = list(setup.pos)
    pos[2] = pos[2].replace("confidently", "firmly")
    backend, judged, events, done = await setup.run(pos)
    assert backend.prompts == [pos[2]] and judged == 1
    assert (done.generations, done.judge_calls) == (1, 1)
    fresh = [e for e in of_type(events, ScoreReady) if not e.cached]
    assert [(e.side, e.idx) for e in fresh] == [("positive", 2)]


async def test_definition_edit_rejudges_without_regenerating(setup):
    await setup.run()
    backend, judged, _, done = await setup.run(definition=DEFINITION + "\nAlso: hedging counts as low.")
    assert backend.prompts == [] and judged == 10 and done.judge_calls == 10


async def test_judge_settings_rejudge_generation_settings_regenerate(setup):
    await setup.run()
    backend, judged, _, _ = await setup.run(cfg=replace(setup.cfg, judge_model="claude-sonnet-4-6"))
    assert backend.prompts == [] and judged == 10
    backend, judged, _, _ = await setup.run(cfg=replace(setup.cfg, judge_sees_scenario=True))
    assert backend.prompts == [] and judged == 10
    # new generation settings: every prompt again; the same completions are not judged twice
    backend, judged, _, _ = await setup.run(cfg=replace(setup.cfg, max_new_tokens=16))
    assert len(backend.prompts) == 10 and judged == 0
    # connection details are not part of any key
    backend, judged, _, _ = await setup.run(cfg=replace(setup.cfg, judge_concurrency=2, judge_timeout_s=5.0,
                                                        batch_size=1))
    assert backend.prompts == [] and judged == 0


async def test_refresh_ignores_the_cache(setup):
    await setup.run()
    backend, judged, events, _ = await setup.run(refresh=True)
    assert len(backend.prompts) == 10 and judged == 10
    assert not any(e.cached for e in of_type(events, CompletionReady) + of_type(events, ScoreReady))


async def test_an_interrupted_run_keeps_what_it_finished(setup, judge_env):
    judge_env.latency_s = 0.02
    cfg = replace(setup.cfg, batch_size=2, judge_concurrency=1)
    backend = InstantBackend()
    judge = Judge(cfg.judge_model, max_retries=0, concurrency=1)
    runner = Runner(cfg, setup.cache, trait="cat/t", definition=DEFINITION, backend=backend, judge=judge)
    agen = runner.run(items_for(setup.pos, setup.neg))
    scored = 0
    async for ev in agen:
        scored += isinstance(ev, ScoreReady)
        if scored == 3:
            break
    await agen.aclose()
    await judge.aclose()
    kept = setup.cache.counts()
    assert 3 <= kept["scores"] < 10 and kept["completions"] >= 3
    # a request cancelled on our side may still be on its way through the server: let it land
    # so that it is not counted as part of the next run
    for _ in range(100):
        await asyncio.sleep(0.01)
        if judge_env._active == 0:
            break
    await asyncio.sleep(0.05)
    judge_env.latency_s = 0.0
    backend2, judged, _, done = await setup.run()
    assert len(backend2.prompts) == 10 - kept["completions"]
    assert judged == 10 - kept["scores"]
    assert setup.cache.counts()["scores"] == 10


class SameCompletion(InstantBackend):
    async def generate(self, prompts):
        self.calls += 1
        self.prompts.extend(prompts)
        from core.generation import Generated
        return [Generated(" I am sure.", (" I", " am", " sure", ".")) for _ in prompts]


async def test_an_edit_that_keeps_the_completion_costs_no_judge_call(tmp_path, judge_env):
    """Scores are keyed by the completion: the same completion is judged once, in one run or later."""
    cache = Cache(tmp_path / "c.sqlite3")
    pos, neg = sample_pairs(3)

    async def run(pos):
        backend, judge = SameCompletion(), Judge("claude-haiku-4-5", max_retries=0)
        before = judge_env.requests
        runner = Runner(Config(model="m"), cache, trait="cat/t", definition=DEFINITION, backend=backend, judge=judge)
        events = await collect(runner, items_for(pos, neg))
        await judge.aclose()
        return backend, judge_env.requests - before, events

    backend, judged, events = await run(pos)
    assert len(backend.prompts) == 6 and judged == 1            # six lines, one distinct completion
    assert len(of_type(events, ScoreReady)) == 6
    edited = [pos[0] + " Honestly,"] + pos[1:]
    backend, judged, events = await run(edited)
    assert backend.prompts == [edited[0]] and judged == 0
    assert {e.score for e in of_type(events, ScoreReady)} == {of_type(events, ScoreReady)[0].score}
    cache.close()


def test_many_keys_are_looked_up_together(tmp_path):
    from core.cache import CHUNK
    c = Cache(tmp_path / "many.sqlite3")
    n = 2 * CHUNK + 7                      # more than one query's worth of bound parameters
    for i in range(0, n, 2):
        c.put_completion(f"c{i}", "m", f"p{i}", f" t{i}", (" t", f"{i}"))
        c.put_score(f"s{i}", "judge", i % 101, 10, 2)
    keys = [f"c{i}" for i in range(n)] + ["c0"]        # a repeated key is looked up once
    hits = c.get_completions(keys)
    assert set(hits) == {f"c{i}" for i in range(0, n, 2)}
    assert hits[f"c{n - 1}"].tokens == (" t", f"{n - 1}") and hits["c4"].text == " t4"
    scores = c.get_scores(f"s{i}" for i in range(n))
    assert len(scores) == len(range(0, n, 2)) and scores["s202"].score == 202 % 101
    assert c.get_completions([]) == {} and c.get_scores(["nope"]) == {}
    c.close()


async def test_cached_results_pair_each_completion_with_its_score(setup):
    await setup.run()
    runner = Runner(setup.cfg, setup.cache, trait="cat/t", definition=DEFINITION,
                    backend=None, judge=None)
    scenarios = setup.pos + setup.neg
    got = runner.cached_results(scenarios + ["never tested"])
    assert set(got) == set(scenarios)
    for s in scenarios:
        gen, score = got[s]
        assert gen.text == setup.cache.get_completion(completion_key(runner.identity, s)).text
        assert score == setup.cache.get_score(score_key(setup.cfg.judge_model, "cat/t", DEFINITION,
                                                        gen.text, None)).score
    other = Runner(setup.cfg, setup.cache, trait="cat/t", definition=DEFINITION + " changed",
                   backend=None, judge=None)
    assert all(score is None for _, score in other.cached_results(scenarios).values())
