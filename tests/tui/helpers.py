"""Helpers for the editor tests: wait for conditions instead of sleeping."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable

from tui.app import StudioApp


async def wait_until(pilot, cond: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await pilot.pause(0.05)


async def wait_idle(pilot, app: StudioApp, timeout: float = 60.0) -> None:
    """Until no run is in flight or queued, and the last redraw happened."""
    await wait_until(pilot, lambda: not app.busy, timeout, "the test run")
    await pilot.pause(0.15)


def row_text(app: StudioApp, y: int) -> str:
    """The rendered text of table row y (relative to the top of the table)."""
    return app.main.table.render_line(y).text


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
