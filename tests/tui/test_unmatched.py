"""The editor's unmatched mode (tui.screens.sides) driven through Pilot, on a copy of the
118/250 fixture (tests/fixtures/wild): two panes that scroll on their own, a cut of one line of
one side, save and re-test with the tiny local model and the loopback judge, disk sync and the
conflict, review and add screens on sides of unequal length."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from core.cache import Cache
from core.cli import main
from core.dataset import load_trait
from core.events import CompletionReady
from core.setup import make_runner
from tui.app import StudioApp
from tui.screens.conflict import BothScreen, ConflictScreen
from tui.screens.edit import EditScreen
from tui.screens.help import HelpScreen
from tui.screens.review import ReviewList, ReviewScreen
from tui.screens.sides import SidesScreen
from tui.widgets.side_table import SideTable
from tui.widgets.status import StatusBar

from .helpers import wait_idle, wait_until

SIZE = (80, 24)
REPO = Path(__file__).resolve().parents[2]
ANXIETY = REPO / "tests" / "fixtures" / "wild" / "traits" / "emotion" / "anxiety_legacy"


@pytest.fixture
def folder(tmp_path) -> Path:
    dst = tmp_path / "datasets" / "traits" / "emotion" / "anxiety_legacy"
    shutil.copytree(ANXIETY, dst)
    return dst


@pytest.fixture
def open_app(folder, cfg, backend):
    caches: list[Cache] = []

    def make(*, runner: bool = True, **kw) -> StudioApp:
        trait = load_trait(str(folder), check_steering=False)
        cache = Cache(cfg.resolved_cache_path())
        caches.append(cache)
        run = make_runner(cfg, cache, trait.name, trait.definition, backend=backend) if runner else None
        return StudioApp(trait, cfg=cfg, runner=run, cache=cache, **kw)

    yield make
    for c in caches:
        c.close()


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def external_save(path: Path, new_lines: list[str]) -> None:
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text("\n".join(new_lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def pane(app: StudioApp, side: str) -> SideTable:
    return app.main.pane(side)


def status(app: StudioApp) -> str:
    return app.main.query_one(StatusBar).render().plain


async def test_scroll_each_side_cut_one_line_save_and_retest(open_app, folder, judge_env, backend):
    app = open_app(autorun=False, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.main, SidesScreen)
        pos, neg = pane(app, "positive"), pane(app, "negative")
        assert (len(pos.rows), len(neg.rows)) == (118, 250)
        assert "Opened 118 positive and 250 negative lines" in app.main.message.message
        # the positive pane scrolls alone
        await pilot.press("pagedown", "pagedown", "j")
        assert pos.current_row > 10 and pos.scroll_y > 0
        assert neg.current_row == 0 and neg.scroll_y == 0
        # the negative pane too, without moving the positive one
        pos_row, pos_scroll = pos.current_row, pos.scroll_y
        await pilot.press("tab", "G")
        assert app.main.active == "negative" and neg.has_focus
        assert neg.current_row == 249 and neg.scroll_y > 200
        assert (pos.current_row, pos.scroll_y) == (pos_row, pos_scroll)
        bottom = neg.render_line(neg.cursor - int(neg.scroll_y)).text
        assert bottom.lstrip().startswith("250 ")
        # cut one line of the negative side: the positive side is untouched
        await pilot.press("k", "d")
        assert (app.session.side_len("positive"), app.session.side_len("negative")) == (118, 249)
        assert "Cut negative line 249 (the positive side is untouched)" in app.main.message.message
        assert "● unsaved" in status(app)
        await pilot.press("ctrl+s")
        assert "Saved positive.txt and negative.txt: 118 positive and 249 negative lines " \
               "(1 negative line cut). Testing 367 lines." in app.main.message.message
        assert len(lines(folder / "negative.txt")) == 249 and len(lines(folder / "positive.txt")) == 118
        await wait_idle(pilot, app, timeout=120)
        assert len(backend.prompts) == len(set(app.session.lines["positive"]) | set(app.session.lines["negative"]))
        # per-line verdicts per side, and each side's pass rate in the status bar
        s = app.session.summary()
        assert s.positive.pending == s.negative.pending == 0
        for side in ("positive", "negative"):
            for i in range(app.session.side_len(side)):
                r = app.session.result(side, i)
                want = "ambiguous" if 40 <= r.score <= 60 else "pass" if (
                    r.score >= 60 if side == "positive" else r.score <= 40) else "fail"
                assert app.session.line_info(side, i).verdict == want
        line2 = status(app).splitlines()[1]
        assert line2.startswith(f"pos {s.positive.passed}/{s.positive.scored} ")
        assert f"neg {s.negative.passed}/{s.negative.scored} " in line2
        assert "unmatched 118/249 lines" in line2 and "pairs" not in line2 and "goal" not in line2
        shown = neg.render_line(neg.cursor - int(neg.scroll_y)).text
        assert shown.rstrip().endswith(f"{app.session.result('negative', neg.current_row).score:>3}")


async def test_add_edit_undo_and_problem_navigation_on_one_side(open_app):
    app = open_app(runner=False, autorun=False, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "a")
        assert isinstance(app.screen, EditScreen)
        await pilot.press(*"My heart pounded as the phone rang again, and I", "enter")
        assert app.session.side_len("positive") == 119 and app.session.side_len("negative") == 250
        assert app.session.text("positive", 2) == "My heart pounded as the phone rang again, and I"
        assert pane(app, "positive").current_row == 2
        await pilot.press("l", "e")
        assert isinstance(app.screen, EditScreen)
        await pilot.press("end", "space", "o", "k", "enter")
        assert app.session.text("negative", 0).endswith(" ok")
        assert app.session.describe_changes() == "1 positive line added, 1 negative line edited"
        await pilot.press("u")
        assert not app.session.text("negative", 0).endswith(" ok")
        await pilot.press("u")
        assert app.session.side_len("positive") == 118 and not app.session.dirty
        assert app.main.active == "positive"         # undo went back to the pane it touched
        await pilot.press("n")
        assert "No problem lines on the positive side" in app.main.message.message
        await pilot.press("f")
        assert pane(app, "positive").rows == [] and "0 positive, 0 negative" in app.main.message.message


async def test_external_edits_reload_and_conflicts_on_unequal_sides(open_app, folder):
    app = open_app(runner=False, autorun=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        neg = lines(folder / "negative.txt")
        external_save(folder / "negative.txt", neg[:-2])
        await wait_until(pilot, lambda: app.session.side_len("negative") == 248, 10, "the reload")
        assert "Reloaded negative.txt" in app.main.message.message
        assert len(pane(app, "negative").rows) == 248 and not app.session.dirty
        await pilot.press("d")                                   # unsaved: positive line 1 cut
        pos = lines(folder / "positive.txt")
        external_save(folder / "positive.txt", pos + ["THEIRS: and then my chest went tight when"])
        await wait_until(pilot, lambda: isinstance(app.screen, ConflictScreen), 10, "the conflict")
        body = str(app.screen.query_one("#conflict-body").render())
        assert "Yours: 117 positive and 248 negative lines; every line is on disk too." in body
        assert "Disk:  119 positive and 248 negative lines; positive lines 1, 119 are not in yours." in body
        await pilot.press("b")
        assert isinstance(app.screen, BothScreen)
        both = app.screen.query_one("#both-body")
        rendered = "\n".join(s.text for s in both.render_lines(both.region.reset_offset))
        assert "positive: not in mine · disk line 119" in rendered and "THEIRS" in rendered
        await pilot.press("t")
        assert isinstance(app.screen, SidesScreen)
        assert app.session.side_len("positive") == 119 and len(pane(app, "positive").rows) == 119
        await pilot.press("u")
        assert app.session.side_len("positive") == 117 and app.session.dirty


async def test_review_walks_both_sides_of_unequal_length(open_app):
    app = open_app(runner=False, autorun=False, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = app.session.text("negative", 249)
        app.session.apply_event(CompletionReady(1, "negative", 249, text, " I froze",
                                                (" I", " froze"), False))
        await pilot.press("tab", "G", "v")
        assert isinstance(app.screen, ReviewScreen)
        lst = app.screen.query_one(ReviewList)
        assert lst.n_lines == 368 and lst.position == (249, "negative")
        await pilot.press("x")
        assert app.session.get_mark("negative", 249) == "EXPRESS"
        await pilot.press("tab")                 # the same line number on the other side: the last one
        assert lst.position == (117, "positive")
        await pilot.press("escape")
        assert isinstance(app.screen, SidesScreen)


def test_scenarios_edit_opens_an_unmatched_dataset(folder, monkeypatch):
    """`scenarios edit` no longer refuses: it builds the app in the unmatched mode (run without
    a terminal here: the app is stopped as soon as it is up)."""
    seen: list[StudioApp] = []

    def run(self, *a, **kw):
        seen.append(self)
        return 0

    monkeypatch.setattr(StudioApp, "run", run)
    assert main(["edit", str(folder), "--local", "--model", "no-model"]) == 0
    assert seen and not seen[0].session.matched and seen[0].session.side_len("negative") == 250


async def test_help_and_results_json_speak_of_lines_not_pairs(open_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                 # results.json goes under ./scenario-runs
    app = open_app(runner=False, autorun=False, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.plain
        for b in SidesScreen.BINDINGS:
            assert b.tooltip in text
        assert "cut the selected line (this side only" in text and "Moving in a pane" in text
        assert "middle column" not in text and "no pair markers" in text
        await pilot.press("escape")
        app.session.apply_event(CompletionReady(1, "negative", 249, app.session.text("negative", 249),
                                                " I froze", (" I", " froze"), False))
        await app.run_action("write_results")
        assert "Wrote" in app.main.message.message
    data = json.loads((tmp_path / "scenario-runs" / "emotion" / "anxiety_legacy" / "results.json").read_text())
    assert (len(data["positive"]), len(data["negative"])) == (118, 250)
    assert data["matched"] is False and data["pairs"] is None and data["summary"]["target"] is None
    assert data["negative"][249]["response"] == " I froze"


async def test_a_save_a_plain_load_would_refuse_warns_and_says_how_to_reopen(tmp_path, cfg, capsys):
    """core.dataset_pairing decides (tests/test_unmatched_save_pairing.py); the editor shows it:
    the message line in the warning colour, the whole story once as a notice, and again in the
    terminal when the editor closes."""
    from tests.test_unmatched_save_pairing import NEGATIVE, POSITIVE, SETUPS, write_dataset
    folder = write_dataset(tmp_path / "elsewhere" / "cat" / "tides", POSITIVE, NEGATIVE)
    app = StudioApp(load_trait(str(folder), check_steering=False), cfg=cfg, runner=None,
                    cache=None, autorun=False, watch=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        s = app.session
        assert not s.matched
        for i, setup in enumerate(SETUPS):
            s.edit_line("negative", i, f'{setup} asked about the tide tables, and not knowing '
                                       'at all I admitted "')
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert not s.dirty and lines(folder / "negative.txt")[0].startswith("The ferry clerk")
        message = app.main.message
        assert message.level == "warning" and "--pairing unmatched" in message.message
        notices = [str(t.render()) for t in app.screen.query("Toast")]
        assert len(notices) == 1 and "count mismatch" in notices[0]
        assert f"{folder} --pairing unmatched" in notices[0]
        # the same state saved again: the message line says it, the notice is not repeated
        s.edit_line("positive", 0, POSITIVE[0].replace("firmly", "loudly"))
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert "--pairing unmatched" in app.main.message.message
        assert len(app.screen.query("Toast")) == 1
        await pilot.press("q")
    assert "count mismatch" in capsys.readouterr().err
