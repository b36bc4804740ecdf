"""The Modal backend without Modal: the app module imports and builds with no network, its class
generates locally (same text as the local backend), and the client without a token says in one
sentence what to run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.backends.local import LocalBackend
from core.backends.modal_client import DEPLOY_HINT, ModalBackend, describe_modal_error
from core.config import Config
from tests.engine.helpers import sample_pairs, write_pairs

REPO = Path(__file__).resolve().parents[2]

GUARD = textwrap.dedent("""
    import socket
    attempts = []
    def _no_network(*a, **k):
        attempts.append(repr(a[-1])[:80] if a else "?")
        raise OSError("network disabled by the test")
    socket.socket.connect = _no_network
    socket.socket.connect_ex = _no_network
    socket.getaddrinfo = _no_network
    socket.create_connection = _no_network
""")


def modal_env(home: Path, token: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), MODAL_CONFIG_PATH=str(home / ".modal.toml"), PYTHONPATH=str(REPO),
               PYTHONWARNINGS="ignore")
    if token:   # a configured (fake) token: anything that tries to reach Modal now would try
        env.update(MODAL_TOKEN_ID="ak-fake0000000000000000", MODAL_TOKEN_SECRET="as-fake0000000000000000")
    return env


def run_py(code: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_modal_app_imports_offline_and_its_class_runs_locally(tiny_model, tmp_path):
    prompts = ["I told them confidently", "She smiled and said", "x"]
    code = GUARD + textwrap.dedent(f"""
        import json, time
        t0 = time.perf_counter()
        import modal
        from core.backends import modal_app as m
        import_s = time.perf_counter() - t0
        info = {{"import_s": import_s, "app": m.app.name, "image": isinstance(m.image, modal.Image),
                 "volume": isinstance(m.weights, modal.Volume), "secret": isinstance(m.hf_secret, modal.Secret),
                 "classes": sorted(m.app.registered_classes), "attempts_after_import": list(attempts)}}
        out = m.Generator(model={str(tiny_model)!r}).generate.local({prompts!r}, max_new_tokens=6)
        again = m.Generator(model={str(tiny_model)!r}).generate.local({prompts[:1]!r}, max_new_tokens=6)
        info.update(out=out, again=again, attempts=list(attempts))
        print("RESULT" + json.dumps(info))
    """)
    proc = run_py(code, modal_env(tmp_path / "home", token=True))
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = json.loads(proc.stdout.split("RESULT", 1)[1])
    assert info["attempts_after_import"] == [] and info["attempts"] == [], info["attempts"]
    assert info["import_s"] < 5.0
    assert info["app"] == "scenario-studio" and info["classes"] == ["Generator"]
    assert info["image"] and info["volume"] and info["secret"]

    import asyncio
    local = asyncio.run(LocalBackend(Config(model=str(tiny_model), device="cpu", max_new_tokens=6))
                        .generate(prompts))
    assert [r["text"] for r in info["out"]] == [g.text for g in local]
    assert [tuple(r["tokens"]) for r in info["out"]] == [g.tokens for g in local]
    assert info["again"][0] == info["out"][0]
    assert any(g.text for g in local)


def test_client_without_a_token_says_what_to_run(tmp_path, judge_env):
    """Through the CLI: --modal with no Modal credentials anywhere ends at once, exit 2, one sentence."""
    pos, neg = sample_pairs(2)
    folder = write_pairs(tmp_path / "t", pos, neg)
    env = modal_env(tmp_path / "empty-home", token=False)
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "extraction/test_scenarios.py", "--modal", "--positive", str(folder / "positive.txt"),
             "--negative", str(folder / "negative.txt"), "--definition", "rubric", "--quiet",
             "--workdir", str(tmp_path / "w")], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the Modal client hung without credentials (over 60 s)")
    elapsed = time.perf_counter() - started
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: Modal is not set up on this machine: run `modal setup` (or set "
                      "MODAL_TOKEN_ID and MODAL_TOKEN_SECRET), then try again"]
    assert "Traceback" not in proc.stderr
    assert elapsed < 30
    assert judge_env.requests == 0          # nothing was judged: there was nothing to judge


def test_modal_errors_map_to_one_sentence_each():
    from modal import exception as mx
    auth = describe_modal_error(mx.AuthError("Token missing"), "scenario-studio")
    missing = describe_modal_error(mx.NotFoundError("App not found"), "scenario-studio")
    offline = describe_modal_error(mx.ConnectionError("unreachable"), "scenario-studio")
    assert "`modal setup`" in auth
    assert f"`{DEPLOY_HINT}`" in missing and "'scenario-studio' is not deployed" in missing
    assert "could not be reached" in offline
    for msg in (auth, missing, offline):
        assert "\n" not in msg and msg.count(". ") == 0
    assert describe_modal_error(ValueError("x"), "a") is None


def test_modal_and_local_share_the_cache_identity(tiny_model):
    cfg = Config(model=str(tiny_model), max_new_tokens=7)
    assert ModalBackend(cfg).identity() == LocalBackend(cfg).identity()
    assert LocalBackend(cfg).identity() != LocalBackend(Config(model=str(tiny_model), max_new_tokens=8)).identity()
