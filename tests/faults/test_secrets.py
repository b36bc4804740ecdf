"""Secrets never leak: plant ANTHROPIC_API_KEY, HF and Modal tokens, make the backends fail with
errors that QUOTE them (as some library errors quote URLs and headers, and as a judge might echo
what it was sent), run the CLI and the editor, then scan every file the runs wrote (results.json,
the SQLite cache with its WAL, the captured logs, stdout and stderr, the editor's screen) for
every planted value."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import pytest

from core.cache import Cache
from core.dataset import load_trait
from core.setup import make_runner
from tests.standins import Faults, default_scorer

from .conftest import account_results
from .injectors import FlakyBackend

HF = "hf_PLANTEDhfTokenAbCdEf0123456789"
HF_OLD = "hf_PLANTEDhubTokenZyXw9876543210"
MODAL_ID = "ak-PLANTEDmodalId0123456789"
MODAL_SECRET = "as-PLANTEDmodalSecret0123456789"
ANTHROPIC = "sk-ant-test-PLANTED-SECRET-0123456789"      # planted by the judge_env fixture
SECRETS = (ANTHROPIC, HF, HF_OLD, MODAL_ID, MODAL_SECRET)


@pytest.fixture
def planted(judge_env, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", HF)
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", HF_OLD)
    monkeypatch.setenv("MODAL_TOKEN_ID", MODAL_ID)
    monkeypatch.setenv("MODAL_TOKEN_SECRET", MODAL_SECRET)
    assert os.environ["ANTHROPIC_API_KEY"] == ANTHROPIC
    server = judge_env
    server.faults = Faults(rate=0.2, seed=11, timeout_sleep_s=1.0)

    def echoing_scorer(body):
        """Now and then the judge answers with text quoting the key it was sent."""
        passage = str(body["messages"][-1]["content"])
        if int(hashlib.sha256(passage.encode()).hexdigest(), 16) % 4 == 0:
            return f"cannot rate: key {ANTHROPIC} is over quota"
        return default_scorer(body)

    server.scorer = echoing_scorer
    return server


def leaky_backend(inner, lines: list[str]) -> FlakyBackend:
    doomed = set(lines[::7])
    return FlakyBackend(inner, lambda p: p in doomed,
                        message=(f"401 Client Error for url https://huggingface.co/api/models?token={HF} "
                                 f"(headers: Authorization: Bearer {HF_OLD}; modal {MODAL_ID}:{MODAL_SECRET}; "
                                 f"x-api-key {ANTHROPIC})"))


def scan(root: Path, extra: dict[str, str] | None = None) -> list[str]:
    """Every file under root and every extra text: where a planted secret (or its distinctive
    middle) appears."""
    found = []
    needles = [s.encode() for s in SECRETS] + [b"PLANTED"]
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            found += [f"{p}: {n.decode()}" for n in needles if n in data]
    for name, text in (extra or {}).items():
        found += [f"{name}: {n.decode()}" for n in needles if n.decode() in text]
    return found


def test_the_scanner_finds_a_planted_secret(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"\x00junk" + HF.encode() + b"junk")
    assert scan(tmp_path) and scan(tmp_path / "nothing-here", {"out": f"a {MODAL_SECRET} b"})


def test_no_secret_in_anything_a_cli_run_writes(planted, loaded_backend, trait_copy, tmp_path,
                                               monkeypatch, capsys, caplog, figures):
    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(tmp_path)
    lines = trait_copy.joinpath("positive.txt").read_text().splitlines()
    monkeypatch.setattr("core.setup.make_backend", lambda cfg: leaky_backend(loaded_backend, lines))
    toml = tmp_path / "scenarios.toml"
    toml.write_text("[judge]\ntimeout_s = 0.6\nmax_retries = 1\nconcurrency = 8\n")
    from core.cli import main
    rc = main(["test", "--trait", str(trait_copy), "--model", loaded_backend.model, "--local",
               "--device", "cpu", "--max-tokens", "6", "--workdir", str(tmp_path / "run"),
               "--config", str(toml)])
    out = capsys.readouterr()
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "stdout.txt").write_text(out.out)
    (logs / "stderr.txt").write_text(out.err)
    (logs / "captured.log").write_text(caplog.text)
    assert rc == 1                                      # some lines ended in error
    results = (tmp_path / "run" / "results.json").read_text()
    # the leak paths were exercised: errors that quoted secrets reached results.json, redacted
    assert results.count("[redacted]") >= 2 and "GenerationFault" in results
    assert "cannot rate: key [redacted]" in results
    assert list((tmp_path / "xdg-cache").rglob("*.sqlite3*"))   # the cache is part of the scan
    assert scan(tmp_path) == []
    counts = account_results(figures, "CLI, 20% judge faults + leaky generator faults",
                             json.loads(results), dict(planted.injected))
    assert counts["lost"] == 0 and counts["errors"] > 0


async def test_no_secret_in_anything_an_editor_run_writes_or_shows(planted, loaded_backend, trait_copy,
                                                                   tmp_path, monkeypatch, fcfg, figures):
    from tui.app import StudioApp

    from .conftest import wait_until

    monkeypatch.chdir(tmp_path)
    trait = load_trait(str(trait_copy), check_steering=False)
    cache = Cache(fcfg.resolved_cache_path())
    runner = make_runner(fcfg, cache, trait.name, trait.definition,
                         backend=leaky_backend(loaded_backend, trait.positive.lines))
    app = StudioApp(trait, cfg=fcfg, runner=runner, cache=cache, watch=False)
    shown = {}
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.session.last_run is not None and not app.testing, 60, "the run")
        s = app.session
        errors = [i for i in range(s.n_pairs) if s.verdict("positive", i) == "error"]
        assert errors
        for i in errors[:5]:                           # show the failing rows in the detail panel
            app.main.table.go_to_row(i)
            await pilot.pause(0.1)
            shown[f"screen row {i}"] = app.export_screenshot()
        shown["message"] = str(app.main.message.message)
        shown["screen"] = app.export_screenshot()
        app.action_write_results()
        await pilot.pause(0.1)
        await pilot.press("q")
    cache.close()
    results = next((tmp_path / "scenario-runs").rglob("results.json")).read_text()
    assert "[redacted]" in results and "GenerationFault" in results
    counts = account_results(figures, "editor, 20% judge faults + leaky generator faults",
                             json.loads(results), dict(planted.injected))
    assert counts["lost"] == 0 and counts["errors"] > 0
    assert scan(tmp_path, shown) == []
