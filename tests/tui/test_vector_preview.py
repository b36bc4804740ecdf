"""The vector preview in the editor: the best layer's accuracy and d in the header, a marker on
rows that project the wrong way, the projection in the detail panel; and, with the tiny model
and the loopback judge, the preview follows a save as its results arrive."""
from __future__ import annotations

from tui.widgets.detail import DetailPanel
from tui.widgets.row_view import WRONG_WAY
from tui.widgets.status import StatusBar

from .helpers import row_text, wait_idle, wait_until
from .test_snapshots import build_app

SIZE = (80, 24)


def header(app) -> str:
    return app.main.query_one(StatusBar).render().plain


async def vectors_shown(pilot, app) -> None:
    """Until the worker's report of the current results is adopted and drawn."""
    await wait_until(pilot, lambda: app.session.vector_inputs() is None, 30, "the vector preview")
    await pilot.pause(0.15)


async def test_header_markers_and_detail_from_cached_states(tmp_path):
    app = build_app(tmp_path, vectors=True)
    async with app.run_test(size=SIZE) as pilot:
        await vectors_shown(pilot, app)
        report = app.session.shown_vectors()
        assert report is app.session.vector_report()        # computed in the worker, not again here
        assert report.used == (4, 4) and report.best_layer == 16
        best = report.best
        assert best.accuracy >= 0.75 and best.cohens_d > 1
        first_line = header(app).splitlines()[0]
        assert f"vec L16 {best.accuracy:.0%} d {best.cohens_d:.1f}" in first_line
        # pair 4's positive line projects to the negative side: marked after its number
        for y in range(7):
            text = row_text(app, y)
            assert text[3] == (WRONG_WAY if y == 3 else " "), (y, text)
            right = text.index("│ │") + 3 if "│ │" in text else text.index("│", 10) + 3
            assert text[right + 3] == " "          # no negative line is on the wrong side
        await pilot.press("j", "j", "j")
        body = app.main.query_one(DetailPanel).shown_text
        proj = app.session.projection("positive", 3)
        assert proj < 0 and f"proj {proj:+.2f} ↯ wrong side" in body
        assert f"proj {app.session.projection('negative', 3):+.2f}" in body


async def test_no_states_no_badge_and_no_markers(tmp_path):
    app = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await vectors_shown(pilot, app)
        assert app.session.shown_vectors() is None
        assert "vec " not in header(app)
        assert all(WRONG_WAY not in row_text(app, y) for y in range(8))


async def test_the_preview_follows_a_save_as_results_arrive(make_app, judge_env, backend, trait_copy):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app, timeout=120)
        await vectors_shown(pilot, app)
        before = app.session.shown_vectors()
        # the loopback judge's scores pass 15 pairs of this copy with the tiny model
        assert before is not None and before.position == "response[:5]" and min(before.used) >= 2
        best = before.best
        assert f"vec L{best.layer} {best.accuracy:.0%} d {best.cohens_d:.1f}" in header(app).splitlines()[0]
        marked = [i for i in range(app.session.n_pairs) if app.session.wrong_way("positive", i)]
        assert marked                      # a random model's states: some lines land wrong
        for i in marked[:3]:
            app.main.table.go_to_row(i)
            await pilot.pause()
            y = app.main.table.cursor - int(app.main.table.scroll_y)
            assert row_text(app, y)[3] == WRONG_WAY
        # edit pair 1's negative line and save: the new line gets its own states and projection
        app.main.table.go_to_row(0)
        await pilot.press("l", "e", "end", "space", "o", "k", "enter", "ctrl+s")
        new = app.session.text("negative", 0)
        assert new.endswith(" ok")
        await wait_idle(pilot, app, timeout=120)
        await vectors_shown(pilot, app)
        after = app.session.shown_vectors()
        assert after is not before
        r = app.session.result("negative", 0)
        assert r.scenario == new and r.activations is not None and not r.stale
        assert app.session.projection("negative", 0) is not None
        best = after.best
        assert f"vec L{best.layer} {best.accuracy:.0%} d {best.cohens_d:.1f}" in header(app).splitlines()[0]


async def test_a_cut_hides_projections_until_the_new_report(tmp_path):
    """Rows shift after a cut: a report made for the old rows is never drawn on the new ones."""
    app = build_app(tmp_path, vectors=True)
    async with app.run_test(size=SIZE) as pilot:
        await vectors_shown(pilot, app)
        assert app.session.wrong_way("positive", 3)
        old = app.session.shown_vectors()
        app.main.table.go_to_row(0)
        await pilot.press("d")                  # cut pair 1: pair 4 is now row 3 (index 2)
        # the old report's row 4 is another line now: never marked from the old report
        assert app.session.shown_vectors() is not old or not app.session.wrong_way("positive", 3)
        await vectors_shown(pilot, app)
        assert app.session.shown_vectors() is not old
        assert app.session.wrong_way("positive", 2) and row_text(app, 2)[3] == WRONG_WAY
