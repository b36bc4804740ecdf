"""The co-writer in the editor, driven through Pilot with the engine's stand-ins: the tiny
random Llama (real local backend) and the loopback Messages-API server (real anthropic client)
answering the co-writer's forced tool calls. V vets, p proposes, s suggests."""
from __future__ import annotations

from pathlib import Path

from core.cache import Cache
from core.cowriter import Proposal
from tui.screens.proposals import ProposalsScreen
from tui.render import predicted_cell
from tui.screens.suggest import SuggestScreen
from tui.widgets.detail import DetailPanel

from .helpers import row_text, wait_idle, wait_until

SIZE = (80, 24)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


async def test_vet_shows_predictions_apart_and_never_asks_twice(make_app, judge_env, cfg):
    app = make_app(autorun=False, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        wanted = len(set(s.lines["positive"])) + len(set(s.lines["negative"]))
        await pilot.press("V")
        await wait_until(pilot, lambda: len(s.predictions) == wanted, 60, "the predictions")
        await pilot.pause(0.1)
        assert judge_env.tools_seen == {"record_prediction": wanted}
        p = s.prediction("positive", 0)
        assert p is not None and p.scenario == s.text("positive", 0)
        # the row shows ~NN and the reason, in the prediction's own style; the verdict is untouched
        text = row_text(app, 0)
        assert predicted_cell(p.score) in text and "~ the endin" in text
        assert s.verdict("positive", 0) == "pending"
        body = app.main.query_one(DetailPanel).shown_text
        assert f"~{p.score} predicted" in body and "not measured" in body and p.reason[:30] in body
        status = app.main.query_one("#status").render().plain
        assert s.cost_usd > 0 and f"cost ${s.cost_usd:.4f}" in status
        assert "Vetted" in app.main.message.message
        await pilot.press("V")
        assert "already" in app.main.message.message and judge_env.requests == wanted
    # a new editor on the same cache shows them without asking again
    app2 = make_app(autorun=False, watch=False)
    async with app2.run_test(size=SIZE) as pilot:
        assert len(app2.session.predictions) == wanted and judge_env.requests == wanted
        assert app2.session.cost_usd == 0


async def test_measured_results_replace_predictions(make_app, judge_env):
    app = make_app(watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        s = app.session
        await pilot.press("V")
        await pilot.pause(0.2)
        assert "already" in app.main.message.message          # every line has a measured score
        assert s.prediction("positive", 0) is None
        assert "record_prediction" not in judge_env.tools_seen


async def test_propose_reject_accept_save_tests_the_accepted_pair(make_app, judge_env, trait_copy, cfg):
    app = make_app(watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        s = app.session
        n0 = s.n_pairs
        key = s.pair_key(0)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ProposalsScreen), 30, "proposals")
        await pilot.pause(0.1)
        props = s.proposals_for(key)
        assert len(props) == 3
        screen = app.screen
        shown = "\n".join(str(w.render()) for w in screen.query(".proposal"))
        assert "varies domain" in shown and "predicted" in shown and "lint" in shown
        assert all((side, text) in s.predictions for p in props
                   for side, text in (("positive", p.positive), ("negative", p.negative)))
        await pilot.press("x")                       # reject the first
        await pilot.pause(0.1)
        assert s.proposals_for(key) == props[1:]
        assert s.rejected_for(key) == [(props[0].positive, props[0].negative)]
        await pilot.press("y")                       # accept the next: after pair 1
        await pilot.pause(0.1)
        assert s.n_pairs == n0 + 1 and s.text("positive", 1) == props[1].positive
        assert s.dirty and not s.is_inflight("positive", 1)     # unsaved, not tested yet
        assert s.result("positive", 1).score is None
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.main.table.current_row == 1
        assert "Proposals" not in app.main.message.message
        assert lines(trait_copy / "positive.txt")[1] != props[1].positive    # nothing on disk yet
        await pilot.press("ctrl+s")
        await wait_idle(pilot, app)
        assert lines(trait_copy / "positive.txt")[1] == props[1].positive
        assert s.result("positive", 1).score is not None and s.result("negative", 1).score is not None
        assert s.prediction("positive", 1) is None            # measured now: no prediction shown
        # p on the same pair opens what is left, without a new request
        requests = judge_env.tools_seen["record_proposals"]
        await pilot.press("k", "p")
        await wait_until(pilot, lambda: isinstance(app.screen, ProposalsScreen), 10, "proposals")
        assert s.proposals_for(key) == [props[2]] and judge_env.tools_seen["record_proposals"] == requests
        await pilot.press("x")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ProposalsScreen)     # the last one gone: back
        # asking again never offers a rejected proposal for that pair
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ProposalsScreen), 30, "proposals")
        again = s.proposals_for(key)
        assert not {(p.positive, p.negative) for p in again} & set(s.rejected_for(key))
        assert len(s.rejected_for(key)) == 2
    # rejections are kept in the cache for the next session
    cache = Cache(cfg.resolved_cache_path())
    try:
        assert len(cache.rejected(Cache.pair_key(app.session.name, *key))) == 2
    finally:
        cache.close()


async def first_proposal(pilot, app):
    """Once the opening run is done, open the proposals for pair 1 and return the first."""
    await wait_idle(pilot, app)
    await pilot.press("p")
    await wait_until(pilot, lambda: isinstance(app.screen, ProposalsScreen), 30, "proposals")
    await pilot.pause(0.1)
    return app.session.proposals_for(app.session.pair_key(0))[0]


async def test_ctrl_s_saves_from_the_proposals_screen(make_app, judge_env, trait_copy):
    """An accepted proposal is saved (and tested) without leaving the list: the editor's own
    save, bound from the one action list (tui.actions.SAVE) and listed in the help."""
    app = make_app(watch=False)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        first = await first_proposal(pilot, app)
        await pilot.press("y")
        await pilot.pause(0.1)
        assert s.dirty and lines(trait_copy / "positive.txt")[1] != first.positive
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ProposalsScreen)          # still choosing
        assert not s.dirty
        assert lines(trait_copy / "positive.txt")[1] == first.positive
        assert lines(trait_copy / "negative.txt")[1] == first.negative
        assert app.main.message.message.startswith("Saved")
        await wait_idle(pilot, app)
        assert s.result("positive", 1).score is not None       # and tested, as from the editor
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        sections = dict(app.screen.sections)
        assert ("^s", "save both files atomically, then re-test what changed") in \
            sections["Proposals (p)"]
        assert any(desc.startswith("save") for _, desc in sections["Suggested fix (s)"])


async def test_ctrl_s_and_w_save_from_the_suggestion_screen(make_app, judge_env, trait_copy):
    app = make_app(watch=False)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        # an accepted proposal (after pair 1), unsaved, then the suggestion for a failing pair
        first = await first_proposal(pilot, app)
        await pilot.press("y", "escape")
        await pilot.pause(0.1)
        row = next(i for i in range(s.n_pairs) if s.suggestible(i))
        key = s.pair_key(row)
        app.main.table.go_to_row(row)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SuggestScreen), 30, "the suggestion")
        assert s.dirty and lines(trait_copy / "positive.txt")[1] != first.positive
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, SuggestScreen) and not s.dirty
        assert lines(trait_copy / "positive.txt")[1] == first.positive
        assert lines(trait_copy / "negative.txt")[1] == first.negative
        # w, the key for terminals that eat ctrl+s, saves from here too
        await pilot.press("escape")
        await pilot.pause(0.1)
        cut_row = next(i for i in reversed(range(s.n_pairs)) if s.pair_key(i) != key)
        cut = s.pair_key(cut_row)
        app.main.table.go_to_row(cut_row)
        await pilot.press("d")
        assert s.dirty and cut[0] in lines(trait_copy / "positive.txt")
        app.main.table.go_to_row(s.row_of(key))
        await pilot.press("s")                   # the kept suggestion, without a new request
        await wait_until(pilot, lambda: isinstance(app.screen, SuggestScreen), 10, "the suggestion")
        assert app.screen.key == key
        await pilot.press("w")
        await pilot.pause(0.1)
        assert isinstance(app.screen, SuggestScreen) and not s.dirty
        assert cut[0] not in lines(trait_copy / "positive.txt")


async def test_rejected_proposals_are_dropped_even_when_claude_repeats_them(make_app, judge_env):
    app = make_app(autorun=False, watch=False)
    async with app.run_test(size=SIZE):
        s = app.session
        key = s.pair_key(0)
        p = Proposal("At the chess club, x \"", "At the chess club, y \"", "domain")
        s.reject_proposal(key, p)
        kept = s.set_proposals(key, [p, Proposal(s.text("positive", 3), "new \"", "")])
        assert (kept.kept, kept.dropped) == (0, 2) and s.proposals_for(key) == []


async def test_a_malformed_reply_is_an_error_not_an_empty_list(make_app, judge_env):
    judge_env.malformed = {"record_proposals"}
    app = make_app(autorun=False, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await wait_until(pilot, lambda: "No proposals" in app.main.message.message, 30, "the error")
        assert "did not parse" in app.main.message.message
        assert app.main.message.level == "error"
        assert not isinstance(app.screen, ProposalsScreen) and not app.session.proposals


async def test_suggest_diagnoses_a_failing_pair_and_rewrites_it_on_y(make_app, judge_env):
    app = make_app(watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(pilot, app)
        s = app.session
        ok = [i for i in range(s.n_pairs) if not s.suggestible(i)]
        bad = [i for i in range(s.n_pairs) if s.suggestible(i)]
        assert ok and bad
        app.main.table.go_to_row(ok[0])
        await pilot.press("s")
        assert "no measured problem" in app.main.message.message
        row = bad[0]
        key = s.pair_key(row)
        app.main.table.go_to_row(row)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SuggestScreen), 30, "the suggestion")
        await pilot.pause(0.1)
        body = str(app.screen.query_one("#suggest-body").render())
        assert "diagnosis: " in body and "POSITIVE" in body and "NEGATIVE" in body
        suggestion = s.suggestions[key]
        cost = s.cost_usd
        await pilot.press("y")
        await pilot.pause(0.1)
        assert (s.text("positive", row), s.text("negative", row)) == (suggestion.positive,
                                                                       suggestion.negative)
        assert s.dirty and "Rewrote pair" in app.main.message.message and s.cost_usd == cost
        await pilot.press("u")
        assert s.pair_key(row) == key and not s.dirty


async def test_without_a_judge_key_the_cowriter_says_why(make_app):
    app = make_app(autorun=False, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("V")
        assert "ANTHROPIC_API_KEY" in app.main.message.message
        assert app.main.message.level == "error"
