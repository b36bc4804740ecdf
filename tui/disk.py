"""The editor's side of the disk (a StudioApp part): the watch worker, and drawing what
core.session_disk decides when the files change: reload, re-judge, or the conflict dialog
(keep mine, take theirs, show both), and the last conflict from the palette."""
from __future__ import annotations

import asyncio
from typing import Any, Optional

from textual import work

from core.results import results_dir
from core.session import DiskState
from core.session_disk import DiskOutcome, Settled, settle_conflict, sync_from_disk
from core.watch import watch_trait

from .messages import DiskChanged, WatchFailed


class DiskActions:
    """A StudioApp part. Reads the app's session, main screen, say, request_tests and
    _watch_stop; owns whether a conflict dialog is open."""

    session: Any
    main: Any
    _watch_stop: Any
    _conflict_open: bool = False

    @work(group="watch", exclusive=True, exit_on_error=False, name="watch")
    async def _watch(self) -> None:
        try:
            async for names in watch_trait(self.session.folder, lambda: self.session.disk_digests,
                                           stop=self._watch_stop,
                                           results_dir=results_dir(self.session.name)):
                self.post_message(DiskChanged(names))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.post_message(WatchFailed(f"{type(exc).__name__}: {exc}"))

    def on_disk_changed(self, message: DiskChanged) -> None:
        self.check_disk()

    def on_watch_failed(self, message: WatchFailed) -> None:
        self.say(f"Not watching the files any more ({message.error}); saves from other editors "
                 "will not show until you reopen.", "warning")

    def _cursor(self) -> int:
        return self.main.table.current_row or 0

    def check_disk(self, forced: bool = False) -> None:
        """Read the disk and draw what core.session_disk decided: reload, re-judge, or ask."""
        report = sync_from_disk(self.session, self._cursor())
        if report.outcome == DiskOutcome.PROBLEM:
            self.say(f"On disk: {report.state.problem}. Your buffers are untouched; waiting for a "
                     "consistent pair.", "warning")
            return
        if report.outcome == DiskOutcome.UNCHANGED:
            if forced:
                self.say("The files on disk match what you last loaded.")
            return
        if report.outcome == DiskOutcome.CONFLICT:
            self.open_conflict(report.state)
        if report.notes:
            self.say("; ".join(report.notes) + ".", "ok")
        self.request_tests(include_blocked=True, restart=report.rejudge)
        self.main.refresh_view()

    def open_conflict(self, state: DiskState) -> None:
        if self._conflict_open:
            return        # the open dialog re-reads the disk when the user decides
        conflict = self.session.conflict_with(state)
        if conflict is None:
            return
        self._conflict_open = True
        files = self.session.changed_files(state)
        from .screens.conflict import ConflictScreen
        self.say("Conflict: the files changed on disk and you have unsaved edits.", "warning")

        def decided(choice: Optional[str]) -> None:
            self._conflict_open = False
            outcome, now = settle_conflict(self.session, state, choice, self._cursor())
            if outcome == Settled.GONE:
                self.say("The disk version went back to what you loaded: no conflict any more.")
                return
            if outcome == Settled.MOVED:
                self.say("The files changed again while you decided: showing the new version.", "warning")
                self.open_conflict(now)
                return
            if outcome == Settled.TOOK_THEIRS:
                self.say("Took the disk version. Your version is one u (undo) away.", "ok")
            elif outcome == Settled.KEPT_MINE:
                self.say("Kept your version (unsaved). ctrl+s overwrites the disk; palette → "
                         "Show last conflict shows the disk version.", "ok")
            else:
                self.say("Conflict left open: saving will ask again.", "warning")
            self.request_tests()
            self.main.refresh_view()

        self.push_screen(ConflictScreen(conflict, files), decided)

    def action_reload(self) -> None:
        self.check_disk(forced=True)

    def action_show_last_conflict(self) -> None:
        last = self.session.last_conflict
        if last is None:
            self.say("No conflict so far in this session.")
            return
        from .screens.conflict import BothScreen

        def chosen(choice: Optional[str]) -> None:
            if choice not in ("mine", "theirs"):
                return
            snap = last.mine if choice == "mine" else last.theirs
            op = self.session.replace_buffers(
                snap, "your version from the conflict" if choice == "mine" else "the disk version from the conflict",
                self._cursor())
            self.say("Nothing changed: that version is already in the editor." if op is None
                     else f"Put {op.description} into the editor (u undoes).")
            self.request_tests()
            self.main.refresh_view()

        self.push_screen(BothScreen(last, mode="view"), chosen)
