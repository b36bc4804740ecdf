"""The one generation function, shared by the local backend and the Modal class.

A lean batched greedy loop: prompts are sorted by token length so that a batch carries little
padding, left-padded, prefilled once (keeping only the last position's logits), then decoded
one token at a time over a DynamicCache until every row has produced EOS or the token budget is
spent. It produces exactly what `model.generate(do_sample=False)` produces for the same batch,
without generate's per-step overhead (logits processors, stopping criteria objects, the full
vocabulary logits of every prompt position). torch is imported lazily: `core` must import
without it (the Modal path needs no torch on the user's machine).
"""
from __future__ import annotations

import contextlib
import inspect
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, Sequence

from .activations import Activations, CaptureSettings, ResponseTap, decoder_layers, resolve_layers


@dataclass(frozen=True)
class Generated:
    text: str
    tokens: tuple[str, ...]   # the completion's token pieces, as text, in order
    activations: Optional[Activations] = None   # captured hidden states (core.activations)


def encode_prompts(tokenizer: Any, prompts: Sequence[str], chat_template: bool = False) -> list[list[int]]:
    """Base models get the raw prompt with BOS as the tokenizer adds it; chat models may use
    their chat template (the scenario as the start of the assistant's turn is not what we want,
    so it becomes the user turn and generation continues from the assistant prefix)."""
    if chat_template:
        out = []
        for p in prompts:
            enc = tokenizer.apply_chat_template([{"role": "user", "content": p}],
                                                add_generation_prompt=True, tokenize=True)
            if hasattr(enc, "keys"):  # transformers 5 returns a BatchEncoding by default
                enc = enc["input_ids"]
            out.append([int(x) for x in enc])
        return out
    return [tokenizer(p, add_special_tokens=True)["input_ids"] for p in prompts]


# Decoding every prefix of every row one `tokenizer.decode` call at a time costs ~10 us of Python
# per prefix. When the Rust backend's decode is provably the same function (no clean-up of
# spaces, which a probe would show), all prefixes of a batch go through one `decode_batch`.
_PROBE = "Well , it is n't so . Is it ? Yes ! I 'm sure they 're right , he 's done and we 've seen it ."
_ALIKE: dict[int, tuple[Any, bool]] = {}


def _backend_decodes_alike(tokenizer: Any) -> bool:
    hit = _ALIKE.get(id(tokenizer))
    if hit is not None and hit[0] is tokenizer:
        return hit[1]
    ok = False
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and hasattr(backend, "decode_batch"):
        try:
            probe = [int(i) for i in tokenizer(_PROBE, add_special_tokens=True)["input_ids"]]
            special = [i for i in (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id)
                       if isinstance(i, int)]
            seqs = [probe, special + probe + special, probe[:2], probe[1:]]
            ok = (" ." in backend.decode(probe, skip_special_tokens=True)   # the probe can show clean-up
                  and all(tokenizer.decode(q, skip_special_tokens=True)
                          == backend.decode(q, skip_special_tokens=True) for q in seqs))
        except Exception:
            ok = False
    _ALIKE[id(tokenizer)] = (tokenizer, ok)
    return ok


def prefix_decodes(tokenizer: Any, rows: Sequence[Sequence[int]], fast: bool = True) -> list[list[str]]:
    """For every row, `tokenizer.decode(row[:k], skip_special_tokens=True)` for k = 1..len(row)."""
    prefixes = [list(row[:k]) for row in rows for k in range(1, len(row) + 1)]
    if fast and prefixes and _backend_decodes_alike(tokenizer):
        flat = tokenizer.backend_tokenizer.decode_batch(prefixes, skip_special_tokens=True)
    else:
        flat = [tokenizer.decode(p, skip_special_tokens=True) for p in prefixes]
    out: list[list[str]] = []
    at = 0
    for row in rows:
        out.append(list(flat[at:at + len(row)]))
        at += len(row)
    return out


def token_pieces(tokenizer: Any, ids: Sequence[int], decoded: Sequence[str] | None = None) -> tuple[str, ...]:
    """Text of each generated token, such that the pieces concatenate to the decoded text.

    A character split over several byte-level tokens belongs to the token that completes it
    (the tokens before it get an empty piece); if decoding more tokens rewrites earlier text,
    the rewritten tail moves to the current token. Invariant: "".join(pieces) == decode(ids).
    `decoded`: the row's prefix decodes from `prefix_decodes`, when the caller has them."""
    pieces: list[str] = []
    emitted = ""
    n = len(ids)
    if decoded is None:
        decoded = prefix_decodes(tokenizer, [ids])[0]
    for k in range(1, n + 1):
        cur = decoded[k - 1]
        if k < n and cur.endswith("\ufffd"):
            pieces.append("")  # possibly an incomplete character: wait for the next token
            continue
        if cur.startswith(emitted):
            pieces.append(cur[len(emitted):])
        else:
            common = len(os.path.commonprefix([cur, emitted]))
            excess = len(emitted) - common
            j = len(pieces) - 1
            while excess > 0 and j >= 0:
                take = min(excess, len(pieces[j]))
                pieces[j] = pieces[j][: len(pieces[j]) - take]
                excess -= take
                j -= 1
            pieces.append(cur[common:])
        emitted = cur
    return tuple(pieces)


def eos_ids(model: Any, tokenizer: Any) -> list[int]:
    ids: set[int] = set()
    cfg = getattr(model, "generation_config", None)
    for src in (getattr(cfg, "eos_token_id", None), getattr(model.config, "eos_token_id", None),
                tokenizer.eos_token_id):
        if src is None:
            continue
        ids.update(src if isinstance(src, (list, tuple)) else [src])
    return sorted(ids)


def pad_id(tokenizer: Any, eos: list[int]) -> int:
    if tokenizer.pad_token_id is not None:
        return tokenizer.pad_token_id
    return eos[0] if eos else 0


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped into batches of similar length, longest first (OOM shows up early)."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]


def _cache_kwarg(model: Any) -> str:
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _new_cache(model: Any) -> Any:
    from transformers import DynamicCache
    try:
        return DynamicCache(config=model.config)
    except TypeError:  # older transformers
        return DynamicCache()


def greedy_batch(model: Any, input_ids: list[list[int]], *, max_new_tokens: int, eos: list[int],
                 pad: int, temperature: float = 0.0, generator: Any = None,
                 tap: Optional[ResponseTap] = None,
                 between_steps: Optional[Callable[[], None]] = None) -> list[list[int]]:
    """Decode one left-padded batch. Returns each row's new token ids, cut before EOS.
    `tap` (core.activations) is told which response token each forward pass feeds; its hooks
    read the hidden states and change nothing. `between_steps` is called after each forward
    pass, in this thread: a caller may wait there (an editor lets its keys go first), and the
    tokens are the same either way."""
    import torch

    device = next(model.parameters()).device
    width = max(len(x) for x in input_ids)
    ids = torch.full((len(input_ids), width), pad, dtype=torch.long)
    mask = torch.zeros((len(input_ids), width), dtype=torch.long)
    for r, row in enumerate(input_ids):
        ids[r, width - len(row):] = torch.tensor(row, dtype=torch.long)
        mask[r, width - len(row):] = 1
    ids, mask = ids.to(device), mask.to(device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    eos_t = torch.tensor(eos or [-1], device=device)
    cache = _new_cache(model)
    kw = _cache_kwarg(model)

    def step(tokens: Any, attn: Any, pos: Any) -> Any:
        out = model(input_ids=tokens, attention_mask=attn, position_ids=pos, use_cache=True,
                    logits_to_keep=1, **{kw: cache})
        return out.logits[:, -1, :].float()

    out_tokens: list[Any] = []
    done = torch.zeros(len(input_ids), dtype=torch.bool, device=device)
    with torch.inference_mode():
        if tap is not None:
            tap.feed(None, None)          # the prompt's positions are not averaged
        logits = step(ids, mask, positions)
        pos = positions[:, -1:]
        for t in range(max_new_tokens):
            if temperature > 0:
                probs = torch.softmax(logits / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
            else:
                nxt = logits.argmax(dim=-1)
            nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
            out_tokens.append(nxt)
            done = done | torch.isin(nxt, eos_t)
            if tap is not None:
                tap.feed(t, ~done)        # token t counts for the rows it did not end
            if t + 1 == max_new_tokens or bool(done.all()):
                break
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            pos = pos + 1
            if between_steps is not None:
                between_steps()
            logits = step(nxt[:, None], mask, pos)
        # The budget's last token is never fed back for decoding; when the window holds it,
        # one more pass feeds it for its hidden state alone (its logits are thrown away).
        if tap is not None and out_tokens and tap.wants(len(out_tokens) - 1) and not bool(done.all()):
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            step(out_tokens[-1][:, None], mask, pos + 1)
    if not out_tokens:
        return [[] for _ in input_ids]
    gen = torch.stack(out_tokens, dim=1).tolist()
    eos_set = set(eos)
    rows: list[list[int]] = []
    for row in gen:
        cut = next((i for i, tok in enumerate(row) if tok in eos_set), len(row))
        rows.append(row[:cut])
    return rows


def generate_greedy(model: Any, tokenizer: Any, prompts: Sequence[str], *, max_new_tokens: int = 32,
                    batch_size: int = 64, temperature: float = 0.0, chat_template: bool = False,
                    seed: int = 0, capture: Optional[CaptureSettings] = None,
                    on_batch: Callable[[list[tuple[int, Generated]]], None] | None = None,
                    between_steps: Optional[Callable[[], None]] = None) -> list[Generated]:
    """Complete every prompt. Results are in prompt order; `on_batch` sees each batch as it
    finishes (index into `prompts`, result), so callers can stream. `capture`: also average the
    hidden states of those layers over the response tokens (core.activations), in the same
    passes; the completions are the same either way. `between_steps`: see greedy_batch."""
    import torch

    encoded = encode_prompts(tokenizer, prompts, chat_template)
    eos = eos_ids(model, tokenizer)
    pad = pad_id(tokenizer, eos)
    gen = torch.Generator(device=next(model.parameters()).device).manual_seed(seed) if temperature > 0 else None
    layers = resolve_layers(capture, len(decoder_layers(model))) if capture is not None else ()
    results: list[Generated | None] = [None] * len(prompts)
    for batch in length_sorted_batches([len(e) for e in encoded], max(1, batch_size)):
        tap = ResponseTap(model, capture, layers) if capture is not None else None
        with tap if tap is not None else contextlib.nullcontext():
            rows = greedy_batch(model, [encoded[i] for i in batch], max_new_tokens=max_new_tokens,
                                eos=eos, pad=pad, temperature=temperature, generator=gen, tap=tap,
                                between_steps=between_steps)
        acts: list[Optional[Activations]] = (list(tap.collect(len(batch))) if tap is not None
                                             else [None] * len(batch))
        done: list[tuple[int, Generated]] = []
        decoded = prefix_decodes(tokenizer, rows)
        for i, row, dec, act in zip(batch, rows, decoded, acts):
            results[i] = Generated(tokenizer.decode(row, skip_special_tokens=True),
                                   token_pieces(tokenizer, row, dec), act)
            done.append((i, results[i]))
        if on_batch is not None:
            on_batch(done)
    return [r for r in results if r is not None]


def pick_device(preference: str = "auto") -> str:
    import torch
    if preference != "auto":
        return preference
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def load_model(model_id: str, device: str = "auto", dtype: str | None = None) -> tuple[Any, Any]:
    """Load tokenizer and model once (hub id or local path). bf16 on GPUs, fp32 on CPU."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dev = pick_device(device)
    torch_dtype = getattr(torch, dtype) if dtype else (torch.bfloat16 if dev == "cuda" else torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(model_id)
    tokenizer.padding_side = "left"
    # device_map places each tensor on the device as it is read from the (memory-mapped) weight
    # files, instead of building the whole model in host memory and copying it over: an 8B model
    # would otherwise need 16 GB of host RAM on top of the GPU's copy.
    try:
        model = AutoModelForCausalLM.from_pretrained(model_id, dtype=torch_dtype, device_map=dev)
    except TypeError:  # transformers < 4.56 spells it torch_dtype
        model = AutoModelForCausalLM.from_pretrained(model_id, torch_dtype=torch_dtype, device_map=dev)
    model.eval()
    return model, tokenizer
