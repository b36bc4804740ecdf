"""Local transformers backend: a hub id or a local path, loaded once, batched greedy decoding."""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from ..activations import CaptureError, capture_settings
from ..generation import Generated, generate_greedy, load_model
from . import BackendSetupError

if TYPE_CHECKING:
    from ..config import Config


async def in_daemon_thread(fn: Any, *args: Any) -> Any:
    """Run blocking work (a model load, a forward pass) in a daemon thread. Unlike
    asyncio.to_thread, whose default executor asyncio.run and interpreter exit both wait for, a
    stuck or slow batch cannot keep the editor or the CLI from quitting (q, Ctrl-C)."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not fut.done():
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

    def work() -> None:
        try:
            ok, value = True, fn(*args)
        except BaseException as exc:  # handed to the awaiting task
            ok, value = False, exc
        try:
            loop.call_soon_threadsafe(settle, ok, value)
        except RuntimeError:          # the loop is closed: nobody waits for this any more
            pass

    threading.Thread(target=work, daemon=True, name="scenarios-local-backend").start()
    return await fut


class LocalBackend:
    name = "local"
    cold_start_note = ""       # "loading <model>" says it all
    captures = True

    def __init__(self, cfg: "Config"):
        self.cfg = cfg
        self.model = cfg.model
        self._loaded: tuple[Any, Any] | None = None
        # torch is not re-entrant across our threads for one model: one batch at a time.
        self._lock = threading.Lock()
        # Called between decoding steps in the generation thread (core.generation.greedy_batch):
        # the editor waits there while a key is being answered, as decoding a small model is
        # mostly Python that holds the GIL its loop needs (tui.pacing.KeyGate). None: never waits.
        self.between_steps: Optional[Callable[[], None]] = None

    @property
    def likely_cold(self) -> bool:
        """True until the model is loaded (the runner then says "loading")."""
        return self._loaded is None

    async def prepare(self) -> None:
        if self._loaded is None:
            self._loaded = await in_daemon_thread(self._load)

    def _load(self) -> tuple[Any, Any]:
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            raise BackendSetupError(
                "the local backend needs torch and transformers: run "
                "`pip install torch==2.13.0 'scenario-studio[local]'` (or use --modal)") from None
        path = Path(self.model).expanduser()
        looks_like_path = path.is_absolute() or self.model.startswith((".", "~")) or path.exists()
        if looks_like_path and not path.is_dir():
            raise BackendSetupError(
                f"could not load model {self.model!r}: no such folder; give a local model folder "
                "with --model PATH, or a hub id, or run on Modal with --modal")
        try:
            return load_model(str(path) if looks_like_path else self.model, self.cfg.device)
        except (OSError, ValueError) as exc:  # transformers raises ValueError for some bad folders
            where = "folder" if looks_like_path else "hub id"
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise BackendSetupError(
                f"could not load model {self.model!r} ({where}): {first}; give a local model folder "
                "with --model PATH, or run on Modal with --modal") from None

    def _generate(self, prompts: Sequence[str]) -> list[Generated]:
        assert self._loaded is not None
        model, tokenizer = self._loaded
        with self._lock:
            if self.cfg.cpu_threads:
                # torch keeps a thread count per thread (a thread takes the last one set when it
                # first uses torch): set it in the thread that runs this batch
                import torch
                torch.set_num_threads(self.cfg.cpu_threads)
            try:
                return generate_greedy(model, tokenizer, list(prompts),
                                       max_new_tokens=self.cfg.max_new_tokens,
                                       batch_size=self.cfg.batch_size,
                                       temperature=self.cfg.temperature,
                                       chat_template=self.cfg.chat_template,
                                       capture=capture_settings(self.cfg),
                                       between_steps=self.between_steps)
            except CaptureError as exc:
                raise BackendSetupError(str(exc)) from None

    async def generate(self, prompts: Sequence[str]) -> list[Generated]:
        await self.prepare()
        return await in_daemon_thread(self._generate, prompts)
