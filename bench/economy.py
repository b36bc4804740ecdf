"""The re-test economy scenario, shared by bench/retest_economy.py and tests/perf/test_economy.py.

A real Runner, a real SQLite cache on disk, the real local backend (the tiny random Llama,
wrapped in CountingBackend so prompts are counted at the backend boundary) and the real
Judge (anthropic client) against the loopback Messages-API server, whose request counter is
the judge count. Every step is a fresh Runner on the same cache file, as a CLI re-run is.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.cache import Cache
from core.config import Config
from core.events import LineError, RunDone, ScoreReady
from core.judge import Judge
from core.runner import Runner, items_for
from tests.standins import CountingBackend, JudgeServer


@dataclass
class StepResult:
    name: str
    generations: int            # prompts seen by the generation backend
    judge_requests: int         # requests seen by the loopback judge server
    expected_generations: int
    expected_judge: int
    scored: int                 # lines with a score at the end of the step (cached or new)
    errors: int
    seconds: float
    prompts: list[str] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return (self.generations == self.expected_generations
                and self.judge_requests == self.expected_judge and self.errors == 0)

    def as_dict(self) -> dict[str, Any]:
        return {"generations": self.generations, "expected_generations": self.expected_generations,
                "judge_calls": self.judge_requests, "expected_judge_calls": self.expected_judge,
                "lines_scored": self.scored, "errors": self.errors, "seconds": round(self.seconds, 3),
                "ok": self.ok}


def edit(line: str, tag: str) -> str:
    """A real edit of a scenario line: new words before the closing quote."""
    body = line[:-1] if line.endswith('"') else line
    return f"{body.rstrip()} ({tag}), and then said \""


class Economy:
    def __init__(self, model_dir: Path, workdir: Path, *, max_new_tokens: int = 16):
        from core.backends.local import LocalBackend
        self.cfg = Config(model=str(model_dir), backend="local", device="cpu",
                          max_new_tokens=max_new_tokens, batch_size=64, judge_concurrency=16,
                          judge_max_retries=2, cache_path=str(Path(workdir) / "cache.sqlite3"))
        self.backend = LocalBackend(self.cfg)
        self.server = JudgeServer()
        self.cache = Cache(self.cfg.resolved_cache_path())

    def __enter__(self) -> "Economy":
        self.server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cache.close()
        self.server.stop()

    def step(self, name: str, pos: list[str], neg: list[str], definition: str, *,
             expect_gen: int, expect_judge: int, trait: str = "bench/synthetic") -> StepResult:
        return asyncio.run(self._step(name, pos, neg, definition, expect_gen, expect_judge, trait))

    async def _step(self, name: str, pos: list[str], neg: list[str], definition: str,
                    expect_gen: int, expect_judge: int, trait: str) -> StepResult:
        counting = CountingBackend(self.backend)
        judge = Judge(self.cfg.judge_model, concurrency=self.cfg.judge_concurrency,
                      max_retries=self.cfg.judge_max_retries, api_key="sk-ant-bench-0000000000",
                      base_url=self.server.url)
        runner = Runner(self.cfg, self.cache, trait=trait, definition=definition,
                        backend=counting, judge=judge)
        before = self.server.requests
        scored: set[tuple[str, int]] = set()
        errors = 0
        t0 = time.perf_counter()
        try:
            async for ev in runner.run(items_for(pos, neg)):
                if isinstance(ev, ScoreReady):
                    scored.add((ev.side, ev.idx))
                elif isinstance(ev, LineError):
                    errors += 1
                elif isinstance(ev, RunDone) and ev.fatal:
                    errors += 1
        finally:
            await judge.aclose()
        seconds = time.perf_counter() - t0
        return StepResult(name, len(counting.prompts), self.server.requests - before, expect_gen,
                          expect_judge, len(scored), errors, seconds, list(counting.prompts))


def scenario(eco: Economy, pos: list[str], neg: list[str], definition: str) -> list[StepResult]:
    """The whole sequence of the issue: first run, unchanged re-run, k=1 and k=5 edits per side,
    a cut (line numbers shift), a definition edit, and an unchanged re-run after it."""
    n = len(pos)
    steps: list[StepResult] = []
    steps.append(eco.step("first run", pos, neg, definition, expect_gen=2 * n, expect_judge=2 * n))
    steps.append(eco.step("unchanged re-run", pos, neg, definition, expect_gen=0, expect_judge=0))

    pos = list(pos)
    pos[7] = edit(pos[7], "k1")
    steps.append(eco.step("edit k=1 (positive)", pos, neg, definition, expect_gen=1, expect_judge=1))

    neg = list(neg)
    neg[42] = edit(neg[42], "k1")
    steps.append(eco.step("edit k=1 (negative)", pos, neg, definition, expect_gen=1, expect_judge=1))

    for i in (3, 19, 55, 80, n - 1):
        pos[i] = edit(pos[i], "k5")
    steps.append(eco.step("edit k=5 (positive)", pos, neg, definition, expect_gen=5, expect_judge=5))

    for i in (0, 11, 33, 64, 99):
        pos[i] = edit(pos[i], "k5b")
        neg[i + 1] = edit(neg[i + 1], "k5b")
    steps.append(eco.step("edit k=5 on both sides", pos, neg, definition, expect_gen=10, expect_judge=10))

    del pos[20], neg[20]
    steps.append(eco.step("cut one pair (lines shift)", pos, neg, definition, expect_gen=0, expect_judge=0))

    definition2 = definition.replace("HIGH (70-100)", "HIGH (75-100)")
    assert definition2 != definition
    steps.append(eco.step("definition edit", pos, neg, definition2, expect_gen=0,
                          expect_judge=2 * len(pos)))
    steps.append(eco.step("unchanged re-run after it", pos, neg, definition2, expect_gen=0, expect_judge=0))
    return steps
