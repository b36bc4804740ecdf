"""Build a Runner from a Config: pick the backend and the judge, and say what is missing."""
from __future__ import annotations

from .backends import Backend, make_backend
from .cache import Cache
from .config import Config
from .judge import Judge, JudgeSetupError
from .redact import redact  # noqa: F401  (the CLI imports it from here)
from .runner import Runner


def make_judge(cfg: Config) -> tuple[Judge | None, str | None]:
    try:
        Judge.check_setup()
    except JudgeSetupError as exc:
        return None, str(exc)
    return Judge(cfg.judge_model, concurrency=cfg.judge_concurrency,
                 max_retries=cfg.judge_max_retries, timeout_s=cfg.judge_timeout_s), None


def make_runner(cfg: Config, cache: Cache, trait: str, definition: str, *,
                backend: Backend | None = None, judge: Judge | None = None) -> Runner:
    """Backend objects are cheap until prepare(); a missing judge key is a status, not a crash."""
    backend = backend if backend is not None else make_backend(cfg)
    judge_problem = None
    if judge is None:
        judge, judge_problem = make_judge(cfg)
    return Runner(cfg, cache, trait=trait, definition=definition, backend=backend, judge=judge,
                  judge_problem=judge_problem)
