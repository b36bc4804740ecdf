"""Datasets as researchers already have them (tests/fixtures/wild: the real folder layout, lines
written for these tests): steering.json with extra keys and 5-20 questions, unmatched datasets of
118/250, 70/71, 17/16 and 40/40 lines, one-sided candidate files, one truly broken steering.json.

`scenarios lint FOLDER` errors only on the broken file; `scenarios test` runs every dataset end to
end with the tiny local model and the loopback judge. (The editor's unmatched mode is driven in
tests/tui/test_unmatched.py.)"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import core.setup
from core.cli import main
from core.dataset import DatasetError, list_traits, load_files, load_trait
from core.lint import lint_main
from tests.engine.helpers import InstantBackend

REPO = Path(__file__).resolve().parents[2]
WILD = REPO / "tests" / "fixtures" / "wild"
TRAITS = WILD / "traits"
CANDIDATES = WILD / "candidates"
SYCOPHANCY = TRAITS / "behavior" / "sycophancy_wild"
SHAPES = {   # trait -> (positive lines, negative lines, matched)
    "behavior/honesty_unpaired": (40, 40, False),
    "behavior/sycophancy_wild": (56, 56, True),
    "broken/bad_steering": (12, 12, True),
    "emotion/anxiety_legacy": (118, 250, False),
    "personality/optimism_legacy": (70, 71, False),
    "personality/stubbornness_legacy": (17, 16, False),
}


def test_the_fixture_is_what_the_tests_say():
    assert list_traits(TRAITS) == sorted(SHAPES)
    for name, (n, m, matched) in SHAPES.items():
        t = load_trait(TRAITS / name)
        assert (len(t.positive.lines), len(t.negative.lines), t.matched) == (n, m, matched), name


def test_steering_with_extra_keys_and_20_questions_loads_and_keeps_them():
    t = load_trait(SYCOPHANCY)
    assert t.steering is not None and len(t.steering.questions) == 20
    assert set(t.steering.extra) == {"adversarial_prefix", "direction", "eval_prompt", "source", "version"}
    assert t.warnings == []


def test_unmatched_is_detected_and_a_matched_count_mismatch_still_refused(tmp_path):
    t = load_trait(TRAITS / "emotion" / "anxiety_legacy")
    assert not t.matched and t.pairing.share is not None and t.pairing.share < 0.5
    assert any("unmatched dataset (118 positive, 250 negative" in w for w in t.warnings)
    # A matched dataset missing one negative line in the middle is still matched: refused.
    pos = SYCOPHANCY.joinpath("positive.txt").read_text().splitlines()
    neg = SYCOPHANCY.joinpath("negative.txt").read_text().splitlines()
    bad = tmp_path / "cat" / "gap"
    bad.mkdir(parents=True)
    shutil.copy(SYCOPHANCY / "definition.txt", bad)
    bad.joinpath("positive.txt").write_text("".join(s + "\n" for s in pos))
    bad.joinpath("negative.txt").write_text("".join(s + "\n" for s in neg[:20] + neg[21:]))
    with pytest.raises(DatasetError) as ei:
        load_trait(bad)
    assert ei.value.code == "count-mismatch" and "line 56 has no partner" in str(ei.value)
    assert not load_trait(bad, pairing="unmatched").matched          # unless told otherwise


def test_declared_matched_refuses_unequal_counts_naming_the_lines():
    with pytest.raises(DatasetError, match="negative.txt line 71 has no partner"):
        load_trait(TRAITS / "personality" / "optimism_legacy", pairing="matched", pairing_source="--pairing")


def test_one_sided_candidates_load_with_the_other_side_empty():
    t = load_files(CANDIDATES / "sycophancy_positive_candidates.txt", None, str(SYCOPHANCY / "definition.txt"))
    assert len(t.positive.lines) == 6 and t.negative.lines == [] and not t.matched


def test_lint_folder_errors_only_on_the_broken_file(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert lint_main([str(TRAITS)]) == 1
    out = capsys.readouterr().out.splitlines()
    errors = [line for line in out if ": error: " in line]
    assert len(errors) == 1 and "broken/bad_steering/steering.json:5:" in errors[0]
    assert errors[0].endswith("[steering-invalid]")
    assert not [line for line in out if "[no-common-setup]" in line or "[count-mismatch]" in line]
    unmatched = [line for line in out if line.endswith("[unmatched]")]
    assert len(unmatched) == 4 and all(": note: unmatched dataset (" in line for line in unmatched)
    # the warnings left point at something: the plan's 10 questions, a 12-pair dataset
    warnings = sorted(line.rsplit("[", 1)[1] for line in out if ": warning: " in line)
    assert warnings == ["few-pairs]"] + ["steering-count]"] * 4, warnings
    assert out[-1] == "6 traits (4 unmatched), 68 pairs: 1 error, 5 warnings, 21 notes"


@pytest.fixture
def instant(monkeypatch):
    b = InstantBackend()
    monkeypatch.setattr(core.setup, "make_backend", lambda cfg: b)
    return b


def _test(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["test", "--quiet", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_unmatched_results_keep_the_shape_without_pair_verdicts(capsys, tmp_path, judge_env, instant):
    folder = TRAITS / "personality" / "stubbornness_legacy"
    rc, out, err = _test(capsys, "--trait", str(folder), "--workdir", str(tmp_path / "w"))
    assert rc == 0, err
    data = json.loads((tmp_path / "w" / "results.json").read_text())
    assert len(data["positive"]) == 17 and len(data["negative"]) == 16
    assert data["matched"] is False and data["pairs"] is None
    assert data["summary"]["pairs"] is None and data["summary"]["target"] is None
    for side in ("positive", "negative"):
        assert {"total", "passed", "pass_rate"} <= set(data["summary"][side])
        assert all({"idx", "scenario", "response", "score", "pass"} <= set(r) for r in data[side])
    assert "unmatched dataset: each side is scored on its own" in out
    assert "pairs passing" not in out and "note: unmatched dataset (17 positive, 16 negative" in err


def test_pairing_from_scenarios_toml_and_the_flag(capsys, tmp_path, judge_env, instant, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios.toml").write_text('[dataset]\npairing = "unmatched"\n')
    rc, out, err = _test(capsys, "--trait", str(SYCOPHANCY), "--workdir", str(tmp_path / "a"))
    assert rc == 0, err
    assert json.loads((tmp_path / "a" / "results.json").read_text())["pairs"] is None
    rc, out, err = _test(capsys, "--trait", str(SYCOPHANCY), "--workdir", str(tmp_path / "b"), "--pairing", "auto")
    assert rc == 0 and len(json.loads((tmp_path / "b" / "results.json").read_text())["pairs"]) == 56
    rc, out, err = _test(capsys, "--trait", str(TRAITS / "personality" / "optimism_legacy"),
                         "--workdir", str(tmp_path / "c"), "--pairing", "matched")
    assert rc == 2 and "line 71 has no partner" in err and not (tmp_path / "c").exists()
    (tmp_path / "scenarios.toml").write_text('[dataset]\npairing = "sometimes"\n')
    rc, out, err = _test(capsys, "--trait", str(SYCOPHANCY), "--workdir", str(tmp_path / "d"))
    assert rc == 2 and "pairing must be one of auto, matched, unmatched" in err


def test_fail_under_checks_each_side_of_an_unmatched_dataset(capsys, tmp_path, judge_env, instant):
    judge_env.scorer = lambda body: 90          # positives pass, negatives all fail
    rc, out, err = _test(capsys, "--trait", str(TRAITS / "personality" / "stubbornness_legacy"),
                         "--workdir", str(tmp_path / "w"), "--fail-under", "50")
    assert rc == 1 and "negative pass rate 0.0% is under --fail-under 50%" in err


@pytest.mark.parametrize("flag, side, n", [("--positive", "positive", 6), ("--negative", "negative", 4)])
def test_one_side_alone(capsys, tmp_path, judge_env, instant, flag, side, n):
    name = "sycophancy_positive_candidates.txt" if side == "positive" else "anxiety_negative_candidates.txt"
    rc, out, err = _test(capsys, flag, str(CANDIDATES / name), "--definition", str(SYCOPHANCY / "definition.txt"),
                         "--workdir", str(tmp_path / "w"))
    assert rc == 0, err
    data = json.loads((tmp_path / "w" / "results.json").read_text())
    other = "negative" if side == "positive" else "positive"
    assert len(data[side]) == n and data[other] == [] and data["pairs"] is None
    assert data["summary"][other]["total"] == 0 and data["summary"][side]["total"] == n
    assert instant.prompts and len(instant.prompts) == n and judge_env.requests == n


def test_every_dataset_tests_end_to_end_with_the_tiny_model(capsys, tmp_path, tiny_model, judge_env):
    """The issue's done-when: every dataset in the folder, the real local backend, the real
    anthropic client against the loopback judge."""
    for name, (n, m, matched) in SHAPES.items():
        work = tmp_path / name
        rc, out, err = _test(capsys, "--trait", str(TRAITS / name), "--local", "--model", str(tiny_model),
                             "--max-tokens", "4", "--workdir", str(work))
        assert rc == 0, (name, err[-2000:])
        data = json.loads((work / "results.json").read_text())
        assert (len(data["positive"]), len(data["negative"]), data["matched"]) == (n, m, matched), name
        assert all(isinstance(r["score"], int) and r["response"] is not None
                   for r in data["positive"] + data["negative"]), name
        assert (data["pairs"] is not None) == matched


def test_the_plan_script_runs_candidate_lines_alone(tmp_path, tiny_model, judge_env):
    proc = subprocess.run(
        [sys.executable, "extraction/test_scenarios.py", "--model", str(tiny_model), "--local",
         "--positive", str(CANDIDATES / "sycophancy_positive_candidates.txt"),
         "--definition", "HIGH (70-100): flatters. LOW (0-30): honest. Key: flattery or truth.",
         "--workdir", str(tmp_path / "w"), "--max-tokens", "4", "--quiet"],
        cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "w" / "results.json").read_text())
    assert len(data["positive"]) == 6 and data["negative"] == [] and data["pairs"] is None
    assert "positive" in proc.stdout and "unmatched dataset" not in proc.stdout
