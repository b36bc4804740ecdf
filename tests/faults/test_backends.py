"""Backends that fail: a run still completes, every line ends with a verdict or an error state
(never a silent pass or fail), a re-run fills only the gaps, Ctrl-C keeps what finished, and the
SQLite cache survives a crash mid-write and two processes using it at once.

Real things throughout: the real local backend on the tiny random Llama, the real Judge and
anthropic client against the loopback Messages-API server with injected faults, the real CLI
in a child process, the real Cache in child processes that are killed.
"""
from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from core.cache import Cache
from core.dataset import load_trait
from core.events import CompletionReady, LineError, RunDone, ScoreReady
from core.judge import Judge, build_judge_messages
from core.results import build_results
from core.runner import Runner, completion_key, items_for, score_key
from core.verdicts import LineResult
from tests.standins import CountingBackend, Faults, default_scorer

from .conftest import REPO, account_results, child_env, spawn
from .injectors import FlakyBackend

KINDS = ("429", "529", "500", "timeout", "text")


def expected_score(trait: str, definition: str, completion: str) -> int:
    """What the loopback judge answers for this completion when no fault hits it."""
    _system, messages = build_judge_messages(trait, definition, completion)
    return default_scorer({"messages": messages})


async def collect(runner: Runner, items, refresh: bool = False) -> list:
    return [ev async for ev in runner.run(items, refresh=refresh)]


def final_states(events: list, items) -> dict:
    """(side, idx) -> the line's final event (ScoreReady or LineError), asserting there is
    exactly one per line and that nothing follows a line's verdict or error."""
    final: dict = {}
    for ev in events:
        if isinstance(ev, (ScoreReady, LineError)):
            key = (ev.side, ev.idx)
            assert key not in final, f"line {key} ended twice: {final[key]} then {ev}"
            final[key] = ev
    return final


def lost_lines(items, final) -> int:
    return sum(1 for i in items if (i.side, i.idx) not in final)


def payload_of(final, trait, cfg) -> dict:
    rows = {"positive": [LineResult(s) for s in trait.positive.lines],
            "negative": [LineResult(s) for s in trait.negative.lines]}
    for (side, idx), e in final.items():
        r = rows[side][idx]
        if isinstance(e, ScoreReady):
            r.completion, r.score = e.completion, e.score
        else:
            r.error = e.message
    return build_results(rows["positive"], rows["negative"], cfg=cfg, definition=trait.definition,
                         trait=trait.name)


def test_a_faulty_run_completes_and_reruns_fill_only_the_gaps(judge_env, loaded_backend, fcfg,
                                                              trait_copy, figures):
    server = judge_env
    server.faults = Faults(rate=0.2, seed=5, timeout_sleep_s=1.0)
    trait = load_trait(str(trait_copy), check_steering=False)
    items = items_for(trait.positive.lines, trait.negative.lines)
    doomed = {s for k, s in enumerate(trait.positive.lines) if k % 9 == 4} | \
             {s for k, s in enumerate(trait.negative.lines) if k % 11 == 7}
    flaky = FlakyBackend(loaded_backend, lambda p: p in doomed)
    cache = Cache(fcfg.resolved_cache_path())
    judge = Judge(fcfg.judge_model, concurrency=8, max_retries=1, timeout_s=0.6, parse_retries=1)
    runner = Runner(fcfg, cache, trait=trait.name, definition=trait.definition, backend=flaky, judge=judge)

    async def go():
        try:
            return await collect(runner, items)
        finally:
            await judge.aclose()

    started = time.perf_counter()
    events = asyncio.run(go())
    elapsed = time.perf_counter() - started
    final = final_states(events, items)
    assert lost_lines(items, final) == 0, "a line ended with neither a verdict nor an error"
    account_results(figures, "runner, 20% judge faults + generator faults", payload_of(final, trait, fcfg),
                    dict(server.injected))
    done = [e for e in events if isinstance(e, RunDone)]
    assert len(done) == 1 and not done[0].cancelled and done[0].fatal is None
    assert events[-1] is done[0]

    # Every fault kind was injected, and both outcomes happened: retried into a verdict, or an error.
    assert all(server.injected.get(k, 0) > 0 for k in KINDS), server.injected
    gen_errors = {k: e for k, e in final.items() if isinstance(e, LineError) and e.stage == "generate"}
    judge_errors = {k: e for k, e in final.items() if isinstance(e, LineError) and e.stage == "judge"}
    scores = {k: e for k, e in final.items() if isinstance(e, ScoreReady)}
    assert {e.scenario for e in gen_errors.values()} == doomed
    assert all("GenerationFault" in e.message for e in gen_errors.values())
    assert judge_errors, "20% faults with one retry should leave some lines unjudged"
    known = ("rate limited", "overloaded", "HTTP 500", "timed out", "unscored", "could not reach")
    for e in judge_errors.values():
        assert any(w in e.message for w in known), e.message
    # A fault never became a score: each score is what the judge gives that completion.
    for e in scores.values():
        assert e.score == expected_score(trait.name, trait.definition, e.completion)
    assert len(scores) >= len(items) * 0.7

    # results.json: errors are errors, never a pass or a fail; nothing is pending.
    payload = payload_of(final, trait, fcfg)
    for side in ("positive", "negative"):
        for row in payload[side]:
            assert row["verdict"] in ("pass", "fail", "ambiguous", "error"), row
            if row["verdict"] == "error":
                assert row["pass"] is None and row["score"] is None and row["error"]
            else:
                assert row["pass"] is (row["score"] >= 60 if side == "positive" else row["score"] <= 40)
    s = payload["summary"]
    assert s["positive"]["errors"] + s["negative"]["errors"] == len(gen_errors) + len(judge_errors)
    assert s["positive"]["pending"] == s["negative"]["pending"] == 0
    assert not s["complete"]

    # The re-run, faults gone: only the gaps go to the backends.
    server.faults = Faults(rate=0.0)
    requests_before = server.requests
    scored_completions = {e.completion for e in scores.values()}
    counting = CountingBackend(loaded_backend)
    judge2 = Judge(fcfg.judge_model, concurrency=8, max_retries=1, timeout_s=5.0)
    runner2 = Runner(fcfg, cache, trait=trait.name, definition=trait.definition, backend=counting, judge=judge2)

    async def go2():
        try:
            return await collect(runner2, items)
        finally:
            await judge2.aclose()

    events2 = asyncio.run(go2())
    final2 = final_states(events2, items)
    assert lost_lines(items, final2) == 0
    account_results(figures, "runner re-run, no faults", payload_of(final2, trait, fcfg))
    assert all(isinstance(e, ScoreReady) for e in final2.values()), \
        [e for e in final2.values() if not isinstance(e, ScoreReady)][:3]
    assert sorted(counting.prompts) == sorted(doomed)           # regenerated: the failed ones only
    completion_of = {(e.side, e.idx): e.completion for e in final2.values()}
    missing = {completion_of[k] for k in list(gen_errors) + list(judge_errors)} - scored_completions
    assert server.requests - requests_before == len(missing)      # re-judged: the gaps only
    for k, e in scores.items():
        assert final2[k].cached and final2[k].score == e.score
    cache.close()
    figures.setdefault("faulty_run_s", round(elapsed, 2))


def test_sigint_mid_run_keeps_what_finished_and_a_rerun_fills_the_gaps(
        judge_env, tiny_model, trait_copy, tmp_path, monkeypatch, capsys, figures):
    server = judge_env
    server.latency_s = 0.3
    # Six judge calls are answered; the seventh and later wait for the gate, so the run cannot
    # finish before the Ctrl-C: it is provably mid-way when the signal arrives.
    server.answer_first = 6
    monkeypatch.chdir(tmp_path)
    workdir = tmp_path / "run"
    db = tmp_path / "xdg-cache" / "scenario-studio" / "cache.sqlite3"
    args = ["--trait", str(trait_copy), "--model", str(tiny_model), "--local", "--device", "cpu",
            "--max-tokens", "6", "--concurrency", "2", "--workdir", str(workdir), "--quiet"]
    proc = subprocess.Popen([sys.executable, str(REPO / "extraction" / "test_scenarios.py"), *args],
                            cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # Meanwhile this process uses the same cache, as the editor would (review marks).
    editor_cache = None
    deadline = time.monotonic() + 90
    scored = 0
    marks = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            if not db.exists():
                continue
            if editor_cache is None:
                editor_cache = Cache(db)
            editor_cache.set_mark(f"editor-mark-{marks}", "t", "positive", f"s{marks}", "EXPRESS")
            marks += 1
            scored = editor_cache.counts()["scores"]
            if scored >= 6 and server.waiting >= 1:
                break
        assert proc.poll() is None, proc.communicate()
        assert scored == 6, f"the run should have scored exactly the 6 answered calls, not {scored}"
        assert server.waiting >= 1, "the run never asked for a seventh score"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        server.gate.set()          # the held requests answer a closed connection
        server.answer_first = None
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (proc.returncode, out[-2000:], err[-2000:])
    assert "interrupted" in err and "Traceback" not in err, err[-3000:]
    figures["runs_interrupted"] += 1

    payload = json.loads((workdir / "results.json").read_text())
    assert payload["run"]["interrupted"] is True
    rows = payload["positive"] + payload["negative"]
    done = [r for r in rows if r["score"] is not None]
    assert 1 <= len(done) < len(rows), len(done)
    for r in rows:
        if r["score"] is None:
            assert r["pass"] is None and r["verdict"] in ("pending", "error"), r
    figures.setdefault("runs", []).append({"run": "CLI interrupted by SIGINT", "lines": len(rows),
                                           "verdicts": len(done), "pending": len(rows) - len(done)})
    # What finished is in the cache too (and the editor's marks written meanwhile are intact).
    assert editor_cache.counts()["review_marks"] == marks
    cfg_trait = payload["config"]["trait"]
    keys_before = {k for (k,) in sqlite3.connect(db).execute("SELECT key FROM scores")}
    for r in done:
        assert score_key(payload["config"]["judge_model"], cfg_trait, payload["definition"],
                         r["response"], None) in keys_before

    # Re-run (in this process, same cache): only the missing judge calls are made.
    requests_before = server.requests
    server.latency_s = 0.0
    capsys.readouterr()
    from core.cli import main
    rc = main(["test", *args])
    capsys.readouterr()
    assert rc in (0, 1)
    payload2 = json.loads((workdir / "results.json").read_text())
    rows2 = payload2["positive"] + payload2["negative"]
    assert all(r["score"] is not None for r in rows2)
    need = {r["response"] for r in rows2} - {c for c in {r["response"] for r in rows2}
                                             if score_key(payload2["config"]["judge_model"], cfg_trait,
                                                          payload2["definition"], c, None) in keys_before}
    assert server.requests - requests_before == len(need) > 0
    for r in done:                       # what finished before Ctrl-C was kept, not redone
        same = next(x for x in rows2 if x["scenario"] == r["scenario"] and x["idx"] == r["idx"])
        assert same["score"] == r["score"]
    account_results(figures, "CLI re-run after SIGINT", payload2)
    editor_cache.close()


@pytest.mark.parametrize("kill_after", [40, 400])
def test_the_cache_survives_a_kill_mid_write(tmp_path, kill_after, figures):
    db = tmp_path / "cache.sqlite3"
    proc = spawn("cache-writer", str(db), "w", "1000000")
    committed: list[str] = []
    try:
        assert proc.stdout.readline().strip() == "ready"
        while len(committed) < kill_after:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            committed.append(line.strip())
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    figures["kill_points"] += 1
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    keys = {k for (k,) in con.execute("SELECT key FROM scores")}
    ckeys = {k for (k,) in con.execute("SELECT key FROM completions")}
    con.close()
    assert set(committed) <= keys and set(committed) <= ckeys
    # and the cache opens and works as before
    cache = Cache(db)
    assert cache.get_score(committed[-1]) is not None
    cache.put_score("after-crash", "judge", 50)
    assert cache.get_score("after-crash").score == 50
    cache.close()


def test_two_processes_share_the_cache(tmp_path):
    db = tmp_path / "cache.sqlite3"
    Cache(db).close()
    n = 400
    start_at = str(time.time() + 1.0)
    a = spawn("cache-mixed", str(db), "editor", str(n), "cli", start_at)
    b = spawn("cache-mixed", str(db), "cli", str(n), "editor", start_at)
    # and this process reads and writes at the same time (a third user)
    mine = Cache(db)
    i = 0
    while a.poll() is None or b.poll() is None:
        mine.put_completion(f"parent-{i}", "m", f"p{i}", "t", ["t"])
        mine.get_score(f"editor-{i % n}")
        i += 1
    outs = [p.communicate(timeout=60) for p in (a, b)]
    assert a.returncode == 0 and b.returncode == 0, outs
    reports = [json.loads(out) for out, _err in outs]
    assert all(r["wrote"] == n for r in reports)
    assert max(r["saw_other"] for r in reports) > 0, reports    # they did run at the same time
    counts = mine.counts()
    assert counts["scores"] == 2 * n and counts["review_marks"] == 2 * n and counts["completions"] == i
    mine.close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
