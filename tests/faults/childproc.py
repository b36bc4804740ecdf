"""Child processes the fault suites kill on purpose. Run as `python -m tests.faults.childproc MODE ...`.

* `save FOLDER SPEC_JSON`: one save_pair_files call with a fault hook: SIGKILL this process
  before or after the Nth call of os.replace / os.fsync / os.unlink, or half way through the Nth
  temp-file write. `count` as the op prints how many calls of each there were instead.
* `save-loop FOLDER A_JSON B_JSON`: save A, B, A, B, ... forever (the parent kills it at random).
* `cache-writer DB PREFIX N`: put_score N rows, printing each key once its commit returned.
* `cache-mixed DB PREFIX N OTHER START_AT`: from time START_AT, write N rows of its own while
  reading the other's rows.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def save(folder: str, spec_json: str) -> None:
    from core.dataset import save_pair_files

    spec = json.loads(spec_json)
    op, n, when = spec["op"], spec.get("n", 0), spec.get("when", "before")
    counts = {"replace": 0, "fsync": 0, "unlink": 0, "write": 0}
    real = {"replace": os.replace, "fsync": os.fsync, "unlink": os.unlink}

    def hooked(name):
        def call(*a, **kw):
            counts[name] += 1
            hit = op == name and counts[name] == n
            if hit and when == "before":
                _die()
            out = real[name](*a, **kw)
            if hit and when == "after":
                _die()
            return out
        return call

    for name in real:
        setattr(os, name, hooked(name))

    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)

        def write(self, data):
            counts["write"] += 1
            if op == "write" and counts["write"] == n:
                self.fh.write(data[: len(data) // 2])
                self.fh.flush()
                real["fsync"](self.fh.fileno())
                _die()
            return self.fh.write(data)

        def __getattr__(self, item):
            return getattr(self.fh, item)

    os.fdopen = lambda *a, **kw: HalfWriter(real_fdopen(*a, **kw))
    save_pair_files(Path(folder), spec["pos"], spec["neg"])
    if op == "count":
        print(json.dumps(counts))


def save_loop(folder: str, a_json: str, b_json: str) -> None:
    from core.dataset import save_pair_files

    versions = [json.loads(a_json), json.loads(b_json)]
    print("ready", flush=True)
    i = 1
    while True:
        v = versions[i % 2]
        save_pair_files(Path(folder), v["pos"], v["neg"])
        i += 1


def cache_writer(db: str, prefix: str, n: str) -> None:
    from core.cache import Cache

    cache = Cache(db)
    print("ready", flush=True)
    for i in range(int(n)):
        key = f"{prefix}-{i}"
        cache.put_score(key, "judge", i % 101, 400, 20)
        cache.put_completion(key, "model", f"prompt {i}", f"text {i}" * 20, ["t"] * 5)
        print(key, flush=True)


def cache_mixed(db: str, prefix: str, n: str, other: str, start_at: str) -> None:
    import time

    from core.cache import Cache

    cache = Cache(db)
    time.sleep(max(0.0, float(start_at) - time.time()))     # both start writing together
    hits = 0
    for i in range(int(n)):
        cache.put_score(f"{prefix}-{i}", "judge", i % 101, 1, 1)
        cache.set_mark(f"{prefix}-mark-{i}", "t", "positive", f"s{i}", "EXPRESS")
        for j in (i - 1, i):
            hit = cache.get_score(f"{other}-{j}")
            if hit is not None:
                assert hit.score == j % 101, (other, j, hit)
                hits += 1
    cache.close()
    print(json.dumps({"wrote": int(n), "saw_other": hits}), flush=True)


def editor_quit(trait: str, model: str, mode: str) -> None:
    """The real editor, headless, on a backend that hangs; press q once it hangs and report
    when the app returned. `thread`: the real local backend with its model's forward pass
    stuck; `async`: a remote-style call that never answers."""
    import asyncio
    import threading
    import time

    from core.backends.local import LocalBackend
    from core.cache import Cache
    from core.config import Config
    from core.dataset import load_trait
    from core.setup import make_runner
    from tests.faults.injectors import HangingBackend
    from tui.app import StudioApp

    cfg = Config(model=model, backend="local", device="cpu", max_new_tokens=4,
                 cache_path=str(Path(os.environ["XDG_CACHE_HOME"]) / "c.sqlite3"))
    backend = LocalBackend(cfg)
    stuck = threading.Event()
    if mode == "thread":
        asyncio.run(backend.prepare())
        model_obj = backend._loaded[0]

        def forward(*a, **kw):
            stuck.set()
            threading.Event().wait()          # a forward pass that never returns

        model_obj.forward = forward
        runner_backend = backend
    else:
        runner_backend = HangingBackend(backend, "async")
        stuck = runner_backend.entered
    t = load_trait(trait, check_steering=False)
    cache = Cache(cfg.resolved_cache_path())
    app = StudioApp(t, cfg=cfg, runner=make_runner(cfg, cache, t.name, t.definition, backend=runner_backend),
                    cache=cache, watch=False)

    async def pilot(p):
        while not stuck.is_set():
            await p.pause(0.05)
        await p.press("j")
        print("quit-pressed", time.time(), flush=True)
        await p.press("q")

    code = app.run(headless=True, size=(80, 24), auto_pilot=pilot)
    print("app-returned", time.time(), code, flush=True)


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    {"save": save, "save-loop": save_loop, "cache-writer": cache_writer,
     "cache-mixed": cache_mixed, "editor-quit": editor_quit}[mode](*rest)
