"""Client side of the Modal backend: looks the deployed class up by name and calls it."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Sequence

from ..activations import Activations, capture_settings
from ..generation import Generated
from . import BackendSetupError
from .modal_settings import (CACHE_DIR, CALL_TIMEOUT_S, HF_HOME, STARTUP_TIMEOUT_S, WEIGHTS_VOLUME, hub_cache_folder,
                             scaledown_s)
from .remote_errors import ModelLoadError

if TYPE_CHECKING:
    from ..config import Config

DEPLOY_HINT = "modal deploy -m core.backends.modal_app"
LOGS_HINT = "modal app logs"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def describe_modal_error(exc: BaseException, app_name: str) -> str | None:
    """One sentence naming the fix for every Modal exception this client can meet, or None when
    the error is not Modal's (a per-batch failure the runner handles line by line)."""
    try:
        from modal import exception as mx
    except ImportError:
        return "the modal package is not installed: run `pip install modal`"
    logs = f"`{LOGS_HINT} {app_name}`"
    # Most specific first: ConflictError is an InvalidError, every *TimeoutError a TimeoutError.
    sentences: list[tuple[type, str]] = [
        (mx.AuthError, "Modal is not set up on this machine: run `modal setup` (or set MODAL_TOKEN_ID and "
                       "MODAL_TOKEN_SECRET), then try again"),
        (mx.NotFoundError, f"the Modal app '{app_name}' is not deployed (or its class is missing): run "
                           f"`{DEPLOY_HINT}`"),
        (mx.PermissionDeniedError, f"your Modal token may not use the app '{app_name}' (another workspace or "
                                   "environment): run `modal profile current` and `modal setup` for the "
                                   "workspace that deployed it, or deploy it in yours"),
        (mx.VersionError, "this modal package is too old for Modal's servers: run "
                          "`pip install -U 'modal>=1.6,<2'`, then try again"),
        (mx.ResourceExhaustedError, "Modal refused the call for lack of quota (rate, GPU or spending limit): "
                                    "wait a minute and run again, or raise the limit in the Modal dashboard"),
        (mx.FunctionTimeoutError, f"the Modal container ran out of time (over {STARTUP_TIMEOUT_S // 60} min "
                                  f"to start, or {CALL_TIMEOUT_S // 60} min for one call): read {logs}, "
                                  "then run again (downloaded weights are kept)"),
        (mx.RequestSizeError, "a batch of prompts is too large for one Modal call: lower --batch-size"),
        (mx.ConnectionError, "Modal could not be reached: check the network connection, then try again"),
        ((mx.DeserializationError, mx.SerializationError, mx.ExecutionError),
         f"the deployed app does not match this checkout ({_first_line(exc)}): run `{DEPLOY_HINT}`"),
        (mx.ConflictError, f"Modal reported a conflict ({_first_line(exc)}): run again in a minute"),
        (mx.InvalidError, f"Modal refused the request ({_first_line(exc)}): check --modal-gpu and the "
                          "[modal] table of scenarios.toml"),
        ((mx.InternalFailure, mx.InternalError, mx.ServiceError, mx.UnimplementedError, mx.DataLossError),
         "Modal had an internal failure: run again (finished lines are cached); if it persists, see "
         "https://status.modal.com"),
        (mx.RemoteError, f"the Modal container failed ({_first_line(exc)}): read {logs}, fix it, then run again"),
        (mx.ClientClosed, "the Modal client was closed while a call was in flight: run again"),
        (mx.Error, f"Modal failed ({type(exc).__name__}: {_first_line(exc)}): read {logs}, then run again"),
    ]
    for kinds, sentence in sentences:
        if isinstance(exc, kinds):
            return sentence
    return None


class ModalBackend:
    name = "modal"
    captures = True

    def __init__(self, cfg: "Config"):
        self.cfg = cfg
        self.model = cfg.model
        self._obj: Any = None
        self.calls = 0
        self._last_done: float | None = None
        # The deployed class keeps a container this long after its last call (modal_app.py).
        try:
            self.scaledown_s = float(scaledown_s())
        except ValueError:   # the deploy refuses such a value; here it only tunes "likely cold"
            self.scaledown_s = 0.0
        # What the runner says while the first call starts a container (see prepare()).
        self.cold_start_note = ""

    @property
    def likely_cold(self) -> bool:
        """No call yet from this process, or idle past the scale-down window: the next call
        probably starts a container and loads the weights (the runner says "warming")."""
        return self._last_done is None or time.monotonic() - self._last_done > self.scaledown_s - 30

    async def prepare(self) -> None:
        if self._obj is not None:
            return
        try:
            import modal
        except ImportError:
            raise BackendSetupError("the modal package is not installed: run `pip install modal`") from None
        try:
            cls = modal.Cls.from_name(self.cfg.modal_app, "Generator")
            if self.cfg.modal_gpu:
                cls = cls.with_options(gpu=self.cfg.modal_gpu)
            await cls.hydrate.aio()
            self._obj = cls(model=self.model)
        except Exception as exc:
            msg = describe_modal_error(exc, self.cfg.modal_app)
            if msg is None:
                raise
            raise BackendSetupError(msg) from None
        self.cold_start_note = await self._cold_start_note(modal)

    async def _cold_start_note(self, modal: Any) -> str:
        """A first start downloads the weights (minutes); later ones only load them."""
        try:
            volume = modal.Volume.from_name(WEIGHTS_VOLUME)
            hub = HF_HOME.removeprefix(CACHE_DIR + "/") + "/hub"   # the path inside the Volume
            names = {entry.path.rstrip("/").rsplit("/", 1)[-1] for entry in await volume.listdir.aio(hub)}
            cached = hub_cache_folder(self.model) in names
        except Exception as exc:
            from modal import exception as mx
            if not isinstance(exc, mx.NotFoundError):
                return ""   # only a status hint: never fail a run over it
            cached = False  # no Volume or no hub folder yet: nothing was downloaded
        if cached:
            return ""
        return (f"downloading weights: the first start copies {self.model} to the Modal Volume "
                f"(an 8B model is about 16 GB; up to {STARTUP_TIMEOUT_S // 60} min), later starts load it in a minute")

    async def generate(self, prompts: Sequence[str]) -> list[Generated]:
        await self.prepare()
        self.calls += 1
        capture = capture_settings(self.cfg)
        try:
            rows = await self._obj.generate.remote.aio(
                list(prompts), max_new_tokens=self.cfg.max_new_tokens,
                temperature=self.cfg.temperature, chat_template=self.cfg.chat_template,
                batch_size=max(len(prompts), 1), vectors=capture.to_wire() if capture else None)
        except ModelLoadError as exc:
            # Every call would fail the same way: one sentence, the run stops, lines stay pending.
            raise BackendSetupError(str(exc)) from None
        except TypeError as exc:
            if capture is None or "vectors" not in str(exc):
                raise
            # A deploy from before the vector preview: its generate takes no `vectors`.
            raise BackendSetupError("the deployed app does not match this checkout (it cannot capture "
                                    f"vectors): run `{DEPLOY_HINT}`, or test with --no-vectors") from None
        except Exception as exc:
            msg = describe_modal_error(exc, self.cfg.modal_app)
            if msg is not None:
                raise BackendSetupError(msg) from None
            raise
        self._last_done = time.monotonic()
        self.cold_start_note = ""
        return [Generated(r["text"], tuple(r["tokens"]),
                          Activations.from_wire(r["activations"]) if r.get("activations") else None)
                for r in rows]
