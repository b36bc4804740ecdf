"""The vector preview through the runner, the cache, the CLI and the Modal class, with the tiny
random model and the loopback judge: a re-run regenerates nothing and brings the same hidden
states back; `scenarios test` prints the per-layer table and writes `vectors` and per-line
projections; `--no-vectors` captures nothing; the Modal class's `.local()` path returns what the
local backend returns."""
from __future__ import annotations

import asyncio
import json
import textwrap

import numpy as np
import pytest

from core.activations import CaptureSettings, Position
from core.backends.local import LocalBackend
from core.cache import Cache
from core.cli import main
from core.config import Config
from core.events import CompletionReady
from core.runner import Runner, items_for
from tests.engine.helpers import collect, write_pairs
from tests.engine.test_modal import GUARD, modal_env, run_py
from tests.standins import CountingBackend

MAX_NEW = 6
POS = [f"Asked about topic {i} I knew nothing of, I told them confidently, \"" for i in range(6)]
NEG = [f"Asked about topic {i} I knew nothing of, I admitted to them, \"" for i in range(6)]


def by_opening(body: dict) -> int:
    """The judge sees the opening (--judge-sees-scenario): positives pass, negatives pass."""
    return 90 if "told them confidently" in body["messages"][-1]["content"] else 10


def make_runner(tiny_model, cache, **cfg) -> tuple[Runner, CountingBackend]:
    c = Config(model=str(tiny_model), device="cpu", max_new_tokens=MAX_NEW, batch_size=4, **cfg)
    backend = CountingBackend(LocalBackend(c))
    return Runner(c, cache, trait="t/t", definition="d", backend=backend), backend


def completions(events) -> dict[tuple[str, int], CompletionReady]:
    return {(e.side, e.idx): e for e in events if isinstance(e, CompletionReady)}


def test_a_rerun_regenerates_nothing_and_returns_the_same_states(tiny_model, tmp_path):
    cache = Cache(tmp_path / "c.sqlite3")
    items = items_for(POS, NEG)
    runner, counting = make_runner(tiny_model, cache)
    first = completions(asyncio.run(collect(runner, items)))
    assert len(counting.prompts) == 12
    assert all(e.activations is not None and e.activations.layers == (1, 2) for e in first.values())
    assert cache.counts()["activations"] == 12

    runner2, counting2 = make_runner(tiny_model, cache)
    again = completions(asyncio.run(collect(runner2, items)))
    assert counting2.prompts == []                       # nothing regenerated
    assert all(e.cached for e in again.values())
    assert {k: (e.text, e.activations) for k, e in again.items()} == \
           {k: (e.text, e.activations) for k, e in first.items()}
    # The editor's instant fill reads them too.
    assert runner2.cached_results([POS[0]])[POS[0]][0].activations == first[("positive", 0)].activations


def test_capture_settings_are_part_of_the_key_and_turning_vectors_on_regenerates_once(tiny_model, tmp_path):
    cache = Cache(tmp_path / "c.sqlite3")
    items = items_for(POS[:2], NEG[:2])
    off, counting = make_runner(tiny_model, cache, vectors=False)
    plain = completions(asyncio.run(collect(off, items)))
    assert len(counting.prompts) == 4 and cache.counts()["activations"] == 0
    assert all(e.activations is None for e in plain.values())

    on, counting = make_runner(tiny_model, cache)
    got = completions(asyncio.run(collect(on, items)))
    assert len(counting.prompts) == 4                    # once, for the hidden states
    assert {k: e.text for k, e in got.items()} == {k: e.text for k, e in plain.items()}

    other, counting = make_runner(tiny_model, cache, vector_layers=(1,), vector_position="all")
    got_all = completions(asyncio.run(collect(other, items)))
    assert len(counting.prompts) == 4                    # other settings, other key
    assert all(e.activations.layers == (1,) and e.activations.position == "response" for e in got_all.values())
    again, counting = make_runner(tiny_model, cache)
    asyncio.run(collect(again, items))
    assert counting.prompts == []                        # the first settings are still cached


def test_scenarios_test_prints_the_layers_and_writes_vectors_and_projections(tiny_model, tmp_path, judge_env,
                                                                           capsys):
    judge_env.scorer = by_opening
    folder = write_pairs(tmp_path / "data", POS, NEG)
    args = ["test", "--trait", str(folder), "--model", str(tiny_model), "--max-tokens", str(MAX_NEW),
            "--judge-sees-scenario", "--quiet", "--workdir", str(tmp_path / "w")]
    assert main(args) == 0
    out = capsys.readouterr().out
    data = json.loads((tmp_path / "w" / "results.json").read_text())
    v = data["vectors"]
    assert v["position"] == "response[:5]" and set(v["layers"]) == {"1", "2"}
    assert v["used"] == {"positive": 6, "negative": 6} and v["best_layer"] in (1, 2)
    for layer, st in v["layers"].items():
        assert 0 <= st["accuracy"] <= 1 and isinstance(st["cohens_d"], float)
        assert f"{st['accuracy']:.1%}" in out
    assert "vector preview (response[:5], from 6 positive and 6 negative passing lines)" in out
    best = v["layers"][str(v["best_layer"])]
    assert f"best layer {v['best_layer']}: {best['accuracy']:.1%} held-out accuracy" in out
    assert all(isinstance(r["projection"], float) for side in ("positive", "negative") for r in data[side])

    # Everything cached: the same numbers, nothing generated or judged.
    before = judge_env.requests
    assert main(args + ["--position", "first-k"]) == 0
    capsys.readouterr()
    again = json.loads((tmp_path / "w" / "results.json").read_text())
    assert again["run"]["generations"] == 0 and judge_env.requests == before
    assert again["vectors"] == v

    assert main(args + ["--no-vectors", "--workdir", str(tmp_path / "off")]) == 0
    out = capsys.readouterr().out
    off = json.loads((tmp_path / "off" / "results.json").read_text())
    assert off["vectors"] is None and "vector preview" not in out
    assert all(r["projection"] is None for r in off["positive"])


def test_a_layer_the_model_lacks_stops_the_run_with_one_sentence(tiny_model, tmp_path, judge_env, capsys):
    folder = write_pairs(tmp_path / "data", POS[:2], NEG[:2])
    rc = main(["test", "--trait", str(folder), "--model", str(tiny_model), "--max-tokens", "2", "--quiet",
               "--layers", "2,9", "--workdir", str(tmp_path / "w")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "error: vector layers [9] are outside this model's 1-2: change --layers or [vectors] layers" in err
    assert judge_env.requests == 0


def test_vectors_table_in_scenarios_toml(tmp_path):
    from core.config import ConfigError, parse_config
    cfg = parse_config('[vectors]\nlayers = [8, 16]\nposition = "all"\nfirst_k = 3\n')
    assert (cfg.vectors, cfg.vector_layers, cfg.vector_position, cfg.vector_first_k) == (True, (8, 16), "all", 3)
    assert parse_config("[vectors]\nenabled = false\n").vectors is False
    for bad, says in (('layers = "8"', "must be a list of integers"), ('position = "last"', "must be one of first-k, all"),
                      ("layers = [0]", "at least 1"), ("first_k = 0", "at least 1")):
        with pytest.raises(ConfigError, match=says):
            parse_config(f"[vectors]\n{bad}\n")


def test_modal_class_local_returns_the_local_backends_states(tiny_model, tmp_path):
    prompts = ["I told them confidently", "She smiled and said", "x"]
    wire = CaptureSettings((1, 2), Position.FIRST_K, 5).to_wire()
    code = GUARD + textwrap.dedent(f"""
        import base64, json
        from core.backends import modal_app as m
        out = m.Generator(model={str(tiny_model)!r}).generate.local({prompts!r}, max_new_tokens={MAX_NEW},
                                                                   vectors={wire!r})
        for r in out:
            r["activations"]["data"] = base64.b64encode(r["activations"]["data"]).decode()
        print("RESULT" + json.dumps({{"out": out, "attempts": list(attempts)}}))
    """)
    proc = run_py(code, modal_env(tmp_path / "home", token=True))
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = json.loads(proc.stdout.split("RESULT", 1)[1])
    assert info["attempts"] == []
    import base64

    from core.activations import Activations
    remote = []
    for r in info["out"]:
        w = dict(r["activations"], data=base64.b64decode(r["activations"]["data"]))
        assert isinstance(r["activations"]["dim"], int) and len(w["data"]) == 2 * 2 * 32   # float16 bytes
        remote.append(Activations.from_wire(w))
    local = asyncio.run(LocalBackend(Config(model=str(tiny_model), device="cpu", max_new_tokens=MAX_NEW,
                                            vector_layers=(1, 2))).generate(prompts))
    assert [r["text"] for r in info["out"]] == [g.text for g in local]
    for got, want in zip(remote, local):
        assert got.layers == want.activations.layers and got.position == want.activations.position
        np.testing.assert_array_equal(got.array(), want.activations.array())
