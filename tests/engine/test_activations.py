"""Hidden states captured during the greedy pass (core.activations) on the tiny random model:
completions are token-identical with capture on and off for batch sizes 1-16, with left
padding and rows that end early at EOS; each row's vector is the mean over its own response
tokens only (what a plain forward pass over prompt + completion gives), whatever its batch."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from core.activations import Activations, CaptureError, CaptureSettings, Position, default_layers
from core.generation import encode_prompts, eos_ids, generate_greedy, greedy_batch, pad_id

# Lengths vary a lot, so every batch is left-padded.
PROMPTS = [
    "I told them confidently that the answer was",
    "x",
    "She smiled and said the presentation was wonderful, really impressive work, and then",
    "I nodded",
    "He said honestly that the plan had serious",
    "The patient asked about the side effects, so I",
    "I raised my hand and said the data did not support the theory at all, and",
    "I pulled up",
    "I noted it in the report and moved on",
    "I admitted that I was not sure",
    "They",
    "I pulled up the raw logs and started looking for the pattern behind the anomaly, then",
    "We agreed",
    "I had no idea, but I said",
    "The numbers were wrong, so I",
    "Honestly,",
]
MAX_NEW = 8


@pytest.fixture(scope="module")
def eos_model(tiny_loaded):
    """The tiny model with a second EOS id: a token it often produces mid-completion, so some
    rows of a batch end early while others run to the budget (the EOS rows)."""
    model, tok = tiny_loaded
    free = generate_greedy(model, tok, PROMPTS, max_new_tokens=MAX_NEW, batch_size=16)
    counts: dict[int, int] = {}
    for g in free:
        for piece in g.tokens[1:4]:
            ids = tok(piece, add_special_tokens=False)["input_ids"]
            if len(ids) == 1:
                counts[ids[0]] = counts.get(ids[0], 0) + 1
    stop = max(counts, key=counts.get)
    eos_model = copy.copy(model)
    eos_model.generation_config = copy.deepcopy(model.generation_config)
    eos_model.generation_config.eos_token_id = [1, stop]
    return eos_model, tok


def reference(model, tok, prompt: str, completion_ids: list[int], layer: int, window: int | None) -> np.ndarray:
    """The layer's hidden state averaged over the response tokens' positions, from one plain
    forward pass over prompt + completion (no padding, no cache, no hooks)."""
    import torch
    prompt_ids = encode_prompts(tok, [prompt])[0]
    ids = torch.tensor([prompt_ids + completion_ids])
    with torch.inference_mode():
        hs = model(input_ids=ids, output_hidden_states=True).hidden_states[layer][0]
    n = len(completion_ids) if window is None else min(window, len(completion_ids))
    return hs[len(prompt_ids):len(prompt_ids) + n].float().mean(dim=0).numpy()


def completion_ids(model, tok, prompt: str) -> list[int]:
    """The prompt's completion as token ids, decoded alone by the same loop (the batched
    completions equal these: the test above)."""
    eos = eos_ids(model, tok)
    return greedy_batch(model, encode_prompts(tok, [prompt]), max_new_tokens=MAX_NEW, eos=eos,
                        pad=pad_id(tok, eos))[0]


def test_default_layers_spread_over_the_middle():
    assert default_layers(32) == (8, 12, 16, 20, 24)
    assert default_layers(80) == (20, 30, 40, 50, 60)
    assert default_layers(2) == (1, 2)
    assert all(1 <= x <= n for n in range(1, 100) for x in default_layers(n))


@pytest.mark.parametrize("position", [Position.FIRST_K, Position.ALL])
def test_completions_are_token_identical_with_capture_on_and_off(eos_model, position):
    model, tok = eos_model
    settings = CaptureSettings((1, 2), position, first_k=3)
    alone = generate_greedy(model, tok, PROMPTS, max_new_tokens=MAX_NEW, batch_size=1, capture=settings)
    lengths = [len(g.tokens) for g in alone]
    assert min(lengths) < MAX_NEW and max(lengths) == MAX_NEW, lengths   # EOS rows and full rows
    for batch_size in (2, 5, 16):
        off = generate_greedy(model, tok, PROMPTS, max_new_tokens=MAX_NEW, batch_size=batch_size)
        on = generate_greedy(model, tok, PROMPTS, max_new_tokens=MAX_NEW, batch_size=batch_size,
                             capture=settings)
        assert [(g.text, g.tokens) for g in on] == [(g.text, g.tokens) for g in off], batch_size
        assert all(g.activations is None for g in off)
        for g, solo in zip(on, alone):
            assert g.activations.layers == (1, 2) and g.activations.position == settings.label
            # Padding and the other rows' EOS never reach a row's mean: it is the row's own,
            # as decoded alone (float16 storage; float32 arithmetic).
            np.testing.assert_allclose(g.activations.array(), solo.activations.array(), rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("position,window", [(Position.FIRST_K, 3), (Position.FIRST_K, MAX_NEW),
                                             (Position.ALL, None)])
def test_each_row_is_the_mean_over_its_own_response_tokens(eos_model, position, window):
    """Against a plain forward pass: tokens after EOS do not count, the last token of a row
    that used the whole budget does (one extra pass feeds it), the prompt never does."""
    model, tok = eos_model
    settings = CaptureSettings((1,), position, first_k=window or 5)
    out = generate_greedy(model, tok, PROMPTS, max_new_tokens=MAX_NEW, batch_size=16, capture=settings)
    checked = 0
    for prompt, g in zip(PROMPTS, out):
        ids = completion_ids(model, tok, prompt)
        assert tok.decode(ids, skip_special_tokens=True) == g.text
        if not ids:
            assert g.activations.empty
            continue
        want = reference(model, tok, prompt, ids, 1, window)
        np.testing.assert_allclose(g.activations.layer(1), want, rtol=1e-2, atol=1e-2)
        checked += 1
    assert checked >= len(PROMPTS) - 2


def test_a_layer_the_model_lacks_is_a_clear_error(tiny_loaded):
    model, tok = tiny_loaded
    with pytest.raises(CaptureError, match=r"outside this model's 1-2.*--layers"):
        generate_greedy(model, tok, ["x"], max_new_tokens=2, capture=CaptureSettings((3,)))


def test_activations_round_trip_as_float16_bytes():
    arr = np.arange(2 * 4096, dtype=np.float32).reshape(2, 4096) / 7
    a = Activations.from_array((8, 16), "response[:5]", arr)
    assert len(a.data) == 2 * 4096 * 2                  # 8 KiB per layer of an 8B model
    assert Activations.from_wire(a.to_wire()) == a
    np.testing.assert_allclose(a.array(), arr, rtol=1e-3)
