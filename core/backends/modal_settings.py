"""What the Modal deploy is made of, readable without importing modal: the image's pinned
versions (also part of the completion cache key), the container's budgets, and the deploy-time
environment variables, checked with a sentence that names the fix."""
from __future__ import annotations

import os
from typing import Mapping

# The versions the test suite runs (tests/engine/test_modal.py checks they match the installed
# ones), so the container generates with exactly the code that was tested.
PINS: dict[str, str] = {
    "torch": "2.13.0",
    "transformers": "5.24.0",
    "accelerate": "1.15.0",
    "huggingface_hub": "2.4.0",
    "tokenizers": "0.23.3",
    "safetensors": "0.8.0",
}

CALL_TIMEOUT_S = 600       # one generate call (a batch of 64 on an H100 takes seconds)
STARTUP_TIMEOUT_S = 1800   # a cold first start downloads ~16 GB of weights to the Volume, then loads
# Host memory the container asks for, in MiB. The weights go from the memory-mapped safetensors
# files straight to the GPU (device_map), so the host holds the CUDA context, the libraries and
# page cache, not a copy of the model (measured in docs/backends.md).
MEMORY_MIB = 16384

SCALEDOWN_DEFAULT_S = 900
SCALEDOWN_RANGE_S = (2, 3600)   # what Modal accepts for scaledown_window
WEIGHTS_VOLUME = "scenario-studio-weights"
CACHE_DIR = "/cache"                # where the weights Volume is mounted in the container
HF_HOME = f"{CACHE_DIR}/hf"


class ModalSettingsError(ValueError):
    """A deploy-time setting is wrong; the message is one sentence naming the fix."""


def scaledown_s(env: Mapping[str, str] | None = None) -> int:
    """SCENARIOS_MODAL_SCALEDOWN, checked: Modal refuses a deploy outside 2..3600 seconds with an
    error that does not say which variable set it."""
    raw = (os.environ if env is None else env).get("SCENARIOS_MODAL_SCALEDOWN", "").strip()
    if not raw:
        return SCALEDOWN_DEFAULT_S
    low, high = SCALEDOWN_RANGE_S
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ModalSettingsError(
            f"SCENARIOS_MODAL_SCALEDOWN={raw!r} is not a whole number of seconds from {low} to {high} "
            f"(Modal's limit): set it in that range (default {SCALEDOWN_DEFAULT_S}) or unset it, then deploy again")
    return value


def hub_cache_folder(model: str) -> str:
    """The folder huggingface_hub keeps a model's files in, under HF_HOME/hub."""
    return "models--" + model.replace("/", "--")
