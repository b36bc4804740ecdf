"""Judge throughput against the loopback Messages-API server.

    python bench/judge_throughput.py [--concurrency 16] [--latency 0.2] [--pairs 110] [--repeat 3]

Scores 2 x pairs completions (already generated and cached, as after a definition edit)
through the real Runner and the real Judge (anthropic client), the server taking `latency`
seconds per call. Ideal = lines / C x latency. Targets: median time <= 1.3 x ideal without
faults; <= 2 x ideal when 10% of calls are answered 429 or 529 (the SDK retries them, honouring
retry-after), and no line lost (every line scored, no error). Runs are interleaved.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit  # noqa: E402
from bench.judging import median, scoring_run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--concurrency", "-C", type=int, default=16)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--pairs", type=int, default=110)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fault-rate", type=float, default=0.10)
    args = ap.parse_args()
    lines = 2 * args.pairs
    ideal = lines / args.concurrency * args.latency
    clean, faulty = [], []
    for rep in range(args.repeat):
        clean.append(scoring_run(args.pairs, latency_s=args.latency, concurrency=args.concurrency, seed=rep))
        faulty.append(scoring_run(args.pairs, latency_s=args.latency, concurrency=args.concurrency,
                                  fault_rate=args.fault_rate, fault_kinds=("429", "529"), seed=rep))
    t_clean = median([r.seconds for r in clean])
    t_faulty = median([r.seconds for r in faulty])
    lost = sum(r.lines - r.scored for r in clean + faulty)
    errors = sum(r.errors for r in clean + faulty)
    ratio_clean = t_clean / ideal
    ratio_faulty = t_faulty / ideal
    ok = ratio_clean <= 1.3 and ratio_faulty <= 2.0 and lost == 0 and errors == 0
    emit({
        "benchmark": "judge_throughput",
        "lines": lines, "concurrency": args.concurrency, "latency_s": args.latency,
        "ideal_s": round(ideal, 3),
        "clean": {"median_s": round(t_clean, 3), "runs": [r.as_dict() for r in clean]},
        f"faults_{int(args.fault_rate * 100)}pct_429_529": {
            "median_s": round(t_faulty, 3), "runs": [r.as_dict() for r in faulty]},
        "ratios": {"clean / ideal": round(ratio_clean, 3), "faults / ideal": round(ratio_faulty, 3),
                   "faults / clean": round(t_faulty / t_clean, 3)},
        "targets": {"clean / ideal <= 1.3": ratio_clean <= 1.3, "faults / ideal <= 2.0": ratio_faulty <= 2.0,
                    "no line lost": lost == 0 and errors == 0},
    }, ok)


if __name__ == "__main__":
    main()
