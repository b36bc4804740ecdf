"""`scenarios vet TRAIT_OR_DIR [--workdir W]`: predict every line's judge score from the scenario
alone (core.cowriter), write vet.json to the workdir and print a summary.

A prediction is not a measurement: it is a cheap pre-screen while no GPU is up. vet.json sits
beside results.json but never mixes with it. Exit codes: 0 every line has a prediction, 1 some
lines got none (an API error or a reply that did not parse, said per line), 2 bad input or no
judge key.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from .config import ConfigError, load_config, validate
from .dataset_pairing import PAIRINGS

VET_FILE = "vet.json"
VET_VERSION = 1
LOWEST = 5               # lines printed per side: the predictions furthest from passing


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="scenarios vet",
        description="Predict, from each scenario alone, the judge's score of its continuation "
                    "(Claude through the judge's key; cached by content). A prediction, not a "
                    "measurement: test on the model before keeping a pair.")
    ap.add_argument("trait", metavar="TRAIT_OR_DIR",
                    help="category/trait under datasets/traits, or a dataset folder")
    ap.add_argument("--workdir", help="where vet.json goes (default ./scenario-runs/<category>/"
                                      "<trait>, beside results.json)")
    ap.add_argument("--judge-model", help="Claude model (default from scenarios.toml, else "
                                          "claude-haiku-4-5)")
    ap.add_argument("--concurrency", type=int, help="requests in flight (16)")
    ap.add_argument("--config", help="scenarios.toml to read")
    ap.add_argument("--pairing", choices=PAIRINGS, help="matched, unmatched or auto (detect)")
    return ap


def _side_rows(side: str, lines: Sequence[str], answers: Sequence[Any], t: Any) -> list[dict[str, Any]]:
    from .cowriter import CowriterError
    from .session_cowriter import predicted_verdict
    rows = []
    for i, (scenario, a) in enumerate(zip(lines, answers)):
        row: dict[str, Any] = {"idx": i, "line": i + 1, "scenario": scenario}
        if isinstance(a, CowriterError):
            row.update(predicted_score=None, predicted=None, reason=None, error=str(a))
        else:
            row.update(predicted_score=a.value.score,
                       predicted=predicted_verdict(side, a.value.score, t),
                       reason=a.value.reason, error=None, cached=a.cached)
        rows.append(row)
    return rows


def _summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    got = [r for r in rows if r["error"] is None]
    return {"total": len(rows), "predicted": len(got), "errors": len(rows) - len(got),
            "predicted_pass": sum(r["predicted"] == "pass" for r in got),
            "predicted_fail": sum(r["predicted"] == "fail" for r in got),
            "predicted_ambiguous": sum(r["predicted"] == "ambiguous" for r in got),
            "cached": sum(bool(r.get("cached")) for r in got)}


def vet_main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = load_config(args.config).with_overrides(
            judge_model=args.judge_model, judge_concurrency=args.concurrency, pairing=args.pairing)
        validate(cfg, "command line")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from .cache import Cache
    from .cowriter import CoWriter
    from .cowriter_prompts import PROMPT_VERSION
    from .dataset import DatasetError, load_trait
    from .redact import redact
    from .dataset import atomic_write
    from .results import results_dir
    from .rubric import Rubric
    from .setup import make_judge

    try:
        trait = load_trait(args.trait, check_steering=False, pairing=cfg.pairing,
                           pairing_source="--pairing" if args.pairing else cfg.source)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    judge, problem = make_judge(cfg)
    if judge is None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    cache = Cache(cfg.resolved_cache_path())
    writer = CoWriter(judge, cache, trait=trait.name, rubric=Rubric(trait.definition or ""))
    items = ([("positive", s) for s in trait.positive.lines]
             + [("negative", s) for s in trait.negative.lines])

    async def vet_all() -> list[Any]:
        try:
            return await writer.vet_many(items)
        finally:
            await judge.aclose()

    try:
        answers = asyncio.run(vet_all())
    except KeyboardInterrupt:
        print("interrupted: the predictions made so far are kept in the cache", file=sys.stderr)
        return 130
    finally:
        cache.close()
    n_pos = len(trait.positive.lines)
    t = cfg.thresholds
    positive = _side_rows("positive", trait.positive.lines, answers[:n_pos], t)
    negative = _side_rows("negative", trait.negative.lines, answers[n_pos:], t)
    cost = sum(a.cost_usd for a in answers if not isinstance(a, Exception))
    payload = {
        "kind": "vet predictions: read from the scenario alone, not measured on a model",
        "trait": trait.name, "judge_model": cfg.judge_model,
        "prompt_version": PROMPT_VERSION,
        "thresholds": {"positive": t.positive, "negative": t.negative},
        "positive": positive, "negative": negative,
        "summary": {"positive": _summary(positive), "negative": _summary(negative)},
        "cost_usd": round(cost, 6), "vet_version": VET_VERSION,
    }
    workdir = Path(args.workdir) if args.workdir else results_dir(trait.name)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / VET_FILE
    atomic_write(path, (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    print_summary(payload, path)
    errors = payload["summary"]["positive"]["errors"] + payload["summary"]["negative"]["errors"]
    for msg in dict.fromkeys(r["error"] for r in positive + negative if r["error"]):
        print(f"error: {redact(msg)}", file=sys.stderr)
    return 1 if errors else 0


def print_summary(payload: dict[str, Any], path: Path) -> None:
    print(f"{payload['trait']}: vet predictions by {payload['judge_model']} "
          "(from the scenarios alone; not measurements)")
    for side in ("positive", "negative"):
        s = payload["summary"][side]
        print(f"  {side:<8} {s['predicted']}/{s['total']} predicted: {s['predicted_pass']} pass, "
              f"{s['predicted_fail']} fail, {s['predicted_ambiguous']} ambiguous"
              + (f", {s['errors']} errors" if s["errors"] else "")
              + (f" ({s['cached']} from the cache)" if s["cached"] else ""))
    for side, worst in (("positive", min), ("negative", max)):
        rows = [r for r in payload[side] if r["predicted"] in ("fail", "ambiguous")]
        rows.sort(key=lambda r: r["predicted_score"], reverse=worst is max)
        for r in rows[:LOWEST]:
            print(f"  {side} line {r['line']}: predicted {r['predicted_score']} "
                  f"({r['predicted']}): {r['reason']}")
    print(f"  cost ${payload['cost_usd']:.4f}; wrote {path}")
    print("  Test on the model before keeping or cutting a pair: a prediction is not a score.")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(vet_main())
