"""Pipeline overhead per line: both backends answer at once (an in-process backend returning fixed
completions, the loopback judge with 0 latency), so the wall time is the engine's own cost: the
event stream, the cache, the real anthropic client over HTTP, results.json and the report."""
from __future__ import annotations

import os
import time
from pathlib import Path

import core.setup
from core.cache import Cache
from core.cli import main
from core.config import Config
from core.judge import Judge
from core.runner import Runner, items_for
from tests.engine import measurements
from tests.engine.helpers import DEFINITION, InstantBackend, collect, of_type, sample_pairs, write_pairs

REPO = Path(__file__).resolve().parents[2]
DATASET = REPO / "datasets" / "traits" / "alignment" / "performative_confidence"


def dataset(tmp_path) -> Path:
    if (DATASET / "positive.txt").exists():
        return DATASET
    pos, neg = sample_pairs(72)  # pragma: no cover
    return write_pairs(tmp_path / "data", pos, neg)


def test_overhead_per_line(tmp_path, judge_env, monkeypatch, capsys):
    folder = dataset(tmp_path)
    n_lines = 2 * len((folder / "positive.txt").read_text(encoding="utf-8").splitlines())
    backend = InstantBackend()
    monkeypatch.setattr(core.setup, "make_backend", lambda cfg: backend)
    argv = ["test", "--quiet", "--positive", str(folder / "positive.txt"), "--negative",
            str(folder / "negative.txt"), "--definition", DEFINITION, "--workdir", str(tmp_path / "w")]

    def cli_run() -> float:
        t0 = time.perf_counter()
        assert main(argv) == 0
        dt = time.perf_counter() - t0
        capsys.readouterr()
        return dt

    first = cli_run()          # includes this process's one-time imports (anthropic, rich, ...)
    assert judge_env.requests == n_lines and len(backend.prompts) == n_lines
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "second-cache"))
    cold = cli_run()           # nothing cached again, imports done: the steady-state cost
    assert judge_env.requests == 2 * n_lines and len(backend.prompts) == 2 * n_lines
    warm = cli_run()
    assert judge_env.requests == 2 * n_lines

    # the runner alone (no results.json, no report), on a fresh cache
    import asyncio

    async def runner_run(cache: Cache) -> float:
        judge = Judge("claude-haiku-4-5", max_retries=0)
        runner = Runner(Config(model="instant-model"), cache, trait="t", definition=DEFINITION,
                        backend=InstantBackend(), judge=judge)
        pos = (folder / "positive.txt").read_text(encoding="utf-8").splitlines()
        neg = (folder / "negative.txt").read_text(encoding="utf-8").splitlines()
        t0 = time.perf_counter()
        events = await collect(runner, items_for(pos, neg))
        dt = time.perf_counter() - t0
        await judge.aclose()
        assert events[-1].errors == 0
        return dt

    cache = Cache(tmp_path / "fresh.sqlite3")
    r_cold = asyncio.run(runner_run(cache))
    r_warm = asyncio.run(runner_run(cache))
    cache.close()

    ms = lambda s: 1000 * s / n_lines  # noqa: E731
    measurements.LINES.extend([
        f"{n_lines} lines on {os.cpu_count()} CPUs:",
        f"  scenarios test, first run in the process         : {ms(first):6.2f} ms/line  ({first:.3f} s total, "
        "with one-time imports)",
        f"  scenarios test (CLI, in-process), nothing cached : {ms(cold):6.2f} ms/line  ({cold:.3f} s total; "
        f"{n_lines} judge calls over HTTP)",
        f"  scenarios test (CLI, in-process), all cached     : {ms(warm):6.2f} ms/line  ({warm:.3f} s total)",
        f"  runner event stream only, nothing cached         : {ms(r_cold):6.2f} ms/line  ({r_cold:.3f} s total)",
        f"  runner event stream only, all cached             : {ms(r_warm):6.2f} ms/line  ({r_warm:.3f} s total)",
    ])
    # Loose ceilings: far above what this 2-core machine measures, low enough to catch a
    # per-line sleep, a reconnect per call, or a quadratic loop.
    assert ms(cold) < 60 and ms(warm) < 15 and ms(r_warm) < 5
