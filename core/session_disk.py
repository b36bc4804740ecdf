"""The session against the disk: saving, reading what changed, reloading, conflicts.

Saving goes through `core.dataset.save_pair_files` with the digests seen at load (or at the
last save/reload): a file changed on disk since raises ConflictError and writes nothing.
`sync_from_disk` and `settle_conflict` are the decisions the editor used to take itself: they
act on the session and return what happened, for the editor to say and draw.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal, Optional

from .buffers import Operation, Snapshot
from .dataset import (DEFINITION, NEGATIVE, POSITIVE, DatasetError, Trait, file_digest,
                      load_trait, resolve_trait, save_pair_files)
from .dataset_pairing import ReopenNote, unmatched_save_note
from .rubric import Rubric

PAIR_FILES = (POSITIVE, NEGATIVE)


@dataclass
class DiskState:
    """What `read_disk` found. `theirs` is None when the pair files are what we last saw."""
    theirs: Optional[Snapshot] = None
    definition: Optional[str] = None          # new definition text, None when unchanged
    digests: dict[str, Optional[str]] = field(default_factory=dict)
    newlines: dict[str, str] = field(default_factory=dict)
    problem: Optional[str] = None             # the files cannot be loaded right now

    @property
    def changed(self) -> bool:
        return self.theirs is not None or self.definition is not None


@dataclass(frozen=True)
class Saved:
    """What a save wrote (the new digests) and, for an unmatched dataset a plain load would no
    longer open unmatched, what to tell the user (core.dataset_pairing.unmatched_save_note)."""
    digests: dict[str, str]
    reopen: Optional[ReopenNote] = None
    repeat: bool = False            # the previous save said the same: no need to insist


@dataclass(frozen=True)
class Conflict:
    """Both versions of a conflict, kept reachable after the user chose one."""
    mine: Snapshot
    theirs: Snapshot
    choice: str = ""
    matched: bool = True           # False: two sets of lines, compared side by side


class DiskSync:
    """A Session part. Owns: folder, disk_digests, newlines, last_conflict. Uses the buffers'
    snapshot/_touch/_replace_with and the results' mark_scores_stale (core.session)."""

    rubric: Rubric
    saved: Snapshot
    matched: bool
    trait: Trait
    name: str

    def _init_disk(self, folder: Path, digests: dict[str, Optional[str]],
                   newlines: dict[str, str]) -> None:
        self.folder = folder
        self.disk_digests: dict[str, Optional[str]] = {**digests,
                                                       DEFINITION: file_digest(folder / DEFINITION)}
        self.newlines = dict(newlines)
        self.last_conflict: Optional[Conflict] = None
        self.last_save: Optional[Saved] = None

    @property
    def definition(self) -> str:
        return self.rubric.text

    @property
    def def_epoch(self) -> int:
        return self.rubric.epoch

    def save(self) -> Saved:
        """Write both files atomically. Raises ConflictError (nothing written) when a file
        changed on disk since we last saw it, DatasetError for anything else. An unmatched
        dataset is saved as it is, whatever a later load will make of it: `Saved.reopen` says
        when a plain load would open it as pairs or refuse it, and what to do."""
        before = self.reopen_note
        snap = self.snapshot()
        digests = save_pair_files(self.folder, list(snap.positive), list(snap.negative),
                                  expected={n: self.disk_digests.get(n) for n in PAIR_FILES},
                                  newline=dict(self.newlines), matched=self.matched)
        self.disk_digests.update(digests)
        self.saved = snap
        self._touch()
        reopen = None if self.matched else unmatched_save_note(
            snap.positive, snap.negative, self.trait.pairing.declared, self._command_line_name())
        self.last_save = Saved(digests, reopen, repeat=reopen is not None and before is not None
                               and before.how is reopen.how)
        return self.last_save

    @property
    def reopen_note(self) -> Optional[ReopenNote]:
        """The last save's note while the files on disk are still the ones it wrote."""
        last = self.last_save
        if last is None or any(self.disk_digests.get(n) != d for n, d in last.digests.items()):
            return None
        return last.reopen

    def _command_line_name(self) -> str:
        """This dataset as `scenarios edit` takes it: its category/trait name when that finds
        this folder from here, else the folder's path."""
        try:
            if resolve_trait(self.name)[1] == self.folder.resolve():
                return shlex.quote(self.name)
        except DatasetError:
            pass
        return shlex.quote(str(self.folder))

    def read_disk(self) -> DiskState:
        """Compare the files on disk with what we last saw. Reads; changes nothing."""
        state = DiskState()
        digests = {n: file_digest(self.folder / n) for n in (POSITIVE, NEGATIVE, DEFINITION)}
        state.digests = digests
        pair_changed = any(digests[n] != self.disk_digests.get(n) for n in PAIR_FILES)
        def_changed = digests[DEFINITION] != self.disk_digests.get(DEFINITION)
        if not pair_changed and not def_changed:
            return state
        try:
            # The editor's mode holds: for matched pairs a count change on disk is a mismatch
            # to resolve, not a dataset turning unmatched under the open editor (nor the
            # reverse: an unmatched dataset whose sides happen to look paired stays unmatched).
            trait = load_trait(str(self.folder), check_steering=False,
                               pairing="matched" if self.matched else "unmatched",
                               pairing_source="the open editor",
                               require_definition=bool(self.definition))
        except DatasetError as exc:
            state.problem = str(exc.bare if exc.path is None else exc)
            return state
        state.digests = {POSITIVE: trait.positive.digest, NEGATIVE: trait.negative.digest,
                         DEFINITION: digests[DEFINITION]}
        state.newlines = {POSITIVE: trait.positive.newline, NEGATIVE: trait.negative.newline}
        if pair_changed:
            state.theirs = Snapshot(tuple(trait.positive.lines), tuple(trait.negative.lines))
        if (trait.definition or "") != self.definition:
            state.definition = trait.definition or ""
        return state

    def changed_files(self, state: DiskState) -> list[str]:
        """The pair files whose digest on disk differs from what we last saw."""
        return [n for n in PAIR_FILES if state.digests.get(n) != self.disk_digests.get(n)]

    def apply_definition(self, text: str, digest: Optional[str]) -> None:
        """definition.txt changed: every score is stale (re-judge), no completion is."""
        self.disk_digests[DEFINITION] = digest
        if self.rubric.change(text):
            self.mark_scores_stale()

    def _adopt_disk(self, state: DiskState) -> None:
        for n in PAIR_FILES:
            if n in state.digests:
                self.disk_digests[n] = state.digests[n]
        self.newlines.update(state.newlines)

    def take_theirs(self, state: DiskState, cursor: int = 0, *,
                    conflict: bool = False) -> Optional[Operation]:
        """Replace the buffers with the disk version, as one undoable operation (undo brings
        back what was in the editor). Returns None when the contents were already equal.
        `conflict`: the editor had unsaved edits; both versions stay in `last_conflict`."""
        assert state.theirs is not None
        self._adopt_disk(state)
        mine = self.snapshot()
        theirs = state.theirs
        self.saved = theirs
        if mine == theirs:
            self._touch()
            return None
        if conflict:
            self.last_conflict = Conflict(mine, theirs, "theirs", self.matched)
        return self._replace_with(mine, theirs, "take the disk version" if conflict
                                  else "reload from disk", cursor)

    def keep_mine(self, state: DiskState) -> None:
        """Keep the editor's version; the next save overwrites the disk (the user chose so).
        The disk version stays reachable in `last_conflict`."""
        assert state.theirs is not None
        self._adopt_disk(state)
        self.last_conflict = Conflict(self.snapshot(), state.theirs, "mine", self.matched)
        self.saved = state.theirs
        self._touch()

    def conflict_with(self, state: DiskState) -> Optional[Conflict]:
        """A conflict exists when the editor has unsaved edits and the disk holds something else."""
        if state.theirs is None:
            return None
        mine = self.snapshot()
        if not self.dirty or mine == state.theirs:
            return None
        return Conflict(mine, state.theirs, matched=self.matched)


# ---------------------------------------------------------------------- decisions

class DiskOutcome(StrEnum):
    PROBLEM = "problem"            # the files cannot be loaded right now; buffers untouched
    UNCHANGED = "unchanged"        # the disk holds what we last saw
    SYNCED = "synced"              # reloaded and/or the rubric adopted (see notes)
    CONFLICT = "conflict"          # unsaved edits and a different disk version: ask the user


@dataclass
class DiskReport:
    """What `sync_from_disk` did, for the editor to say and draw."""
    outcome: DiskOutcome
    state: DiskState
    notes: list[str] = field(default_factory=list)
    rejudge: bool = False          # the rubric changed: runs in flight judge the old one
    conflict: Optional[Conflict] = None
    files: list[str] = field(default_factory=list)    # pair files that changed


def sync_from_disk(session: DiskSync, cursor: int) -> DiskReport:
    """Read the disk and act on what can be decided without the user: a new rubric is adopted
    (every score re-judged), a changed pair of files is reloaded when the buffers are clean;
    unsaved edits and a different disk version make a conflict the user settles."""
    state = session.read_disk()
    if state.problem:
        return DiskReport(DiskOutcome.PROBLEM, state)
    if not state.changed:
        return DiskReport(DiskOutcome.UNCHANGED, state)
    out = DiskReport(DiskOutcome.SYNCED, state, files=session.changed_files(state))
    if state.definition is not None:
        session.apply_definition(state.definition, state.digests.get(DEFINITION))
        out.rejudge = True
        out.notes.append(f"Re-judging every line: {DEFINITION} changed (completions are reused)")
    if state.theirs is not None:
        out.conflict = session.conflict_with(state)
        if out.conflict is not None:
            out.outcome = DiskOutcome.CONFLICT
        elif session.take_theirs(state, cursor) is not None:
            out.notes.append(f"Reloaded {', '.join(out.files)} from disk (u undoes)")
    return out


ConflictChoice = Literal["mine", "theirs"]


class Settled(StrEnum):
    GONE = "gone"                  # the disk went back to what we loaded: no conflict
    MOVED = "moved"                # the disk changed again meanwhile: ask again with `state`
    TOOK_THEIRS = "theirs"
    KEPT_MINE = "mine"
    LEFT_OPEN = "open"             # the user closed the dialog without choosing


def settle_conflict(session: DiskSync, asked: DiskState, choice: Optional[str],
                    cursor: int) -> tuple[Settled, DiskState]:
    """Apply the user's choice in a conflict, unless the disk moved while they decided."""
    now = session.read_disk()
    if now.theirs is None:
        return Settled.GONE, now
    if now.theirs != asked.theirs:
        return Settled.MOVED, now
    if choice == "theirs":
        session.take_theirs(now, cursor, conflict=True)
        return Settled.TOOK_THEIRS, now
    if choice == "mine":
        session.keep_mine(now)
        return Settled.KEPT_MINE, now
    return Settled.LEFT_OPEN, now
