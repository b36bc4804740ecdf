"""Judge runs shared by bench/judge_throughput.py and bench/pipeline_overhead.py.

`scoring_run` scores 2 x pairs completions through the real Runner: the completions are already
in the cache (as after a definition edit), so the run is cache lookups + judge calls + cache
writes + events, with the real Judge (anthropic client) against the loopback Messages-API
server. `instant_run` pushes the same number of lines through the Runner, cache and verdicts
with backends that answer at once, from an empty cache (generation and judging both).
"""
from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import DEFINITION, InstantBackend, InstantJudge, synth_pairs
from core.cache import Cache
from core.config import Config
from core.events import CompletionReady, LineError, RunDone, ScoreReady
from core.judge import Judge
from core.runner import Runner, completion_key, items_for
from core.verdicts import LineResult, pair_verdict, summarize
from tests.standins import Faults, JudgeServer


@dataclass
class ScoringRun:
    seconds: float
    lines: int
    scored: int
    errors: int
    requests: int           # requests the server received (retries included)
    injected: dict[str, int]
    max_concurrent: int

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), "lines": self.lines, "scored": self.scored,
                "errors": self.errors, "lost_lines": self.lines - self.scored,
                "server_requests": self.requests, "injected_faults": self.injected,
                "server_max_concurrent": self.max_concurrent}


def _completions(n: int) -> list[str]:
    return [f"I told them plainly, number {i}, that the figures {'did' if i % 2 else 'did not'} add up"
            for i in range(n)]


async def _scoring(pos: list[str], neg: list[str], cfg: Config, cache: Cache, url: str,
                   concurrency: int) -> tuple[float, int, int]:
    judge = Judge(cfg.judge_model, concurrency=concurrency, max_retries=cfg.judge_max_retries,
                  api_key="sk-ant-bench-0000000000", base_url=url)
    runner = Runner(cfg, cache, trait="bench/synthetic", definition=DEFINITION,
                    backend=InstantBackend(), judge=judge)
    scored: set[tuple[str, int]] = set()
    errors = 0
    # a first tiny request outside the timing: the client's connection setup and imports
    await judge.score("warm-up", DEFINITION, "warm up")
    t0 = time.perf_counter()
    try:
        async for ev in runner.run(items_for(pos, neg)):
            if isinstance(ev, ScoreReady):
                scored.add((ev.side, ev.idx))
            elif isinstance(ev, LineError):
                errors += 1
    finally:
        seconds = time.perf_counter() - t0
        await judge.aclose()
    return seconds, len(scored), errors


def scoring_run(pairs: int, *, latency_s: float, concurrency: int, fault_rate: float = 0.0,
                fault_kinds: tuple[str, ...] = ("429", "529"), seed: int = 0,
                max_retries: int = 4) -> ScoringRun:
    pos, neg = synth_pairs(pairs, seed=seed)
    texts = _completions(2 * pairs)
    with tempfile.TemporaryDirectory(prefix="bench-judge-") as tmp:
        cfg = Config(model="bench-model", judge_concurrency=concurrency, judge_max_retries=max_retries,
                     cache_path=str(Path(tmp) / "cache.sqlite3"))
        cache = Cache(cfg.resolved_cache_path())
        identity = Runner(cfg, cache, trait="x", definition=DEFINITION).identity
        for prompt, text in zip(pos + neg, texts):
            cache.put_completion(completion_key(identity, prompt), cfg.model, prompt, text, (text,))
        server = JudgeServer(latency_s=latency_s, faults=Faults(rate=fault_rate, kinds=fault_kinds,
                                                                seed=seed))
        with server:
            seconds, scored, errors = asyncio.run(_scoring(pos, neg, cfg, cache, server.url, concurrency))
        cache.close()
    return ScoringRun(seconds, 2 * pairs, scored, errors, server.requests - 1, dict(server.injected),
                      server.max_concurrent)


async def _instant(pos: list[str], neg: list[str], cfg: Config, cache: Cache) -> dict[str, Any]:
    runner = Runner(cfg, cache, trait="bench/synthetic", definition=DEFINITION,
                    backend=InstantBackend(), judge=InstantJudge(cfg.judge_model))
    results = {"positive": [LineResult(s) for s in pos], "negative": [LineResult(s) for s in neg]}
    t0 = time.perf_counter()
    async for ev in runner.run(items_for(pos, neg)):
        if isinstance(ev, CompletionReady):
            r = results[ev.side][ev.idx]
            r.completion, r.tokens = ev.text, ev.tokens
        elif isinstance(ev, ScoreReady):
            results[ev.side][ev.idx].score = ev.score
        elif isinstance(ev, LineError):
            results[ev.side][ev.idx].error = ev.message
        elif isinstance(ev, RunDone):
            done = ev
    t_run = time.perf_counter() - t0
    pairs = list(zip(results["positive"], results["negative"]))
    verdicts = [pair_verdict(p, n) for p, n in pairs]
    summary = summarize(pairs)
    seconds = time.perf_counter() - t0
    scored = sum(r.score is not None for side in results.values() for r in side)
    return {"seconds": seconds, "runner_seconds": t_run, "scored": scored,
            "generations": done.generations, "judge_calls": done.judge_calls,
            "pairs_passing": summary.pairs_passing if hasattr(summary, "pairs_passing") else None,
            "verdicts": len(verdicts)}


def instant_run(pairs: int, seed: int = 0) -> dict[str, Any]:
    pos, neg = synth_pairs(pairs, seed=seed)
    with tempfile.TemporaryDirectory(prefix="bench-instant-") as tmp:
        cfg = Config(model="bench-model", cache_path=str(Path(tmp) / "cache.sqlite3"))
        cache = Cache(cfg.resolved_cache_path())
        try:
            return asyncio.run(_instant(pos, neg, cfg, cache))
        finally:
            cache.close()


def median(xs: list[float]) -> float:
    return statistics.median(xs)
