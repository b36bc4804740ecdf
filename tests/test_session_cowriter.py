"""core.session_cowriter: predictions beside results (never in place of them), proposals and
rejections per pair, accepting proposals and suggestions as ordinary undoable edits."""
from __future__ import annotations

from core.cache import Cache
from core.cowriter import Answer, CowriterError, Diagnosis, Proposal, Suggestion, VetPrediction
from core.dataset import load_trait
from core.session import Session
from core.session_cowriter import predicted_verdict
from core.verdicts import Thresholds

from tests.test_session import complete, write_trait


def make(tmp_path) -> Session:
    return Session(load_trait(str(write_trait(tmp_path / "t"))), cache=Cache(tmp_path / "c.sqlite3"))


def test_a_prediction_shows_only_until_the_line_is_measured(tmp_path):
    s = make(tmp_path)
    text = s.text("positive", 0)
    n, errors = s.adopt_predictions([Answer(VetPrediction("positive", text, 80, "r"), 0.001),
                                     CowriterError("boom"), CowriterError("boom")])
    assert (n, errors) == (1, ["boom"]) and s.cowriter_cost == 0.001 == s.cost_usd
    assert s.prediction("positive", 0).score == 80 and s.verdict("positive", 0) == "pending"
    assert ("positive", text) not in s.to_vet() and ("negative", s.text("negative", 0)) in s.to_vet()
    assert s.summary().positive.passed == 0          # a prediction counts in no pass rate
    complete(s, "positive", text, "yes", 20)
    assert s.prediction("positive", 0) is None and s.verdict("positive", 0) == "fail"
    assert ("positive", text) not in s.to_vet()


def test_predicted_verdict_follows_the_thresholds():
    t = Thresholds()
    assert [predicted_verdict("positive", x, t) for x in (80, 50, 20)] == ["pass", "ambiguous", "fail"]
    assert [predicted_verdict("negative", x, t) for x in (10, 50, 90)] == ["pass", "ambiguous", "fail"]


def test_accepting_proposals_adds_pairs_after_their_pair_as_undoable_unsaved_edits(tmp_path):
    s = make(tmp_path)
    key = s.pair_key(1)
    a, b = Proposal("new a \"", "new a neg \"", "x"), Proposal("new b \"", "new b neg \"", "y")
    assert s.set_proposals(key, [a, b]).kept == 2
    op = s.accept_proposal(key, a, hint=1)
    assert op.cursor_after == 2 and s.text("positive", 2) == "new a \"" and s.dirty
    op2 = s.accept_proposal(key, b, hint=1, after=op.cursor_after)
    assert s.text("positive", 3) == "new b \"" and op2.cursor_after == 3
    assert s.proposals_for(key) == []
    s.undo(); s.undo()
    assert not s.dirty and s.n_pairs == 5
    # the pair moved (a cut above it): found by content
    s.set_proposals(key, [a])
    s.cut_pair(0)
    s.accept_proposal(key, a, hint=1)
    assert s.text("positive", 1) == "new a \""


def test_findings_of_a_proposal_are_those_of_its_inserted_row(tmp_path):
    s = make(tmp_path)
    p = Proposal("He said it was fine.", "I admitted \"", "")
    codes = {f.code for f in s.proposal_findings(0, p)}
    assert {"closed-ending", "third-person"} <= codes


def test_accepting_a_suggestion_rewrites_the_pair_in_one_undoable_edit(tmp_path):
    s = make(tmp_path)
    key = s.pair_key(2)
    complete(s, "positive", key[0], "no", 10)
    s.set_suggestion(key, Suggestion(Diagnosis.WRONG_DIRECTION, "e", "fixed pos \"", "fixed neg \""))
    op = s.accept_suggestion(key, hint=2)
    assert op is not None and s.pair_key(2) == ("fixed pos \"", "fixed neg \"")
    assert s.result("positive", 2).stale          # the old result shows, stale, until re-tested
    assert key not in s.suggestions
    s.undo()
    assert s.pair_key(2) == key and not s.dirty
    assert s.accept_suggestion(key, hint=2) is None    # nothing left to accept
