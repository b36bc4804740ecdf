"""Local transformers backend: a hub id or a local path, loaded once, batched greedy decoding."""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Sequence

from ..generation import Generated, generate_greedy, load_model
from . import BackendSetupError, expected_precision, generation_identity


class LocalBackend:
    name = "local"

    def __init__(self, cfg: Any):
        self.cfg = cfg
        self.model = cfg.model
        self._loaded: tuple[Any, Any] | None = None
        # torch is not re-entrant across our threads for one model: one batch at a time.
        self._lock = threading.Lock()

    def identity(self) -> dict[str, Any]:
        return generation_identity(self.model, self.cfg.max_new_tokens, self.cfg.temperature,
                                   self.cfg.chat_template, expected_precision(self.cfg))

    async def prepare(self) -> None:
        if self._loaded is None:
            self._loaded = await asyncio.to_thread(self._load)

    def _load(self) -> tuple[Any, Any]:
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            raise BackendSetupError(
                "the local backend needs torch and transformers: run "
                "`pip install torch==2.13.0 'scenario-studio[local]'` (or use --modal)") from None
        try:
            return load_model(self.model, self.cfg.device)
        except OSError as exc:
            where = "folder" if Path(self.model).exists() else "hub id"
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise BackendSetupError(
                f"could not load model {self.model!r} ({where}): {first}; give a local model folder "
                "with --model PATH, or run on Modal with --modal") from None

    def _generate(self, prompts: Sequence[str]) -> list[Generated]:
        assert self._loaded is not None
        model, tokenizer = self._loaded
        with self._lock:
            return generate_greedy(model, tokenizer, list(prompts),
                                   max_new_tokens=self.cfg.max_new_tokens,
                                   batch_size=self.cfg.batch_size,
                                   temperature=self.cfg.temperature,
                                   chat_template=self.cfg.chat_template)

    async def generate(self, prompts: Sequence[str]) -> list[Generated]:
        await self.prepare()
        return await asyncio.to_thread(self._generate, prompts)
