"""Generation backends. Each has `prepare()` (load or look up once) and `generate(prompts)`.

`completion_identity(cfg)` is the one owner of what a completion's cache key holds: the runner
keys every cached completion with it, whichever backend (or none) is configured.
"""
from __future__ import annotations

import functools
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Protocol, Sequence

from ..batching import reproducible
from ..generation import Generated

if TYPE_CHECKING:
    from ..config import Config


class BackendSetupError(Exception):
    """The backend cannot run; the message is one sentence naming the fix."""


class Backend(Protocol):
    name: str
    model: str
    # What the runner says while the next call starts cold: the backend knows, not the runner.
    likely_cold: bool          # the next call probably loads a model or starts a container
    cold_start_note: str       # why a cold start takes long (empty: the runner's default)
    # Whether `generate` returns the hidden states `core.activations.capture_settings(cfg)` asks
    # for: the runner regenerates a cached completion whose activations are missing only then.
    captures: bool

    async def prepare(self) -> None:
        """Load the model or look up the remote class. Raises BackendSetupError."""

    async def generate(self, prompts: Sequence[str]) -> list[Generated]:
        """Complete the prompts, in order."""


def completion_identity(cfg: "Config") -> dict[str, Any]:
    """Everything that changes a completion, as it goes into the completion cache key.

    The backend itself is not part of it: Modal and a local GPU run the same function on the
    same bf16 weights, so their completions are interchangeable when they also run the same
    transformers (an upgrade can change kernels, attention code or tokenisation, so results of
    two versions never mix). The precision is part of it: a CPU run in float32 can pick
    different greedy tokens than bf16. Batching is not (see docs/backends.md, batch invariance)."""
    return {"model": cfg.model, "max_new_tokens": cfg.max_new_tokens, "temperature": cfg.temperature,
            "chat_template": cfg.chat_template, "precision": expected_precision(cfg),
            "transformers": generating_transformers(cfg),
            "decoder": "greedy-v1" if cfg.temperature == 0 else "sample-v1"}


def batch_policy(cfg: "Config") -> dict[str, Any]:
    """How lines are grouped for decoding, recorded in results.json: in bf16 a line's greedy
    completion can depend on the batch it was decoded in (docs/backends.md, batch invariance).
    `retests`: "full-run batch" when a re-test decodes each line inside the batch a full run
    puts it in (core.batching), so it reproduces the full run; "alone" when it does not."""
    return {"batch_size": cfg.batch_size, "order": "longest-first",
            "batch_invariant": expected_precision(cfg) != "bfloat16",
            "retests": "full-run batch" if reproducible(cfg.retest_batches, expected_precision(cfg))
            else "alone"}


def generating_transformers(cfg: "Config") -> str:
    """The transformers version that will generate: the Modal image's pin, or the installed one."""
    if cfg.backend == "modal":
        from .modal_settings import PINS
        return PINS["transformers"]
    return installed_version("transformers")


@functools.lru_cache(maxsize=None)
def installed_version(dist: str) -> str:
    """Read from the package metadata, not by importing the package: the editor opens without
    torch. The editor's first screen needs it (the completion cache key), so the usual
    `name-version.dist-info` folder is looked for first, as importlib.metadata would find it
    (the first sys.path entry that has one): 0.7 ms, against ~30 ms to import
    importlib.metadata and ask it. Any other layout is left to importlib.metadata."""
    found = _dist_info_version(dist)
    if found is not None:
        return found
    from importlib import metadata
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _dist_info_version(dist: str) -> str | None:
    prefix = re.sub(r"[-_.]+", "_", dist).lower() + "-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        hits = [n for n in names if n.endswith(".dist-info") and n.lower().startswith(prefix)]
        if len(hits) == 1:
            return hits[0][len(prefix):-len(".dist-info")]
        if hits:
            return None         # two versions side by side: importlib.metadata decides
    return None


def expected_precision(cfg: "Config") -> str:
    """The dtype the backend will run in (load_model: bf16 on CUDA, float32 elsewhere),
    decided without importing torch so that opening the editor stays instant."""
    if cfg.backend == "modal" or cfg.device == "cuda":
        return "bfloat16"
    if cfg.device in ("cpu", "mps"):
        return "float32"
    has_cuda = os.path.exists("/proc/driver/nvidia/version") and os.environ.get("CUDA_VISIBLE_DEVICES", "x") != ""
    return "bfloat16" if has_cuda else "float32"


def make_backend(cfg: "Config") -> Backend:
    if cfg.backend == "modal":
        from .modal_client import ModalBackend
        return ModalBackend(cfg)
    from .local import LocalBackend
    return LocalBackend(cfg)
