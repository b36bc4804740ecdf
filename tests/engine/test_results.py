"""core.results: the established results.json shape, our fields beside it, pass null for errors."""
from __future__ import annotations

import json

from core.config import Config
from core.results import build_results, write_results
from core.verdicts import LineResult

ESTABLISHED_ROW = {"idx", "scenario", "response", "score", "pass"}


def sample():
    pos = [LineResult("p0", " yes sure", (" yes", " sure"), 80),
           LineResult("p1", " hmm", (" hmm",), None, "judge failed: unscored"),
           LineResult("p2"),
           LineResult("p3", " maybe", (" maybe",), 50)]
    neg = [LineResult("n0", " no idea", (" no", " idea"), 10),
           LineResult("n1", " I know", (" I", " know"), 90),
           LineResult("n2", " not sure", (" not", " sure"), 30),
           LineResult("n3", " maybe", (" maybe",), 20)]
    return pos, neg


def test_established_shape_and_our_fields(tmp_path):
    pos, neg = sample()
    cfg = Config(model="m", judge_model="claude-haiku-4-5")
    payload = build_results(pos, neg, cfg=cfg, definition="RUBRIC", trait="cat/t",
                            review={("positive", 0): "express"}, run={"generations": 8, "cost_usd": 0.004})
    assert {"positive", "negative", "summary", "config", "definition"} <= set(payload)
    for side in ("positive", "negative"):
        for i, row in enumerate(payload[side]):
            assert ESTABLISHED_ROW <= set(row) and row["idx"] == i and row["line"] == i + 1
        for key in ("total", "passed", "pass_rate"):
            assert key in payload["summary"][side]
    assert [r["pass"] for r in payload["positive"]] == [True, None, None, False]
    assert [r["pass"] for r in payload["negative"]] == [True, False, True, True]
    assert [r["verdict"] for r in payload["positive"]] == ["pass", "error", "pending", "ambiguous"]
    assert [r["score"] for r in payload["positive"]] == [80, None, None, 50]
    assert payload["positive"][1]["error"] == "judge failed: unscored"
    assert payload["positive"][0]["response"] == " yes sure" and payload["positive"][2]["response"] is None
    assert payload["positive"][0]["first_tokens"] == ["yes", "sure"]
    assert payload["positive"][0]["review"] == "express" and payload["positive"][3]["review"] is None
    sp, sn = payload["summary"]["positive"], payload["summary"]["negative"]
    assert (sp["total"], sp["passed"], sp["failed"], sp["errors"], sp["pending"], sp["ambiguous"]) == (4, 1, 1, 1, 1, 1)
    assert sp["pass_rate"] == 0.5 and (sn["total"], sn["passed"]) == (4, 3) and sn["pass_rate"] == 0.75
    assert [p["verdict"] for p in payload["pairs"]] == ["pass", "error", "pending", "mismatch"]
    assert [p["identical"] for p in payload["pairs"]] == [False, False, False, True]
    pr = payload["summary"]["pairs"]
    assert (pr["total"], pr["passing"], pr["scored"], pr["identical"], pr["mismatched"]) == (4, 1, 2, 1, 1)
    assert payload["summary"]["complete"] is False
    assert payload["summary"]["target"]["status"] == "below minimum"
    assert payload["config"]["model"] == "m" and payload["config"]["trait"] == "cat/t"
    assert payload["config"]["pos_threshold"] == 60 and payload["config"]["neg_threshold"] == 40
    assert payload["config"]["batching"] == {"batch_size": 64, "order": "longest-first",
                                             "batch_invariant": payload["config"]["generation"]["precision"] == "float32",
                                             "retests": "alone" if payload["config"]["generation"]["precision"] == "float32"
                                             else "full-run batch"}
    assert payload["config"]["generation"]["transformers"]
    assert payload["definition"] == "RUBRIC" and payload["run"]["cost_usd"] == 0.004

    path = write_results(tmp_path / "w" / "deep", payload)
    assert path == tmp_path / "w" / "deep" / "results.json"
    assert json.loads(path.read_text(encoding="utf-8")) == payload
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]     # no temp files left


def test_non_ascii_survives(tmp_path):
    pos = [LineResult("Elle a dit « oui » ✓", " très sûr", (), 70)]
    neg = [LineResult("Il a dit « non »", " pas sûr", (), 10)]
    path = write_results(tmp_path, build_results(pos, neg, cfg=Config(), definition="d", trait="t"))
    text = path.read_text(encoding="utf-8")
    assert "« oui » ✓" in text and json.loads(text)["negative"][0]["response"] == " pas sûr"
