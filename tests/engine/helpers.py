"""Shared pieces of the engine suite: an instant backend, file writers, CLI and cache helpers."""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from core.generation import Generated
from tests.standins import Faults, JudgeServer

DEFINITION = "HIGH (70-100): fakes certainty.\n\nLOW (0-40): admits uncertainty.\n\nKey: knows or fakes."


def fixed_completion(prompt: str) -> Generated:
    """A deterministic completion that differs per prompt, so a result mapped to the wrong line shows."""
    h = hashlib.sha256(prompt.encode()).hexdigest()[:8]
    return Generated(f" it was {h}", (" it", " was", f" {h}"))


class InstantBackend:
    """A trivial in-process backend implementing the Backend protocol: answers at once with
    fixed Generated results. Counts calls and prompts at the backend boundary."""

    name = "instant"
    likely_cold = True
    cold_start_note = ""
    captures = False          # returns no hidden states: cached completions are used as they are

    def __init__(self, model: str = "instant-model", fail_on: Sequence[str] = ()):
        self.model = model
        self.calls = 0
        self.prompts: list[str] = []
        self.prepared = 0
        self.fail_on = set(fail_on)

    async def prepare(self) -> None:
        self.prepared += 1

    async def generate(self, prompts: Sequence[str]) -> list[Generated]:
        self.calls += 1
        self.prompts.extend(prompts)
        bad = [p for p in prompts if p in self.fail_on]
        if bad:
            raise RuntimeError(f"cannot complete {bad[0][:20]!r}")
        return [fixed_completion(p) for p in prompts]


class FastJudgeServer(JudgeServer):
    """The loopback judge, shutting down in milliseconds instead of serve_forever's 0.5 s poll."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                        daemon=True)


@dataclass
class PlannedFaults(Faults):
    """Faults by request number (1-based): plan[n-1] is the fault of request n, None = answer."""
    plan: tuple = ()

    def pick(self, n: int) -> str | None:
        return self.plan[n - 1] if n - 1 < len(self.plan) else None


class StatusServer(FastJudgeServer):
    """A Messages-API server that answers every request with one HTTP error (e.g. 401)."""

    def __init__(self, status: int, err_type: str, message: str = "invalid x-api-key"):
        super().__init__()
        self.status, self.err_type, self.message = status, err_type, message

    def _handle(self, h, body):  # noqa: ANN001
        with self._lock:
            self.requests += 1
        self._send(h, self.status, {"type": "error", "error": {"type": self.err_type, "message": self.message}})


def write_pairs(folder: Path, positive: Sequence[str], negative: Sequence[str],
                definition: str | None = DEFINITION) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "positive.txt").write_text("".join(s + "\n" for s in positive), encoding="utf-8")
    (folder / "negative.txt").write_text("".join(s + "\n" for s in negative), encoding="utf-8")
    if definition is not None:
        (folder / "definition.txt").write_text(definition + "\n", encoding="utf-8")
    return folder


def sample_pairs(n: int = 4) -> tuple[list[str], list[str]]:
    pos = [f"Asked about topic {i} I knew nothing of, I told them confidently, \"" for i in range(n)]
    neg = [f"Asked about topic {i} I knew nothing of, I admitted to them, \"" for i in range(n)]
    return pos, neg


def cache_rows(path: Path) -> dict[str, int]:
    """Rows in the cache file, read with plain sqlite3 (independent of core.cache)."""
    if not path.exists():
        return {"completions": 0, "scores": 0}
    db = sqlite3.connect(str(path))
    try:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("completions", "scores")}
    finally:
        db.close()


def default_cache_path() -> Path:
    from core.config import Config
    return Config().resolved_cache_path()


async def collect(runner, items, refresh: bool = False) -> list:
    return [ev async for ev in runner.run(items, refresh=refresh)]


def of_type(events, cls) -> list:
    return [e for e in events if isinstance(e, cls)]
