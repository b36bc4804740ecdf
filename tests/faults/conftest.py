"""Shared pieces of the fault and bad-input suites.

`figures` collects what the suites did (faults injected by kind, runs completed, lines lost, bad
inputs and the message each produced). Set SCENARIOS_FAULT_FIGURES=path to get them as JSON at
the end of the session; the suites assert on them either way.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

FIGURES: dict[str, Any] = {
    "faults_injected": Counter(),   # kind -> count, summed over every faulty run
    "runs_completed": 0,
    "runs_interrupted": 0,
    "lines_checked": 0,
    "lines_lost": 0,
    "kill_points": 0,
    "bad_inputs": [],               # [name, message]
}


@pytest.fixture
def figures() -> dict[str, Any]:
    return FIGURES


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("SCENARIOS_FAULT_FIGURES")
    if not path:
        return
    out = dict(FIGURES)
    out["faults_injected"] = dict(FIGURES["faults_injected"])
    Path(path).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def child_env(**extra: str) -> dict[str, str]:
    """The test process's environment (already isolated by the root conftest) for a child."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def spawn(*args: str, env: dict[str, str] | None = None, **kw: Any) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.faults.childproc", *args], cwd=REPO,
                            env=env or child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)


def write_pair(folder: Path, pos: list[str], neg: list[str], definition: str = "HIGH: x.\nLOW: y.\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "positive.txt").write_text("\n".join(pos) + "\n", encoding="utf-8")
    (folder / "negative.txt").write_text("\n".join(neg) + "\n", encoding="utf-8")
    (folder / "definition.txt").write_text(definition, encoding="utf-8")
    return folder


def snapshot_tree(root: Path) -> dict[str, bytes]:
    """Every file under root (relative path -> bytes), symlinks recorded by target."""
    out: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = b"-> " + os.readlink(p).encode()
        elif p.is_file():
            out[rel] = p.read_bytes()
    return out


@pytest.fixture(scope="session")
def loaded_backend(tiny_model):
    """The real local backend on the tiny random Llama, loaded once for the fault suites."""
    from core.backends.local import LocalBackend
    from core.config import Config
    return LocalBackend(Config(model=str(tiny_model), backend="local", device="cpu",
                               max_new_tokens=6, batch_size=64))


@pytest.fixture
def fcfg(tiny_model, tmp_path):
    from core.config import Config
    return Config(model=str(tiny_model), backend="local", device="cpu", max_new_tokens=6,
                  batch_size=64, judge_concurrency=8, judge_max_retries=1, judge_timeout_s=0.6,
                  cache_path=str(tmp_path / "cache" / "cache.sqlite3"))


async def wait_until(pilot: Any, cond: Any, timeout: float = 30.0, what: str = "") -> None:
    """Pause the pilot until cond() holds (no fixed sleeps)."""
    import asyncio
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await pilot.pause(0.05)


def account_results(figures: dict[str, Any], name: str, payload: dict[str, Any],
                    injected: dict[str, int] | None = None) -> dict[str, int]:
    """Check a results.json payload line by line and add it to the figures: every line ends
    with a verdict (scored: pass follows the threshold) or an error (pass is null); a line
    with neither is lost."""
    t = payload["config"]
    counts = {"lines": 0, "verdicts": 0, "errors": 0, "lost": 0}
    for side in ("positive", "negative"):
        for row in payload[side]:
            counts["lines"] += 1
            if row["error"]:
                assert row["pass"] is None and row["verdict"] == "error", row
                counts["errors"] += 1
            elif row["score"] is not None:
                want = row["score"] >= t["pos_threshold"] if side == "positive" else row["score"] <= t["neg_threshold"]
                assert row["pass"] is want and row["verdict"] in ("pass", "fail", "ambiguous"), row
                counts["verdicts"] += 1
            else:
                assert row["pass"] is None, row
                counts["lost"] += 1
    figures["runs_completed"] += 1
    figures["lines_checked"] += counts["lines"]
    figures["lines_lost"] += counts["lost"]
    if injected:
        figures["faults_injected"].update(injected)
    figures.setdefault("runs", []).append({"run": name, **counts, "faults": dict(injected or {})})
    return counts
