"""Vector capture overhead: generation with the hidden-state capture on against off, side by side.

    python bench/vector_capture.py          # CPU: the tests' tiny random Llama (fp32)
    python bench/vector_capture.py --gpu    # CUDA: Llama-3.1-8B shape, random bf16 weights

Both modes time `core.generation.generate_greedy`, the function the local backend and the Modal
class call, on the same prompts with `capture=None` and with the default capture (five layers
over the middle of the network, first 5 response tokens, `core.activations`). Repetitions
alternate (off, on, on, off, ...) after a warm-up of each, so drift on a shared machine hits
both alike; the result is the median of the per-repetition ratios on/off. On the CPU, torch
runs one thread and the clock is that thread's CPU time (`time.thread_time`): on a machine
shared with other jobs, wall time swings by several times between repetitions, CPU time does
not. On a GPU the clock is wall time around a synchronised call. Also checked: the
completions are identical with capture on and off, and the captured bytes per line. As
context, what the editor pays to recompute the preview (`core.vectors.vector_report`, warm,
median of 7) for 72 and 300 pairs of Llama-3.1-8B-sized states (5 layers x 4096, random).

CPU workload: 64 synthetic scenario lines (bench/common.synth_pairs), 32 new tokens, one
batch. GPU workload: the same model shape and word-level tokenizer as bench/gpu_generate.py,
64 random prompts of 40-56 tokens, 32 new tokens, one batch of 64 (Modal's batch).

Target: overhead under 10% of generation time. Exits 1 when missed or when completions differ.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, synth_pairs, tiny_model_dir  # noqa: E402

TARGET_OVERHEAD = 0.10


def setup_cpu(n: int) -> tuple[Any, Any, list[str], str]:
    from core.generation import load_model
    model, tok = load_model(str(tiny_model_dir()), "cpu")
    pos, neg = synth_pairs(n // 2)
    return model, tok, pos + neg, "tiny random Llama (2 layers, hidden 32), fp32, CPU"


def setup_gpu(n: int, seed: int) -> tuple[Any, Any, list[str], str]:
    import torch

    from bench.gpu_generate import LLAMA_8B, build_model, build_tokenizer, make_prompts
    if not torch.cuda.is_available():
        raise SystemExit("--gpu needs a CUDA device (none found); run without --gpu for the CPU check")
    model = build_model(LLAMA_8B, "cuda", torch.bfloat16, None, seed)
    tok = build_tokenizer(LLAMA_8B["vocab_size"], LLAMA_8B["bos_token_id"], LLAMA_8B["eos_token_id"])
    specials = {LLAMA_8B["bos_token_id"], LLAMA_8B["eos_token_id"]}
    prompts = make_prompts(n, 40, 56, LLAMA_8B["vocab_size"], specials, seed)
    return model, tok, prompts, f"Llama-3.1-8B shape, random bf16 weights, {torch.cuda.get_device_name()}"


def report_ms(pairs: int, seed: int = 0) -> float:
    import numpy as np

    from core.activations import Activations
    from core.vectors import vector_report
    from core.verdicts import LineResult
    rng = np.random.default_rng(seed)
    layers = (8, 12, 16, 20, 24)

    def line(score: int) -> LineResult:
        return LineResult("s", "c", (), score,
                          activations=Activations.from_array(layers, "response[:5]", rng.normal(size=(5, 4096))))
    pos, neg = [line(90) for _ in range(pairs)], [line(10) for _ in range(pairs)]
    vector_report(pos, neg)                      # converts each line's float16 once
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        vector_report(pos, neg)
        times.append(time.perf_counter() - t0)
    return round(1000 * statistics.median(times), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gpu", action="store_true", help="Llama-3.1-8B shape on CUDA (random bf16 weights)")
    ap.add_argument("--lines", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--reps", type=int, default=8, help="timed repetitions of each (after one warm-up)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch

    from core.activations import CaptureSettings, decoder_layers, default_layers
    from core.generation import generate_greedy

    model, tok, prompts, what = setup_gpu(args.lines, args.seed) if args.gpu else setup_cpu(args.lines)
    device = next(model.parameters()).device
    capture = CaptureSettings()

    gpu = device.type == "cuda"
    if not gpu:
        torch.set_num_threads(1)
    clock = time.perf_counter if gpu else time.thread_time

    def run(on: bool) -> tuple[float, list[Any]]:
        gc.collect()                  # a collection lands on neither side's clock
        if gpu:
            torch.cuda.synchronize()
        t0 = clock()
        out = generate_greedy(model, tok, prompts, max_new_tokens=args.new_tokens, batch_size=len(prompts),
                              capture=capture if on else None)
        if gpu:
            torch.cuda.synchronize()
        return clock() - t0, out

    _, off_out = run(False)          # warm-ups (kernels, allocator, tokenizer caches)
    _, on_out = run(True)
    same = [(g.text, g.tokens) for g in on_out] == [(g.text, g.tokens) for g in off_out]
    times: dict[bool, list[float]] = {False: [], True: []}
    for rep in range(args.reps):
        for on in ((False, True) if rep % 2 == 0 else (True, False)):
            times[on].append(run(on)[0])
    ratios = [a / b for a, b in zip(times[True], times[False])]
    overhead = statistics.median(ratios) - 1

    n_layers = len(decoder_layers(model))
    layers = default_layers(n_layers)
    hidden = model.config.hidden_size
    per_line = len(on_out[0].activations.data)
    assert per_line == len(layers) * hidden * 2
    ok = same and overhead < TARGET_OVERHEAD
    emit({
        "bench": "vector_capture", "model": what, "lines": len(prompts), "new_tokens": args.new_tokens,
        "clock": "wall (synchronised)" if gpu else "thread CPU time, 1 torch thread",
        "capture": {"layers": list(layers), "position": capture.label},
        "seconds_off": [round(t, 4) for t in times[False]], "seconds_on": [round(t, 4) for t in times[True]],
        "median_off_s": round(statistics.median(times[False]), 4),
        "median_on_s": round(statistics.median(times[True]), 4),
        "ratio_on_off": round(statistics.median(ratios), 4), "overhead": round(overhead, 4),
        "target_overhead": TARGET_OVERHEAD, "identical_completions": same,
        "bytes_per_line": per_line, "bytes_per_layer_per_line": hidden * 2,
        "bytes_per_1000_lines": per_line * 1000,
        "editor_report_ms_8b_states": {"72 pairs": report_ms(72), "300 pairs": report_ms(300)},
    }, ok)


if __name__ == "__main__":
    main()
