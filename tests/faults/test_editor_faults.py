"""The editor under faults, driven through Textual's Pilot: a backend or judge that hangs does not
freeze the UI (keys are answered, quit works at once), a 40x12 terminal and back does not crash,
a save that fails (rename error, full disk) keeps the buffers and their undo history, and a
write that lands on disk during a save becomes the conflict flow instead of being overwritten."""
from __future__ import annotations

import asyncio
import errno
import os
import time
from pathlib import Path

import pytest

from core.cache import Cache
from core.dataset import NEGATIVE, POSITIVE, load_trait
from core.setup import make_runner
from tui.app import StudioApp
from tui.screens.conflict import ConflictScreen
from tui.screens.edit import EditScreen
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.review import ReviewScreen

from .conftest import snapshot_tree, wait_until
from .injectors import HangingBackend

SIZE = (80, 24)


@pytest.fixture
def make_app(trait_copy, fcfg):
    caches: list[Cache] = []

    def make(backend, **kw) -> StudioApp:
        trait = load_trait(str(trait_copy), check_steering=False)
        cache = Cache(fcfg.resolved_cache_path())
        caches.append(cache)
        runner = make_runner(fcfg, cache, trait.name, trait.definition, backend=backend)
        return StudioApp(trait, cfg=fcfg, runner=runner, cache=cache, watch=kw.pop("watch", False), **kw)

    yield make
    for c in caches:
        c.close()


async def bounded(coro, seconds: float, what: str):
    """A frozen UI must fail the test, not hang the suite."""
    try:
        return await asyncio.wait_for(coro, seconds)
    except asyncio.TimeoutError:
        raise AssertionError(f"{what} took more than {seconds}s: the UI is frozen") from None


@pytest.mark.parametrize("hang", ["generator (async call)", "generator (blocked thread)", "judge"])
async def test_a_hanging_backend_does_not_freeze_the_ui(hang, make_app, judge_env, loaded_backend):
    if hang == "judge":
        judge_env.latency_s = 120.0             # the judge never answers within the test
        backend = loaded_backend
        hung = lambda: judge_env._active > 0     # noqa: E731
    else:
        backend = HangingBackend(loaded_backend, "thread" if "thread" in hang else "async")
        hung = backend.entered.is_set
    app = make_app(backend)
    timings = {}

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, hung, 30, "the backend to hang")
            await wait_until(pilot, lambda: app.testing, 5, "the run to show as running")
            t = time.perf_counter()
            await pilot.press("j", "j")
            assert app.main.table.current_row == 2
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), 5, "help")
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), 5, "back to main")
            await pilot.press("d")
            assert app.session.dirty and app.session.n_pairs == 71
            await pilot.press("u")
            assert not app.session.dirty and app.session.n_pairs == 72
            await pilot.press("e")
            await wait_until(pilot, lambda: isinstance(app.screen, EditScreen), 5, "the edit screen")
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), 5, "back to main")
            timings["keys"] = time.perf_counter() - t
            assert app.testing                 # still hanging: the UI answered regardless
            timings["quit_at"] = time.perf_counter()
            await pilot.press("q")
        timings["quit"] = time.perf_counter() - timings["quit_at"]

    try:
        await bounded(scenario(), 45, f"the editor with a hanging {hang}")
    finally:
        if hang != "judge":
            backend.release.set()
    assert app.return_code == 0
    assert timings["keys"] < 10, timings
    assert timings["quit"] < 5, timings


async def test_a_40x12_terminal_and_back_does_not_crash(make_app, judge_env, loaded_backend):
    app = make_app(loaded_backend)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.session.last_run is not None and not app.testing, 60, "the run")
            await pilot.resize_terminal(40, 12)
            await pilot.pause(0.2)
            # every screen at 40x12, then back
            await pilot.press("j", "j", "tab", "j")
            for key, screen in (("question_mark", HelpScreen), ("e", EditScreen), ("v", ReviewScreen)):
                await pilot.press(key)
                await wait_until(pilot, lambda: isinstance(app.screen, screen), 5, screen.__name__)
                await pilot.pause(0.1)
                await pilot.press("escape")
                await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), 5, "main")
            await pilot.press("d", "f", "f", "n")
            await pilot.resize_terminal(*SIZE)
            await pilot.pause(0.2)
            await pilot.resize_terminal(40, 12)
            await pilot.pause(0.1)
            await pilot.resize_terminal(*SIZE)
            await pilot.pause(0.2)
            assert app.is_running and isinstance(app.screen, MainScreen)
            assert app.session.n_pairs == 71
            table = app.main.table
            assert table.size.width > 40
            row = table.render_line(0).text
            assert row.strip() and len(row) <= SIZE[0]
            await pilot.press("u", "q")

    await bounded(scenario(), 90, "the resize test")
    assert app.return_code == 0


def failing_replace(monkeypatch, target: str):
    real = os.replace

    def replace(src, dst, *a, **kw):
        if Path(dst).name == target:
            raise OSError(errno.EIO, "Input/output error (injected)")
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", replace)


async def test_a_failed_save_keeps_the_buffers_and_undo(make_app, loaded_backend, trait_copy, monkeypatch):
    app = make_app(loaded_backend, autorun=False)
    before = snapshot_tree(trait_copy)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("j", "d", "j", "d")
            s = app.session
            history = list(s.undo_stack)
            assert s.n_pairs == 70
            # the second rename fails: rolled back, told, nothing changed
            failing_replace(monkeypatch, NEGATIVE)
            await pilot.press("ctrl+s")
            assert "Not saved" in app.main.message.message and "nothing was changed" in app.main.message.message
            assert s.dirty and s.undo_stack == history
            monkeypatch.undo()
            assert snapshot_tree(trait_copy) == before
            # a full disk: told, no crash
            monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
            await pilot.press("ctrl+s")
            assert "No space left on device" in app.main.message.message
            assert s.dirty and s.undo_stack == history and app.is_running
            monkeypatch.undo()
            assert snapshot_tree(trait_copy) == before
            # undo still works; then the save goes through
            await pilot.press("u")
            assert s.n_pairs == 71
            await pilot.press("ctrl+s")
            assert not s.dirty
            assert len(load_trait(str(trait_copy)).positive.lines) == 71
            await pilot.press("u")
            assert s.n_pairs == 72
            await pilot.press("q")
            await wait_until(pilot, lambda: app.screen.__class__.__name__ == "QuitScreen", 5, "quit dialog")
            await pilot.press("d")

    await bounded(scenario(), 60, "the failed-save test")


async def test_a_write_landing_during_a_save_opens_the_conflict(make_app, loaded_backend, trait_copy, monkeypatch):
    app = make_app(loaded_backend, autorun=False)
    theirs = "written by another editor during our save, so I said \"\n" * 72

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("d")
            real = os.fsync
            hit = {"done": False}

            def fsync(fd):
                if not hit["done"]:
                    hit["done"] = True
                    (trait_copy / NEGATIVE).write_text(theirs)
                return real(fd)

            monkeypatch.setattr(os, "fsync", fsync)
            await pilot.press("ctrl+s")
            monkeypatch.undo()
            await wait_until(pilot, lambda: isinstance(app.screen, ConflictScreen), 5, "the conflict")
            assert (trait_copy / NEGATIVE).read_text() == theirs
            assert app.session.dirty and app.session.n_pairs == 71
            await pilot.press("escape")
            await pilot.press("q")
            await wait_until(pilot, lambda: app.screen.__class__.__name__ == "QuitScreen", 5, "quit dialog")
            await pilot.press("d")

    await bounded(scenario(), 60, "the conflict test")
    assert (trait_copy / NEGATIVE).read_text() == theirs


@pytest.mark.parametrize("mode", ["async", "thread"])
def test_quit_ends_the_editor_process_while_a_backend_hangs(mode, tiny_model, trait_copy):
    """The whole process, not only the app: `thread` is the real local backend with its model's
    forward pass stuck (asyncio.run used to wait for that thread forever on the way out)."""
    import subprocess

    from .conftest import spawn

    proc = spawn("editor-quit", str(trait_copy), str(tiny_model), mode)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"the editor process did not exit after q: {out}\n{err[-2000:]}")
    assert proc.returncode == 0, err[-3000:]
    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    pressed = float(lines["quit-pressed"])
    returned = float(lines["app-returned"].split()[0])
    assert returned - pressed < 5, (pressed, returned)
