"""The Modal app: a GPU class, parametrised by model id, that loads the model once per container.

Deploy once:   modal deploy -m core.backends.modal_app
Weights are cached on a Modal Volume; the Hugging Face token comes from a Modal Secret
(`modal secret create huggingface HF_TOKEN=hf_...`). The container stays warm for
SCENARIOS_MODAL_SCALEDOWN seconds after the last call, so saves in the editor reuse it.
Importing this module makes no network call; its class runs locally with `.local()`.
"""

import os
import traceback

import modal

from core.backends.modal_settings import (CACHE_DIR, CALL_TIMEOUT_S, HF_HOME, MEMORY_MIB, PINS, STARTUP_TIMEOUT_S,
                                          WEIGHTS_VOLUME, scaledown_s)
from core.backends.remote_errors import ModelLoadError, RemoteGenerationError, describe_load_failure

APP_NAME = os.environ.get("SCENARIOS_MODAL_APP", "scenario-studio")
GPU = os.environ.get("SCENARIOS_MODAL_GPU", "H100")
SCALEDOWN_S = scaledown_s()   # a bad value stops the deploy here, with the variable's name
HF_SECRET = os.environ.get("SCENARIOS_MODAL_HF_SECRET", "huggingface")
DEPLOY_HINT = "modal deploy -m core.backends.modal_app"

app = modal.App(APP_NAME)

image = (
    modal.Image.debian_slim(python_version="3.11")
    .uv_pip_install(*(f"{name}=={version}" for name, version in PINS.items()))
    # huggingface_hub 1.x+ downloads through hf_xet (a dependency of it); this is its fast mode.
    .env({"HF_HOME": HF_HOME, "HF_XET_HIGH_PERFORMANCE": "1"})
    .add_local_python_source("core")
)
weights = modal.Volume.from_name(WEIGHTS_VOLUME, create_if_missing=True)
# required_keys: a secret without HF_TOKEN fails the deploy, not the first container.
hf_secret = modal.Secret.from_name(HF_SECRET, required_keys=["HF_TOKEN"])


@app.cls(gpu=GPU, image=image, volumes={CACHE_DIR: weights}, secrets=[hf_secret],
         scaledown_window=SCALEDOWN_S, timeout=CALL_TIMEOUT_S, startup_timeout=STARTUP_TIMEOUT_S,
         memory=MEMORY_MIB)
class Generator:
    """Sync on purpose: `.local()` runs @modal.enter only for sync methods."""

    model: str = modal.parameter()

    @modal.enter()
    def load(self) -> None:
        # A failure here must not fail the container: Modal would restart it over and over
        # while the client's calls wait, for minutes. Keep the reason instead; every call
        # answers with it at once (ModelLoadError), and the client stops the run with it.
        from core.generation import load_model
        self._load_error: str | None = None
        try:
            self._model, self._tokenizer = load_model(self.model, "auto")
        except Exception as exc:
            traceback.print_exc()   # the full story goes to `modal app logs`
            self._load_error = describe_load_failure(exc, self.model, HF_SECRET,
                                                     bool(os.environ.get("HF_TOKEN")), DEPLOY_HINT)
            return
        if modal.is_local():  # `.local()` in tests: no Volume, and no network call to commit one
            return
        try:  # keep the downloaded weights for the next container
            weights.commit()
        except Exception:
            pass

    @modal.method()
    def generate(self, prompts: list[str], max_new_tokens: int = 32, temperature: float = 0.0,
                 chat_template: bool = False, batch_size: int = 128, vectors: dict | None = None) -> list[dict]:
        """`vectors`: CaptureSettings.to_wire() to capture hidden states in the same passes;
        each row then carries them as float16 bytes (Activations.to_wire: 8 KiB per layer
        of an 8B model), not as lists of floats."""
        if self._load_error is not None:
            if not modal.is_local():
                # Let this container go after answering, so the next run (after the user fixed
                # the token or accepted the licence) starts a fresh one that tries again.
                from modal.experimental import stop_fetching_inputs
                stop_fetching_inputs()
            raise ModelLoadError(self._load_error)
        from core.activations import CaptureError, CaptureSettings
        from core.generation import generate_greedy
        try:
            out = generate_greedy(self._model, self._tokenizer, prompts, max_new_tokens=max_new_tokens,
                                  temperature=temperature, chat_template=chat_template,
                                  batch_size=batch_size,
                                  capture=CaptureSettings.from_wire(vectors) if vectors else None)
        except CaptureError as exc:   # every call would fail alike: the client stops the run
            raise ModelLoadError(str(exc)) from None
        except Exception as exc:   # torch's own classes may not unpickle on a torch-less client
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            raise RemoteGenerationError(f"{type(exc).__name__}: {first}") from None
        return [{"text": g.text, "tokens": list(g.tokens),
                 "activations": g.activations.to_wire() if g.activations is not None else None} for g in out]
