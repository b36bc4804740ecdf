"""Pipeline overhead: the runner, the cache and the verdicts on their own.

    python bench/pipeline_overhead.py [--pairs 110] [--repeat 5]

With both backends answering at once (an instant generator and an instant judge, in process),
2 x pairs lines go through the real Runner from an EMPTY on-disk SQLite cache (every line looked
up, generated, written, judged, written, streamed as events) and then through the verdicts
(pair verdicts + summary). Side by side in the same run: the judge-latency run of
bench/judge_throughput.py (loopback server, 200 ms per call, C=16). Target: instant / latency
run < 2%.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit  # noqa: E402
from bench.judging import instant_run, median, scoring_run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=110)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    instant_run(args.pairs, seed=99)           # warm imports and code paths
    instants, latency_runs = [], []
    for rep in range(args.repeat):
        instants.append(instant_run(args.pairs, seed=rep))
        if rep < 2:
            latency_runs.append(scoring_run(args.pairs, latency_s=args.latency,
                                            concurrency=args.concurrency, seed=rep))
    t_instant = median([r["seconds"] for r in instants])
    t_latency = median([r.seconds for r in latency_runs])
    ratio = t_instant / t_latency
    complete = all(r["scored"] == 2 * args.pairs and r["generations"] == 2 * args.pairs
                   and r["judge_calls"] == 2 * args.pairs for r in instants)
    ok = ratio < 0.02 and complete
    emit({
        "benchmark": "pipeline_overhead",
        "lines": 2 * args.pairs,
        "instant": {"median_s": round(t_instant, 4),
                    "per_line_ms": round(1000 * t_instant / (2 * args.pairs), 3),
                    "runs_s": [round(r["seconds"], 4) for r in instants],
                    "runner_part_s": [round(r["runner_seconds"], 4) for r in instants],
                    "every_line_generated_judged_scored": complete},
        "judge_latency_run": {"latency_s": args.latency, "concurrency": args.concurrency,
                              "median_s": round(t_latency, 3),
                              "runs_s": [round(r.seconds, 3) for r in latency_runs]},
        "ratios": {"instant / judge-latency run": round(ratio, 4)},
        "targets": {"instant / judge-latency run < 0.02": ratio < 0.02},
    }, ok)


if __name__ == "__main__":
    main()
