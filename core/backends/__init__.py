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


def generation_identity(model: str, max_new_tokens: int, temperature: float, chat_template: bool,
                        precision: str = "bfloat16") -> dict[str, Any]:
    # The backend itself is not part of the identity: Modal and a local GPU run the same
    # function on the same bf16 weights, so their completions are interchangeable. The
    # precision is: a CPU run in float32 can pick different greedy tokens than bf16.
    return {"model": model, "max_new_tokens": max_new_tokens, "temperature": temperature,
            "chat_template": chat_template, "precision": precision,
            "decoder": "greedy-v1" if temperature == 0 else "sample-v1"}


def expected_precision(cfg: Any) -> str:
    """The dtype the backend will run in (load_model: bf16 on CUDA, float32 elsewhere),
    decided without importing torch so that opening the editor stays instant."""
    if cfg.backend == "modal" or cfg.device == "cuda":
        return "bfloat16"
    if cfg.device in ("cpu", "mps"):
        return "float32"
    import os
    has_cuda = os.path.exists("/proc/driver/nvidia/version") and os.environ.get("CUDA_VISIBLE_DEVICES", "x") != ""
    return "bfloat16" if has_cuda else "float32"


def make_backend(cfg: Any) -> Backend:
    if cfg.backend == "modal":
        from .modal_client import ModalBackend
        return ModalBackend(cfg)
    from .local import LocalBackend
    return LocalBackend(cfg)
