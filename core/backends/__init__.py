"""Generation backends. Each has `prepare()` (load or look up once) and `generate(prompts)`."""
from __future__ import annotations

from typing import Any, Protocol, Sequence

from ..generation import Generated


class BackendSetupError(Exception):
    """The backend cannot run; the message is one sentence naming the fix."""


class Backend(Protocol):
    name: str
    model: str

    def identity(self) -> dict[str, Any]:
        """Everything that changes the output (goes into the completion cache key)."""

    async def prepare(self) -> None:
        """Load the model or look up the remote class. Raises BackendSetupError."""

    async def generate(self, prompts: Sequence[str]) -> list[Generated]:
        """Complete the prompts, in order."""


def generation_identity(model: str, max_new_tokens: int, temperature: float, chat_template: bool) -> dict[str, Any]:
    # The backend (Modal or local) is not part of the identity: both run the same function on
    # the same weights, so a completion made on Modal is reused by a local run and back.
    return {"model": model, "max_new_tokens": max_new_tokens, "temperature": temperature,
            "chat_template": chat_template, "decoder": "greedy-v1" if temperature == 0 else "sample-v1"}


def make_backend(cfg: Any) -> Backend:
    if cfg.backend == "modal":
        from .modal_client import ModalBackend
        return ModalBackend(cfg)
    from .local import LocalBackend
    return LocalBackend(cfg)
