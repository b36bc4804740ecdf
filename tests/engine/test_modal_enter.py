"""A model that cannot load in the Modal container: the real class (`.local()`), the real
transformers and huggingface_hub, against a loopback stand-in for the Hugging Face hub that
answers like the real one (403 GatedRepo, 404 RepoNotFound, 401). The container turns the
failure into one sentence naming the fix; the client stops the run with it at once (exit 2,
lines pending), instead of retrying prompt by prompt against a class that cannot load."""
from __future__ import annotations

import http.server
import json
import pickle
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from core.backends.remote_errors import ModelLoadError
from tests.engine.helpers import sample_pairs, write_pairs
from tests.engine.test_modal import REPO, modal_env

# What the hub answers for each stand-in repo (the headers huggingface_hub maps to its errors).
ANSWERS = {"stand-in/gated": (403, "GatedRepo"), "stand-in/missing": (404, "RepoNotFound"),
           "stand-in/rejects-token": (401, None)}

# Only loopback connections: the hub stand-in. Anything else (Modal, huggingface.co) fails.
LOOPBACK_ONLY = textwrap.dedent("""
    import socket
    outside = []
    _connect = socket.socket.connect
    def _loopback_only(self, address):
        if not (isinstance(address, tuple) and address[0] in ("127.0.0.1", "localhost")):
            outside.append(repr(address)[:80])
            raise OSError("network disabled by the test")
        return _connect(self, address)
    socket.socket.connect = _loopback_only
""")


@pytest.fixture
def hub():
    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            repo = next((r for r in ANSWERS if r in self.path), "")
            code, error = ANSWERS.get(repo, (404, "RepoNotFound"))
            self.send_response(code)
            if error:
                self.send_header("X-Error-Code", error)
            self.send_header("X-Error-Message", "the stand-in hub says no")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD = _answer

        def log_message(self, *args) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def hub_env(tmp_path, hub_url: str, token: str | None) -> dict[str, str]:
    env = modal_env(tmp_path / "home", token=True)
    env.update(HF_ENDPOINT=hub_url, HF_HOME=str(tmp_path / "hf"), HF_HUB_DISABLE_TELEMETRY="1")
    env.pop("HF_TOKEN", None)
    env.pop("HF_HUB_OFFLINE", None)         # the suite runs offline; the loopback hub is all there is
    env.pop("TRANSFORMERS_OFFLINE", None)
    if token:
        env["HF_TOKEN"] = token
    return env


def run_code(code: str, env: dict[str, str], timeout: float = 90) -> dict:
    proc = subprocess.run([sys.executable, "-c", LOOPBACK_ONLY + textwrap.dedent(code)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.split("RESULT", 1)[1])


LOAD_EACH = """
    import json, os, time
    from core.backends import modal_app as m
    from core.backends.remote_errors import ModelLoadError
    out = {}
    for model in MODELS:
        t0 = time.perf_counter()
        obj = m.Generator(model=model)
        try:
            obj.generate.local(["a prompt"])
            out[model] = ["no error"]
        except ModelLoadError as exc:
            second = None
            try:
                obj.generate.local(["another"])      # the same container answers the same at once
            except ModelLoadError as again:
                second = str(again)
            out[model] = [str(exc), second, time.perf_counter() - t0]
    print("RESULT" + json.dumps({"out": out, "outside": outside}))
"""


def test_a_model_that_cannot_load_answers_every_call_with_one_sentence(tmp_path, hub):
    code = LOAD_EACH.replace("MODELS", repr(list(ANSWERS)))
    info = run_code(code, hub_env(tmp_path, hub, "hf_standin_token_0123456789"))
    assert info["outside"] == []
    out = info["out"]
    gated, missing, rejected = (out[m] for m in ANSWERS)
    assert gated[0] == ("the Hugging Face account behind HF_TOKEN has no access to the gated model "
                        "'stand-in/gated': accept its licence at https://huggingface.co/stand-in/gated "
                        "(approval can take a while), then run again")
    assert missing[0].startswith("'stand-in/missing' is not a model on the Hugging Face hub")
    assert rejected[0].startswith("Hugging Face rejected the HF_TOKEN in the Modal secret 'huggingface': "
                                  "run `modal secret create huggingface HF_TOKEN=hf_... --force`")
    for sentence, second, seconds in out.values():
        assert second == sentence and "\n" not in sentence and seconds < 30
        assert "hf_standin_token" not in sentence


def test_a_container_without_hf_token_names_the_secret(tmp_path, hub):
    code = LOAD_EACH.replace("MODELS", repr(["stand-in/gated"]))
    info = run_code(code, hub_env(tmp_path, hub, None))
    sentence = info["out"]["stand-in/gated"][0]
    assert sentence.startswith("the Modal container has no HF_TOKEN, and 'stand-in/gated' needs one: run "
                               "`modal secret create huggingface HF_TOKEN=hf_... --force`")
    assert sentence.endswith("then `modal deploy -m core.backends.modal_app`")


def test_the_container_errors_unpickle_on_a_client_without_the_ml_libraries(tmp_path):
    """The client may have neither torch, transformers nor huggingface_hub (the Modal path needs
    none): what the container raises must still decode there, as Modal unpickles it."""
    blob = pickle.dumps(ModelLoadError("the sentence"))
    code = textwrap.dedent(f"""
        import pickle, sys
        for name in ("torch", "transformers", "huggingface_hub"):
            sys.modules[name] = None          # importing any of them now fails
        exc = pickle.loads({blob!r})
        print(type(exc).__module__, type(exc).__name__, exc)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env=modal_env(tmp_path / "home", token=False))
    assert proc.stdout.strip() == "core.backends.remote_errors ModelLoadError the sentence", proc.stderr


# The Modal transport, stood in: Cls.from_name hands out the real Generator class run with
# .local() in a worker thread (as a container would run it), and counts the remote calls.
STANDIN_TRANSPORT = """
    import asyncio, sys, time
    import modal
    from modal import exception as mx
    from core.backends import modal_app as m
    remote_calls = []

    class Remote:
        def __init__(self, obj): self.obj = obj
        async def aio(self, prompts, **kw):
            remote_calls.append(len(prompts))
            return await asyncio.to_thread(self.obj.generate.local, prompts, **kw)

    class Method:
        def __init__(self, obj): self.remote = Remote(obj)

    class Instance:
        def __init__(self, model): self.generate = Method(m.Generator(model=model))

    class Hydrate:
        async def aio(self): return None

    class Cls:
        hydrate = Hydrate()
        def with_options(self, **kw): return self
        def __call__(self, model): return Instance(model)

    class Listing:
        async def aio(self, path): raise mx.NotFoundError("no such volume")

    class Volume:
        listdir = Listing()

    modal.Cls.from_name = lambda app, name: Cls()
    modal.Volume.from_name = lambda name: Volume()
"""


def test_a_run_against_a_class_whose_enter_fails_ends_in_seconds(tmp_path, hub, judge_env):
    pos, neg = sample_pairs(6)
    folder = write_pairs(tmp_path / "t", pos, neg)
    workdir = tmp_path / "w"
    code = STANDIN_TRANSPORT + f"""
    from core.cli import main
    t0 = time.perf_counter()
    rc = main(["test", "--modal", "--model", "stand-in/gated", "--batch-size", "2", "--quiet",
               "--positive", {str(folder / 'positive.txt')!r}, "--negative", {str(folder / 'negative.txt')!r},
               "--definition", "rubric", "--workdir", {str(workdir)!r}])
    import json
    print("RESULT" + json.dumps({{"rc": rc, "calls": remote_calls, "s": time.perf_counter() - t0,
                                 "outside": outside}}))
    """
    env = hub_env(tmp_path, hub, "hf_standin_token_0123456789")
    proc = subprocess.run([sys.executable, "-c", LOOPBACK_ONLY + textwrap.dedent(code)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=90)
    info = json.loads(proc.stdout.split("RESULT", 1)[1])
    assert info["rc"] == 2, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: the Hugging Face account behind HF_TOKEN has no access to the gated model "
                      "'stand-in/gated': accept its licence at https://huggingface.co/stand-in/gated "
                      "(approval can take a while), then run again"], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr.split("the stand-in hub says no")[-1]
    # 12 prompts in batches of 2: one call, no retry of the batch prompt by prompt, no next batch
    assert info["calls"] == [2]
    assert info["s"] < 20 and info["outside"] == []
    assert judge_env.requests == 0
    # Nothing ran: the lines stay pending and no results.json claims anything about them.
    assert not (workdir / "results.json").exists()
