"""Fixtures for driving the real editor with the engine's local stand-ins.

The app gets a real Runner built by core.setup.make_runner: the real local backend loading the
tiny random Llama from disk (shared across tests, wrapped per test to count prompts), and the
real Judge with the anthropic client pointed at the loopback Messages-API server.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import pytest

from core.backends.local import LocalBackend
from core.cache import Cache
from core.config import Config
from core.dataset import load_trait
from core.setup import make_runner
from tests.standins import CountingBackend
from tui.app import StudioApp

os.environ["TEXTUAL_ANIMATIONS"] = "none"


@pytest.fixture(scope="session")
def tiny_backend(tiny_model) -> LocalBackend:
    """One loaded model for the whole session (loading is the slow part)."""
    return LocalBackend(Config(model=str(tiny_model), backend="local", device="cpu",
                               max_new_tokens=6, batch_size=64))


@pytest.fixture
def cfg(tiny_model, tmp_path) -> Config:
    return Config(model=str(tiny_model), backend="local", device="cpu", max_new_tokens=6,
                  batch_size=64, judge_concurrency=16, judge_max_retries=1,
                  cache_path=str(tmp_path / "cache" / "results.sqlite3"))


@pytest.fixture
def backend(tiny_backend) -> CountingBackend:
    return CountingBackend(tiny_backend)


@pytest.fixture
def make_app(trait_copy, cfg, backend) -> Callable[..., StudioApp]:
    """Build the app on the trait copy; judge_env (or its absence) decides the judge."""
    caches: list[Cache] = []

    def make(*, cache: Cache | None = None, runner: Any = "real", **kw: Any) -> StudioApp:
        trait = load_trait(str(trait_copy), check_steering=False)
        if cache is None:
            cache = Cache(cfg.resolved_cache_path())
            caches.append(cache)
        if runner == "real":
            runner = make_runner(cfg, cache, trait.name, trait.definition, backend=backend)
        return StudioApp(trait, cfg=cfg, runner=runner, cache=cache, **kw)

    yield make
    for c in caches:
        c.close()
