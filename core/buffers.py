"""The editor's two line buffers with undo/redo: what is being edited, and what was saved.

Rows are matched by line number (row N = line N of positive.txt and of negative.txt). Undo/redo
keep whole snapshots of both buffers per operation (a few hundred short strings): simple and
impossible to get out of step. `dirty` is "the buffers differ from what is on disk", so undoing
back to the saved state is clean again.

Each side is its own list. An unmatched dataset (`matched` False) edits one side at a time:
`cut_line` and `add_line` touch one list, and its changes are counted per side
(`diff_lines`); `n_pairs` is the longer side's length.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal, Optional, Sequence

from .events import SIDES, Side

OperationKind = Literal["cut", "edit", "add", "reload"]


class EditError(ValueError):
    """An edit the buffers refuse (blank line, line break). The message is for the user."""


@dataclass(frozen=True)
class Snapshot:
    positive: tuple[str, ...]
    negative: tuple[str, ...]

    def side(self, side: str) -> tuple[str, ...]:
        return self.positive if side == "positive" else self.negative

    @property
    def pairs(self) -> int:
        return max(len(self.positive), len(self.negative))


@dataclass(frozen=True)
class Operation:
    kind: OperationKind
    description: str
    before: Snapshot
    after: Snapshot
    cursor_before: int
    cursor_after: int
    side: Optional[str] = None       # the one side an unmatched dataset's operation touched


@dataclass(frozen=True)
class PairDiff:
    """One differing row between two snapshots, for the 'show both' view."""
    mine_line: Optional[int]        # 1-based, None when the row is not in mine
    theirs_line: Optional[int]
    mine: Optional[tuple[str, str]]
    theirs: Optional[tuple[str, str]]


def _aligned(a: Sequence[Any], b: Sequence[Any]) -> list[tuple[Optional[int], Optional[int]]]:
    """The differing positions of two sequences aligned by content (difflib): (i, j) 0-based,
    None where an item is on one side only."""
    out: list[tuple[Optional[int], Optional[int]]] = []
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            out.append((i if i < i2 else None, j if j < j2 else None))
    return out


def diff_pairs(mine: Snapshot, theirs: Snapshot) -> list[PairDiff]:
    """Rows that differ between two versions, aligned by content (difflib on the pairs)."""
    a = list(zip(mine.positive, mine.negative))
    b = list(zip(theirs.positive, theirs.negative))
    return [PairDiff(None if i is None else i + 1, None if j is None else j + 1,
                     None if i is None else a[i], None if j is None else b[j])
            for i, j in _aligned(a, b)]


@dataclass(frozen=True)
class LineDiff:
    """One differing line of one side between two versions (unmatched datasets)."""
    side: str
    mine_line: Optional[int]        # 1-based, None when the line is not in mine
    theirs_line: Optional[int]
    mine: Optional[str]
    theirs: Optional[str]


def diff_lines(mine: Snapshot, theirs: Snapshot) -> list[LineDiff]:
    """Lines that differ between two versions, side by side (no pairs: each side aligned by
    content on its own, so sides of different lengths compare)."""
    out: list[LineDiff] = []
    for side in SIDES:
        a, b = mine.side(side), theirs.side(side)
        out += [LineDiff(side, None if i is None else i + 1, None if j is None else j + 1,
                         None if i is None else a[i], None if j is None else b[j])
                for i, j in _aligned(a, b)]
    return out


def _counted(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def replaced_in_place(old: Snapshot, new: Snapshot) -> list[tuple[Side, str, str]]:
    """(side, old text, new text) for the lines replaced in place between two versions."""
    out: list[tuple[Side, str, str]] = []
    for side in SIDES:
        a_lines, b_lines = list(old.side(side)), list(new.side(side))
        sm = difflib.SequenceMatcher(a=a_lines, b=b_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "replace" and i2 - i1 == j2 - j1:
                out.extend((side, a, b) for a, b in zip(a_lines[i1:i2], b_lines[j1:j2]))
    return out


def clean_line(text: str) -> str:
    """What an edit may store: one line, not blank. Pasted line breaks are refused, not joined
    silently (the user decides where the scenario ends)."""
    if "\n" in text.rstrip("\r\n") or "\r" in text.rstrip("\r\n"):
        raise EditError("a scenario is one line: remove the line break (pairs are matched by line number)")
    text = text.rstrip("\r\n")
    if not text.strip():
        raise EditError("a scenario may not be blank (to remove a pair, cut it with d)")
    return text


class Buffers:
    """Both sides' lines, the saved version, and the undo/redo stacks (a Session part).

    Owns: lines, saved, undo_stack, redo_stack, prev_text, version, buf_version."""

    lines: dict[str, list[str]]
    saved: Snapshot

    def _init_buffers(self, positive: list[str], negative: list[str], matched: bool = True) -> None:
        self.matched = matched
        self.lines = {"positive": list(positive), "negative": list(negative)}
        self.saved = self.snapshot()
        self.undo_stack: list[Operation] = []
        self.redo_stack: list[Operation] = []
        # An edited line shows the result of the text it replaced (stale) until its own arrives.
        self.prev_text: dict[tuple[str, str], str] = {}
        self.version = 0                 # bumps on every change of buffers or results
        self.buf_version = 0             # bumps on every change of the buffers only

    @property
    def n_pairs(self) -> int:
        return max(len(self.lines["positive"]), len(self.lines["negative"]))

    def snapshot(self) -> Snapshot:
        return Snapshot(tuple(self.lines["positive"]), tuple(self.lines["negative"]))

    def text(self, side: str, idx: int) -> str:
        return self.lines[side][idx]

    @property
    def dirty(self) -> bool:
        return self.snapshot() != self.saved

    def describe_changes(self) -> str:
        """Unsaved changes in words: '1 pair cut, 2 pairs edited' ('' when clean); unmatched:
        '1 positive line cut, 1 negative line edited'."""
        if not self.matched:
            return self._describe_line_changes()
        diffs = diff_pairs(self.saved, self.snapshot())
        cut = sum(1 for d in diffs if d.theirs_line is None)
        added = sum(1 for d in diffs if d.mine_line is None)
        edited = len(diffs) - cut - added
        parts = [f"{n} pair{'s' if n != 1 else ''} {what}"
                 for n, what in ((cut, "cut"), (edited, "edited"), (added, "added")) if n]
        return ", ".join(parts)

    def _describe_line_changes(self) -> str:
        diffs = diff_lines(self.saved, self.snapshot())
        parts: list[str] = []
        for side in SIDES:
            mine = [d for d in diffs if d.side == side]
            cut = sum(1 for d in mine if d.theirs_line is None)
            added = sum(1 for d in mine if d.mine_line is None)
            parts += [f"{_counted(n, side + ' line')} {what}" for n, what in
                      ((cut, "cut"), (len(mine) - cut - added, "edited"), (added, "added")) if n]
        return ", ".join(parts)

    def _touch(self, buffers: bool = False) -> None:
        self.version += 1
        if buffers:
            self.buf_version += 1

    def _restore(self, snap: Snapshot) -> None:
        self.lines = {"positive": list(snap.positive), "negative": list(snap.negative)}
        self._touch(buffers=True)

    def _push(self, kind: OperationKind, description: str, before: Snapshot, cursor_before: int,
              cursor_after: int, side: Optional[str] = None) -> Operation:
        op = Operation(kind, description, before, self.snapshot(), cursor_before, cursor_after, side)
        self.undo_stack.append(op)
        self.redo_stack.clear()
        return op

    def cut_pair(self, idx: int) -> Operation:
        if not 0 <= idx < self.n_pairs:
            raise IndexError(idx)
        before = self.snapshot()
        for side in SIDES:
            del self.lines[side][idx]
        self._touch(buffers=True)
        return self._push("cut", f"cut pair {idx + 1}", before, idx,
                          min(idx, max(0, self.n_pairs - 1)))

    def cut_line(self, side: str, idx: int) -> Operation:
        """Remove one line of one side (an unmatched dataset: the other side is untouched)."""
        if not 0 <= idx < len(self.lines[side]):
            raise IndexError(idx)
        before = self.snapshot()
        del self.lines[side][idx]
        self._touch(buffers=True)
        after = min(idx, max(0, len(self.lines[side]) - 1))
        return self._push("cut", f"cut {side} line {idx + 1}", before, idx, after, side)

    def add_line(self, side: str, after: int, text: str) -> Operation:
        """Insert one line on one side after line `after` (-1: at the top); its cursor_after is
        the new line (an unmatched dataset)."""
        text = clean_line(text)
        at = max(0, min(after + 1, len(self.lines[side])))
        before = self.snapshot()
        self.lines[side].insert(at, text)
        self._touch(buffers=True)
        return self._push("add", f"add {side} line {at + 1}", before,
                          max(0, min(after, len(self.lines[side]) - 2)), at, side)

    def edit_line(self, side: str, idx: int, new_text: str) -> Optional[Operation]:
        """Replace one line. Returns None when the text did not change."""
        new_text = clean_line(new_text)
        old = self.lines[side][idx]
        if new_text == old:
            return None
        before = self.snapshot()
        self.lines[side][idx] = new_text
        self._remember_prev(side, old, new_text)
        self._touch(buffers=True)
        return self._push("edit", f"edit {side} line {idx + 1}", before, idx, idx, side)

    def add_pair(self, after: int, positive: str, negative: str) -> Operation:
        """Insert a pair after row `after` (-1: at the top). Returns the op; its cursor_after is
        the new row."""
        positive, negative = clean_line(positive), clean_line(negative)
        at = max(0, min(after + 1, self.n_pairs))
        before = self.snapshot()
        self.lines["positive"].insert(at, positive)
        self.lines["negative"].insert(at, negative)
        self._touch(buffers=True)
        return self._push("add", f"add pair {at + 1}", before, max(0, min(after, self.n_pairs - 1)), at)

    def replace_pair(self, idx: int, positive: str, negative: str,
                     description: str) -> Optional[Operation]:
        """Replace both lines of row idx as one undoable edit (a rewrite of the pair). Returns
        None when neither line changes."""
        positive, negative = clean_line(positive), clean_line(negative)
        if (self.lines["positive"][idx], self.lines["negative"][idx]) == (positive, negative):
            return None
        before = self.snapshot()
        for side, new in (("positive", positive), ("negative", negative)):
            self._remember_prev(side, self.lines[side][idx], new)
            self.lines[side][idx] = new
        self._touch(buffers=True)
        return self._push("edit", description, before, idx, idx)

    def replace_buffers(self, snap: Snapshot, description: str, cursor: int = 0) -> Optional[Operation]:
        """Put a whole version into the buffers as one undoable operation (e.g. the other side
        of a past conflict). Does not touch the disk or its digests."""
        before = self.snapshot()
        if snap == before:
            return None
        return self._replace_with(before, snap, description, cursor)

    def _replace_with(self, before: Snapshot, snap: Snapshot, description: str,
                      cursor: int) -> Operation:
        for side, old, new in replaced_in_place(before, snap):
            self._remember_prev(side, old, new)
        self._restore(snap)
        return self._push("reload", description, before, cursor, min(cursor, max(0, snap.pairs - 1)))

    def undo(self) -> Optional[Operation]:
        if not self.undo_stack:
            return None
        op = self.undo_stack.pop()
        self._restore(op.before)
        self.redo_stack.append(op)
        return op

    def redo(self) -> Optional[Operation]:
        if not self.redo_stack:
            return None
        op = self.redo_stack.pop()
        self._restore(op.after)
        self.undo_stack.append(op)
        return op

    def _remember_prev(self, side: str, old: str, new: str) -> None:
        if old != new and (side, new) not in self.prev_text:
            self.prev_text[(side, new)] = old
