"""Which prompts are decoded together: the one owner of batch composition.

In bf16 a line's greedy completion can depend on the batch it is decoded in: the batch's shape
(rows, padded width) and the line's padding pick the kernels and their summation order, and on a
near-tie the greedy pick flips (docs/backends.md, batch invariance). A full run decodes the
dataset's unique prompts longest first, `size` at a time. With `reproducible` on, any other run
(a re-test of one edited pair, a resumed run) decodes each line it needs inside the very batch a
full run of the current dataset would put it in, neighbours included, so it gets the completion
the full run gets. The neighbours' completions are computed and thrown away: on a GPU a batch of
64 decodes in about the time of a batch of one (decoding is memory-bound), so the price is GPU
work, not waiting.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Literal, Sequence, get_args

# "full-run": a re-test decodes each line in its full-run batch; "alone": only the lines asked
# for; "auto": full-run where batching can change a completion (bf16), alone where it measurably
# does not (float32 on a CPU matched 60/60, docs/backends.md), which keeps CPU re-tests cheap.
RetestBatches = Literal["auto", "full-run", "alone"]
RETEST_BATCHES: tuple[str, ...] = get_args(RetestBatches)


def reproducible(setting: RetestBatches, precision: str) -> bool:
    """Whether re-tests decode in full-run batches, for the configured setting and precision."""
    if setting == "auto":
        return precision == "bfloat16"
    return setting == "full-run"


@dataclass(frozen=True)
class Chunk:
    """One backend call: `prompts` decoded as one batch; `wanted` are those whose completions
    the run keeps (the rest are neighbours decoded only to give the batch its full-run shape)."""
    prompts: tuple[str, ...]
    wanted: frozenset[str]


def full_run_batches(dataset: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """The batches a full run of `dataset` decodes: unique prompts, longest first (ties keep
    dataset order), `size` at a time."""
    unique = sorted(dict.fromkeys(dataset), key=len, reverse=True)
    size = max(1, size)
    return [tuple(unique[i:i + size]) for i in range(0, len(unique), size)]


def plan_chunks(needed: Collection[str], dataset: Sequence[str], size: int, *,
                reproducible: bool) -> list[Chunk]:
    """The backend calls that produce a completion for every prompt in `needed`.

    reproducible: each needed prompt is decoded in its full-run batch of `dataset` (a batch
    with several needed prompts is decoded once). Otherwise the needed prompts alone, longest
    first, packed `size` at a time (fewer rows, but a re-tested line may differ from the full
    run). A needed prompt missing from `dataset` is decoded with the other leftovers."""
    wanted = set(needed)
    chunks: list[Chunk] = []
    if reproducible:
        for batch in full_run_batches(dataset, size):
            hit = wanted.intersection(batch)
            if hit:
                chunks.append(Chunk(batch, frozenset(hit)))
                wanted -= hit
    if wanted:
        rest = [p for p in dict.fromkeys(needed) if p in wanted]
        chunks.extend(Chunk(batch, frozenset(batch)) for batch in full_run_batches(rest, size))
    return chunks
