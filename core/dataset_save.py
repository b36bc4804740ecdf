"""Saving a trait's two scenario files together, atomically, and detecting a save that died
half way (the journal). Nothing here decides what a dataset is; it only refuses to write what
a load would refuse.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .dataset_files import (JOURNAL, MAX_LINE_CHARS, MAX_LINES, NEGATIVE, POSITIVE, ConflictError,
                            DatasetCode, DatasetError, file_digest, sha256)


def render_lines(lines: list[str], newline: str = "\n", final_newline: bool = True,
                 path: Path | str | None = None) -> bytes:
    """The bytes of a scenario file. Refuses whatever parse_lines would refuse on the next load,
    so a save never writes a file that cannot be opened again."""
    C = DatasetCode
    if not lines:
        raise DatasetError("refusing to save an empty file: the next load would refuse it "
                           "(keep at least one pair)", path, code=C.EMPTY_FILE)
    if len(lines) > MAX_LINES:
        raise DatasetError(f"refusing to save {len(lines)} lines: more than {MAX_LINES} scenarios "
                           "in one file is refused on load", path, MAX_LINES + 1, C.FILE_LIMITS)
    for i, s in enumerate(lines, start=1):
        if "\n" in s or "\r" in s:
            raise DatasetError("a scenario may not contain a line break", path, i, C.NEWLINE)
        if not s.strip():
            raise DatasetError("a scenario may not be blank", path, i, C.BLANK_LINE)
        if len(s) > MAX_LINE_CHARS:
            raise DatasetError(f"line is {len(s)} characters long; scenarios over {MAX_LINE_CHARS} "
                               "characters are refused", path, i, C.FILE_LIMITS)
    if lines[0].startswith("\ufeff"):
        raise DatasetError("starts with an invisible byte-order mark (U+FEFF); remove it", path, 1, C.ENCODING)
    text = newline.join(lines) + (newline if final_newline else "")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DatasetError(f"contains a character that cannot be written as UTF-8 "
                           f"({text[exc.start]!r}, a lone surrogate?)", path,
                           text.count(newline, 0, exc.start) + 1, C.ENCODING) from None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_temp(target: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write(target: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, rename over the target, fsync the folder."""
    tmp = _write_temp(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def save_pair_files(folder: Path, positive: list[str], negative: list[str], *,
                    expected: dict[str, str | None] | None = None,
                    newline: dict[str, str] | None = None, matched: bool = True) -> dict[str, str]:
    """Save positive.txt and negative.txt together. Returns the new digests by file name.
    A matched pair of files keeps equal line counts; an unmatched one (`matched=False`) may not.

    Both new files are written and fsynced before either replaces its original; a journal
    records the old and new digests so that a crash between the two renames is detected on
    the next load instead of silently leaving one file ahead of its partner. `expected` holds
    the digests seen at load time: if a file changed on disk since, ConflictError is raised
    and nothing is written.
    """
    if matched and len(positive) != len(negative):
        raise DatasetError(f"refusing to save {len(positive)} positive and {len(negative)} negative "
                           "lines: pairs must stay matched", folder, code=DatasetCode.COUNT_MISMATCH)
    newline = newline or {}
    payload = {POSITIVE: render_lines(positive, newline.get(POSITIVE, "\n"), path=folder / POSITIVE),
               NEGATIVE: render_lines(negative, newline.get(NEGATIVE, "\n"), path=folder / NEGATIVE)}
    before = {name: _current_bytes(folder / name) for name in payload}
    old = {name: (sha256(b) if b is not None else None) for name, b in before.items()}
    if expected is not None:
        changed = [n for n in payload if n in expected and expected[n] != old[n]]
        if changed:
            raise ConflictError(f"{', '.join(changed)} changed on disk since it was loaded; "
                                "reload or resolve the conflict before saving", folder / changed[0])
    new = {name: sha256(data) for name, data in payload.items()}
    todo = [n for n in payload if new[n] != old[n]]
    if not todo:
        return new
    temps: dict[str, Path] = {}
    journal = folder / JOURNAL
    try:
        try:
            for name in todo:
                temps[name] = _write_temp(folder / name, payload[name])
            if expected is not None:
                # Another editor may have saved while our temp files were written.
                changed = [n for n in todo if file_digest(folder / n) != old[n]]
                if changed:
                    raise ConflictError(f"{', '.join(changed)} changed on disk during the save; "
                                        "nothing was written: reload or resolve the conflict",
                                        folder / changed[0])
            if len(todo) == 2:
                atomic_write(journal, json.dumps(
                    {"old": {n: old[n] for n in todo}, "new": {n: new[n] for n in todo}}).encode())
        except OSError as exc:
            journal.unlink(missing_ok=True)
            raise DatasetError(f"could not write the new files ({exc.strerror or exc}); "
                               "nothing was changed", folder, code=DatasetCode.SAVE_FAILED) from exc
        done: list[str] = []
        try:
            for name in todo:
                os.replace(temps[name], folder / name)
                del temps[name]
                done.append(name)
        except BaseException as exc:
            undone = _roll_back(folder, done, before)
            if undone:
                journal.unlink(missing_ok=True)
            raise DatasetError(
                f"save interrupted after {', '.join(done) or 'no file'} was replaced ({exc}); "
                + ("nothing was changed" if undone else
                   "the files are out of step: the next load says how to recover"), folder,
                code=DatasetCode.SAVE_FAILED) from exc
        _fsync_dir(folder)
        try:
            journal.unlink(missing_ok=True)
        except OSError:
            pass    # the pair is consistent: the next load removes a stale journal
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return new


def _current_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _roll_back(folder: Path, done: list[str], before: dict[str, bytes | None]) -> bool:
    """Put back the files a failed pair save already replaced. True when the pair is as it was."""
    try:
        for name in done:
            if before[name] is None:
                (folder / name).unlink(missing_ok=True)
            else:
                atomic_write(folder / name, before[name])
    except BaseException:
        return False
    return True


def check_interrupted_save(folder: Path) -> None:
    """Detect a pair save that died between its two renames (see save_pair_files)."""
    journal = folder / JOURNAL
    if not journal.exists():
        return
    try:
        record = json.loads(journal.read_text())
        old, new = record["old"], record["new"]
    except (OSError, ValueError, KeyError, TypeError):
        journal.unlink(missing_ok=True)
        return
    state = {}
    for name in new:
        cur = file_digest(folder / name)
        state[name] = "new" if cur == new[name] else "old" if cur == old.get(name) else "other"
    if len(set(state.values())) <= 1:
        # Both renames happened, or neither did: the pair is consistent.
        journal.unlink(missing_ok=True)
        return
    detail = ", ".join(f"{n} has the {s} content" for n, s in sorted(state.items()))
    raise DatasetError(
        f"a save of this pair was interrupted: {detail}. Check both files by hand (git diff helps), "
        f"then delete {JOURNAL} to continue", folder / JOURNAL, code=DatasetCode.INTERRUPTED_SAVE)
