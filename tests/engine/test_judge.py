"""core.judge: strict score parsing, and the real anthropic client against the loopback server
(retries on 429/529/500, non-numeric answers re-asked then an error, plain 401 message)."""
from __future__ import annotations

import asyncio
import json

import pytest

from core.judge import (SCORE_TOOL, Judge, JudgeError, JudgeSetupError, build_judge_messages,
                        estimate_cost, parse_response, parse_score_value)
from tests.engine.helpers import DEFINITION, PlannedFaults, StatusServer
from tests.engine.helpers import FastJudgeServer as JudgeServer


# ----------------------------------------------------------------------------- parsing

@pytest.mark.parametrize("value, expected", [
    (0, 0), (100, 100), (85, 85), ("85", 85), (" 7 ", 7), ("100", 100), (60.0, 60),
])
def test_scores_accepted(value, expected):
    assert parse_score_value(value) == expected


@pytest.mark.parametrize("value", [
    "85.5", 85.5, "-1", -1, "101", 101, 1000, "eighty", "eighty-five", True, False, None, "", " ",
    "8 5", "+85", "85%", "0x10", "1e2", [85], {"score": 85}, "٨٥", float("nan"),
])
def test_scores_rejected(value):
    with pytest.raises(ValueError):
        parse_score_value(value)


def test_parse_response_finds_the_tool_call_or_a_bare_integer():
    tool = {"type": "tool_use", "id": "t", "name": SCORE_TOOL, "input": {"score": 72}}
    assert parse_response([{"type": "text", "text": "Let me think."}, tool]) == 72
    assert parse_response([{"type": "text", "text": "72"}]) == 72
    assert parse_response([{"type": "text", "text": " 7"}, {"type": "text", "text": "2\n"}]) == 72
    for bad in ([{"type": "text", "text": "I'd say 72"}], [{"type": "text", "text": "72.5"}],
                [{"type": "tool_use", "input": {"score": "high"}}], [{"type": "tool_use", "input": {}}],
                [{"type": "tool_use", "input": {"score": True}}], [{"type": "text", "text": "101"}], []):
        with pytest.raises(ValueError):
            parse_response(bad)


def test_judge_prompt_shows_the_scenario_only_when_asked():
    system, msgs = build_judge_messages("cat/t", DEFINITION, "COMPLETION-TEXT")
    user = msgs[0]["content"]
    assert "COMPLETION-TEXT" in user and DEFINITION in user and "<opening>" not in user
    _, msgs = build_judge_messages("cat/t", DEFINITION, "COMPLETION-TEXT", scenario="SCENARIO-TEXT")
    assert "<opening>\nSCENARIO-TEXT\n</opening>" in msgs[0]["content"]
    assert "record_score" in system


def test_cost_estimate():
    assert estimate_cost("claude-haiku-4-5", 1_000_000, 0) == pytest.approx(1.0)
    assert estimate_cost("claude-haiku-4-5-20251001", 400, 20) == pytest.approx(0.0005)
    assert estimate_cost("unknown-model", 400, 20) == 0.0


# ----------------------------------------------------------------------------- over HTTP

def judge(**kw) -> Judge:
    kw.setdefault("max_retries", 4)
    kw.setdefault("timeout_s", 10.0)
    return Judge("claude-haiku-4-5", **kw)


async def score_once(j: Judge, completion: str = " I am certain it works", scenario=None):
    try:
        return await j.score("cat/t", DEFINITION, completion, scenario)
    finally:
        await j.aclose()


async def test_score_through_the_real_client(judge_env):
    server = judge_env
    server.keep_bodies = True
    j = judge()
    res = await score_once(j, " it was fine")
    body = server.bodies[0]["body"]
    expected = server.scorer(body)
    assert res.score == expected and 0 <= res.score <= 100
    assert (res.input_tokens, res.output_tokens) == (400, 20)
    assert res.cost_usd == pytest.approx(0.0005)
    assert server.requests == 1 and j.calls == 1
    # the request: our model, a forced tool call, no sampling parameters, the key in its header
    assert body["model"] == "claude-haiku-4-5"
    assert body["tool_choice"] == {"type": "tool", "name": SCORE_TOOL}
    assert body["tools"][0]["input_schema"]["properties"]["score"]["type"] == "integer"
    assert not {"temperature", "top_p", "top_k"} & set(body)
    headers = {k.lower(): v for k, v in server.bodies[0]["headers"].items()}
    key = "sk-ant-test-PLANTED-SECRET-0123456789"
    assert headers.get("x-api-key") == key or headers.get("authorization") == f"Bearer {key}"


@pytest.mark.parametrize("plan", [("429",), ("529",), ("500",), ("429", "529", "500")])
async def test_transient_errors_are_retried_by_the_sdk(monkeypatch, plan):
    with JudgeServer(faults=PlannedFaults(plan=plan)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-123456")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        j = judge(max_retries=4)
        res = await score_once(j)
    assert 0 <= res.score <= 100
    assert server.requests == len(plan) + 1 and j.calls == 1
    assert sum(server.injected.values()) == len(plan)


@pytest.mark.parametrize("fault, words", [
    ("429", "rate limited by the judge API (429) after retries"),
    ("529", "the judge API is overloaded (529) after retries"),
    ("500", "the judge API failed with HTTP 500 after retries"),
])
async def test_persistent_errors_become_a_plain_judge_error(monkeypatch, fault, words):
    with JudgeServer(faults=PlannedFaults(plan=(fault,) * 10)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-123456")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        with pytest.raises(JudgeError) as ei:
            await score_once(judge(max_retries=2))
    assert str(ei.value) == words
    assert server.requests == 3


async def test_non_numeric_answer_is_asked_again(monkeypatch):
    with JudgeServer(faults=PlannedFaults(plan=("text",))) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-123456")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        j = judge()
        res = await score_once(j)
    assert 0 <= res.score <= 100
    assert server.requests == 2 and j.calls == 2
    assert (res.input_tokens, res.output_tokens) == (800, 40)   # both calls are paid for


@pytest.mark.parametrize("answer", ["I think it is fairly high", "85.5", "101", "-1", "eighty", 85.5, True])
async def test_never_numeric_is_an_unscored_error(monkeypatch, answer):
    with JudgeServer(scorer=lambda body: answer) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-123456")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        j = judge()
        with pytest.raises(JudgeError) as ei:
            await score_once(j)
    assert str(ei.value).startswith("unscored: ") and "asked 3 times" in str(ei.value)
    assert server.requests == 3 and j.calls == 3


async def test_401_gives_a_plain_message_without_retrying(monkeypatch):
    with StatusServer(401, "authentication_error") as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong-KEY-987654321")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        with pytest.raises(JudgeError) as ei:
            await score_once(judge())
    assert str(ei.value) == "the judge API rejected the key (401): check ANTHROPIC_API_KEY"
    assert "sk-ant-wrong" not in str(ei.value)
    assert server.requests == 1


@pytest.mark.parametrize("status, err_type, words", [
    (403, "permission_error", "(403)"), (404, "not_found_error", "check --judge-model"),
    (400, "invalid_request_error", "HTTP 400"),
])
async def test_other_client_errors_are_plain(monkeypatch, status, err_type, words):
    with StatusServer(status, err_type, "nope") as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-123456")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        with pytest.raises(JudgeError) as ei:
            await score_once(judge())
    assert words in str(ei.value) and server.requests == 1


async def test_missing_key_says_what_to_set():
    with pytest.raises(JudgeSetupError) as ei:
        await score_once(judge())
    assert "ANTHROPIC_API_KEY" in str(ei.value) and "export" in str(ei.value)


async def test_connection_refused_is_an_error_not_a_crash(monkeypatch):
    server = JudgeServer()
    url = server.url
    server.httpd.server_close()       # nothing listens on that port any more
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-123456")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    with pytest.raises(JudgeError, match="could not reach the judge API"):
        await score_once(judge(max_retries=0))


async def test_concurrency_is_bounded(monkeypatch):
    with JudgeServer(latency_s=0.05) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-123456")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        j = judge(concurrency=3)
        try:
            res = await asyncio.gather(*(j.score("cat/t", DEFINITION, f" passage {i}") for i in range(12)))
        finally:
            await j.aclose()
    assert len(res) == 12 and server.requests == 12
    assert 2 <= server.max_concurrent <= 3


async def test_warm_up_in_a_thread_builds_the_one_client_that_score_uses(judge_env):
    import asyncio as _asyncio
    j = judge()
    await _asyncio.to_thread(j.warm_up)
    built = j._client
    assert built is not None and judge_env.requests == 0      # warming sends nothing
    result = await j.score("cat/t", DEFINITION, " I am certain it works")
    assert j._client is built and 0 <= result.score <= 100 and judge_env.requests == 1
    await j.aclose()


def test_warm_up_without_a_key_does_nothing():
    j = judge()
    j.warm_up()
    assert j._client is None


async def test_each_call_waits_where_its_owner_says_between_its_steps(judge_env):
    """Judge.between_steps (the editor's key gate) runs on the client's loop before the request
    is sent and before the SDK reads the reply; a score waits for it and is the same."""
    import threading
    import time as _time

    j = judge()
    plain = await score_once(j, " it was fine")
    gate = threading.Event()
    waits: list[float] = []

    def between_steps() -> None:
        t = _time.monotonic()
        gate.wait(2.0)
        waits.append(_time.monotonic() - t)

    j = judge()
    j.between_steps = between_steps
    opened: list[float] = []

    def frame() -> None:                          # the "frame" comes 0.3 s later
        opened.append(_time.monotonic())
        gate.set()

    threading.Timer(0.3, frame).start()
    held = await score_once(j, " it was fine")
    done = _time.monotonic()
    assert held.score == plain.score
    assert len(waits) == 2                         # the request, then the reply
    assert sum(waits) > 0.05 and opened and done >= opened[0]


async def test_the_warm_up_call_goes_through_the_sdk_without_the_network(judge_env):
    """warm_up's offline call: a real request and reply through the SDK (the same parameters
    as score), answered in-process; nothing reaches the server. It raises if the SDK's API
    moved, which warm_up would otherwise hide (it is best effort)."""
    j = judge()
    await j._offline_call()
    assert judge_env.requests == 0
