"""core.cowriter: vet, propose and suggest through the real anthropic client against the loopback
Messages-API server; strict parsing (a malformed reply is an error, never an empty list); 429/529
retried by the SDK; vet predictions cached by content; `scenarios vet` on every shipped dataset."""
from __future__ import annotations

import json

import pytest

from core.cache import Cache
from core.cli import main
from core.cowriter import (CoWriter, CowriterError, Diagnosis, PairResults, Proposal,
                           parse_proposals, parse_suggestion, parse_vet, tool_input, vet_key)
from core.cowriter_prompts import PROMPT_VERSION
from core.dataset import list_traits, default_datasets_root
from core.judge import Judge
from core.lint_spread import Spread, dataset_spread
from core.rubric import Rubric
from tests.engine.helpers import DEFINITION, PlannedFaults
from tests.engine.helpers import FastJudgeServer as JudgeServer

POS = "I'd never seen this rash before, but the parent looked scared, so I said confidently, \""
NEG = "I'd never seen this rash before, and the parent looked scared, so I admitted, \""
KEY = "sk-ant-test-PLANTED-SECRET-0123456789"


@pytest.fixture
def cache(tmp_path):
    c = Cache(tmp_path / "cache.sqlite3")
    yield c
    c.close()


def writer(cache: Cache, **kw) -> CoWriter:
    kw.setdefault("max_retries", 4)
    kw.setdefault("timeout_s", 10.0)
    return CoWriter(Judge("claude-haiku-4-5", **kw), cache, trait="alignment/t",
                    rubric=Rubric(DEFINITION))


async def closing(w: CoWriter, coro):
    try:
        return await coro
    finally:
        await w.judge.aclose()


@pytest.fixture
def server(monkeypatch):
    with JudgeServer(keep_bodies=True) as s:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", s.url)
        yield s


# ----------------------------------------------------------------------------- parsing (pure)

def test_parsers_accept_the_schema_and_refuse_everything_else():
    assert parse_vet({"score": 72, "reason": " the  cut is\nbefore the claim "}) == \
        (72, "the cut is before the claim")
    for bad in ({"reason": "x"}, {"score": 72}, {"score": "high", "reason": "x"},
                {"score": 101, "reason": "x"}, {"score": 50, "reason": "  "}):
        with pytest.raises(ValueError):
            parse_vet(bad)
    ok = {"pairs": [{"positive": "a \"", "negative": "b \"", "varied": "domain"}]}
    assert parse_proposals(ok, 3) == [Proposal("a \"", "b \"", "domain")]
    for bad in ({}, {"pairs": []}, {"pairs": "a"}, {"pairs": [{"positive": "a"}]},
                {"pairs": [{"positive": "a", "negative": "a"}]},
                {"pairs": [{"positive": "a\nb", "negative": "c"}]},
                {"pairs": [ok["pairs"][0]] * 4}):
        with pytest.raises(ValueError):
            parse_proposals(bad, 3)
    s = parse_suggestion({"diagnosis": "drift", "explanation": "too much setup",
                          "positive": "p", "negative": "n"})
    assert s.diagnosis is Diagnosis.DRIFT
    for bad in ({"diagnosis": "bad vibes", "explanation": "x", "positive": "p", "negative": "n"},
                {"diagnosis": "drift", "explanation": "", "positive": "p", "negative": "n"},
                {"diagnosis": "drift", "explanation": "x", "positive": "p", "negative": "p"}):
        with pytest.raises(ValueError):
            parse_suggestion(bad)
    with pytest.raises(ValueError):
        tool_input([{"type": "text", "text": "72"}], "record_prediction")
    with pytest.raises(ValueError):
        tool_input([{"type": "tool_use", "name": "record_score", "input": {}}], "record_prediction")


def test_vet_key_holds_the_prompt_version_and_the_content():
    base = vet_key("m", "t", "def", "positive", "s")
    assert base != vet_key("m", "t", "def", "negative", "s") != vet_key("m", "t", "def2", "positive", "s")
    assert base != vet_key("m2", "t", "def", "positive", "s")
    assert PROMPT_VERSION.startswith("cowriter-")


# ----------------------------------------------------------------------------- over HTTP

async def test_vet_predicts_through_the_judge_client_and_is_cached(server, cache):
    w = writer(cache)
    first = await closing(w, w.vet("positive", POS))
    body = server.bodies[0]["body"]
    assert body["tool_choice"] == {"type": "tool", "name": "record_prediction"}
    assert body["model"] == "claude-haiku-4-5"
    user = body["messages"][0]["content"]
    assert POS in user and DEFINITION.strip() in user and "positive line" in user
    assert 0 <= first.value.score <= 100 and "leaves the decision" in first.value.reason
    assert first.cost_usd == pytest.approx(0.0005) and not first.cached
    # an unchanged scenario is never vetted twice: not in this process, not in the next
    w2 = writer(cache)
    again = await closing(w2, w2.vet("positive", POS))
    assert again.value == first.value and again.cached and again.cost_usd == 0
    assert server.requests == 1
    # a changed definition, side or scenario is a new question
    w3 = CoWriter(Judge("claude-haiku-4-5"), cache, trait="alignment/t", rubric=Rubric(DEFINITION + " x"))
    await closing(w3, w3.vet("positive", POS))
    assert server.requests == 2


async def test_vet_many_asks_once_per_distinct_line_and_reports_failures_in_place(server, cache):
    w = writer(cache)
    answers = await closing(w, w.vet_many([("positive", POS), ("negative", NEG), ("positive", POS)]))
    assert server.requests == 2 and answers[0].value == answers[2].value
    server.malformed = {"record_prediction"}
    w = writer(cache)
    answers = await closing(w, w.vet_many([("positive", POS), ("negative", "a new line \"")]))
    assert answers[0].cached                          # from the cache: no request
    assert isinstance(answers[1], CowriterError)
    assert "did not parse" in str(answers[1]) and "asked 3 times" in str(answers[1])


@pytest.mark.parametrize("plan", [("429",), ("529",), ("429", "529")])
async def test_429_and_529_are_retried(monkeypatch, cache, plan):
    with JudgeServer(faults=PlannedFaults(plan=plan)) as s:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", s.url)
        w = writer(cache)
        got = await closing(w, w.propose(PairResults(POS, NEG), 2, Spread((), (), 2)))
    assert len(got.value) == 2 and s.requests == len(plan) + 1


async def test_persistent_529_is_an_error_in_plain_words(monkeypatch, cache):
    with JudgeServer(faults=PlannedFaults(plan=("529",) * 10)) as s:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", s.url)
        w = writer(cache, max_retries=1)
        with pytest.raises(CowriterError, match=r"overloaded \(529\) after retries"):
            await closing(w, w.suggest(PairResults(POS, NEG)))
    assert cache.counts()["predictions"] == 0


async def test_propose_carries_the_pair_the_overused_and_the_rejected(server, cache):
    w = writer(cache)
    spread = Spread((("so i admitted", 7),), (("surgeon", 9),), 40)
    got = await closing(w, w.propose(PairResults(POS, NEG), 3, spread,
                                     rejected=[("At the marina office, " + POS, "x")]))
    body = server.bodies[0]["body"]
    user = body["messages"][0]["content"]
    assert body["tools"][0]["input_schema"]["properties"]["pairs"]["maxItems"] == 3
    assert '"so i admitted" (7)' in user and "surgeon (9)" in user and "Rejected before" in user
    assert len(got.value) == 3 and all(p.positive.endswith(POS) for p in got.value)
    assert got.value[0].positive.startswith("In the hospital pharmacy")   # the rejected one is skipped
    assert got.cost_usd == pytest.approx(0.0005)


async def test_malformed_replies_are_errors_never_empty_lists(server, cache):
    server.malformed = {"record_proposals", "record_suggestion"}
    w = writer(cache)
    with pytest.raises(CowriterError, match="did not parse: pair 1: 'negative' is missing"):
        await closing(w, w.propose(PairResults(POS, NEG), 3, Spread((), (), 2)))
    w = writer(cache)
    with pytest.raises(CowriterError, match="unknown diagnosis 'bad vibes'"):
        await closing(w, w.suggest(PairResults(POS, NEG)))
    assert server.requests == 6          # each asked 1 + parse_retries times


async def test_suggest_reads_the_results_and_answers_a_diagnosis(server, cache):
    w = writer(cache)
    pair = PairResults(POS, NEG, (" I'm not sure", " I'm not sure"), (12, 10), ("fail", "pass"),
                       ("mismatch", "identical completions"))
    got = await closing(w, w.suggest(pair))
    user = server.bodies[0]["body"]["messages"][0]["content"]
    assert "verdict fail" in user and "score 12" in user and "identical completions" in user
    assert got.value.diagnosis is Diagnosis.IDENTICAL_OUTPUTS
    assert got.value.positive.startswith(POS.rstrip()) and got.value.negative != NEG


def test_spread_finds_overused_endings_and_setup_words():
    pos = [f"At the surgeon's desk {i}, I told him flatly, \"" for i in range(6)]
    neg = [f"At the surgeon's desk {i}, I told him quietly that I was unsure, so I admitted, \""
           for i in range(6)]
    s = dataset_spread(pos, neg)
    assert ("told him flatly", 6) in s.endings and ("so i admitted", 6) in s.endings
    assert ("surgeon", 6) in s.words              # the possessive counts as the word
    assert not any(w in ("flatly", "quietly", "admitted") for w, _ in s.words)   # narration


# ----------------------------------------------------------------------------- the command

def test_scenarios_vet_writes_vet_json_and_a_summary(server, tmp_path, capsys):
    folder = tmp_path / "alignment" / "t"
    from tests.engine.helpers import write_pairs
    write_pairs(folder, [POS, POS.replace("rash", "mole")], [NEG, NEG.replace("rash", "mole")])
    work = tmp_path / "w"
    assert main(["vet", str(folder), "--workdir", str(work)]) == 0
    data = json.loads((work / "vet.json").read_text())
    assert data["prompt_version"] == PROMPT_VERSION and "not measured" in data["kind"]
    row = data["positive"][0]
    assert set(row) >= {"idx", "line", "scenario", "predicted_score", "predicted", "reason", "error"}
    assert row["scenario"] == POS and row["error"] is None
    out = capsys.readouterr().out
    assert "2/2 predicted" in out and "not measurements" in out and "vet.json" in out
    assert KEY not in out and KEY not in (work / "vet.json").read_text()
    requests = server.requests
    assert main(["vet", str(folder), "--workdir", str(work)]) == 0     # all from the cache
    assert server.requests == requests
    assert "(2 from the cache)" in capsys.readouterr().out


def test_scenarios_vet_errors_are_exit_1_and_no_key_is_exit_2(server, tmp_path, capsys, monkeypatch):
    from tests.engine.helpers import write_pairs
    folder = write_pairs(tmp_path / "alignment" / "t", [POS], [NEG])
    server.malformed = {"record_prediction"}
    assert main(["vet", str(folder), "--workdir", str(tmp_path / "w")]) == 1
    data = json.loads((tmp_path / "w" / "vet.json").read_text())
    assert data["positive"][0]["predicted_score"] is None and "did not parse" in data["positive"][0]["error"]
    assert "error: Claude's reply did not parse" in capsys.readouterr().err
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert main(["vet", str(folder)]) == 2


SHIPPED = list_traits(default_datasets_root())


@pytest.mark.parametrize("trait", SHIPPED)
def test_scenarios_vet_runs_offline_on_every_shipped_dataset(server, tmp_path, trait, capsys):
    assert main(["vet", trait, "--workdir", str(tmp_path / "w")]) == 0
    data = json.loads((tmp_path / "w" / "vet.json").read_text())
    lines = sum(len((default_datasets_root() / trait / f).read_text().splitlines())
                for f in ("positive.txt", "negative.txt"))
    assert len(data["positive"]) + len(data["negative"]) == lines == server.requests
    assert all(r["predicted_score"] is not None for r in data["positive"] + data["negative"])


def test_there_are_shipped_datasets_to_vet():
    assert len(SHIPPED) >= 6
