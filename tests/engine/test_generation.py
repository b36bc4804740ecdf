"""core.generation: the fast greedy loop equals model.generate(do_sample=False) token for token
on the tiny random Llama, including rows that stop at EOS while others go on."""
from __future__ import annotations

import copy
from collections import Counter

import pytest

from core.generation import (encode_prompts, eos_ids, generate_greedy, greedy_batch,
                             length_sorted_batches, pad_id, token_pieces)
from tests.standins import CORPUS

N_NEW = 10
PROMPTS = [line[: 3 + 9 * i] for i, line in enumerate(CORPUS.splitlines())] + [
    "I", "The patient asked about the side effects, so I", "x y z"]


def reference(model, tok, prompts, batch_size, n_new=N_NEW):
    """model.generate on exactly the batches generate_greedy forms; rows cut before EOS."""
    import torch
    enc = encode_prompts(tok, prompts)
    out: list[list[int] | None] = [None] * len(prompts)
    eos = eos_ids(model, tok)
    for batch in length_sorted_batches([len(e) for e in enc], batch_size):
        b = tok([prompts[i] for i in batch], return_tensors="pt", padding=True)
        assert b["input_ids"].tolist() == [[tok.pad_token_id] * (b["input_ids"].shape[1] - len(enc[i])) + enc[i]
                                           for i in batch]
        with torch.inference_mode():
            g = model.generate(**b, do_sample=False, max_new_tokens=n_new)
        for i, row in zip(batch, g[:, b["input_ids"].shape[1]:].tolist()):
            cut = next((k for k, t in enumerate(row) if t in eos), len(row))
            assert all(t == tok.pad_token_id for t in row[cut + 1:])   # finished rows are padded
            out[i] = row[:cut]
    return out


def fast(model, tok, prompts, batch_size, n_new=N_NEW):
    enc = encode_prompts(tok, prompts)
    eos = eos_ids(model, tok)
    out: list[list[int] | None] = [None] * len(prompts)
    for batch in length_sorted_batches([len(e) for e in enc], batch_size):
        rows = greedy_batch(model, [enc[i] for i in batch], max_new_tokens=n_new, eos=eos, pad=pad_id(tok, eos))
        for i, row in zip(batch, rows):
            out[i] = row
    return out


@pytest.fixture(scope="module")
def eos_model(tiny_loaded):
    """A copy of the tiny model whose EOS logit beats token t exactly where t would win: some
    rows stop after a few steps, others run to the token budget."""
    import torch
    model, tok = tiny_loaded
    plain = reference(model, tok, PROMPTS, 16)
    for t, _ in Counter(x for row in plain for x in row[1:]).most_common(30):
        m = copy.deepcopy(model)
        with torch.no_grad():
            m.lm_head.weight[1] = m.lm_head.weight[t] * 1.05
        lens = [len(r) for r in reference(m, tok, PROMPTS, 16)]
        if any(0 < n < N_NEW - 1 for n in lens) and sum(n == N_NEW for n in lens) >= 2:
            return m, lens
    pytest.fail("could not arrange a model that stops some rows early")


@pytest.mark.parametrize("batch_size", [1, 3, 5, 16])
def test_fast_loop_equals_generate_token_for_token(tiny_loaded, batch_size):
    model, tok = tiny_loaded
    ref = reference(model, tok, PROMPTS, batch_size)
    got = fast(model, tok, PROMPTS, batch_size)
    assert got == ref
    assert len({len(e) for e in encode_prompts(tok, PROMPTS)}) >= 8     # prompts of many lengths
    out = generate_greedy(model, tok, PROMPTS, max_new_tokens=N_NEW, batch_size=batch_size)
    assert [g.text for g in out] == [tok.decode(r, skip_special_tokens=True) for r in ref]


@pytest.mark.parametrize("batch_size", [1, 4, 16])
def test_rows_stopping_at_eos_match_generate(eos_model, tiny_loaded, batch_size):
    model, lens = eos_model
    _, tok = tiny_loaded
    ref = reference(model, tok, PROMPTS, batch_size)
    assert [len(r) for r in ref] == lens
    got = fast(model, tok, PROMPTS, batch_size)
    assert got == ref
    assert all(1 not in row for row in got)                 # EOS itself is cut
    out = generate_greedy(model, tok, PROMPTS, max_new_tokens=N_NEW, batch_size=batch_size)
    assert [g.text for g in out] == [tok.decode(r, skip_special_tokens=True) for r in ref]
    assert [len(g.tokens) for g in out] == lens


def test_budget_and_order(tiny_loaded):
    model, tok = tiny_loaded
    seen: list[int] = []
    one = generate_greedy(model, tok, PROMPTS, max_new_tokens=3, batch_size=4,
                          on_batch=lambda done: seen.extend(i for i, _ in done))
    assert sorted(seen) == list(range(len(PROMPTS)))
    assert all(len(g.tokens) == 3 for g in one)
    # results are in prompt order, whatever the length-sorted batching did
    for i in (0, 5, len(PROMPTS) - 1):
        alone = generate_greedy(model, tok, [PROMPTS[i]], max_new_tokens=3, batch_size=1)[0]
        assert alone.text == one[i].text


def test_token_pieces_concatenate_to_the_text(tiny_loaded):
    """The first-token review shows pieces: they must add up to the completion, also when a
    multi-byte character is split over several byte-level tokens."""
    model, tok = tiny_loaded
    prompts = [line[: 4 + k] for k in range(0, 40, 3) for line in CORPUS.splitlines()]
    out = generate_greedy(model, tok, prompts, max_new_tokens=16, batch_size=64)
    assert len(out) == len(prompts)
    for g in out:
        assert len(g.tokens) == 16
        assert "".join(g.tokens) == g.text
    # a character made of three byte tokens, then ASCII
    ids = tok("I said ✓ ok", add_special_tokens=False)["input_ids"]
    pieces = token_pieces(tok, ids)
    assert "".join(pieces) == tok.decode(ids) == "I said ✓ ok"
    assert len(pieces) == len(ids)


def test_base_prompt_gets_one_bos(tiny_loaded):
    _, tok = tiny_loaded
    ids = encode_prompts(tok, ["I told them"])[0]
    assert ids[0] == tok.bos_token_id and ids.count(tok.bos_token_id) == 1
    assert tok.decode(ids, skip_special_tokens=True) == "I told them"


def test_chat_template_prompts(tiny_loaded):
    model, tok = tiny_loaded
    chat_tok = copy.deepcopy(tok)
    chat_tok.chat_template = ("{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                              "{% if add_generation_prompt %}assistant:{% endif %}")
    ids = encode_prompts(chat_tok, ["I told them"], chat_template=True)
    assert isinstance(ids, list) and isinstance(ids[0], list) and all(isinstance(x, int) for x in ids[0])
    assert ids[0] == chat_tok("<s>user: I told them\nassistant:", add_special_tokens=False)["input_ids"]
    out = generate_greedy(model, chat_tok, ["I told them", "She smiled"], max_new_tokens=4, chat_template=True)
    assert len(out) == 2 and all(len(g.tokens) == 4 for g in out)


def test_sampling_is_seeded(tiny_loaded):
    model, tok = tiny_loaded
    a = generate_greedy(model, tok, PROMPTS[:4], max_new_tokens=6, temperature=1.0, seed=3)
    b = generate_greedy(model, tok, PROMPTS[:4], max_new_tokens=6, temperature=1.0, seed=3)
    assert [g.text for g in a] == [g.text for g in b]


def test_length_sorted_batches():
    assert list(length_sorted_batches([3, 9, 1, 9, 5], 2)) == [[1, 3], [4, 0], [2]]
    assert list(length_sorted_batches([], 4)) == []


def test_a_wait_between_steps_changes_no_token(tiny_loaded):
    """An editor's keys-first wait (LocalBackend.between_steps) runs between decoding steps, in
    the decoding thread, and the tokens are the very same."""
    import threading
    import time

    model, tok = tiny_loaded
    calls: list[int] = []

    def wait() -> None:
        calls.append(threading.get_ident())
        time.sleep(0.001)               # lets another thread run, as the gate does

    plain = generate_greedy(model, tok, PROMPTS, max_new_tokens=N_NEW, batch_size=4)
    waited = generate_greedy(model, tok, PROMPTS, max_new_tokens=N_NEW, batch_size=4,
                             between_steps=wait)
    assert [(g.text, g.tokens) for g in waited] == [(g.text, g.tokens) for g in plain]
    batches = -(-len(PROMPTS) // 4)
    assert batches <= len(calls) <= batches * (N_NEW - 1)      # once per step after the first
    assert set(calls) == {threading.get_ident()}
