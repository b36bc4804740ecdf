"""Saves that die half way: nothing lost, never a silent half-save.

A child process runs the real save_pair_files and is SIGKILLed at every step of it (before and
after each rename, fsync and unlink, half way through each temp-file write), and at random
moments of a save loop. After each kill the parent checks that positive.txt and negative.txt are
each wholly the old or wholly the new version, and that when they are out of step the next
load refuses with the interrupted-save message. In-process, failing renames and a full disk must
leave the files as they were (or, when even the rollback fails, say so), and keep the editor
session's undo history.
"""
from __future__ import annotations

import errno
import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

from core.dataset import (JOURNAL, NEGATIVE, POSITIVE, ConflictError, DatasetError, load_trait,
                          save_pair_files)
from core.session import Session

from .conftest import snapshot_tree, spawn, write_pair

OLD_POS = [f"old positive scenario {i}, and so I said \"" for i in range(40)]
OLD_NEG = [f"old negative scenario {i}, and so I said \"" for i in range(40)]
NEW_POS = [f"NEW positive {i} " + "x" * 300 for i in range(40)]
NEW_NEG = [f"NEW negative {i} " + "y" * 300 for i in range(40)]


def encoded(lines: list[str] | None) -> bytes | None:
    return None if lines is None else ("\n".join(lines) + "\n").encode()


ALLOWED_LEFTOVERS = (f".{POSITIVE}.", f".{NEGATIVE}.", f".{JOURNAL}.")


def check_pair_state(folder: Path, old: dict[str, bytes | None], new: dict[str, bytes | None]) -> tuple[str, str]:
    """Assert the invariant after a kill; return the (positive, negative) states."""
    states = []
    for name in (POSITIVE, NEGATIVE):
        path = folder / name
        cur = path.read_bytes() if path.exists() else None
        if cur == new[name]:
            states.append("new")
        elif cur == old[name]:
            states.append("old")
        else:
            raise AssertionError(f"{name} is neither the old nor the new version: "
                                 f"{len(cur or b'')} bytes, starts {cur[:60] if cur else cur!r}")
    # Nothing but the pair, the rubric, the journal and our own temp files.
    for p in folder.iterdir():
        if p.name in (POSITIVE, NEGATIVE, "definition.txt", JOURNAL):
            continue
        assert p.name.startswith(ALLOWED_LEFTOVERS) and p.name.endswith(".tmp"), p.name
    if states[0] != states[1]:
        with pytest.raises(DatasetError) as info:
            load_trait(str(folder))
        msg = str(info.value)
        assert "interrupted" in msg and POSITIVE in msg and NEGATIVE in msg, msg
        assert JOURNAL in msg, msg                              # says what to do
    elif (old if states[0] == "old" else new)[POSITIVE] is not None:
        trait = load_trait(str(folder))
        expect = (new if states[0] == "new" else old)
        assert encoded(trait.positive.lines) == expect[POSITIVE]
        assert encoded(trait.negative.lines) == expect[NEGATIVE]
        assert not (folder / JOURNAL).exists(), "a consistent pair keeps no journal after a load"
    return states[0], states[1]


def run_child_save(folder: Path, spec: dict) -> tuple[int, str]:
    proc = spawn("save", str(folder), json.dumps(spec))
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out + err


def kill_points(counts: dict[str, int]) -> list[dict]:
    points = []
    for op in ("replace", "fsync", "unlink"):
        for n in range(1, counts[op] + 1):
            for when in ("before", "after"):
                points.append({"op": op, "n": n, "when": when})
    for n in range(1, counts["write"] + 1):
        points.append({"op": "write", "n": n})
    return points


@pytest.mark.parametrize("start", ["existing pair", "new pair"])
def test_a_save_killed_at_any_step_leaves_each_file_whole(tmp_path, start, figures):
    old_lines = (OLD_POS, OLD_NEG) if start == "existing pair" else (None, None)
    old = {POSITIVE: encoded(old_lines[0]), NEGATIVE: encoded(old_lines[1])}
    new = {POSITIVE: encoded(NEW_POS), NEGATIVE: encoded(NEW_NEG)}

    def fresh(i: int) -> Path:
        folder = tmp_path / f"t{i}"
        folder.mkdir()
        (folder / "definition.txt").write_text("HIGH: x.\nLOW: y.\n")
        if old_lines[0] is not None:
            write_pair(folder, *old_lines)
        return folder

    rc, out = run_child_save(fresh(0), {"op": "count", "pos": NEW_POS, "neg": NEW_NEG})
    assert rc == 0, out
    counts = json.loads(out.strip().splitlines()[-1])
    assert counts["replace"] >= 3 and counts["write"] >= 3, counts   # two files + the journal
    seen: dict[tuple[str, str], int] = {}
    points = kill_points(counts)
    for i, spec in enumerate(points, start=1):
        folder = fresh(i)
        rc, out = run_child_save(folder, {**spec, "pos": NEW_POS, "neg": NEW_NEG})
        assert rc == -signal.SIGKILL, f"{spec}: the child was not killed (rc {rc}): {out}"
        state = check_pair_state(folder, old, new)
        seen[state] = seen.get(state, 0) + 1
    figures["kill_points"] += len(points)
    # Every outcome was reached, including the one the journal exists for.
    assert set(seen) == {("old", "old"), ("new", "old"), ("new", "new")}, seen


def test_random_kills_of_a_save_loop(tmp_path, figures):
    a = {"pos": OLD_POS, "neg": OLD_NEG}
    b = {"pos": NEW_POS, "neg": NEW_NEG}
    old = {POSITIVE: encoded(OLD_POS), NEGATIVE: encoded(OLD_NEG)}
    new = {POSITIVE: encoded(NEW_POS), NEGATIVE: encoded(NEW_NEG)}
    rnd = random.Random(7)
    outcomes = []
    for i in range(10):
        folder = write_pair(tmp_path / f"loop{i}", OLD_POS, OLD_NEG)
        proc = spawn("save-loop", str(folder), json.dumps(a), json.dumps(b))
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rnd.uniform(0.01, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        outcomes.append(check_pair_state(folder, old, new))
    figures["kill_points"] += len(outcomes)
    assert len(outcomes) == 10


# ------------------------------------------------------------------------- in-process faults

@pytest.fixture
def pair(tmp_path) -> Path:
    return write_pair(tmp_path / "cat" / "trait", OLD_POS[:5], OLD_NEG[:5])


def failing_replace(monkeypatch, should_fail) -> list[tuple[str, str]]:
    """os.replace raises EIO for the targets `should_fail(dst_name, nth_call)` picks."""
    real = os.replace
    calls: list[tuple[str, str]] = []

    def replace(src, dst, *a, **kw):
        name = Path(dst).name
        calls.append((Path(src).name, name))
        if should_fail(name, len(calls)):
            raise OSError(errno.EIO, "Input/output error (injected)")
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", replace)
    return calls


def test_failing_first_rename_changes_nothing(pair, monkeypatch):
    before = snapshot_tree(pair)
    failing_replace(monkeypatch, lambda name, n: name == POSITIVE)
    with pytest.raises(DatasetError) as info:
        save_pair_files(pair, NEW_POS[:5], NEW_NEG[:5])
    assert "nothing was changed" in str(info.value) and str(pair) in str(info.value)
    monkeypatch.undo()
    assert snapshot_tree(pair) == before
    assert load_trait(str(pair)).positive.lines == OLD_POS[:5]


def test_failing_second_rename_rolls_the_first_back(pair, monkeypatch):
    before = snapshot_tree(pair)
    calls = failing_replace(monkeypatch, lambda name, n: name == NEGATIVE)
    with pytest.raises(DatasetError) as info:
        save_pair_files(pair, NEW_POS[:5], NEW_NEG[:5])
    assert ("positive.txt" in [c[1] for c in calls]), calls        # the first rename did happen
    assert "nothing was changed" in str(info.value), str(info.value)
    monkeypatch.undo()
    assert snapshot_tree(pair) == before
    trait = load_trait(str(pair))
    assert (trait.positive.lines, trait.negative.lines) == (OLD_POS[:5], OLD_NEG[:5])


def test_when_even_the_rollback_fails_the_user_is_told(pair, monkeypatch):
    # positive.txt is replaced, then every later rename fails (negative.txt and the rollback).
    failing_replace(monkeypatch, lambda name, n: name == NEGATIVE or (name == POSITIVE and n > 2))
    with pytest.raises(DatasetError) as info:
        save_pair_files(pair, NEW_POS[:5], NEW_NEG[:5])
    msg = str(info.value)
    assert "out of step" in msg and "positive.txt" in msg, msg
    monkeypatch.undo()
    state = check_pair_state(pair, {POSITIVE: encoded(OLD_POS[:5]), NEGATIVE: encoded(OLD_NEG[:5])},
                             {POSITIVE: encoded(NEW_POS[:5]), NEGATIVE: encoded(NEW_NEG[:5])})
    assert state == ("new", "old")


def test_a_failing_journal_write_changes_nothing(pair, monkeypatch):
    before = snapshot_tree(pair)
    failing_replace(monkeypatch, lambda name, n: name == JOURNAL)
    with pytest.raises(DatasetError) as info:
        save_pair_files(pair, NEW_POS[:5], NEW_NEG[:5])
    assert "nothing was changed" in str(info.value), str(info.value)
    monkeypatch.undo()
    assert snapshot_tree(pair) == before


def test_a_full_disk_is_a_dataset_error_and_changes_nothing(pair, monkeypatch):
    before = snapshot_tree(pair)
    real = os.fsync
    n = {"calls": 0}

    def fsync(fd):
        n["calls"] += 1
        if n["calls"] == 2:            # the second temp file
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(DatasetError) as info:
        save_pair_files(pair, NEW_POS[:5], NEW_NEG[:5])
    assert "No space left on device" in str(info.value) and "nothing was changed" in str(info.value)
    monkeypatch.undo()
    assert snapshot_tree(pair) == before


def test_saving_over_a_file_changed_since_load_is_refused(pair):
    trait = load_trait(str(pair))
    theirs = b"someone else's line\n" * 5
    (pair / NEGATIVE).write_bytes(theirs)
    with pytest.raises(ConflictError) as info:
        save_pair_files(pair, NEW_POS[:5], NEW_NEG[:5],
                        expected={POSITIVE: trait.positive.digest, NEGATIVE: trait.negative.digest})
    assert NEGATIVE in str(info.value)
    assert (pair / NEGATIVE).read_bytes() == theirs
    assert (pair / POSITIVE).read_bytes() == encoded(OLD_POS[:5])


def test_a_change_landing_during_the_save_is_not_overwritten(pair, monkeypatch):
    """Another editor saves negative.txt while our temp files are being written."""
    trait = load_trait(str(pair))
    theirs = b"written by another editor meanwhile\n" * 5
    real = os.fsync
    done = {"hit": False}

    def fsync(fd):
        if not done["hit"]:
            done["hit"] = True
            (pair / NEGATIVE).write_bytes(theirs)
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(ConflictError):
        save_pair_files(pair, NEW_POS[:5], NEW_NEG[:5],
                        expected={POSITIVE: trait.positive.digest, NEGATIVE: trait.negative.digest})
    monkeypatch.undo()
    assert (pair / NEGATIVE).read_bytes() == theirs
    assert (pair / POSITIVE).read_bytes() == encoded(OLD_POS[:5])
    assert sorted(p.name for p in pair.iterdir()) == ["definition.txt", NEGATIVE, POSITIVE]


def test_undo_history_survives_a_failed_save(pair, monkeypatch):
    session = Session(load_trait(str(pair)), lint=lambda p, n: [])
    session.edit_line("positive", 1, "edited positive line, and so I said \"")
    session.cut_pair(3)
    history = list(session.undo_stack)
    before = snapshot_tree(pair)
    failing_replace(monkeypatch, lambda name, n: name == NEGATIVE)
    with pytest.raises(DatasetError):
        session.save()
    monkeypatch.undo()
    assert snapshot_tree(pair) == before
    assert session.undo_stack == history and session.dirty
    # A full disk: same.
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(DatasetError):
        session.save()
    monkeypatch.undo()
    assert session.undo_stack == history and session.dirty
    # An external change: a conflict, still nothing lost.
    (pair / POSITIVE).write_bytes(b"external\n" * 5)
    with pytest.raises(ConflictError):
        session.save()
    assert session.undo_stack == history and session.dirty
    (pair / POSITIVE).write_bytes(encoded(OLD_POS[:5]))
    # The edits can still be undone one by one, and saved once the fault is gone.
    session.undo()
    assert session.n_pairs == 5 and session.lines["positive"][1].startswith("edited")
    session.save()
    assert load_trait(str(pair)).positive.lines[1].startswith("edited")
    session.undo()
    assert session.lines["positive"] == OLD_POS[:5]
