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
from core.backends.modal_settings import PINS, ModalSettingsError, scaledown_s
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
                 "generator_is_a_cls": isinstance(m.Generator, modal.Cls),
                 "attempts_after_import": list(attempts)}}
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
    assert info["app"] == "scenario-studio" and info["generator_is_a_cls"]
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


# Modal exception classes this client cannot meet: sandboxes, volume/mount uploads, snapshots,
# interactive sessions, logs and workspace management are not used by a generate call.
UNREACHABLE = {"SandboxTimeoutError", "SandboxTerminatedError", "ExecTimeoutError", "SnapshotCreationError",
               "MountUploadTimeoutError", "VolumeUploadTimeoutError", "InteractiveTimeoutError",
               "OutputExpiredError", "LogsFetchError", "WorkspaceManagementError", "ImageBuildError",
               "AlreadyExistsError", "TimeoutError"}


def modal_error_classes() -> list[type]:
    from modal import exception as mx
    return sorted((c for c in vars(mx).values() if isinstance(c, type) and issubclass(c, mx.Error)
                   and c is not mx.Error and not c.__name__.startswith(("_", "Sandbox"))),
                  key=lambda c: c.__name__)


def test_every_modal_error_a_user_can_meet_gets_a_sentence_that_names_the_fix():
    """Modal's own classes, as the client receives them: none reaches the user as "internal error"."""
    from modal import exception as mx
    generic = describe_modal_error(mx.Error("x"), "scenario-studio")
    seen = []
    for cls in modal_error_classes():
        if cls.__name__ in UNREACHABLE:
            continue
        msg = describe_modal_error(cls("something went wrong"), "scenario-studio")
        assert msg and "\n" not in msg and ": " in msg, cls
        assert msg != generic, f"{cls.__name__} falls through to the generic sentence"
        seen.append(cls.__name__)
    assert "Modal failed (Error: x): read `modal app logs scenario-studio`" in generic
    for name in ("AuthError", "NotFoundError", "PermissionDeniedError", "VersionError", "ConnectionError",
                 "ResourceExhaustedError", "FunctionTimeoutError", "InvalidError", "RemoteError",
                 "ExecutionError", "DeserializationError", "RequestSizeError"):
        assert name in seen
    sentence = lambda exc: describe_modal_error(exc, "scenario-studio")  # noqa: E731
    assert "`modal setup`" in sentence(mx.AuthError("Token missing"))
    missing = sentence(mx.NotFoundError("App not found"))
    assert f"`{DEPLOY_HINT}`" in missing and "'scenario-studio' is not deployed" in missing
    assert "modal profile current" in sentence(mx.PermissionDeniedError("denied"))
    assert "pip install -U" in sentence(mx.VersionError("too old"))
    assert "could not be reached" in sentence(mx.ConnectionError("unreachable"))
    assert "--batch-size" in sentence(mx.RequestSizeError("too big"))
    assert f"`{DEPLOY_HINT}`" in sentence(mx.ExecutionError("Could not deserialize remote exception"))
    assert "`modal app logs scenario-studio`" in sentence(mx.FunctionTimeoutError("timed out"))
    assert describe_modal_error(ValueError("x"), "a") is None


def test_the_image_pins_the_versions_the_tests_run():
    """The container must generate with the code this suite tested (and the pin is in the cache key)."""
    from importlib import metadata
    for dist, pinned in PINS.items():
        assert metadata.version(dist).split("+")[0] == pinned, (
            f"the tests run {dist} {metadata.version(dist)} but the Modal image pins {pinned}: "
            "update PINS in core/backends/modal_settings.py and redeploy")


def test_scaledown_is_checked_before_modal_sees_it(tmp_path):
    assert scaledown_s({}) == 900 and scaledown_s({"SCENARIOS_MODAL_SCALEDOWN": " 1800 "}) == 1800
    assert scaledown_s({"SCENARIOS_MODAL_SCALEDOWN": "3600"}) == 3600
    for bad in ("7200", "1", "15m", "-5", "9e2"):
        with pytest.raises(ModalSettingsError) as err:
            scaledown_s({"SCENARIOS_MODAL_SCALEDOWN": bad})
        assert str(err.value).startswith(f"SCENARIOS_MODAL_SCALEDOWN={bad!r} is not a whole number of "
                                         "seconds from 2 to 3600")
    # at deploy time (the module import `modal deploy` does), with the sentence as the last line
    env = {**modal_env(tmp_path / "home", token=True), "SCENARIOS_MODAL_SCALEDOWN": "7200"}
    proc = run_py("import core.backends.modal_app", env)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].endswith(
        "SCENARIOS_MODAL_SCALEDOWN='7200' is not a whole number of seconds from 2 to 3600 (Modal's limit): "
        "set it in that range (default 900) or unset it, then deploy again")


def test_a_local_folder_with_modal_is_refused_on_the_client(tiny_model, tmp_path, judge_env):
    pos, neg = sample_pairs(2)
    folder = write_pairs(tmp_path / "t", pos, neg)
    for model in (str(tiny_model), "./models/llama"):
        proc = subprocess.run(
            [sys.executable, "-m", "core.cli", "test", "--modal", "--model", model, "--quiet",
             "--positive", str(folder / "positive.txt"), "--negative", str(folder / "negative.txt"),
             "--definition", "rubric", "--workdir", str(tmp_path / "w")],
            cwd=REPO, env=modal_env(tmp_path / "home", token=False), capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert proc.stderr.strip() == (
            f"error: command line: model {model!r} is a local folder, which a Modal container cannot read: "
            "give a Hugging Face hub id (e.g. meta-llama/Llama-3.1-8B), or generate here with --local")
    assert judge_env.requests == 0
    from core.config import looks_like_local_model
    assert not looks_like_local_model("meta-llama/Llama-3.1-8B") and not looks_like_local_model("gpt2")
    assert looks_like_local_model("~/m") and looks_like_local_model("a/b/c") and looks_like_local_model("/m")


class StandInVolume:
    """modal.Volume as far as the status hint uses it: a listing of the hub cache folder."""

    def __init__(self, names=(), error=None):
        self.names, self.error = names, error
        outer = self

        class Listing:
            async def aio(self, path):
                if outer.error is not None:
                    raise outer.error
                assert path == "hf/hub"
                return [type("Entry", (), {"path": f"hf/hub/{n}"})() for n in outer.names]

        self.listdir = Listing()


async def test_a_cold_first_start_says_it_is_downloading_weights():
    from modal import exception as mx
    backend = ModalBackend(Config(backend="modal", model="meta-llama/Llama-3.1-8B"))
    modal_like = type("M", (), {})
    for volume, downloading in ((StandInVolume(["models--meta-llama--Llama-3.1-8B"]), False),
                                (StandInVolume(["models--gpt2"]), True),
                                (StandInVolume(error=mx.NotFoundError("no volume")), True),
                                (StandInVolume(error=mx.ConnectionError("flaky")), False)):
        modal_like.Volume = type("V", (), {"from_name": staticmethod(lambda name, v=volume: v)})
        note = await backend._cold_start_note(modal_like)
        assert note.startswith("downloading weights: ") == downloading, note
        assert note == "" or "meta-llama/Llama-3.1-8B" in note
