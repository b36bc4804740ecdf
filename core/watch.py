"""Watch a trait folder for saves from other editors (no Textual here).

Rules learned the hard way elsewhere:
* Watch the FOLDER, not the files: editors save by writing a temp file and renaming it over the
  target, after which a watch on the old file sees nothing more. A rename-save arrives as
  Change.added for the target name, so every change kind counts.
* Only positive.txt, negative.txt and definition.txt matter; the folder is watched with
  recursive=False and everything else (temp files, swap files, steering.json, a results.json
  someone wrote beside the data) is filtered out. Watching the place results are written to
  is refused outright: promptfoo's watch mode once re-ran itself forever on its own output.
* Our own atomic saves are not changes: a file whose content digest equals what the editor
  last wrote or loaded (`known()`) is dropped, so saving in the app never triggers a reload.
* Changes are debounced (watchfiles groups a burst into one batch) so that an editor's
  write-rename-chmod dance, or a save of both pair files, arrives as one event.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import AsyncIterator, Callable, Iterable, Mapping, Optional

from .dataset import DEFINITION, NEGATIVE, POSITIVE, file_digest

WATCHED = (POSITIVE, NEGATIVE, DEFINITION)


def real_changes(folder: Path, names: Iterable[str],
                 known: Mapping[str, Optional[str]]) -> frozenset[str]:
    """The names whose content on disk differs from what the editor knows (pure-ish: reads)."""
    return frozenset(n for n in names if file_digest(Path(folder) / n) != known.get(n))


class StopFlag:
    """A stop signal the watcher thread can poll (watchfiles calls `is_set()` every step)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


async def watch_trait(folder: Path | str, known: Callable[[], Mapping[str, Optional[str]]], *,
                      debounce_ms: int = 300, step_ms: int = 50, stop: Optional[StopFlag] = None,
                      results_dir: Path | str | None = None, rust_timeout_ms: int = 500,
                      force_polling: Optional[bool] = None) -> AsyncIterator[frozenset[str]]:
    """Yield the set of changed file names (a subset of WATCHED) after each debounced burst.

    `known()` returns {file name: digest} of what the caller last loaded or wrote; files that
    still match it are not reported. Cancelling the consuming task or setting `stop` ends the
    generator within about `rust_timeout_ms` (the watcher thread is polled, not abandoned).
    """
    from watchfiles import awatch

    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder to watch")
    if results_dir is not None:
        rd = Path(results_dir).resolve()
        if rd == folder:
            raise ValueError(f"refusing to watch {folder}: results are written there; write "
                             "results.json to another folder (--workdir)")
    targets = {str(folder / n): n for n in WATCHED}

    def only_ours(_change: object, path: str) -> bool:
        return path in targets

    stop = stop or StopFlag()
    async for changes in awatch(folder, watch_filter=only_ours, recursive=False,
                                debounce=debounce_ms, step=step_ms, stop_event=stop,  # type: ignore[arg-type]
                                rust_timeout=rust_timeout_ms, yield_on_timeout=False,
                                force_polling=force_polling):
        names = {targets[path] for _change, path in changes if path in targets}
        changed = real_changes(folder, names, known())
        if changed:
            yield changed
