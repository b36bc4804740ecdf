"""core.session: the editing model, without Textual."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.cache import Cache
from core.dataset import ConflictError, load_trait
from core.events import BackendStatus, CompletionReady, LineError, RunDone, ScoreReady
from core.generation import Generated
from core.session import EXPLAIN, EXPRESS, EditError, Session, Snapshot, diff_pairs


def write_trait(folder: Path, n: int = 5) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "positive.txt").write_text("".join(f"pos {i} so I said \"\n" for i in range(n)))
    (folder / "negative.txt").write_text("".join(f"neg {i} so I admitted \"\n" for i in range(n)))
    (folder / "definition.txt").write_text("HIGH (70-100): x\n\nLOW (0-40): y\n\nKey: z\n")
    return folder


@pytest.fixture
def folder(tmp_path) -> Path:
    return write_trait(tmp_path / "t")


@pytest.fixture
def session(folder, tmp_path) -> Session:
    return Session(load_trait(str(folder)), cache=Cache(tmp_path / "c.sqlite3"))


def complete(s: Session, side: str, text: str, completion: str, score: int | None = None,
             epoch: int | None = None) -> None:
    s.apply_event(CompletionReady(1, side, 0, text, completion, tuple(completion.split(" ")), False), epoch)
    if score is not None:
        s.apply_event(ScoreReady(1, side, 0, text, completion, score, False, 10, 2, 0.001), epoch)


def fill_all(s: Session, pos_score: int = 80, neg_score: int = 10) -> None:
    for i in range(s.n_pairs):
        complete(s, "positive", s.text("positive", i), f"yes {i} definitely", pos_score)
        complete(s, "negative", s.text("negative", i), f"no {i} not sure", neg_score)


def test_results_follow_content_through_cut_and_undo(session):
    fill_all(session)
    session.apply_event(ScoreReady(1, "positive", 0, "pos 3 so I said \"", "yes 3 definitely", 20, False))
    assert session.verdict("positive", 3) == "fail"
    session.cut_pair(1)
    assert session.n_pairs == 4
    # row 2 now shows the old line 3 and its result
    assert session.text("positive", 2) == "pos 3 so I said \""
    assert session.verdict("positive", 2) == "fail"
    assert session.dirty
    op = session.undo()
    assert op is not None and op.kind == "cut"
    assert session.text("positive", 1) == "pos 1 so I said \""
    assert session.verdict("positive", 3) == "fail"
    assert not session.dirty
    session.redo()
    assert session.n_pairs == 4 and session.dirty


def test_edit_shows_stale_until_its_own_result_arrives(session):
    fill_all(session)
    session.edit_line("negative", 2, "neg 2 so I said honestly \"")
    r = session.result("negative", 2)
    assert r.stale and r.score == 10
    assert session.verdict("negative", 2) == "stale"
    items = session.items_to_test()
    assert [(i.side, i.idx, i.scenario) for i in items] == [("negative", 2, "neg 2 so I said honestly \"")]
    complete(session, "negative", "neg 2 so I said honestly \"", "I do not know", 55)
    assert session.verdict("negative", 2) == "ambiguous"
    assert session.items_to_test() == []


def test_edit_refuses_blank_and_line_breaks(session):
    with pytest.raises(EditError):
        session.edit_line("positive", 0, "   ")
    with pytest.raises(EditError):
        session.edit_line("positive", 0, "one\ntwo")
    assert session.edit_line("positive", 0, session.text("positive", 0)) is None
    assert not session.undo_stack


def test_add_pair_and_undo(session):
    op = session.add_pair(1, "new pos \"", "new neg \"")
    assert op.cursor_after == 2
    assert session.text("positive", 2) == "new pos \"" and session.text("negative", 2) == "new neg \""
    assert {(i.side, i.scenario) for i in session.items_to_test()} >= {("positive", "new pos \""),
                                                                       ("negative", "new neg \"")}
    session.undo()
    assert session.n_pairs == 5 and not session.dirty
    session.add_pair(-1, "top p", "top n")
    assert session.text("positive", 0) == "top p"


def test_save_cut_removes_same_line_from_both_files(session, folder):
    before_pos = (folder / "positive.txt").read_text().splitlines()
    before_neg = (folder / "negative.txt").read_text().splitlines()
    session.cut_pair(2)
    session.save()
    assert not session.dirty
    assert (folder / "positive.txt").read_text().splitlines() == before_pos[:2] + before_pos[3:]
    assert (folder / "negative.txt").read_text().splitlines() == before_neg[:2] + before_neg[3:]
    session.undo()
    assert session.dirty
    session.save()
    assert (folder / "positive.txt").read_text().splitlines() == before_pos


def test_save_detects_external_change(session, folder):
    session.cut_pair(0)
    (folder / "negative.txt").write_text((folder / "negative.txt").read_text() + "", encoding="utf-8")
    (folder / "negative.txt").write_text("x\n" * 5)
    with pytest.raises(ConflictError):
        session.save()
    assert (folder / "negative.txt").read_text() == "x\n" * 5


def test_read_disk_take_theirs_is_undoable(session, folder):
    session.edit_line("positive", 0, "mine \"")
    lines = (folder / "negative.txt").read_text().splitlines()
    lines[3] = "theirs 3 \""
    (folder / "negative.txt").write_text("\n".join(lines) + "\n")
    state = session.read_disk()
    assert state.theirs is not None and state.definition is None and state.problem is None
    conflict = session.conflict_with(state)
    assert conflict is not None
    diffs = diff_pairs(conflict.mine, conflict.theirs)
    assert {d.mine_line for d in diffs} == {1, 4}
    session.take_theirs(state, conflict=True)
    assert session.text("negative", 3) == "theirs 3 \"" and session.text("positive", 0) == "pos 0 so I said \""
    assert not session.dirty
    assert session.last_conflict and session.last_conflict.mine.positive[0] == "mine \""
    session.undo()
    assert session.text("positive", 0) == "mine \"" and session.dirty
    # saving mine now succeeds: the disk version was adopted as the base
    session.save()
    assert (folder / "positive.txt").read_text().splitlines()[0] == "mine \""


def test_keep_mine_keeps_theirs_reachable(session, folder):
    session.edit_line("positive", 0, "mine \"")
    (folder / "positive.txt").write_text("theirs \"\n" + "".join(f"pos {i} so I said \"\n" for i in range(1, 5)))
    state = session.read_disk()
    session.keep_mine(state)
    assert session.last_conflict.theirs.positive[0] == "theirs \""
    assert session.dirty
    session.save()
    assert (folder / "positive.txt").read_text().splitlines()[0] == "mine \""


def test_read_disk_reports_unloadable_state(session, folder):
    (folder / "positive.txt").write_text("only one line\n")
    state = session.read_disk()
    assert state.problem and "no partner" in state.problem and state.theirs is None


def test_definition_change_rejudges_without_regenerating(session, folder):
    fill_all(session)
    (folder / "definition.txt").write_text("HIGH (70-100): other\n\nLOW (0-40): y\n\nKey: z\n")
    state = session.read_disk()
    assert state.definition is not None and state.theirs is None
    session.apply_definition(state.definition, state.digests["definition.txt"])
    assert session.verdict("positive", 0) == "stale"
    assert len(session.items_to_test()) == 10
    # a score judged under the old definition is dropped
    session.apply_event(ScoreReady(1, "positive", 0, session.text("positive", 0), "yes 0 definitely", 90, False), epoch=0)
    assert session.verdict("positive", 0) == "stale"
    session.apply_event(ScoreReady(2, "positive", 0, session.text("positive", 0), "yes 0 definitely", 90, False),
                        epoch=session.def_epoch)
    assert session.verdict("positive", 0) == "pass"


def test_runs_inflight_and_blocked(session):
    items = session.items_to_test()
    assert len(items) == 10
    token = session.begin_run(items)
    assert session.items_to_test() == []
    complete(session, "positive", items[0].scenario, "abc", 70)
    left = session.end_run(token)
    assert left == 9
    assert session.items_to_test() == []           # blocked: no backend answered
    assert len(session.items_to_test(include_blocked=True)) == 9
    # a cancelled run leaves its items pending, not blocked
    token = session.begin_run(session.items_to_test(include_blocked=True))
    session.end_run(token, cancelled=True)
    assert len(session.items_to_test(include_blocked=True)) == 9


def test_errors_are_neither_pass_nor_fail(session):
    t = session.text("positive", 0)
    session.apply_event(LineError(1, "positive", 0, t, "generate", "generation failed: boom"))
    assert session.verdict("positive", 0) == "error"
    info = session.pair_info(0)
    assert info.pair == "error" and "error" in info.problems
    s = session.summary()
    assert s.positive.errors == 1 and s.positive.passed == 0 and s.positive.failed == 0


def test_problem_navigation_and_filter(session):
    fill_all(session)
    # pair 1 mismatch, pair 3 identical, pair 4 ambiguous
    session.apply_event(ScoreReady(1, "negative", 0, session.text("negative", 1), "no 1 not sure", 90, False))
    complete(session, "negative", session.text("negative", 3), "yes 3 definitely", 10)
    session.apply_event(ScoreReady(1, "positive", 0, session.text("positive", 4), "yes 4 definitely", 50, False))
    assert session.problem_rows() == [1, 3, 4]
    assert session.pair_info(1).mismatch
    assert session.pair_info(3).identical
    assert session.next_problem(1) == 3
    assert session.next_problem(4) == 1          # wraps
    assert session.next_problem(1, -1) == 4
    assert session.visible_rows(True) == [1, 3, 4]
    assert session.visible_rows(False) == [0, 1, 2, 3, 4]


def test_refresh_marks_stale_and_yields_items(session):
    fill_all(session)
    session.request_refresh([2])
    assert session.verdict("positive", 2) == "stale"
    items = session.take_refresh_items()
    assert {(i.side, i.idx) for i in items} == {("positive", 2), ("negative", 2)}
    assert session.take_refresh_items() == []


def test_summary_counts_and_cost(session):
    fill_all(session)
    s = session.summary()
    assert s.positive.passed == 5 and s.negative.passed == 5 and s.pairs_passing == 5
    assert session.cost_usd == pytest.approx(0.01)


def test_backend_status_slots(session):
    session.apply_event(BackendStatus("judge", "not configured", "ANTHROPIC_API_KEY is not set"))
    session.apply_event(BackendStatus("local", "loading", "loading x"))
    assert session.backends["judge"].state == "not configured"
    assert session.backends["generator"].backend == "local"
    session.apply_event(RunDone(1, False, 0, 0, 0, 0.0, 0.1, "no judge"))
    assert session.last_run.fatal == "no judge"


def test_review_marks_keyed_by_content_and_persist(folder, tmp_path):
    cache_path = tmp_path / "marks.sqlite3"
    s = Session(load_trait(str(folder)), cache=Cache(cache_path))
    assert not s.set_mark("positive", 0, EXPRESS)        # no completion yet
    fill_all(s)
    assert s.set_mark("positive", 0, EXPRESS)
    assert s.set_mark("negative", 1, EXPLAIN)
    assert s.review_marks() == {("positive", 0): EXPRESS, ("negative", 1): EXPLAIN}
    assert s.review_progress() == (1, 1, 8)
    # a new session on the same cache sees them
    s2 = Session(load_trait(str(folder)), cache=Cache(cache_path))
    fill_all(s2)
    assert s2.review_marks() == {("positive", 0): EXPRESS, ("negative", 1): EXPLAIN}
    # cutting pair 0 moves the negative mark to row 0; editing loses it
    s2.cut_pair(0)
    assert s2.review_marks() == {("negative", 0): EXPLAIN}
    s2.edit_line("negative", 0, "changed \"")
    assert s2.review_marks() == {}
    s2.undo()
    assert s2.review_marks() == {("negative", 0): EXPLAIN}
    # clearing
    s2.set_mark("negative", 0, None)
    assert s2.review_marks() == {}


def test_prefill_from_cache_lookups(session):
    comps = {session.text("positive", 0): Generated("a b c", ("a", " b", " c"))}
    n = session.prefill(lambda texts: {t: (comps[t], 77) for t in texts if t in comps})
    assert n == 1
    assert session.result("positive", 0).score == 77
    assert len(session.items_to_test()) == 9


def test_crlf_files_keep_their_line_endings(tmp_path):
    folder = tmp_path / "crlf"
    folder.mkdir()
    (folder / "positive.txt").write_bytes(b"a \"\r\nb \"\r\n")
    (folder / "negative.txt").write_bytes(b"c \"\r\nd \"\r\n")
    (folder / "definition.txt").write_text("HIGH: x\nLOW: y\nKey: z\n")
    s = Session(load_trait(str(folder)))
    s.edit_line("positive", 1, "bb \"")
    s.save()
    assert (folder / "positive.txt").read_bytes() == b"a \"\r\nbb \"\r\n"


def test_diff_pairs_alignment():
    a = Snapshot(("a", "b", "c"), ("A", "B", "C"))
    b = Snapshot(("a", "c", "d"), ("A", "C", "D"))
    d = diff_pairs(a, b)
    assert [(x.mine_line, x.theirs_line) for x in d] == [(2, None), (None, 3)]


def test_the_vector_check_is_cheap_until_something_it_reads_changes(session):
    """vectors_checked() lets the editor skip vector_inputs() (which reads every row) on each
    redraw: it holds exactly while nothing a report depends on has changed."""
    import numpy as np

    from core.activations import Activations

    def acts(seed: int) -> Activations:
        data = np.random.default_rng(seed).standard_normal((1, 4)).astype(np.float16).tobytes()
        return Activations((1,), "first-k", 4, data)

    for i in range(session.n_pairs):
        for side, score in (("positive", 80), ("negative", 10)):
            text = session.text(side, i)
            session.apply_event(CompletionReady(1, side, i, text, "c", ("c",), False,
                                                acts(2 * i + (side == "negative"))))
            session.apply_event(ScoreReady(1, side, i, text, "c", score, False, 10, 2, 0.001))
    assert not session.vectors_checked()
    inputs = session.vector_inputs()
    assert inputs is not None and not session.vectors_checked()     # taken, not shown yet
    session.adopt_vectors(inputs, inputs.compute())
    assert session.vectors_checked() and session.vector_inputs() is None
    session.cut_pair(0)                                  # the rows changed: check again
    assert not session.vectors_checked()
    inputs = session.vector_inputs()
    assert inputs is not None
    session.adopt_vectors(inputs, inputs.compute())
    assert session.vectors_checked()
    text = session.text("positive", 1)                    # a new score: check again
    session.apply_event(ScoreReady(2, "positive", 1, text, "c", 20, False, 10, 2, 0.001))
    assert not session.vectors_checked() and session.vector_inputs() is not None
