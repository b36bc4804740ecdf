"""scenario studio's editor: the Textual app (tui.run opens it for `scenarios edit`).

The app talks to core only through the session (core.session), the dataset API and the
runner's event stream; what to test when (core.scheduler) and what a change on disk means
(core.session_disk) are decided in core. Background work never touches widgets:

* test runs go to the runner's host: its own process for `scenarios edit`
  (core.runner_process), else an event loop in a thread (tui.runner_thread). Either posts the
  events as RunnerEvents, one message per frame, and always a RunFinished at the end (also on
  error or cancel);
* the watch worker (tui.disk) iterates core.watch.watch_trait and posts DiskChanged;
* one thread worker lints the dataset as opened, then warms up the judge of a runner in this
  process.

Message handlers fold events into the session and schedule a redraw at most every 80 ms (later
while keys come fast: keys first, see tui.pacing).
Screens other than the main one are imported when first shown: the first frame needs none of
them (the edit screen alone brings in Textual's TextArea).
"""
from __future__ import annotations

import asyncio
import time
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Optional

from rich.text import Text
from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from core.backend_state import unconfigured
from core.backends.local import LocalBackend
from core.cache import Cache
from core.config import Config
from core.events import BackendState, BackendStatus
from core.dataset import NEGATIVE, POSITIVE, ConflictError, DatasetError, Trait
from core.results import build_results, results_dir, write_results
from core.scheduler import Scheduler
from core.session import Session
from core.session_lint import LintKey
from core.run_service import Reply, RunBatch
from core.runner import Runner
from core.runner_process import RunnerProcess, recipe_of
from core.watch import StopFlag

from .collector import IDLE_S, FullCollections, freeze_now
from .pacing import GatedImports, KeyGate, Paced
from .cowriter import CoWriterActions
from .disk import DiskActions
from .messages import LintReady, RunFinished, RunnerEvents
from .actions import EVERYWHERE, PALETTE_HELP, StudioAction, bindings, palette
from .runner_thread import RunnerThread, ThreadHost
from .screens.main import MainScreen
from .screens.sides import SidesScreen

REDRAW_S = 0.08          # results that stream in are drawn at most this often (keys first)
SETTLE_S = 0.25          # after the first frame, before the opening run and background work start
NOTICE_S = 30.0          # a notice after a save: long enough to read and copy a command


class StudioApp(CoWriterActions, DiskActions, App[int]):
    CSS_PATH = str(Path(__file__).with_name("studio.tcss"))   # absolute: subclasses live elsewhere
    TITLE = "scenario studio"
    BINDINGS = bindings(EVERYWHERE)

    def __init__(self, trait: Trait, *, cfg: Config | None = None, runner: Runner | None = None,
                 cache: Cache | None = None, refresh: bool = False, watch: bool = True,
                 autorun: bool = True, runner_process: bool = False) -> None:
        """`runner_process`: run tests in a process of its own (core.runner_process), which the
        runner must allow (recipe_of raises CannotMove otherwise)."""
        super().__init__()
        self.cfg = cfg or Config()
        self.runner = runner
        self.cache = cache if cache is not None else (runner.cache if runner is not None else None)
        self.session = Session(
            trait, thresholds=self.cfg.thresholds, cache=self.cache,
            rubric=runner.rubric if runner is not None else None,
            backends=runner.setup_status() if runner is not None else unconfigured(self.cfg.backend))
        self.session.lint_enabled = False       # computed after the first frame (see on_ready)
        self.session.lint_deferred = True       # and after the frame that shows an edit
        self.watch_enabled = watch
        self._opening_run_due = autorun and runner is not None    # started once the screen settles
        self.scheduler = Scheduler()
        self._runner_thread = RunnerThread()     # the judge's client (the co-writer's too)
        self._host: RunnerProcess | ThreadHost | None = None
        if runner is not None:
            self._host = (RunnerProcess(recipe_of(runner), self._deliver) if runner_process
                          else ThreadHost(runner, self._runner_thread, self._deliver))
        self._redraw_pacer = Paced(self, self._redraw_results, first_s=REDRAW_S)
        self.last_key = 0.0               # when the last key came (tui.pacing, tui.collector)
        self.key_gate = KeyGate()
        self._gated_imports: Optional[GatedImports] = None
        if self._host is not None and self._host.in_process:
            # in this process the runner's work shares the GIL with the editor's loop
            if isinstance(runner.backend, LocalBackend):
                runner.backend.between_steps = self.key_gate.wait
            if runner.judge is not None:
                runner.judge.between_steps = self.key_gate.wait
        self._watch_stop = StopFlag()     # set on exit: also says the app is closing
        self._conflict_open = False
        self._announce_done = False
        self.collections = FullCollections()
        if runner is not None:
            self.session.prefill(runner.cached_results)
            if refresh:
                self.session.request_refresh(range(self.session.n_pairs))
            self.prefill_predictions()

    # ---------------------------------------------------------------- starting
    def get_default_screen(self) -> Screen:
        # A matched dataset's pairs, or an unmatched one's two sides, each scrolling alone.
        self.main = MainScreen() if self.session.matched else SidesScreen()
        return self.main

    def say(self, text: str, level: str = "info") -> None:
        self.main.say(text, level)

    def on_ready(self) -> None:
        """The first frame is up: say what was opened, start watching; testing starts once the
        first screen has settled."""
        # other threads' imports pause while a key is answered (made here, on the loop's thread)
        self._gated_imports = GatedImports(self.key_gate)
        self._gated_imports.install()
        if self.collections.take_over():
            self.set_interval(IDLE_S / 2, lambda: self.collections.tick(self.last_key), name="full-gc")
        self.set_timer(SETTLE_S, self._start_background)
        self.say(self._opened_note())
        if self.watch_enabled:
            self._watch()

    def _opened_note(self) -> str:
        s = self.session
        cached, lines = s.cached_lines()
        note = f"Opened {s.size}; {cached} of {lines} lines have cached results."
        for w in s.trait.warnings:
            note += f" {w}."
        if self.runner is None:
            note += " No backend: editing and review only."
        return note

    def _start_background(self) -> None:
        """Once the first screen has settled (the footer and focus set up, the first layouts),
        start testing and the background thread: the first keys would otherwise wait on the
        settling, the first results and the thread at once."""
        if self._watch_stop.is_set():
            return
        if self._opening_run_due:
            self._opening_run_due = False
            n = self.request_tests()
            note = self._opened_note()
            if n:
                self._announce_done = True
                if self.main.message.message == note:      # a key said nothing newer meanwhile
                    self.say(note + f" Testing {n} line{'s' if n != 1 else ''}…")
        self._in_background(self.session.lint_key())

    @work(thread=True, exclusive=True, group="background", exit_on_error=False)
    def _in_background(self, key: LintKey) -> None:
        """One thread (each takes the GIL from the event loop a share of the time): lint the
        dataset as opened, then warm up the judge of a runner in this process. Its first call
        would otherwise do its one-time work (the SDK's lazy imports, building the client, the
        reply validators) on the runner's loop while results start streaming in and the user
        types."""
        self.post_message(LintReady(key, self.session.compute_lint(key)))
        # A runner process imports the SDK in its own interpreter, at its first judge call; in
        # this one the SDK then loads only for the co-writer's first question (Judge.ask).
        judge = self.runner.judge if self._host is not None and self._host.in_process else None
        if judge is not None:
            try:
                judge.warm_up()             # its import pauses while a key is answered
            except Exception:
                return       # best effort: the judge does the same work itself when it needs it
            freeze_now()         # the SDK's objects live as long as the process

    def on_lint_ready(self, message: LintReady) -> None:
        self.session.adopt_lint(message.key, message.result)
        if self._watch_stop.is_set() or not self.main.is_attached:
            return                  # closing: the screen's widgets may be gone already
        self.session.lint_enabled = True
        try:
            self.main.refresh_view()
        except NoMatches:
            pass

    def post_display_hook(self) -> None:
        """A frame went out: local decoding may go on (tui.pacing.KeyGate)."""
        self.key_gate.open()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_key = time.monotonic()
            self.key_gate.close()       # background decoding waits until a frame is drawn
        await super().on_event(event)

    # ---------------------------------------------------------------- tests
    @property
    def testing(self) -> bool:
        return self.scheduler.testing

    @property
    def running_items(self) -> int:
        return self.scheduler.running_items

    @property
    def busy(self) -> bool:
        """A run in flight or queued (the opening run counts from the start)."""
        return self.scheduler.testing or self.scheduler.queued or self._opening_run_due

    def request_tests(self, *, include_blocked: bool = False, restart: bool = False) -> int:
        """Start a run for whatever has no result yet (queued behind a run in flight).
        Returns how many lines the new run tests (0 when queued or nothing to do)."""
        if self._host is None:
            return 0
        if restart and (token := self.scheduler.cancel(self.session)) is not None:
            self._host.cancel(token)
        plan = self.scheduler.request(self.session, include_blocked=include_blocked)
        if plan is None:
            return 0
        self._host.start(plan)
        self.schedule_redraw()
        return plan.size

    def _deliver(self, reply: Reply) -> None:
        """The runner's host replies, from another thread."""
        if isinstance(reply, RunBatch):
            self.post_message(RunnerEvents(reply.events, reply.token, reply.epoch))
        else:
            self.post_message(RunFinished(reply.token, reply.error, reply.cancelled))

    def on_runner_events(self, message: RunnerEvents) -> None:
        changed = False
        for ev in message.events:
            if self.session.apply_event(ev, message.epoch):
                changed = True
                if isinstance(ev, BackendStatus) and ev.state == BackendState.READY \
                        and ev.backend == "local" and self._host is not None and self._host.in_process:
                    freeze_now()      # a model just loaded: its objects live as long as the process
        if changed:
            self.schedule_redraw()

    def on_run_finished(self, message: RunFinished) -> None:
        end = self.scheduler.finished(self.session, message.token, cancelled=message.cancelled)
        if not end.current:
            return                          # a run we already cancelled and replaced
        run = self.session.last_run
        if message.error:
            self.say(f"Test run failed: {message.error}. Lines it did not finish stay untested "
                     "(R retries).", "error")
        elif end.left and not message.cancelled:
            fatal = run.fatal if run else None
            self.say(f"{end.left} line{'s' if end.left != 1 else ''} not finished"
                     + (f": {fatal}" if fatal else "") + ".", "warning")
        elif not message.cancelled and self._announce_done and run is not None:
            errors = (f", {run.errors} error{'s' if run.errors != 1 else ''} (ERR rows say why)"
                      if run.errors else "")
            self.say(f"Tested: {run.generations} generated, {run.judge_calls} judged{errors}"
                     f" in {run.elapsed_s:.1f}s.", "error" if run.errors else "ok")
        self._announce_done = False
        if end.follow_up is not None:
            self.request_tests(include_blocked=end.follow_up)
        self.schedule_redraw()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            err = event.worker.error
            self.say(f"Background task {event.worker.name} failed: {type(err).__name__}: {err}", "error")

    def schedule_redraw(self) -> None:
        """Draw the results that came in, keys first (tui.pacing): a redraw (~10 ms of work and
        a frame on two busy cores) that runs when a key arrives makes that key wait for it."""
        self._redraw_pacer.ask()

    def _redraw_results(self) -> None:
        if self._watch_stop.is_set() or not self.main.is_attached:
            return                  # closing: the screen's widgets may be gone already
        self.main.refresh_view()
        screen = self.screen
        if screen is not self.main:
            from .screens.review import ReviewScreen
            if isinstance(screen, ReviewScreen):
                screen.refresh_all()

    # ---------------------------------------------------------------- saving
    def save(self) -> bool:
        s = self.session
        if not s.dirty:
            n = self.request_tests(include_blocked=True)
            self.say("Nothing to save." + (f" Testing {n} untested lines." if n else ""))
            return True
        blocker = s.unsavable()
        if blocker:
            self.say(f"Not saved: {blocker}.", "error")
            return False
        what = s.describe_changes() or "no line changed"
        try:
            saved = s.save()
        except ConflictError:
            self.check_disk(forced=True)
            return False
        except DatasetError as exc:
            self.say(f"Not saved: {exc}", "error")
            return False
        n = self.request_tests(include_blocked=True)
        note = saved.reopen
        if note is None:
            self.say(f"Saved {POSITIVE} and {NEGATIVE}: {s.size} ({what})."
                     + (f" Testing {n} line{'s' if n != 1 else ''}." if n else ""), "ok")
        else:       # an unmatched dataset that a plain load will open as pairs, or refuse
            self.say(note.short, "warning" if note.warning else "info")
            if not saved.repeat:
                self.notify(note.detail, title=f"Saved {s.size}", markup=False, timeout=NOTICE_S,
                            severity="warning" if note.warning else "information")
        self.main.refresh_view()
        return True

    # ---------------------------------------------------------------- results.json
    def action_write_results(self) -> None:
        s = self.session
        try:
            payload = build_results(s.side_results("positive"), s.side_results("negative"),
                                    cfg=self.cfg, definition=s.definition, trait=s.name,
                                    review=s.review_marks(), matched=s.matched,
                                    run={"source": "editor", "unsaved": s.dirty})
            path = write_results(results_dir(s.name), payload)
        except Exception as exc:
            self.say(f"results.json not written: {type(exc).__name__}: {exc}", "error")
            return
        self.say(f"Wrote {path}" + (" (from unsaved buffers)" if s.dirty else "") + ".", "ok")

    # ---------------------------------------------------------------- help, palette, quit
    def action_help(self) -> None:
        """Keys from the same lists the bindings are made of (tui.actions), plus the legend."""
        from .screens.help import HelpScreen

        def rows(actions: Iterable[StudioAction]) -> list[tuple[str, str]]:
            return [(", ".join(self.get_key_display(Binding(k.strip(), a.action))
                               for k in a.keys.split(",")), a.help)
                    for a in actions if a.keys]

        sections = [(title, rows(actions)) for title, actions in self.main.HELP] + [
            ("Everywhere", [("ctrl+p", PALETTE_HELP)] + [(a.keys, a.help) for a in EVERYWHERE])]
        self.push_screen(HelpScreen(sections, self.main.legend))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for a in palette(self.main.ACTIONS):
            yield SystemCommand(a.palette, a.help[:1].upper() + a.help[1:],
                                partial(self.run_action, a.action, self.main))

    def request_quit(self) -> None:
        s = self.session
        if not s.dirty:
            self.exit(0)
            return
        from .screens.quit import QuitScreen
        detail = (f"{POSITIVE} and {NEGATIVE} have unsaved changes: "
                  f"{s.describe_changes() or 'edits'}.")

        def decided(choice: Optional[str]) -> None:
            if choice == "save":
                if self.save():
                    self.exit(0)
            elif choice == "discard":
                self.exit(0)

        self.push_screen(QuitScreen(detail), decided)

    async def action_quit(self) -> None:
        self.request_quit()

    def exit(self, *args: Any, **kw: Any) -> None:  # type: ignore[override]
        self._watch_stop.set()
        note = self.session.reopen_note
        if note is not None and len(args) < 3 and "message" not in kw:
            # How the saved files open next time, left in the terminal (plain text: no markup)
            kw["message"] = Text(note.detail)
        super().exit(*args, **kw)

    async def on_unmount(self) -> None:
        self._watch_stop.set()
        if self._gated_imports is not None:
            self._gated_imports.remove()
        self.key_gate.open()
        self.collections.give_back()
        if self._host is not None:
            await asyncio.to_thread(self._host.close)
        judge = self.runner.judge if self.runner is not None else None
        if judge is not None:
            # the judge's client belongs to the client loop (tui.runner_thread): close it there
            try:
                await self._runner_thread.run(judge.aclose(), timeout=2.0)
            except Exception:
                pass
        self._runner_thread.stop()
