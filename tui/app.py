"""scenario studio's editor: the Textual app and `run_editor`, which `scenarios edit` calls.

The app talks to core only through the session (core.session), the dataset API and the
runner's event stream. Background work runs in workers that never touch widgets:

* group "tests" (exclusive): iterates `Runner.run(items)` and posts each event as a
  RunnerEvent message; a RunFinished message always follows (even on error or cancel).
* group "watch" (exclusive): iterates core.watch.watch_trait and posts DiskChanged.

Message handlers fold events into the session and schedule a redraw at most every 80 ms.
"""
from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from core.cache import Cache
from core.config import Config
from core.dataset import DEFINITION, NEGATIVE, POSITIVE, ConflictError, DatasetError, Trait, load_trait
from core.events import Event
from core.session import DiskState, Session
from core.watch import StopFlag, watch_trait

from .screens.conflict import BothScreen, ConflictScreen
from .screens.help import HelpScreen
from .screens.quit import QuitScreen
from .screens.main import LEGEND, MainScreen
from .warmup import judge_warm_up

REDRAW_S = 0.08
GC_IDLE_S = 0.5          # a full collection runs once no key came for this long ...
GC_MAX_S = 30.0          # ... or, while keys keep coming, at least this often
_FROZEN_AT_FIRST_FRAME = False
SETTLE_S = 0.25          # after the first frame, before background work starts


class RunnerEvent(Message):
    """One event of the runner's stream, with the run it belongs to."""

    def __init__(self, event: Event, token: int, epoch: int) -> None:
        self.event = event
        self.token = token
        self.epoch = epoch
        super().__init__()


class RunFinished(Message):
    def __init__(self, token: int, error: Optional[str], cancelled: bool) -> None:
        self.token = token
        self.error = error
        self.cancelled = cancelled
        super().__init__()


class LintReady(Message):
    """The lint findings of the buffers as they were when the editor opened (computed in a
    thread: ~10 ms of Python for 150 pairs, which the first keys would otherwise wait for)."""

    def __init__(self, key: Any, result: Any) -> None:
        self.key = key
        self.result = result
        super().__init__()


class DiskChanged(Message):
    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        super().__init__()


class WatchFailed(Message):
    def __init__(self, error: str) -> None:
        self.error = error
        super().__init__()


def results_dir(trait_name: str) -> Path:
    """Where the editor writes results.json (as `scenarios test` does by default)."""
    return Path.cwd() / "scenario-runs" / trait_name


class StudioApp(App[int]):
    CSS_PATH = str(Path(__file__).with_name("studio.tcss"))   # absolute: subclasses live elsewhere
    TITLE = "scenario studio"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(self, trait: Trait, *, cfg: Config | None = None, runner: Any = None,
                 cache: Cache | None = None, refresh: bool = False, watch: bool = True,
                 autorun: bool = True) -> None:
        super().__init__()
        self.cfg = cfg or Config()
        self.runner = runner
        self.cache = cache if cache is not None else getattr(runner, "cache", None)
        self.session = Session(trait, thresholds=self.cfg.thresholds, cache=self.cache)
        self.session.lint_enabled = False       # computed after the first frame (see main_ready)
        self.session.lint_deferred = True       # and after the frame that shows an edit
        self.refresh_all = refresh
        self.watch_enabled = watch
        self.autorun = autorun
        self.running_items = 0
        self._run_token: Optional[int] = None
        self._run_worker: Optional[Worker] = None
        self._more = False
        self._more_blocked = False
        self._redraw_timer: Optional[Timer] = None
        self._watch_stop = StopFlag()
        self._conflict_open = False
        self.events_seen = 0
        self._announce_done = False
        self._gc_saved: Optional[tuple[int, int, int]] = None
        self._gc_saved_full_every = 10
        self._last_key = 0.0
        self._last_full_gc = 0.0
        if runner is not None:
            self.session.prefill(runner.cached_completion, runner.cached_score)
            if refresh:
                self.session.request_refresh(range(self.session.n_pairs))

    # ---------------------------------------------------------------- screens
    def get_default_screen(self) -> Screen:
        self.main = MainScreen()
        return self.main

    def say(self, text: str, level: str = "info") -> None:
        self.main.say(text, level)

    def main_ready(self) -> None:
        """The main screen is composed: say what was opened, start watching and testing."""
        if getattr(self, "_started", False):
            return
        self._started = True
        self.call_after_refresh(self._after_first_frame)
        s = self.session
        cached = sum(1 for side in ("positive", "negative") for i in range(s.n_pairs)
                     if s.has_fresh_result(side, s.text(side, i)))
        note = f"Opened {s.n_pairs} pairs; {cached} of {2 * s.n_pairs} lines have cached results."
        for w in s.trait.warnings:
            note += f" {w}."
        if self.runner is None:
            note += " No backend: editing and review only."
        self.say(note)
        if self.watch_enabled:
            self.run_worker(self._watch(), group="watch", exclusive=True, exit_on_error=False,
                            name="watch")
        if self.autorun:
            n = self.request_tests()
            if n:
                self._announce_done = True
                self.say(note + f" Testing {n} line{'s' if n != 1 else ''}…")

    def _after_first_frame(self) -> None:
        self._take_over_full_collections()
        self.set_timer(SETTLE_S, self._start_background)

    def _start_background(self) -> None:
        """One background thread (each one takes the GIL from the event loop a share of the
        time): lint the dataset as opened, then warm the judge up when it offers that. It starts
        once the first screen has settled (the footer and focus set up, the first layouts): the
        first keys would otherwise wait on it and on them at once."""
        if self._exit:
            return
        threading.Thread(target=self._in_background, args=(self.session.lint_key(),
                                                            judge_warm_up(self.runner)),
                         daemon=True, name="scenarios-editor-background").start()

    def _in_background(self, key: Any, warm_up: Optional[Callable[[], None]]) -> None:
        result = self.session.compute_lint(key)
        try:
            self.post_message(LintReady(key, result))
        except Exception:      # the editor is gone
            return
        if warm_up is not None:
            warm_up()

    def on_lint_ready(self, message: LintReady) -> None:
        self.session.adopt_lint(message.key, message.result)
        if self._exit or not self.main.is_attached:
            return                  # closing: the screen's widgets may be gone already
        try:
            self._enable_lint()
        except NoMatches:
            pass

    def _enable_lint(self) -> None:
        self.session.lint_enabled = True
        self.main.refresh_view()

    # ---------------------------------------------------------------- garbage collection
    def _take_over_full_collections(self) -> None:
        """The collector's full passes walk every tracked object, GIL held, from whichever
        thread happens to allocate: 20-60 ms each while the judge's SDK was being imported (in a
        thread), longer while a local model loads. The editor runs them itself instead, when no
        key is being answered: young collections stay automatic, full ones are switched off and
        run on a timer once the keys pause (GC_IDLE_S), or every GC_MAX_S at the latest.
        Everything built up to the first frame (Textual, the widgets, the stylesheet, the
        dataset) lives as long as the editor and is frozen out of the collector first."""
        global _FROZEN_AT_FIRST_FRAME
        if self._gc_saved is not None:
            return
        if not _FROZEN_AT_FIRST_FRAME:
            # once per process: frozen objects that later become cyclic garbage are never
            # freed, and a process that opens many editors (the tests) would keep each one
            _FROZEN_AT_FIRST_FRAME = True
            gc.freeze()
        self._gc_saved = gc.get_threshold()
        t0, t1, t2 = self._gc_saved
        self._gc_saved_full_every = max(1, t2)    # as often as the collector would (10 gen-1s)
        gc.set_threshold(t0, t1, 1 << 30)
        self._last_full_gc = time.monotonic()
        self.set_interval(GC_IDLE_S / 2, self._collect_when_idle, name="full-gc")

    def _collect_when_idle(self) -> None:
        now = time.monotonic()
        due = now - self._last_full_gc >= GC_MAX_S
        idle = now - self._last_key >= GC_IDLE_S
        passes = gc.get_count()[2]            # gen-1 collections since the last full one
        if (idle and passes >= self._gc_saved_full_every) or (due and passes > 0):
            gc.collect()
            self._last_full_gc = time.monotonic()

    def _give_back_collections(self) -> None:
        if self._gc_saved is not None:
            gc.set_threshold(*self._gc_saved)
            self._gc_saved = None

    async def on_event(self, event: Any) -> None:
        if isinstance(event, events.Key):
            self._last_key = time.monotonic()
        await super().on_event(event)

    # ---------------------------------------------------------------- tests
    def request_tests(self, *, include_blocked: bool = False, restart: bool = False) -> int:
        """Start a run for whatever has no result yet (queued behind a run in flight).
        Returns how many lines the new run tests (0 when queued or nothing to do)."""
        if self.runner is None:
            return 0
        if restart and self._run_token is not None:
            self.session.end_run(self._run_token, cancelled=True)
            self._run_token = None
            if self._run_worker is not None:
                self._run_worker.cancel()
        if self._run_token is not None:
            self._more = True
            self._more_blocked |= include_blocked
            return 0
        refresh_items = self.session.take_refresh_items()
        fresh_keys = {(i.side, i.scenario) for i in refresh_items}
        items = [i for i in self.session.items_to_test(include_blocked=include_blocked)
                 if (i.side, i.scenario) not in fresh_keys]
        if not items and not refresh_items:
            self.running_items = 0
            return 0
        token = self.session.begin_run(refresh_items + items)
        self._run_token = token
        self.running_items = len(refresh_items) + len(items)
        self._run_worker = self.run_worker(
            self._run_tests(token, self.session.def_epoch, refresh_items, items),
            group="tests", exclusive=True, exit_on_error=False, name=f"tests-{token}")
        self.schedule_redraw()
        return self.running_items

    async def _run_tests(self, token: int, epoch: int, refresh_items: list, items: list) -> None:
        error: Optional[str] = None
        cancelled = False
        try:
            for batch, refresh in ((refresh_items, True), (items, False)):
                if batch:
                    async for event in self.runner.run(batch, refresh=refresh):
                        self.post_message(RunnerEvent(event, token, epoch))
        except asyncio.CancelledError:
            cancelled = True
            raise
        except Exception as exc:          # a bug or a backend blowing up: a status, not a crash
            from core.setup import redact
            error = redact(f"{type(exc).__name__}: {exc}")
        finally:
            self.post_message(RunFinished(token, error, cancelled))

    def on_runner_event(self, message: RunnerEvent) -> None:
        self.events_seen += 1
        if self.session.apply_event(message.event, message.epoch):
            self.schedule_redraw()

    def on_run_finished(self, message: RunFinished) -> None:
        if message.token != self._run_token:
            return                          # a run we already cancelled and replaced
        left = self.session.end_run(message.token, cancelled=message.cancelled)
        self._run_token = None
        self._run_worker = None
        self.running_items = 0
        if message.error:
            self.say(f"Test run failed: {message.error}. Lines it did not finish stay untested "
                     "(R retries).", "error")
        elif left and not message.cancelled:
            fatal = self.session.last_run.fatal if self.session.last_run else None
            self.say(f"{left} line{'s' if left != 1 else ''} not finished"
                     + (f": {fatal}" if fatal else "") + ".", "warning")
        elif not message.cancelled and self._announce_done:
            run = self.session.last_run
            if run is not None:
                self.say(f"Tested: {run.generations} generated, {run.judge_calls} judged"
                         + (f", {run.errors} error{'s' if run.errors != 1 else ''} (ERR rows say why)" if run.errors else "")
                         + f" in {run.elapsed_s:.1f}s.", "error" if run.errors else "ok")
        self._announce_done = False
        if self._more:
            blocked, self._more, self._more_blocked = self._more_blocked, False, False
            self.request_tests(include_blocked=blocked)
        self.schedule_redraw()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            err = event.worker.error
            self.say(f"Background task {event.worker.name} failed: {type(err).__name__}: {err}", "error")

    def schedule_redraw(self) -> None:
        if self._redraw_timer is None:
            self._redraw_timer = self.set_timer(REDRAW_S, self._redraw)

    def _redraw(self) -> None:
        self._redraw_timer = None
        self.main.refresh_view()
        screen = self.screen
        if screen is not self.main and hasattr(screen, "refresh_all"):
            screen.refresh_all()

    @property
    def testing(self) -> bool:
        return self._run_token is not None

    # ---------------------------------------------------------------- saving
    def save(self) -> bool:
        s = self.session
        if not s.dirty:
            n = self.request_tests(include_blocked=True)
            self.say("Nothing to save." + (f" Testing {n} untested lines." if n else ""))
            return True
        if s.n_pairs == 0:
            self.say("Not saved: a dataset needs at least one pair (u brings the cut pairs back).",
                     "error")
            return False
        what = s.describe_changes() or "no line changed"
        try:
            s.save()
        except ConflictError:
            self.check_disk(forced=True)
            return False
        except DatasetError as exc:
            self.say(f"Not saved: {exc}", "error")
            return False
        n = self.request_tests(include_blocked=True)
        self.say(f"Saved {POSITIVE} and {NEGATIVE}: {s.n_pairs} pairs ({what})."
                 + (f" Testing {n} line{'s' if n != 1 else ''}." if n else ""), "ok")
        self.main.refresh_view()
        return True

    # ---------------------------------------------------------------- watching the disk
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

    def check_disk(self, forced: bool = False) -> None:
        """Compare the disk with the session and act: reload, re-judge, or ask (conflict)."""
        s = self.session
        state = s.read_disk()
        if state.problem:
            self.say(f"On disk: {state.problem}. Your buffers are untouched; waiting for a "
                     "consistent pair.", "warning")
            return
        if not state.changed:
            if forced:
                self.say("The files on disk match what you last loaded.")
            return
        restart = False
        notes = []
        if state.definition is not None:
            s.apply_definition(state.definition, state.digests.get(DEFINITION))
            if self.runner is not None:
                self.runner.set_definition(state.definition)
            restart = True
            notes.append(f"Re-judging every line: {DEFINITION} changed (completions are reused)")
        if state.theirs is not None:
            conflict = s.conflict_with(state)
            if conflict is not None:
                self.open_conflict(state)
            else:
                changed = self._changed_files(state)
                op = s.take_theirs(state, self.main.table.current_row or 0)
                if op is not None:
                    notes.append(f"Reloaded {', '.join(changed)} from disk (u undoes)")
        if notes:
            self.say("; ".join(notes) + ".", "ok")
        self.request_tests(include_blocked=True, restart=restart)
        self.main.refresh_view()

    def _changed_files(self, state: DiskState) -> list[str]:
        return [n for n in (POSITIVE, NEGATIVE)
                if state.digests.get(n) != self.session.disk_digests.get(n)]

    def open_conflict(self, state: DiskState) -> None:
        if self._conflict_open:
            return        # the open dialog re-reads the disk when the user decides
        conflict = self.session.conflict_with(state)
        if conflict is None:
            return
        self._conflict_open = True
        files = self._changed_files(state)
        self.say("Conflict: the files changed on disk and you have unsaved edits.", "warning")

        def decided(choice: Optional[str]) -> None:
            self._conflict_open = False
            now = self.session.read_disk()
            if now.theirs is None:
                self.say("The disk version went back to what you loaded: no conflict any more.")
                return
            if now.theirs != state.theirs:
                self.say("The files changed again while you decided: showing the new version.", "warning")
                self.open_conflict(now)
                return
            s = self.session
            if choice == "theirs":
                s.take_theirs(now, self.main.table.current_row or 0, conflict=True)
                self.say("Took the disk version. Your version is one u (undo) away.", "ok")
            elif choice == "mine":
                s.keep_mine(now)
                self.say("Kept your version (unsaved). ctrl+s overwrites the disk; palette → "
                         "Show last conflict shows the disk version.", "ok")
            else:
                self.say("Conflict left open: saving will ask again.", "warning")
            self.request_tests()
            self.main.refresh_view()

        self.push_screen(ConflictScreen(conflict, files), decided)

    def show_last_conflict(self) -> None:
        last = self.session.last_conflict
        if last is None:
            self.say("No conflict so far in this session.")
            return

        def chosen(choice: Optional[str]) -> None:
            if choice not in ("mine", "theirs"):
                return
            snap = last.mine if choice == "mine" else last.theirs
            op = self.session.replace_buffers(
                snap, "your version from the conflict" if choice == "mine" else "the disk version from the conflict",
                self.main.table.current_row or 0)
            self.say("Nothing changed: that version is already in the editor." if op is None
                     else f"Put {op.description} into the editor (u undoes).")
            self.request_tests()
            self.main.refresh_view()

        self.push_screen(BothScreen(last, mode="view"), chosen)

    # ---------------------------------------------------------------- results.json
    def write_results(self) -> None:
        try:
            from core.results import build_results, write_results
        except ImportError:
            self.say("core.results is not available: cannot write results.json.", "error")
            return
        s = self.session
        pos = [s.result("positive", i) for i in range(s.n_pairs)]
        neg = [s.result("negative", i) for i in range(s.n_pairs)]
        try:
            payload = build_results(pos, neg, cfg=self.cfg, definition=s.definition, trait=s.name,
                                    review=s.review_marks(), run={"source": "editor",
                                                                  "unsaved": s.dirty})
            path = write_results(results_dir(s.name), payload)
        except Exception as exc:
            self.say(f"results.json not written: {type(exc).__name__}: {exc}", "error")
            return
        self.say(f"Wrote {path}" + (" (from unsaved buffers)" if s.dirty else "") + ".", "ok")

    # ---------------------------------------------------------------- help, palette, quit
    def show_help(self) -> None:
        from .screens.review import ReviewScreen
        from .widgets.pair_table import PairTable

        def rows(bindings: Iterable[Any]) -> list[tuple[str, str]]:
            out = []
            for b in bindings:
                b = b if isinstance(b, Binding) else Binding(*b)
                keys = ", ".join(self.get_key_display(Binding(k.strip(), b.action))
                                 for k in b.key.split(","))
                out.append((keys, b.tooltip or b.description or b.action))
            return out

        sections = [
            ("Editor", rows(MainScreen.BINDINGS)),
            ("Moving in the table", rows(PairTable.BINDINGS)),
            ("First-token review (v)", rows(ReviewScreen.BINDINGS)),
            ("Everywhere", [("ctrl+p", "command palette: save, retest, show last conflict, write "
                                       "results.json, review, theme…"),
                            ("ctrl+q", "quit (asks when there are unsaved changes)")]),
        ]
        self.push_screen(HelpScreen(sections, LEGEND))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main
        yield SystemCommand("Save", "Write positive.txt and negative.txt and re-test what changed",
                            self.save)
        yield SystemCommand("Retest untested lines",
                            "Test every line without a result (after fixing a backend)",
                            main.action_retest_all)
        yield SystemCommand("Retest selected pair", "Generate and judge the pair again, ignoring "
                            "the cache", main.action_retest)
        yield SystemCommand("Show last conflict", "Both versions of the last conflict with the disk",
                            self.show_last_conflict)
        yield SystemCommand("Reload from disk", "Read the files again (asks on unsaved edits)",
                            lambda: self.check_disk(forced=True))
        yield SystemCommand("First-token review", "Mark first tokens EXPRESS / EXPLAIN",
                            main.action_review)
        yield SystemCommand("Toggle problem filter", "Show only problem pairs, or all",
                            main.action_filter)
        yield SystemCommand("Undo", "Undo the last cut, edit, add or reload", main.action_undo)
        yield SystemCommand("Redo", "Redo what was undone", main.action_redo)
        yield SystemCommand("Write results.json",
                            f"Results and review marks to scenario-runs/{self.session.name}/",
                            self.write_results)
        yield SystemCommand("Keys and colours", "The help screen", self.show_help)

    def request_quit(self) -> None:
        s = self.session
        if not s.dirty:
            self.exit(0)
            return
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
        super().exit(*args, **kw)

    async def on_unmount(self) -> None:
        self._watch_stop.set()
        self._give_back_collections()
        judge = getattr(self.runner, "judge", None)
        if judge is not None and hasattr(judge, "aclose"):
            try:
                await judge.aclose()
            except Exception:
                pass


def run_editor(trait_spec: str, cfg: Config, *, refresh: bool = False) -> int:
    """Open the editor on `category/trait` or a folder. Returns the exit code (2: bad dataset)."""
    try:
        trait = load_trait(trait_spec, check_steering=False, pairing=cfg.pairing,
                           pairing_source="--pairing or scenarios.toml")
    except DatasetError as exc:
        print(f"scenarios edit: {exc}", file=sys.stderr)
        return 2
    if not trait.matched:
        # The editor shows one row per pair; unmatched datasets get their own mode later.
        print(f"scenarios edit: {trait.name} is an unmatched dataset ({len(trait.positive.lines)} "
              f"positive, {len(trait.negative.lines)} negative lines; {trait.pairing.reason}); the "
              "editor opens matched pairs only for now. Test it with `scenarios test --trait "
              f"{trait_spec}` and check it with `scenarios lint`; if its lines are pairs after all, "
              "open it with --pairing matched", file=sys.stderr)
        return 2
    from core.setup import make_runner

    try:
        cache = Cache(cfg.resolved_cache_path())
    except Exception as exc:
        print(f"scenarios edit: cannot open the result cache at {cfg.resolved_cache_path()}: {exc}",
              file=sys.stderr)
        return 2
    try:
        runner = make_runner(cfg, cache, trait.name, trait.definition or "")
        app = StudioApp(trait, cfg=cfg, runner=runner, cache=cache, refresh=refresh)
        code = app.run()
    finally:
        cache.close()
    return int(code or 0)
