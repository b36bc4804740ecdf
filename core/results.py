"""results.json: the established shape (so existing analysis scripts keep working) plus ours.

Established: {"positive": [{"idx", "scenario", "response", "score", "pass"}...], "negative": [...],
"summary": {"positive": {"total", "passed", "pass_rate"}, "negative": {...}}, "config": {...},
"definition": "..."}. Added beside them: per line `line` (1-based), `verdict`, `ambiguous`,
`first_tokens`, `error`, `review`, `projection`; per pair `pairs`; summary.pairs / errors /
target; and `vectors`, the vector preview (core.vectors).
A line that errored or was never scored has "pass": null: it is neither a pass nor a fail.

An unmatched dataset (`matched` false: the two sides are separate sets of scenarios, maybe of
different lengths) keeps the same shape with no pair verdicts: top-level "pairs" and
summary "pairs" / "target" are null. A one-sided run has an empty list for the other side.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .backends import batch_policy, completion_identity
from .config import Config
from .dataset import atomic_write
from .verdicts import (LineResult, Thresholds, first_tokens, line_ambiguous, is_identical,
                       line_passed, line_verdict, pair_verdict, summarize, summarize_sides)

if TYPE_CHECKING:
    from .vectors import VectorReport

RESULTS_VERSION = 1
RESULTS_ROOT = Path("scenario-runs")


def results_dir(trait_name: str) -> Path:
    """Where results.json goes by default, for `scenarios test` and the editor alike: under the
    working directory, one folder per trait (`category/trait`)."""
    return RESULTS_ROOT / trait_name


def build_results(positive: list[LineResult], negative: list[LineResult], *, cfg: Config,
                  definition: str, trait: str,
                  review: Mapping[tuple[str, int], str] | None = None,
                  run: Mapping[str, Any] | None = None, matched: bool = True) -> dict[str, Any]:
    t: Thresholds = cfg.thresholds
    review = review or {}
    from .vectors import vector_report   # numpy: not at the editor's start-up
    vectors = vector_report(positive, negative, t, matched=matched)

    def side_rows(side: str, rows: list[LineResult]) -> list[dict[str, Any]]:
        out = []
        for i, r in enumerate(rows):
            out.append({
                "idx": i, "scenario": r.scenario, "response": r.completion, "score": r.score,
                "pass": line_passed(side, r, t),
                "line": i + 1, "verdict": line_verdict(side, r, t), "ambiguous": line_ambiguous(r, t),
                "first_tokens": list(first_tokens(r, t.identical_tokens)), "error": r.error,
                "review": review.get((side, i)),
                "projection": _round(vectors.projection(side, i) if vectors else None, 4),
            })
        return out

    if matched:
        s = summarize(zip(positive, negative), t)
        pairs: list[dict[str, Any]] | None = [
            {"idx": i, "verdict": pair_verdict(p, n, t), "identical": is_identical(p, n, t),
             "mismatch": pair_verdict(p, n, t) == "mismatch"}
            for i, (p, n) in enumerate(zip(positive, negative))]
        pair_summary: dict[str, Any] | None = {
            "total": s.pairs, "passing": s.pairs_passing, "scored": s.pairs_scored,
            "pass_rate": round(s.pair_rate, 4), "mismatched": s.mismatched, "identical": s.identical}
        target: dict[str, Any] | None = {
            "pairs": t.pairs_target, "minimum_rate": t.minimum_rate, "ideal_rate": t.ideal_rate,
            "status": s.target_status}
    else:
        s = summarize_sides(positive, negative, t)
        pairs = pair_summary = target = None

    def side_summary(ss: Any) -> dict[str, Any]:
        return {"total": ss.total, "passed": ss.passed, "pass_rate": round(ss.pass_rate, 4),
                "failed": ss.failed, "ambiguous": ss.ambiguous, "errors": ss.errors,
                "pending": ss.pending}

    return {
        "positive": side_rows("positive", positive),
        "negative": side_rows("negative", negative),
        "summary": {
            "positive": side_summary(s.positive),
            "negative": side_summary(s.negative),
            "pairs": pair_summary,
            "target": target,
            "complete": s.complete,
        },
        "config": {
            "model": cfg.model, "backend": cfg.backend, "max_new_tokens": cfg.max_new_tokens,
            "temperature": cfg.temperature, "pos_threshold": t.positive, "neg_threshold": t.negative,
            "judge_model": cfg.judge_model, "judge_sees_scenario": cfg.judge_sees_scenario,
            "trait": trait, "generation": completion_identity(cfg), "batching": batch_policy(cfg),
        },
        "definition": definition,
        "pairs": pairs,
        "matched": matched,
        "vectors": vectors_json(vectors),
        "run": dict(run or {}),
        "results_version": RESULTS_VERSION,
    }


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def vectors_json(report: "VectorReport | None") -> dict[str, Any] | None:
    """The vector preview (core.vectors); null when no hidden states were captured."""
    if report is None:
        return None
    return {"position": report.position,
            "layers": {str(s.layer): {"accuracy": round(s.accuracy, 4), "cohens_d": _round(s.cohens_d, 3)}
                       for s in report.layers},
            "best_layer": report.best_layer,
            "used": {"positive": report.used[0], "negative": report.used[1]},
            "note": report.note or None}


def write_results(workdir: Path, payload: dict[str, Any]) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "results.json"
    atomic_write(path, (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path
