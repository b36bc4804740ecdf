"""Client side of the Modal backend: looks the deployed class up by name and calls it."""
from __future__ import annotations

import os
import time
from typing import Any, Sequence

from ..generation import Generated
from . import BackendSetupError, expected_precision, generation_identity

DEPLOY_HINT = "modal deploy -m core.backends.modal_app"


def describe_modal_error(exc: BaseException, app_name: str) -> str | None:
    """One sentence naming the fix, or None when the error is not a setup problem."""
    try:
        from modal import exception as mx
    except ImportError:
        return "the modal package is not installed: run `pip install modal`"
    if isinstance(exc, mx.AuthError):
        return ("Modal is not set up on this machine: run `modal setup` (or set MODAL_TOKEN_ID and "
                "MODAL_TOKEN_SECRET), then try again")
    if isinstance(exc, mx.NotFoundError):
        return (f"the Modal app '{app_name}' is not deployed (or its class is missing): run "
                f"`{DEPLOY_HINT}`")
    if isinstance(exc, mx.ConnectionError):
        return "Modal could not be reached: check the network connection, then try again"
    return None


class ModalBackend:
    name = "modal"

    def __init__(self, cfg: Any):
        self.cfg = cfg
        self.model = cfg.model
        self._obj: Any = None
        self.calls = 0
        self._last_done: float | None = None
        # The deployed class keeps a container this long after its last call (modal_app.py).
        self.scaledown_s = float(os.environ.get("SCENARIOS_MODAL_SCALEDOWN", "900"))

    @property
    def likely_cold(self) -> bool:
        """No call yet from this process, or idle past the scale-down window: the next call
        probably starts a container and loads the weights (the runner says "warming")."""
        return self._last_done is None or time.monotonic() - self._last_done > self.scaledown_s - 30

    def identity(self) -> dict[str, Any]:
        return generation_identity(self.model, self.cfg.max_new_tokens, self.cfg.temperature,
                                   self.cfg.chat_template, expected_precision(self.cfg))

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

    async def generate(self, prompts: Sequence[str]) -> list[Generated]:
        await self.prepare()
        self.calls += 1
        try:
            rows = await self._obj.generate.remote.aio(
                list(prompts), max_new_tokens=self.cfg.max_new_tokens,
                temperature=self.cfg.temperature, chat_template=self.cfg.chat_template,
                batch_size=max(len(prompts), 1))
        except Exception as exc:
            msg = describe_modal_error(exc, self.cfg.modal_app)
            if msg is not None:
                raise BackendSetupError(msg) from None
            raise
        self._last_done = time.monotonic()
        return [Generated(r["text"], tuple(r["tokens"])) for r in rows]
