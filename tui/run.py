"""`scenarios edit`: load the trait, open the cache, build the runner and run the editor."""
from __future__ import annotations

import os
import sys

from core.config import Config

from .collector import end_hold, hold_until_first_frame


def run_editor(trait_spec: str, cfg: Config, *, refresh: bool = False) -> int:
    """Open the editor on `category/trait` or a folder. Returns the exit code (2: bad dataset)."""
    hold_until_first_frame()        # start-up makes no garbage worth its collections (tui.collector)
    try:
        return _run(trait_spec, cfg, refresh=refresh)
    finally:
        end_hold()


def _run(trait_spec: str, cfg: Config, *, refresh: bool) -> int:
    from core.cache import Cache
    from core.dataset import DatasetError, load_trait
    from core.setup import make_runner

    from .app import StudioApp
    from .runner_thread import editor_config
    try:
        trait = load_trait(trait_spec, check_steering=False, pairing=cfg.pairing,
                           pairing_source="--pairing or scenarios.toml")
    except DatasetError as exc:
        print(f"scenarios edit: {exc}", file=sys.stderr)
        return 2
    try:
        cache = Cache(cfg.resolved_cache_path())
    except Exception as exc:
        print(f"scenarios edit: cannot open the result cache at {cfg.resolved_cache_path()}: {exc}",
              file=sys.stderr)
        return 2
    cfg = editor_config(cfg)
    try:
        runner = make_runner(cfg, cache, trait.name, trait.definition or "")
        # the runner in a process of its own: its work never takes the GIL from the editor's keys
        app = StudioApp(trait, cfg=cfg, runner=runner, cache=cache, refresh=refresh,
                        runner_process=os.name == "posix")
        code = app.run()
    finally:
        cache.close()
    return int(code or 0)
