"""core.backends.local on the tiny random Llama, loaded by path through the real load_model."""
from __future__ import annotations

import asyncio
import json

import pytest

import core.backends.local as local_mod
from core.backends import BackendSetupError, make_backend
from core.backends.local import LocalBackend
from core.config import Config
from core.generation import generate_greedy

PROMPTS = ["I told them confidently that", "She smiled", "I admitted that I was not sure and needed to",
           "He said honestly", "x"]


def cfg_for(model, **kw) -> Config:
    kw.setdefault("max_new_tokens", 6)
    kw.setdefault("device", "cpu")
    return Config(model=str(model), **kw)


async def test_local_backend_by_path(tiny_model, tiny_loaded, monkeypatch):
    loads = []
    real = local_mod.load_model
    monkeypatch.setattr(local_mod, "load_model", lambda *a, **k: loads.append(a) or real(*a, **k))
    backend = make_backend(cfg_for(tiny_model, batch_size=2))
    assert isinstance(backend, LocalBackend) and backend.name == "local"
    first = await backend.generate(PROMPTS)
    second, third = await asyncio.gather(backend.generate(PROMPTS[:2]), backend.generate(PROMPTS[2:]))
    assert len(loads) == 1 and loads[0][0] == str(tiny_model)          # loaded once, by path
    model, tok = backend._loaded
    assert next(model.parameters()).device.type == "cpu" and not model.training
    assert tok.padding_side == "left"
    ref_model, ref_tok = tiny_loaded
    ref = generate_greedy(ref_model, ref_tok, PROMPTS, max_new_tokens=6, batch_size=2)
    assert [g.text for g in first] == [g.text for g in ref]
    assert [g.tokens for g in first] == [g.tokens for g in ref]
    assert [g.text for g in second + third] == [g.text for g in first]
    assert all(len(g.tokens) == 6 and "".join(g.tokens) == g.text for g in first)
    assert len({g.text for g in first}) == len(PROMPTS)


@pytest.mark.parametrize("layout", ["missing", "empty", "config-only"])
async def test_bad_model_folder_is_a_setup_error(tmp_path, layout):
    folder = tmp_path / "model"
    if layout != "missing":
        folder.mkdir()
    if layout == "config-only":
        (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    backend = LocalBackend(cfg_for(folder))
    with pytest.raises(BackendSetupError) as ei:
        await backend.prepare()
    msg = str(ei.value)
    assert str(folder) in msg and "--model" in msg and "\n" not in msg
    if layout == "missing":
        assert "no such folder" in msg


async def test_cpu_threads_sets_torchs_threads_where_the_batch_runs(tiny_model, monkeypatch):
    import torch
    seen: list[int] = []
    real = local_mod.generate_greedy

    def spy(*a, **k):
        seen.append(torch.get_num_threads())
        return real(*a, **k)

    monkeypatch.setattr(local_mod, "generate_greedy", spy)
    before = torch.get_num_threads()
    try:
        backend = LocalBackend(cfg_for(tiny_model, cpu_threads=1))
        out = await backend.generate(PROMPTS[:2])
        assert seen == [1] and len(out) == 2
    finally:
        torch.set_num_threads(before)        # threads that start later keep torch's default


async def test_the_local_backend_waits_where_its_owner_says_between_steps(tiny_model):
    backend = LocalBackend(cfg_for(tiny_model, batch_size=8))
    plain = await backend.generate(PROMPTS)
    steps: list[int] = []
    backend.between_steps = lambda: steps.append(1)      # the editor's KeyGate.wait goes here
    waited = await backend.generate(PROMPTS)
    assert steps and [g.tokens for g in waited] == [g.tokens for g in plain]
