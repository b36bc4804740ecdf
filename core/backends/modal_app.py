"""The Modal app: a GPU class, parametrised by model id, that loads the model once per container.

Deploy once:   modal deploy -m core.backends.modal_app
Weights are cached on a Modal Volume; the Hugging Face token comes from a Modal Secret
(`modal secret create huggingface HF_TOKEN=hf_...`). The container stays warm for
SCENARIOS_MODAL_SCALEDOWN seconds after the last call, so saves in the editor reuse it.
Importing this module makes no network call; its class runs locally with `.local()`.
"""

import os

import modal

APP_NAME = os.environ.get("SCENARIOS_MODAL_APP", "scenario-studio")
GPU = os.environ.get("SCENARIOS_MODAL_GPU", "H100")
SCALEDOWN_S = int(os.environ.get("SCENARIOS_MODAL_SCALEDOWN", "900"))
HF_SECRET = os.environ.get("SCENARIOS_MODAL_HF_SECRET", "huggingface")
CACHE_DIR = "/cache"

app = modal.App(APP_NAME)

image = (
    modal.Image.debian_slim(python_version="3.11")
    .uv_pip_install("torch==2.9.1", "transformers>=4.56,<6", "accelerate>=1.0", "hf-transfer")
    .env({"HF_HOME": f"{CACHE_DIR}/hf", "HF_HUB_ENABLE_HF_TRANSFER": "1"})
    .add_local_python_source("core")
)
weights = modal.Volume.from_name("scenario-studio-weights", create_if_missing=True)
hf_secret = modal.Secret.from_name(HF_SECRET)


@app.cls(gpu=GPU, image=image, volumes={CACHE_DIR: weights}, secrets=[hf_secret],
         scaledown_window=SCALEDOWN_S, timeout=900)
class Generator:
    """Sync on purpose: `.local()` runs @modal.enter only for sync methods."""

    model: str = modal.parameter()

    @modal.enter()
    def load(self) -> None:
        from core.generation import load_model
        self._model, self._tokenizer = load_model(self.model, "auto")
        if modal.is_local():  # `.local()` in tests: no Volume, and no network call to commit one
            return
        try:  # keep the downloaded weights for the next container
            weights.commit()
        except Exception:
            pass

    @modal.method()
    def generate(self, prompts: list[str], max_new_tokens: int = 32, temperature: float = 0.0,
                 chat_template: bool = False, batch_size: int = 128) -> list[dict]:
        from core.generation import generate_greedy
        out = generate_greedy(self._model, self._tokenizer, prompts, max_new_tokens=max_new_tokens,
                              temperature=temperature, chat_template=chat_template,
                              batch_size=batch_size)
        return [{"text": g.text, "tokens": list(g.tokens)} for g in out]
