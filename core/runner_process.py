"""The runner in a child process of its own (the editor's parent side; the child is
core.runner_child).

In one process, the runner's Python work (the judge SDK's 3800-module import, building and
parsing 16 requests at a time, the scheduling of decoding) takes the GIL from the editor's
event loop, whatever thread it runs on: on a 2-core machine a key could wait 20-110 ms for it.
In a process of its own that work has its own interpreter and the editor's loop only unpickles
the batches of events it is sent, about one per frame.

Commands go down one pipe and replies come back up another, as pickles framed by
multiprocessing.connection (both ends are this project's code). The child is started with the
first run; if it dies, the run in flight ends with an error that says why and the next run
starts a new one. A closed command pipe (the editor exited, or was killed) makes the child exit.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable, Optional, Union

from .backends import make_backend
from .cache import Cache
from .config import Config
from .judge import Judge, JudgeSettings
from .redact import redact
from .run_service import Reply, RunDone
from .runner import Runner
from .scheduler import RunPlan

CLOSE_S = 2.0            # how long a closing child may take to finish (close its client, cache)
STDERR_LINES = 20        # the child's last words kept to explain an exit


@dataclass(frozen=True)
class StartRun:
    plan: RunPlan


@dataclass(frozen=True)
class CancelRun:
    token: int


@dataclass(frozen=True)
class Close:
    """Stop every run, close the judge's client and the cache, exit."""


Command = Union[StartRun, CancelRun, Close]


class CannotMove(Exception):
    """The runner holds something another process cannot rebuild (a backend or judge built
    some other way than from the config, an in-memory cache)."""


@dataclass(frozen=True)
class RunnerRecipe:
    """What the child builds its runner from: the same settings, cache file and rubric."""
    cfg: Config
    cache_path: str
    trait: str
    definition: str
    has_backend: bool
    judge: Optional[JudgeSettings]
    backend_problem: Optional[str] = None
    judge_problem: Optional[str] = None


def recipe_of(runner: Runner) -> RunnerRecipe:
    """How to build `runner` again in another process. Raises CannotMove if it cannot be."""
    cache_path = str(runner.cache.path)
    if cache_path == ":memory:":
        raise CannotMove("an in-memory cache cannot be shared with another process")
    backend = runner.backend
    if backend is not None and not (type(backend).__module__.startswith("core.backends.")
                                    and getattr(backend, "cfg", None) == runner.cfg):
        raise CannotMove(f"the backend {type(backend).__name__} is not built from the config")
    if runner.judge is not None and type(runner.judge) is not Judge:
        raise CannotMove(f"the judge {type(runner.judge).__name__} is not built from settings")
    return RunnerRecipe(runner.cfg, cache_path, runner.trait, runner.definition,
                        backend is not None,
                        runner.judge.settings if runner.judge is not None else None,
                        runner.backend_problem, runner.judge_problem)


def build_runner(recipe: RunnerRecipe) -> Runner:
    """The child's runner (and its cache, which the caller closes)."""
    cache = Cache(recipe.cache_path)
    return Runner(recipe.cfg, cache, trait=recipe.trait, definition=recipe.definition,
                  backend=make_backend(recipe.cfg) if recipe.has_backend else None,
                  judge=Judge.from_settings(recipe.judge) if recipe.judge is not None else None,
                  backend_problem=recipe.backend_problem, judge_problem=recipe.judge_problem)


@dataclass(eq=False)
class _Child:
    """One child process and the runs it has been given."""
    proc: subprocess.Popen
    commands: Connection
    running: set[int] = field(default_factory=set)     # tokens started and not yet done
    ended: bool = False                                 # its reader has ended its runs
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=STDERR_LINES))


class RunnerProcess:
    """Runs plans in the child and hands every reply to `deliver`, from a reader thread. Each
    started run gets exactly one RunDone, also when the child dies."""

    in_process = False

    def __init__(self, recipe: RunnerRecipe, deliver: Callable[[Reply], None]) -> None:
        self._recipe = recipe
        self._deliver = deliver
        self._lock = threading.Lock()     # the child and its runs: the loop starts, readers end
        self._child: Optional[_Child] = None
        self._readers: list[threading.Thread] = []
        self._closing = False

    def start(self, plan: RunPlan) -> None:
        with self._lock:
            child = self._child
            if child is None or child.ended or child.proc.poll() is not None:
                child = self._child = self._spawn()
            child.running.add(plan.token)
        self._send(child, StartRun(plan))

    def cancel(self, token: int) -> None:
        """The run ends with RunDone(cancelled=True) once the child has stopped it."""
        child = self._child
        if child is not None and token in child.running:
            self._send(child, CancelRun(token))

    def close(self, timeout: float = CLOSE_S) -> None:
        """Blocking (up to `timeout`, then the child is killed): for a thread, not a loop."""
        self._closing = True
        child = self._child
        if child is not None:
            self._send(child, Close())
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
            child.commands.close()
        for reader in self._readers:
            reader.join(timeout)

    # ------------------------------------------------------------------ inside
    def _spawn(self) -> _Child:
        down_r, down_w = os.pipe()        # commands: editor -> child
        up_r, up_w = os.pipe()            # replies: child -> editor
        env = dict(os.environ)
        # the child runs this checkout's code, wherever the editor was started from
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "core.runner_child", str(down_r), str(up_w)],
                pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, env=env, start_new_session=True)
        except OSError:
            for fd in (down_w, up_r):
                os.close(fd)
            raise
        finally:
            os.close(down_r)
            os.close(up_w)
        child = _Child(proc, Connection(down_w, readable=False))
        drain = threading.Thread(target=self._drain, args=(child,), name="runner-stderr", daemon=True)
        drain.start()
        reader = threading.Thread(target=self._read, args=(child, Connection(up_r, writable=False), drain),
                                  name="runner-replies", daemon=True)
        self._readers = [r for r in self._readers if r.is_alive()] + [reader]
        reader.start()
        self._send(child, self._recipe)
        return child

    @staticmethod
    def _send(child: _Child, command: Union[Command, RunnerRecipe]) -> None:
        try:
            child.commands.send(command)
        except OSError:
            pass        # the child is gone: its reader ends its runs, this one included

    def _read(self, child: _Child, replies: Connection, drain: threading.Thread) -> None:
        try:
            while True:
                reply = replies.recv()
                if isinstance(reply, RunDone):
                    with self._lock:
                        child.running.discard(reply.token)
                self._deliver(reply)
        except (EOFError, OSError):
            pass
        finally:
            replies.close()
        code = child.proc.wait()
        drain.join(1.0)
        with self._lock:
            child.ended = True
            left, child.running = sorted(child.running), set()
        why = self._gone_reason(child, code)
        for token in left:
            self._deliver(RunDone(token, None if self._closing else why, cancelled=self._closing))

    @staticmethod
    def _drain(child: _Child) -> None:
        assert child.proc.stderr is not None
        for raw in child.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                child.stderr.append(line)

    def _gone_reason(self, child: _Child, code: Optional[int]) -> str:
        if code is not None and code < 0:
            # killed: its last line on stderr is whatever it printed before, not why
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            why = f"the runner process was killed ({name}"
            why += ", often the system out of memory)" if name == "SIGKILL" else ")"
        else:
            why = f"the runner process stopped (exit code {code})"
            if child.stderr:
                why += f": {child.stderr[-1]}"
        key = self._recipe.judge.api_key if self._recipe.judge is not None else None
        why = redact(why)
        return why.replace(key, "[redacted]") if key else why
