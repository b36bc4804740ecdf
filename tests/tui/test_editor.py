"""The editor driven through Textual's Pilot, on a copy of a real dataset, with the engine's
local stand-ins: the tiny random Llama (real local backend) and the loopback judge (real
anthropic client)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from core.events import CompletionReady, ScoreReady
from core.session import EXPLAIN, EXPRESS
from tui.app import StudioApp
from tui.messages import RunnerEvents
from tui.screens.conflict import BothScreen, ConflictScreen
from tui.screens.edit import EditScreen, LineArea
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.quit import QuitScreen
from tui.screens.review import ReviewList, ReviewScreen
from tui.widgets.detail import DetailPanel
from tui.widgets.row_view import WRONG_WAY

from .helpers import files_of, row_text, wait_idle, wait_until

SIZE = (80, 24)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def external_save(path: Path, new_lines: list[str]) -> None:
    """Save like an editor does: write a temp file, rename it over the target."""
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text("\n".join(new_lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)


async def test_completions_and_scores_stream_into_rows(make_app, judge_env, backend):
    judge_env.latency_s = 0.02
    seen: list[object] = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: app.testing, 10, "the run to start")
        # the UI answers keys while the backends work
        await pilot.press("j")
        assert app.main.table.current_row == 1
        await wait_idle(pilot, app)
        s = app.session
        summary = s.summary()
        assert summary.positive.pending == 0 and summary.negative.pending == 0
        assert summary.positive.errors == 0
        events = [e for m in seen if isinstance(m, RunnerEvents) for e in m.events]
        assert any(isinstance(e, CompletionReady) and not e.cached for e in events)
        assert any(isinstance(e, ScoreReady) and not e.cached for e in events)
        # every unique prompt went to the backend once
        assert len(backend.prompts) == len(set(s.lines["positive"]) | set(s.lines["negative"]))
        # the rows show the scores; the detail panel the full texts
        for y in range(3):
            pos, neg = s.result("positive", y), s.result("negative", y)
            text = row_text(app, y)
            mark = WRONG_WAY if s.wrong_way("positive", y) else " "    # the vector preview's marker
            assert text.startswith(f"{y + 1:>3}{mark}")
            assert f"{pos.score:>3}│" in text and text.rstrip().endswith(f"{neg.score}")
        body = app.main.query_one(DetailPanel).shown_text
        assert f"score {s.result('positive', 1).score}" in body
        assert app.session.cost_usd > 0


async def test_cut_then_save_removes_the_same_line_from_both_files(make_app, judge_env, trait_copy):
    before = files_of(trait_copy)
    pos0, neg0 = lines(trait_copy / "positive.txt"), lines(trait_copy / "negative.txt")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "d")
        assert app.session.dirty
        assert "unsaved" in app.main.query_one("#status").render().plain
        await pilot.press("ctrl+s")
        assert not app.session.dirty
        assert "Saved" in app.main.message.message
        await wait_idle(pilot, app)
    assert lines(trait_copy / "positive.txt") == pos0[:2] + pos0[3:]
    assert lines(trait_copy / "negative.txt") == neg0[:2] + neg0[3:]
    after = files_of(trait_copy)
    assert set(after) == set(before)                      # no temp or journal file left
    for name in before:
        if name not in ("positive.txt", "negative.txt"):
            assert after[name] == before[name]


async def test_undo_restores_a_cut_and_redo_repeats_it(make_app, judge_env, trait_copy):
    before = files_of(trait_copy)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        third = app.session.text("positive", 2)
        await pilot.press("j", "j", "d", "ctrl+s")
        assert third not in lines(trait_copy / "positive.txt")
        await pilot.press("u")
        assert app.session.text("positive", 2) == third and app.session.dirty
        assert app.main.table.current_row == 2
        await pilot.press("ctrl+s")
        assert files_of(trait_copy) == before
        await pilot.press("U")
        assert app.session.text("positive", 2) != third
        await pilot.press("u")
        assert not app.session.dirty
        await wait_idle(pilot, app)


async def test_an_edit_retests_exactly_that_line(make_app, judge_env, backend, trait_copy):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        prompts, judged = len(backend.prompts), judge_env.requests
        await pilot.press("j", "j", "j", "l", "e")
        assert isinstance(app.screen, EditScreen)
        area = app.screen.query_one(LineArea)
        old = app.session.text("negative", 3)
        assert area.text == old
        await pilot.press("end", "space", "o", "k", "enter")
        assert isinstance(app.screen, MainScreen)
        new = app.session.text("negative", 3)
        assert new == old + " ok"
        # until its own result arrives the row shows the old one, stale (or already the new one)
        r = app.session.result("negative", 3)
        assert r.stale or r.scenario == new
        await wait_idle(pilot, app)
        assert backend.prompts[prompts:] == [new]
        assert judge_env.requests == judged + 1
        assert app.session.has_fresh_result("negative", new)
        # nothing was written: editing is not saving
        assert old in lines(trait_copy / "negative.txt")


async def test_add_pair_after_the_cursor(make_app, judge_env, backend, trait_copy):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        n = app.session.n_pairs
        await pilot.press("a")
        assert isinstance(app.screen, EditScreen)
        await pilot.press("x", "enter")                    # positive, then on to negative
        await pilot.press("enter")                         # negative blank: refused
        assert isinstance(app.screen, EditScreen)
        assert "blank" in str(app.screen.query_one("#edit-error").render())
        await pilot.press("y", "enter")
        assert app.session.n_pairs == n + 1
        assert (app.session.text("positive", 1), app.session.text("negative", 1)) == ("x", "y")
        assert app.main.table.current_row == 1
        await wait_idle(pilot, app)
        assert set(backend.prompts[-2:]) == {"x", "y"}
        await pilot.press("escape", "u")
        assert app.session.n_pairs == n


async def test_an_external_write_to_negative_is_picked_up(make_app, judge_env, backend, trait_copy):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        prompts = len(backend.prompts)
        neg = lines(trait_copy / "negative.txt")
        neg[4] = neg[4] + " (edited elsewhere)"
        external_save(trait_copy / "negative.txt", neg)
        await wait_until(pilot, lambda: app.session.text("negative", 4) == neg[4], 10, "the reload")
        assert "Reloaded negative.txt" in app.main.message.message
        assert not app.session.dirty
        await wait_idle(pilot, app)
        assert backend.prompts[prompts:] == [neg[4]]
        assert app.session.has_fresh_result("negative", neg[4])
        # our own save does not come back as a reload
        await pilot.press("d", "ctrl+s")
        await pilot.pause(1.0)
        assert app.session.undo_stack[-1].kind == "cut"
        assert "Saved" in app.main.message.message


async def test_a_definition_change_rejudges_and_generates_nothing(make_app, judge_env, backend, trait_copy):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        prompts, judged = len(backend.prompts), judge_env.requests
        completions = {(side, r.completion) for (side, _t), r in app.session.results.items()
                       if r.completion is not None}
        d = trait_copy / "definition.txt"
        d.write_text(d.read_text() + "\nNote: be strict.\n")
        await wait_until(pilot, lambda: app.session.def_epoch == 1, 10, "the definition reload")
        await wait_idle(pilot, app)
        assert len(backend.prompts) == prompts
        assert judge_env.requests > judged
        assert judge_env.requests - judged <= len({c for _s, c in completions})
        assert app.session.summary().positive.pending == 0
        assert app.runner.definition.endswith("Note: be strict.")


async def test_conflict_take_theirs_keeps_mine_one_undo_away(make_app, judge_env, trait_copy):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        await pilot.press("d")                              # unsaved: pair 1 cut
        mine = app.session.snapshot()
        pos = lines(trait_copy / "positive.txt")
        pos[5] = "THEIRS " + pos[5]
        external_save(trait_copy / "positive.txt", pos)
        await wait_until(pilot, lambda: isinstance(app.screen, ConflictScreen), 10, "the conflict")
        body = str(app.screen.query_one("#conflict-body").render())
        assert "positive.txt changed on disk" in body
        await pilot.press("b")                              # show both
        assert isinstance(app.screen, BothScreen)
        both = app.screen.query_one("#both-body")
        rendered = "\n".join(s.text for s in both.render_lines(both.region.reset_offset))
        assert "THEIRS" in rendered and "not in mine" in rendered
        await pilot.press("t")                              # take theirs
        assert isinstance(app.screen, MainScreen)
        assert app.session.snapshot().positive == tuple(pos)
        assert not app.session.dirty
        assert lines(trait_copy / "positive.txt") == pos      # the disk was not touched
        await pilot.press("u")                              # mine is back
        assert app.session.snapshot() == mine and app.session.dirty
        await pilot.press("ctrl+s")                         # saving mine is now allowed
        assert lines(trait_copy / "positive.txt") == list(mine.positive)
        await wait_idle(pilot, app)


async def test_conflict_keep_mine_keeps_theirs_viewable(make_app, judge_env, trait_copy):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        await pilot.press("d")
        neg = lines(trait_copy / "negative.txt")
        neg[7] = "THEIRS " + neg[7]
        external_save(trait_copy / "negative.txt", neg)
        await wait_until(pilot, lambda: isinstance(app.screen, ConflictScreen), 10, "the conflict")
        await pilot.press("m")                              # keep mine
        assert app.session.dirty
        assert lines(trait_copy / "negative.txt") == neg     # nothing overwritten yet
        await pilot.press("ctrl+s")
        assert not any(line.startswith("THEIRS") for line in lines(trait_copy / "negative.txt"))
        # theirs is still reachable: palette command "Show last conflict"
        app.action_show_last_conflict()
        await pilot.pause()
        assert isinstance(app.screen, BothScreen)
        await pilot.press("t")                              # put the disk version back in
        assert app.session.snapshot().negative == tuple(neg)
        assert app.session.dirty
        await pilot.press("u")
        assert not app.session.dirty
        await wait_idle(pilot, app)


async def test_conflict_on_save_when_the_watcher_has_not_caught_up(make_app, judge_env, trait_copy):
    app = make_app(watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        pos = lines(trait_copy / "positive.txt")
        external_save(trait_copy / "positive.txt", ["OTHER " + pos[0]] + pos[1:])
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ConflictScreen)
        assert lines(trait_copy / "positive.txt")[0].startswith("OTHER ")
        await pilot.press("escape")                         # decide later: nothing changes
        assert app.session.dirty
        assert lines(trait_copy / "positive.txt")[0].startswith("OTHER ")
        await wait_idle(pilot, app)


async def test_review_marks_survive_a_restart(make_app, judge_env, trait_copy, tmp_path, monkeypatch, cfg):
    from core.cache import Cache
    cache_path = tmp_path / "marks.sqlite3"
    cache = Cache(cache_path)
    app = make_app(cache=cache)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        await pilot.press("v")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("x", "p")                         # pos 1 EXPRESS, neg 1 EXPLAIN
        assert app.session.review_marks() == {("positive", 0): EXPRESS, ("negative", 0): EXPLAIN}
        lst = app.screen.query_one(ReviewList)
        assert "EXPRESS" in lst.render_line(0).text and "EXPLAIN" in lst.render_line(1).text
        await pilot.press("k", "backspace")                 # back up, clear the EXPLAIN
        assert app.session.review_marks() == {("positive", 0): EXPRESS}
        await pilot.press("p", "space", "tab")              # mark again; skip; other side
        assert lst.cursor == 2 and app.session.review_marks()[("negative", 0)] == EXPLAIN
        await pilot.press("escape", "q")
    assert app.return_code == 0
    cache.close()

    cache2 = Cache(cache_path)
    app2 = make_app(cache=cache2)
    monkeypatch.chdir(tmp_path)
    async with app2.run_test(size=SIZE) as pilot:
        assert app2.testing is False                        # everything came from the cache
        assert app2.session.review_marks() == {("positive", 0): EXPRESS, ("negative", 0): EXPLAIN}
        body = app2.main.query_one(DetailPanel).shown_text
        assert "[EXPRESS]" in body and "[EXPLAIN]" in body
        app2.action_write_results()
        data = json.loads((tmp_path / "scenario-runs" / app2.session.name / "results.json").read_text())
        assert data["positive"][0]["review"] == EXPRESS and data["negative"][0]["review"] == EXPLAIN
        assert data["positive"][1]["review"] is None
        # editing the line drops its mark (the key holds the content)
        await pilot.press("e", "end", "z", "enter")
        assert ("positive", 0) not in app2.session.review_marks()
        await wait_idle(pilot, app2)
    cache2.close()


async def test_quit_asks_when_there_are_unsaved_changes(make_app, judge_env, trait_copy):
    pos0 = lines(trait_copy / "positive.txt")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "q")
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen) and app.is_running
        await pilot.press("q", "s")                         # save and quit
        await wait_until(pilot, lambda: not app.is_running, 5, "the exit")
    assert lines(trait_copy / "positive.txt") == pos0[1:]


async def test_quit_discard_leaves_the_files_alone(make_app, judge_env, trait_copy):
    before = files_of(trait_copy)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "d", "q", "d")
        await wait_until(pilot, lambda: not app.is_running, 5, "the exit")
    assert files_of(trait_copy) == before


async def test_no_judge_key_is_a_status_not_a_crash(make_app, backend):
    app = make_app()                                        # no judge_env: no ANTHROPIC_API_KEY
    async with app.run_test(size=SIZE) as pilot:
        status = app.main.query_one("#status").render().plain
        assert "judge: not configured: ANTHROPIC_API_KEY is not set" in status
        await wait_idle(pilot, app)
        s = app.session
        assert s.result("positive", 0).completion is not None    # generation still ran
        assert s.result("positive", 0).score is None
        assert s.verdict("positive", 0) == "pending"
        assert "not finished" in app.main.message.message
        assert "ANTHROPIC_API_KEY" in app.main.query_one(DetailPanel).shown_text
        # editing still works, and does not loop on blocked lines
        n = len(backend.prompts)
        await pilot.press("d", "ctrl+s")
        await wait_idle(pilot, app)
        assert len(backend.prompts) == n


async def test_no_backend_at_all(make_app):
    app = make_app(runner=None)
    async with app.run_test(size=SIZE) as pilot:
        assert "No backend" in app.main.message.message
        status = app.main.query_one("#status").render().plain
        assert "not configured" in status
        await pilot.press("j", "d", "u", "r")
        assert not app.session.dirty


class BrokenRunner:
    """A runner whose stream dies half way: the app must show it, not crash."""

    def __init__(self, real):
        self.real = real
        self.backend, self.judge = real.backend, real.judge
        self.cache, self.rubric, self.setup_status = real.cache, real.rubric, real.setup_status

    def cached_results(self, scenarios):
        return {}

    async def run(self, items, refresh=False, dataset=None):
        async for ev in self.real.run(items[:2], refresh=refresh, dataset=dataset):
            yield ev
        raise RuntimeError("backend exploded")


async def test_a_worker_error_becomes_a_visible_status(make_app, judge_env, cfg, trait_copy):
    from core.cache import Cache
    from core.dataset import load_trait
    from core.setup import make_runner
    trait = load_trait(str(trait_copy), check_steering=False)
    cache = Cache(cfg.resolved_cache_path())
    real = make_runner(cfg, cache, trait.name, trait.definition, backend=None)
    app = StudioApp(trait, cfg=cfg, runner=BrokenRunner(real), cache=cache)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "backend exploded" in app.main.message.message, 20, "the error")
        assert "Test run failed: RuntimeError: backend exploded" in app.main.message.message
        assert app.is_running and not app.testing
        await pilot.press("j")
        assert app.main.table.current_row == 1
    cache.close()


async def test_problem_navigation_and_filter(make_app, judge_env):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        problems = app.session.problem_rows()
        assert problems, "the random model and hashed scores always leave some problem pairs"
        await pilot.press("n")
        first = next(p for p in problems if p > 0) if any(p > 0 for p in problems) else problems[0]
        assert app.main.table.current_row == first
        await pilot.press("N")
        assert app.main.table.current_row == [p for p in problems if p < first][-1] if \
            any(p < first for p in problems) else problems[-1]
        await pilot.press("f")
        assert app.main.table.rows == problems
        assert "problems only" in app.main.query_one("#status").render().plain
        await pilot.press("f")
        assert app.main.table.rows == list(range(app.session.n_pairs))


async def test_retest_ignores_the_cache(make_app, judge_env, backend):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        n, judged = len(backend.prompts), judge_env.requests
        await pilot.press("j", "r")
        assert "Re-testing pair 2" in app.main.message.message
        await wait_idle(pilot, app)
        assert sorted(backend.prompts[n:]) == sorted([app.session.text("positive", 1),
                                                       app.session.text("negative", 1)])
        assert judge_env.requests == judged + 2
        assert app.session.verdict("positive", 1) not in ("stale", "pending")


async def test_refresh_regenerates_everything_once(make_app, judge_env, backend, cfg):
    from core.cache import Cache
    cache = Cache(cfg.resolved_cache_path())
    first = make_app(cache=cache)
    async with first.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, first)
    n = len(backend.prompts)
    again = make_app(cache=cache)
    async with again.run_test(size=SIZE) as pilot:       # all cached: nothing to do
        assert not again.testing
    assert len(backend.prompts) == n
    fresh = make_app(cache=cache, refresh=True)            # --refresh: everything, ignoring the cache
    async with fresh.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, fresh)
        assert fresh.session.summary().positive.pending == 0
    assert len(backend.prompts) == 2 * n
    cache.close()


async def test_saving_zero_pairs_is_refused(make_app, trait_copy):
    before = files_of(trait_copy)
    app = make_app(runner=None)
    async with app.run_test(size=SIZE) as pilot:
        while app.session.n_pairs > 1:                     # (quicker than 71 key presses)
            app.session.cut_pair(0)
        app.main.refresh_view()
        await pilot.press("d")
        assert app.session.n_pairs == 0
        assert "No pairs" in row_text(app, 0)
        await pilot.press("ctrl+s")
        assert "Not saved" in app.main.message.message
    assert files_of(trait_copy) == before


async def test_help_lists_every_key(make_app):
    app = make_app(runner=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.plain
        for b in MainScreen.BINDINGS:
            assert b.tooltip in text
        for word in ("ctrl+p", "EXPRESS", "EXPLAIN", "mismatch", "identical", "stale"):
            assert word in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_grows_on_a_wide_terminal(make_app):
    app = make_app(runner=None)
    async with app.run_test(size=(180, 48)) as pilot:
        await pilot.pause()
        main = app.main
        assert main.has_class("-wide")
        table, detail = main.table, main.query_one("#detail")
        assert detail.region.x >= table.region.right - 1 and detail.region.height > 30
        assert table.region.height > 30
        # the wider panes show more of each scenario's ending
        assert len(row_text(app, 0).split("│")[0]) > 45
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not main.has_class("-wide")
