"""Does a re-tested line get the completion the full run gave it?

    python bench/retest_reproducibility.py            # tiny Llama, bf16 on the CPU
    python bench/retest_reproducibility.py --gpu      # Llama-3.1-8B shape, random bf16, CUDA

In bf16 greedy decoding is not batch-invariant (docs/backends.md). This decodes N shipped scenario
lines as a full run does (core.batching.full_run_batches, batch size B), then re-tests every line
two ways, side by side in one run (--gpu: random 40-56-token prompts instead of shipped lines,
since the bench's word-level tokenizer knows no English):
  alone       the line decoded by itself (what a re-test did before core.batching)
  full-run    the line decoded inside its full-run batch (core.batching.plan_chunks, reproducible)
and prints how many re-tests reproduce the full run's tokens, and the time of each way relative
to decoding the line alone (the price of reproducibility on this device).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.batching import full_run_batches, plan_chunks  # noqa: E402


def shipped_lines(n: int) -> list[str]:
    lines: list[str] = []
    for path in sorted((ROOT / "datasets" / "traits").glob("*/*/*.txt")):
        if path.name in ("positive.txt", "negative.txt"):
            lines += [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines[::max(1, len(lines) // n)][:n]


def load(gpu: bool):
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    if not gpu:
        sys.path.insert(0, str(ROOT / "tests"))
        from standins import build_tiny_model
        folder = build_tiny_model(Path(tempfile.mkdtemp()) / "tiny")
        model = LlamaForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).eval()
        return model, AutoTokenizer.from_pretrained(folder)
    sys.path.insert(0, str(ROOT / "bench"))
    from gpu_generate import LLAMA_8B, build_model, build_tokenizer
    cfg = LlamaConfig(**LLAMA_8B)
    return (build_model(LLAMA_8B, "cuda", torch.bfloat16, None, seed=0),
            build_tokenizer(cfg.vocab_size, cfg.bos_token_id, cfg.eos_token_id))


def gpu_lines(n: int) -> list[str]:
    """Random token prompts of 40-56 tokens: the word-level bench tokenizer knows no English."""
    from gpu_generate import LLAMA_8B, make_prompts
    return make_prompts(n, 40, 56, LLAMA_8B["vocab_size"],
                        {LLAMA_8B["bos_token_id"], LLAMA_8B["eos_token_id"]}, seed=0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpu", action="store_true")
    ap.add_argument("-n", type=int, default=60, help="lines (default 60)")
    ap.add_argument("-b", "--batch-size", type=int, default=16, help="full-run batch size (default 16)")
    args = ap.parse_args()
    from core.generation import generate_greedy

    model, tok = load(args.gpu)
    lines = gpu_lines(args.n) if args.gpu else shipped_lines(args.n)

    def decode(prompts: list[str]) -> dict[str, list[str]]:
        out = generate_greedy(model, tok, prompts, max_new_tokens=32, batch_size=len(prompts))
        return {p: g.tokens for p, g in zip(prompts, out)}

    decode(lines[:2])                                   # warm-up
    full: dict[str, list[str]] = {}
    for batch in full_run_batches(lines, args.batch_size):
        full.update(decode(list(batch)))
    same = {"alone": 0, "full-run": 0}
    secs = {"alone": 0.0, "full-run": 0.0}
    for line in lines:                                  # alternate the two ways, line by line
        t = time.perf_counter()
        same["alone"] += decode([line])[line] == full[line]
        secs["alone"] += time.perf_counter() - t
        t = time.perf_counter()
        (chunk,) = plan_chunks([line], lines, args.batch_size, reproducible=True)
        same["full-run"] += decode(list(chunk.prompts))[line] == full[line]
        secs["full-run"] += time.perf_counter() - t
    where = "CUDA, Llama-3.1-8B shape" if args.gpu else "CPU, tiny Llama"
    print(f"{len(lines)} lines, full-run batch size {args.batch_size}, bf16, {where}")
    for way in ("alone", "full-run"):
        print(f"  re-test {way:9s} reproduces the full run: {same[way]:3d}/{len(lines)}   "
              f"time x{secs[way] / secs['alone']:.2f} of alone")
    return 0 if same["full-run"] == len(lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
