"""core.watch: the folder watcher behind live re-test."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from core.dataset import save_pair_files
from core.watch import StopFlag, file_digest, real_changes, watch_trait


def make_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "trait"
    folder.mkdir()
    (folder / "positive.txt").write_text("a \"\nb \"\n")
    (folder / "negative.txt").write_text("c \"\nd \"\n")
    (folder / "definition.txt").write_text("HIGH: x\nLOW: y\nKey: z\n")
    return folder


def known_of(folder: Path) -> dict:
    return {n: file_digest(folder / n) for n in ("positive.txt", "negative.txt", "definition.txt")}


class Watching:
    """Runs watch_trait in a task and collects what it yields."""

    def __init__(self, folder: Path, known: dict, **kw):
        self.folder, self.known = folder, known
        self.got: list[frozenset[str]] = []
        self.stop = StopFlag()
        self.kw = kw

    async def __aenter__(self) -> "Watching":
        async def consume() -> None:
            async for names in watch_trait(self.folder, lambda: self.known, stop=self.stop,
                                           debounce_ms=150, **self.kw):
                self.got.append(names)
        self.task = asyncio.create_task(consume())
        await asyncio.sleep(0.3)      # let the watcher start
        return self

    async def wait_for(self, n: int, timeout: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(self.got) < n and loop.time() < end:
            await asyncio.sleep(0.05)

    async def __aexit__(self, *exc) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 3)


async def test_external_write_is_reported(tmp_path):
    folder = make_folder(tmp_path)
    async with Watching(folder, known_of(folder)) as w:
        (folder / "negative.txt").write_text("c \"\nchanged \"\n")
        await w.wait_for(1)
    assert w.got and w.got[0] == frozenset({"negative.txt"})


async def test_rename_save_is_reported(tmp_path):
    """Editors write a temp file and rename it over the target: Change.added for the target."""
    folder = make_folder(tmp_path)
    async with Watching(folder, known_of(folder)) as w:
        tmp = folder / ".positive.txt.swp"
        tmp.write_text("a \"\nrenamed \"\n")
        os.replace(tmp, folder / "positive.txt")
        await w.wait_for(1)
        # a second rename-save is still seen (watching a single file would miss it)
        tmp.write_text("a \"\nrenamed again \"\n")
        os.replace(tmp, folder / "positive.txt")
        await w.wait_for(2)
    assert w.got[:2] == [frozenset({"positive.txt"})] * 2


async def test_own_atomic_save_is_ignored(tmp_path):
    folder = make_folder(tmp_path)
    known = known_of(folder)
    async with Watching(folder, known) as w:
        digests = save_pair_files(folder, ["x \"", "y \""], ["z \"", "w \""],
                                  expected={"positive.txt": known["positive.txt"],
                                            "negative.txt": known["negative.txt"]})
        known.update(digests)         # what the editor does right after saving
        await asyncio.sleep(0.8)
        # a real change afterwards still comes through
        (folder / "definition.txt").write_text("HIGH: new\nLOW: y\nKey: z\n")
        await w.wait_for(1)
    assert w.got == [frozenset({"definition.txt"})]


async def test_other_files_and_results_are_ignored(tmp_path):
    folder = make_folder(tmp_path)
    async with Watching(folder, known_of(folder)) as w:
        (folder / "results.json").write_text("{}")
        (folder / "steering.json").write_text("{}")
        (folder / "sub").mkdir()
        (folder / "sub" / "positive.txt").write_text("nested\n")
        await asyncio.sleep(0.8)
    assert w.got == []


async def test_unchanged_content_is_not_a_change(tmp_path):
    folder = make_folder(tmp_path)
    async with Watching(folder, known_of(folder)) as w:
        (folder / "positive.txt").write_text((folder / "positive.txt").read_text())   # touch
        await asyncio.sleep(0.8)
    assert w.got == []


async def test_deleted_file_is_reported(tmp_path):
    folder = make_folder(tmp_path)
    async with Watching(folder, known_of(folder)) as w:
        (folder / "negative.txt").unlink()
        await w.wait_for(1)
    assert w.got == [frozenset({"negative.txt"})]


async def test_cancel_ends_promptly(tmp_path):
    folder = make_folder(tmp_path)

    async def consume() -> None:
        async for _ in watch_trait(folder, lambda: known_of(folder)):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 3)
    assert loop.time() - t0 < 2


async def test_refuses_to_watch_the_results_folder(tmp_path):
    folder = make_folder(tmp_path)
    with pytest.raises(ValueError, match="results"):
        async for _ in watch_trait(folder, lambda: {}, results_dir=folder):
            pass


def test_real_changes(tmp_path):
    folder = make_folder(tmp_path)
    known = known_of(folder)
    assert real_changes(folder, ["positive.txt"], known) == frozenset()
    (folder / "positive.txt").write_text("new\n")
    assert real_changes(folder, ["positive.txt", "negative.txt"], known) == frozenset({"positive.txt"})
