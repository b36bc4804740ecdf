"""The fast generation path is greedy `generate`, token for token, on the tiny model (CPU).

- core.generation.generate_greedy (what the Modal class calls: one batch of all prompts) and
  greedy_batch against `model.generate(do_sample=False)` on the issue's workload shape (110 random
  prompts of 40-56 tokens, 32 new tokens), on several batch sizes and on prompts of very mixed
  lengths (heavy left padding), the reference running on exactly the same batches;
- the batched prefix decoding behind the token pieces equals one `tokenizer.decode` per prefix,
  and falls back to it when the tokenizer cleans up spaces;
- the experimental static-cache path of bench/gpu_generate.py, and that script's --tiny run.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from bench.gpu_generate import (TINY, StaticGreedy, build_model, build_tokenizer,  # noqa: E402
                                make_prompts, plain_generate, project_ids)
from core.generation import (_backend_decodes_alike, encode_prompts, eos_ids, generate_greedy,  # noqa: E402
                             length_sorted_batches, load_model, prefix_decodes, token_pieces)

REPO = Path(__file__).resolve().parents[2]
N_NEW = 32


@pytest.fixture(scope="module")
def shaped():
    """A tiny Llama with the bench's word-level tokenizer and 110 prompts of 40-56 tokens."""
    tok = build_tokenizer(TINY["vocab_size"], TINY["bos_token_id"], TINY["eos_token_id"])
    model = build_model(TINY, "cpu", torch.float32, 0.3, seed=0)
    prompts = make_prompts(110, 40, 56, TINY["vocab_size"], {TINY["bos_token_id"], TINY["eos_token_id"]}, 0)
    return model, tok, prompts


def reference_on_batches(model, tok, prompts, batch_size, n_new=N_NEW):
    """`generate` on exactly the length-sorted batches generate_greedy forms."""
    enc = encode_prompts(tok, prompts)
    eos = eos_ids(model, tok)
    out = [None] * len(prompts)
    for batch in length_sorted_batches([len(e) for e in enc], batch_size):
        rows, _ = plain_generate(model, tok, [prompts[i] for i in batch], n_new, eos)
        for i, row in zip(batch, rows):
            out[i] = row
    return out


def test_one_batch_of_110_equals_generate(shaped):
    model, tok, prompts = shaped
    ref, _ = plain_generate(model, tok, prompts, N_NEW, eos_ids(model, tok))   # one batch of 110
    assert len({len(e) for e in encode_prompts(tok, prompts)}) >= 10
    assert project_ids(model, tok, prompts, N_NEW) == ref
    out = generate_greedy(model, tok, prompts, max_new_tokens=N_NEW, batch_size=len(prompts))
    assert [g.text for g in out] == [tok.decode(r, skip_special_tokens=True) for r in ref]
    assert all("".join(g.tokens) == g.text for g in out)
    assert sum(len(r) for r in ref) > 0.9 * N_NEW * len(prompts)      # most rows run the budget


@pytest.mark.parametrize("batch_size", [1, 7, 32, 64])
def test_other_batch_sizes_equal_generate_on_the_same_batches(shaped, batch_size):
    model, tok, prompts = shaped
    prompts = prompts[:40] if batch_size == 1 else prompts
    ref = reference_on_batches(model, tok, prompts, batch_size)
    out = generate_greedy(model, tok, prompts, max_new_tokens=N_NEW, batch_size=batch_size)
    assert [g.text for g in out] == [tok.decode(r, skip_special_tokens=True) for r in ref]


def test_very_mixed_prompt_lengths_in_one_batch(tiny_model):
    """Real text, 2 to ~150 tokens in one batch: rows with 100+ pad tokens on the left."""
    model, tok = load_model(str(tiny_model), "cpu")
    rnd = random.Random(3)
    words = "I told them the plan had problems and we should fix it before Monday".split()
    prompts = ["I", "No"] + [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 60)))
                             for _ in range(30)]
    lens = [len(e) for e in encode_prompts(tok, prompts)]
    assert min(lens) <= 3 and max(lens) >= 40
    ref = reference_on_batches(model, tok, prompts, len(prompts), n_new=16)
    out = generate_greedy(model, tok, prompts, max_new_tokens=16, batch_size=len(prompts))
    assert [g.text for g in out] == [tok.decode(r, skip_special_tokens=True) for r in ref]
    assert all("".join(g.tokens) == g.text for g in out)


def test_batched_prefix_decodes_equal_one_decode_per_prefix(tiny_model):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    assert _backend_decodes_alike(tok)                 # the fast path is taken for this tokenizer
    rnd = random.Random(0)
    rows = [[rnd.randrange(len(tok)) for _ in range(rnd.randint(0, 40))] for _ in range(200)]
    rows += [tok("I said ✓ ok — naïve café", add_special_tokens=False)["input_ids"],
             [0, 1, 2, 5, 0, 7], []]                 # specials, split multi-byte characters
    fast = prefix_decodes(tok, rows)
    slow = prefix_decodes(tok, rows, fast=False)
    assert fast == slow
    assert slow[-3][-1] == "I said ✓ ok — naïve café"
    for row, dec in zip(rows, fast):
        assert token_pieces(tok, row, dec) == token_pieces(tok, row)
        assert "".join(token_pieces(tok, row)) == tok.decode(row, skip_special_tokens=True)


def test_a_tokenizer_that_cleans_up_spaces_takes_the_slow_path():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    words = "[UNK] well , it is n't so . yes ! i 'm sure they 're right he 's done and we 've seen ?".split()
    raw = Tokenizer(models.WordPiece({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    raw.decoder = decoders.WordPiece(cleanup=False)
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", clean_up_tokenization_spaces=True)
    tok.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output = True
    ids = tok("well , it is so . yes !", add_special_tokens=False)["input_ids"]
    if tok.decode(ids) == tok.backend_tokenizer.decode(ids):
        pytest.skip("this transformers does not clean up spaces for this tokenizer")
    assert not _backend_decodes_alike(tok)
    assert prefix_decodes(tok, [ids]) == prefix_decodes(tok, [ids], fast=False)


def test_experimental_static_path_equals_generate(shaped):
    model, tok, prompts = shaped
    ref, _ = plain_generate(model, tok, prompts, N_NEW, eos_ids(model, tok))
    static = StaticGreedy(model, tok, N_NEW, compile_mode=None)
    assert static(prompts) == ref
    assert static(prompts) == ref                      # the reset cache gives the same again


def test_gpu_bench_dry_run_on_cpu():
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "gpu_generate.py"), "--tiny", "--reps", "1",
                           "--prompts", "24"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["equality_vs_generate"]["project_ids"]["identical"]
    assert out["equality_vs_generate"]["static"]["identical"]
    assert out["floor"]["total_s"] > 0 and "generate / project" in out["ratios"]
