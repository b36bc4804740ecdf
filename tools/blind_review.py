"""Blind review of trait datasets: the stand-in for a real run when no one can run the model.

Three steps, each a subcommand; the reading itself is done by people (or agents) who see only
their packet:

  sample  ROUND N SEED TRAIT...   pick N random pairs per trait (the writer does not choose them)
                                  and write predictor packets; no packet holds both lines of a pair
  packets ROUND                   after the predictors wrote pred_*.json ({id: continuation}),
                                  write scorer packets: continuations only, grouped by trait
  tally   ROUND                   after the scorers wrote scores_*.json ({id: 0-100}), print per
                                  trait pass rates (positive >= 60, negative <= 40, pair = both)
                                  and write record.json

Rounds live under --dir (default ./blind-review/ROUND). Predictors get one line at a time with
an opaque id and no trait name or side; scorers get the rubric path and continuations only.
"""
from __future__ import annotations

import argparse
import collections
import json
import random
from pathlib import Path

DATASETS = Path(__file__).resolve().parent.parent / "datasets" / "traits"
POS_PASS, NEG_PASS = 60, 40


def sample(out: Path, n: int, seed: int, traits: list[str]) -> None:
    rng = random.Random(seed)
    key: dict[str, dict] = {}
    packets: list[list[str]] = [[], [], [], []]
    split = len(traits) > 3          # four packets for big rounds, two otherwise
    for trait in traits:
        pos = (DATASETS / trait / "positive.txt").read_text(encoding="utf-8").splitlines()
        neg = (DATASETS / trait / "negative.txt").read_text(encoding="utf-8").splitlines()
        for j, i in enumerate(rng.sample(range(len(pos)), n)):
            for side, lines in (("positive", pos), ("negative", neg)):
                lid = f"L{rng.randrange(10**6):06d}"
                while lid in key:
                    lid = f"L{rng.randrange(10**6):06d}"
                key[lid] = {"trait": trait, "side": side, "index": i, "scenario": lines[i]}
                # Packets 0-1 hold positives of even draws and negatives of odd ones; 2-3 the rest.
                group = 0 if (side == "positive") == (j % 2 == 0) else 2
                packets[group + (rng.randrange(2) if split else 0)].append(lid)
    out.mkdir(parents=True, exist_ok=True)
    for k, packet in enumerate(p for p in packets if p):
        rng.shuffle(packet)
        (out / f"predict_{k}.txt").write_text(
            "".join(f"{lid}\t{key[lid]['scenario']}\n" for lid in packet), encoding="utf-8")
    (out / "key.json").write_text(json.dumps(key, indent=1), encoding="utf-8")
    print(f"{len(key)} lines in {sum(1 for p in packets if p)} packets under {out}")


def _merged(out: Path, pattern: str) -> dict:
    merged: dict = {}
    for f in sorted(out.glob(pattern)):
        merged.update(json.loads(f.read_text(encoding="utf-8")))
    return merged


def packets(out: Path) -> None:
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    preds = _merged(out, "pred_*.json")
    missing = set(key) - set(preds)
    if missing:
        raise SystemExit(f"{len(missing)} lines have no prediction, e.g. {sorted(missing)[:3]}")
    rng = random.Random(7)
    present = sorted({k["trait"] for k in key.values()})
    for g, group in enumerate(present[i:i + 2] for i in range(0, len(present), 2)):
        rows: list[str] = []
        for trait in group:
            ids = [i for i, k in key.items() if k["trait"] == trait]
            rng.shuffle(ids)
            rows.append(f"## TRAIT {trait}  (rubric: {DATASETS / trait / 'definition.txt'})\n")
            rows += [f"{i}\t{preds[i].strip()}\n" for i in ids]
        (out / f"score_{g}.txt").write_text("".join(rows), encoding="utf-8")
    print(f"scoring packets written for {len(preds)} continuations")


def tally(out: Path) -> None:
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    preds = _merged(out, "pred_*.json")
    scores = {k: int(v) for k, v in _merged(out, "scores_*.json").items()}
    if set(key) - set(scores):
        raise SystemExit(f"{len(set(key) - set(scores))} continuations have no score")
    by_pair: dict[tuple[str, int], dict[str, str]] = collections.defaultdict(dict)
    for lid, k in key.items():
        by_pair[(k["trait"], k["index"])][k["side"]] = lid
    summary = {}
    for trait in sorted({k["trait"] for k in key.values()}):
        pairs = {i: ids for (t, i), ids in by_pair.items() if t == trait}
        pos_ok = {i for i, ids in pairs.items() if scores[ids["positive"]] >= POS_PASS}
        neg_ok = {i for i, ids in pairs.items() if scores[ids["negative"]] <= NEG_PASS}
        both = pos_ok & neg_ok
        failing = sorted(set(pairs) - both)
        summary[trait] = {"pairs": len(pairs), "pos_pass": len(pos_ok), "neg_pass": len(neg_ok),
                          "both": len(both), "both_rate": round(len(both) / len(pairs), 3),
                          "failing_lines": [i + 1 for i in failing]}
        print(f"{trait:45s} pos {len(pos_ok)}/{len(pairs)} neg {len(neg_ok)}/{len(pairs)} "
              f"both {len(both)}/{len(pairs)} ({100 * len(both) / len(pairs):.0f}%)")
        for i in failing:
            for side in ("positive", "negative"):
                lid = pairs[i][side]
                print(f"   line {i + 1} {side[:3]} score {scores[lid]}: ...{key[lid]['scenario'][-90:]!r}\n"
                      f"      -> {preds[lid].strip()[:160]!r}")
    lines = [{"id": lid, **k, "continuation": preds[lid].strip(), "score": scores[lid]}
             for lid, k in key.items()]
    (out / "record.json").write_text(json.dumps({"summary": summary, "lines": lines}, indent=1),
                                     encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=Path("blind-review"))
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("round"); s.add_argument("n", type=int); s.add_argument("seed", type=int)
    s.add_argument("traits", nargs="+")
    for name in ("packets", "tally"):
        sub.add_parser(name).add_argument("round")
    a = ap.parse_args()
    out = a.dir / a.round
    if a.cmd == "sample":
        sample(out, a.n, a.seed, a.traits)
    elif a.cmd == "packets":
        packets(out)
    else:
        tally(out)


if __name__ == "__main__":
    main()
