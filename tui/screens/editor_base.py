"""What the two editor screens share: the pair screen (tui.screens.main, matched datasets) and
the sides screen (tui.screens.sides, unmatched ones). Both show the status bar, a message line
and the detail panel, lay out for 80x24 first and for wide or tall terminals, lint edits and
recompute the vector preview once the keys pause (tui.pacing), and save and retest the same way."""
from __future__ import annotations

from typing import Any, Optional

from textual import work
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from core.events import SIDES
from core.session import EditError, Operation
from core.session_vectors import VectorInputs

from ..messages import VectorsReady
from ..pacing import Paced
from ..widgets.detail import DetailPanel
from ..widgets.status import MessageLine, StatusBar, StatusInfo, backend_views

# While keys keep coming, how late (s) an edit's lint findings and the vector preview may be:
# both are advice a burst of cuts does not need frame by frame, and each costs a key ~10 ms.
LINT_MAX_WAIT_S = 3.0
VECTORS_MAX_WAIT_S = 3.0
WIDE = 140      # columns from which the detail panel sits beside the table
TALL = 36       # rows from which the detail panel gets more room


class EditorScreen(Screen):
    """The editor's screens' common part; subclasses draw the dataset (`refresh_view`)."""

    problems_only: reactive[bool] = reactive(False, init=False)
    """View state: only what has a problem is listed (f). The subclass's watcher redraws."""

    def __init__(self) -> None:
        super().__init__(id="main")
        self._lint_pacer = Paced(self, self._settle_lint, max_wait_s=LINT_MAX_WAIT_S)
        self._vectors_pacer = Paced(self, self._vectors_job, max_wait_s=VECTORS_MAX_WAIT_S)
        self._vectors_busy = False      # a vector report is being computed
        self._vectors_arrived: Optional[VectorsReady] = None     # computed, not shown yet

    @property
    def studio(self) -> Any:
        """The StudioApp (not imported here: tui.app imports this module, not the reverse)."""
        return self.app

    @property
    def last_key(self) -> float:
        """When the last key came (the pacers' host: tui.pacing)."""
        return self.studio.last_key

    @property
    def message(self) -> MessageLine:
        return self.query_one(MessageLine)

    def say(self, text: str, level: str = "info") -> None:
        self.message.say(text, level)

    def refresh_view(self, keep: Any = None) -> None:
        raise NotImplementedError

    def on_resize(self, event) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")
        self.set_class(event.size.height >= TALL and event.size.width < WIDE, "-tall")
        if self.is_mounted:
            self.call_after_refresh(self.refresh_status)

    def background_later(self) -> None:
        """After a redraw: lint the edited buffers (~10 ms for 150 pairs; rows meanwhile show
        the findings last computed for the same lines) and recompute the vector preview when
        its inputs changed, both once the keys pause (tui.pacing)."""
        session = self.studio.session
        if session.lint_stale:
            self._lint_pacer.ask()
        if self._vectors_arrived is not None or (not self._vectors_busy and not session.vectors_checked()):
            self._vectors_pacer.ask()

    def _settle_lint(self) -> None:
        if self.studio.session.settle_lint():
            self.refresh_view()

    def _vectors_job(self) -> None:
        """Show a report that arrived, else start computing one when its inputs changed: tens
        of ms for 8B-sized states, so in a worker thread, never on the editor's loop. One at a
        time: showing one asks again if the results moved on meanwhile. (A worker per redraw
        while results streamed in cost the loop ~5 ms to build the inputs and start each one,
        and their threads took the GIL from the keys.)"""
        arrived, self._vectors_arrived = self._vectors_arrived, None
        if arrived is not None:
            self.studio.session.adopt_vectors(arrived.inputs, arrived.report)
            self.refresh_view()         # draws it, and asks again if the results moved on
            return
        inputs = None if self._vectors_busy else self.studio.session.vector_inputs()
        if inputs is not None:
            self._vectors_busy = True
            self._compute_vectors(inputs)

    @work(thread=True, exclusive=True, group="vectors", exit_on_error=False)
    def _compute_vectors(self, inputs: VectorInputs) -> None:
        report = inputs.compute()
        if not get_current_worker().is_cancelled:
            self.post_message(VectorsReady(inputs, report))

    def on_vectors_ready(self, message: VectorsReady) -> None:
        self._vectors_busy = False
        self._vectors_arrived = message
        self._vectors_pacer.ask()       # shown keys first, like the results

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "vectors" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._vectors_busy = False  # it will not report: the next redraw may ask again

    def refresh_status(self) -> None:
        studio = self.studio
        gen, judge = backend_views(studio.session, studio.cfg)
        self.query_one(StatusBar).set(studio.session, StatusInfo(
            gen, judge, running=studio.running_items, problems_only=self.problems_only))

    # ---------------------------------------------------------------- actions
    def after_history(self, op: Operation, cursor: int) -> None:
        """Show the buffers an undo or redo left (the cursor on `cursor`) and test what they
        need: each screen keeps its own kind of cursor."""
        raise NotImplementedError

    def action_undo(self) -> None:
        op = self.studio.session.undo()
        if op is None:
            self.say("Nothing to undo.", "warning")
            return
        self.after_history(op, op.cursor_before)
        self.say(f"Undid: {op.description}. U or ctrl+y redoes it.")

    def action_redo(self) -> None:
        op = self.studio.session.redo()
        if op is None:
            self.say("Nothing to redo.", "warning")
            return
        self.after_history(op, op.cursor_after)
        self.say(f"Redid: {op.description}.")

    def action_save(self) -> None:
        self.studio.save()

    def action_retest_all(self) -> None:
        if self.studio.runner is None:
            self.say("No backend: nothing can be tested.", "warning")
            return
        n = self.studio.request_tests(include_blocked=True)
        self.say(f"Testing {n} untested line{'s' if n != 1 else ''}." if n else "Every line has a result.")

    def edit_line(self, side: str, row: int, keep: Any) -> None:
        """Open the edit screen on one line; a changed line is tested at once (`keep`: where the
        screen's refresh_view keeps the cursor)."""
        from .edit import EditScreen
        session = self.studio.session

        def done(values: Optional[list[str]]) -> None:
            if not values:
                return
            try:
                op = session.edit_line(side, row, values[0])
            except EditError as exc:
                self.say(str(exc), "error")
                return
            if op is None:
                self.say("No change.")
                return
            self.refresh_view(keep=keep)
            n = self.studio.request_tests()
            self.say(f"Edited {side} line {row + 1}" + ("; testing it now." if n else ".")
                     + " ctrl+s saves.")

        self.app.push_screen(EditScreen(f"Edit {side} line {row + 1}",
                                        [(side, session.text(side, row))]), done)

    def _go_problem(self, step: int) -> None:
        raise NotImplementedError

    def action_next_problem(self) -> None:
        self._go_problem(1)

    def action_prev_problem(self) -> None:
        self._go_problem(-1)

    def retest(self, row: int, what: str, sides: tuple[str, ...] = SIDES) -> None:
        """Re-test one row of these sides ignoring the cache (`what` names it in the message)."""
        if self.studio.runner is None:
            self.say("No backend: nothing can be re-tested.", "warning")
            return
        self.studio.session.request_refresh([row], sides=sides)
        self.studio.request_tests()
        self.refresh_view()
        self.say(f"Re-testing {what} without the cache.")

    def action_vet(self) -> None:
        self.studio.start_vet()

    def action_detail_down(self) -> None:
        self.query_one(DetailPanel).scroll_relative(y=3, animate=False)

    def action_detail_up(self) -> None:
        self.query_one(DetailPanel).scroll_relative(y=-3, animate=False)
