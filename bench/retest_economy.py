"""Re-test economy: what a save costs, counted at the backends.

    python bench/retest_economy.py [--pairs 110] [--max-new-tokens 16]

On a 110-pair dataset: editing k lines (k = 1, 5) costs exactly k generations and k judge
calls per edited side; a definition edit costs 0 generations and one judge call per line; an
unchanged re-run (and a cut, which shifts line numbers) costs none. Generations are the
prompts that reach the real local backend (tiny random Llama, CountingBackend); judge calls are
the requests that reach the loopback Messages-API server. Exits 1 when any count differs.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFINITION, emit, synth_pairs, tiny_model_dir  # noqa: E402
from bench.economy import Economy, scenario  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=110)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    args = ap.parse_args()
    pos, neg = synth_pairs(args.pairs)
    with tempfile.TemporaryDirectory(prefix="bench-economy-") as tmp:
        with Economy(tiny_model_dir(), Path(tmp), max_new_tokens=args.max_new_tokens) as eco:
            steps = scenario(eco, pos, neg, DEFINITION)
    first = steps[0].seconds
    result = {
        "benchmark": "retest_economy",
        "pairs": args.pairs, "lines": 2 * args.pairs, "max_new_tokens": args.max_new_tokens,
        "counted_at": "generation: CountingBackend around the real local backend; "
                      "judge: requests received by the loopback Messages-API server",
        "steps": {s.name: s.as_dict() for s in steps},
        "ratios": {f"{s.name} / first run (time)": round(s.seconds / first, 4) for s in steps[1:]},
    }
    emit(result, all(s.ok for s in steps))


if __name__ == "__main__":
    main()
