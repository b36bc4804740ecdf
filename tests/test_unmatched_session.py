"""core.session on an unmatched dataset (core.session_sides): each side a list of its own, of
any length; cut, add, edit, undo and save on one side; the disk read and settled on unequal
sides; per-line verdicts and problems; no pair verdicts and no pair lint. Without Textual."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.cache import Cache
from core.dataset import DatasetError, load_trait, save_pair_files
from core.events import CompletionReady, LineError, ScoreReady
from core.session import Session, Snapshot, diff_lines
from core.session_disk import DiskOutcome, Settled, settle_conflict, sync_from_disk
from core.session_pairs import Problem

REPO = Path(__file__).resolve().parent.parent
ANXIETY = REPO / "tests" / "fixtures" / "wild" / "traits" / "emotion" / "anxiety_legacy"


@pytest.fixture
def folder(tmp_path) -> Path:
    dst = tmp_path / "emotion" / "anxiety_legacy"
    shutil.copytree(ANXIETY, dst)
    return dst


@pytest.fixture
def session(folder, tmp_path) -> Session:
    return Session(load_trait(str(folder), check_steering=False), cache=Cache(tmp_path / "c.sqlite3"))


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def score(s: Session, side: str, idx: int, value: int) -> None:
    text = s.text(side, idx)
    s.apply_event(CompletionReady(1, side, idx, text, f" done {idx}", (" done", f" {idx}"), False))
    s.apply_event(ScoreReady(1, side, idx, text, f" done {idx}", value, False, 10, 2, 0.001))


def test_an_unmatched_dataset_opens_with_its_two_lengths(session):
    assert not session.matched
    assert (session.side_len("positive"), session.side_len("negative")) == (118, 250)
    assert session.size == "118 positive and 250 negative lines"
    assert session.cached_lines() == (0, 368)
    # every line of both sides is to be tested, not max(118, 250) rows of pairs
    items = session.items_to_test()
    assert len(items) == 118 + 250
    assert {i.side for i in items if i.idx >= 118} == {"negative"}


def test_each_line_gets_its_own_verdict_and_the_summary_is_per_side(session):
    score(session, "positive", 0, 60)      # positive passes at >= 60 ... but 60 is ambiguous
    score(session, "positive", 1, 85)
    score(session, "positive", 2, 20)
    score(session, "negative", 200, 40)    # negative passes at <= 40 (ambiguous band too)
    score(session, "negative", 201, 5)
    score(session, "negative", 249, 90)
    info = {(side, i): session.line_info(side, i) for side, i in
            [("positive", 0), ("positive", 1), ("positive", 2), ("negative", 200),
             ("negative", 201), ("negative", 249)]}
    assert info["positive", 1].verdict == "pass" and info["positive", 1].problems == ()
    assert info["positive", 2].verdict == "fail" and info["positive", 2].problems == (Problem.FAILS,)
    assert info["positive", 0].problems == (Problem.POSITIVE_AMBIGUOUS,)
    assert info["negative", 201].verdict == "pass"
    assert info["negative", 249].problems == (Problem.FAILS,)
    s = session.summary()
    assert (s.positive.total, s.positive.passed, s.positive.failed) == (118, 2, 1)
    assert (s.negative.total, s.negative.passed, s.negative.failed) == (250, 2, 1)
    assert s.pairs == 0 and s.pairs_passing == 0          # no pair verdicts at all


def test_errors_are_problems_never_verdicts(session):
    text = session.text("negative", 7)
    session.apply_event(LineError(1, "negative", 7, text, "judge", "rate limited (429)"))
    info = session.line_info("negative", 7)
    assert info.verdict == "error" and info.problems == (Problem.ERROR,)
    s = session.summary()
    assert s.negative.errors == 1 and s.negative.passed == s.negative.failed == 0


def test_problem_navigation_and_the_filter_stay_on_one_side(session):
    score(session, "positive", 3, 10)
    score(session, "positive", 90, 15)
    score(session, "negative", 240, 95)
    assert session.visible_lines("positive", True) == [3, 90]
    assert session.visible_lines("negative", True) == [240]
    assert len(session.visible_lines("negative", False)) == 250
    assert session.next_line_problem("positive", 3) == 90
    assert session.next_line_problem("positive", 90) == 3          # wraps
    assert session.next_line_problem("positive", 3, -1) == 90
    assert session.next_line_problem("negative", 0) == 240
    score(session, "negative", 240, 5)
    assert session.next_line_problem("negative", 0) is None


def test_cut_removes_one_line_of_one_side_and_undo_brings_it_back(session):
    neg_before = list(session.lines["negative"])
    pos_before = list(session.lines["positive"])
    score(session, "negative", 11, 5)
    op = session.cut_line("negative", 10)
    assert op.side == "negative" and op.cursor_after == 10
    assert session.side_len("negative") == 249 and session.lines["positive"] == pos_before
    assert session.text("negative", 10) == neg_before[11]
    assert session.line_info("negative", 10).verdict == "pass"       # the result followed its text
    assert session.describe_changes() == "1 negative line cut"
    session.undo()
    assert session.lines["negative"] == neg_before and not session.dirty
    session.redo()
    assert session.side_len("negative") == 249
    op = session.cut_line("positive", 117)                            # the last line
    assert op.cursor_after == 116
    with pytest.raises(IndexError):
        session.cut_line("positive", 117)


def test_add_and_edit_a_line_on_one_side(session):
    op = session.add_line("positive", 4, "Alone in the waiting room, my hands would not stop")
    assert op.side == "positive" and op.cursor_after == 5
    assert session.side_len("positive") == 119 and session.side_len("negative") == 250
    session.edit_line("negative", 0, "The door clicked shut behind me and I finally breathed")
    assert session.describe_changes() == "1 positive line added, 1 negative line edited"
    todo = {(i.side, i.scenario) for i in session.items_to_test(rows=[0, 5])}
    assert ("positive", "Alone in the waiting room, my hands would not stop") in todo
    assert ("negative", "The door clicked shut behind me and I finally breathed") in todo


def test_save_keeps_the_unequal_sides_atomically(session, folder):
    session.cut_line("negative", 0)
    session.add_line("positive", -1, "First new line, and my pulse jumped when")
    session.save()
    assert len(lines(folder / "positive.txt")) == 119 and len(lines(folder / "negative.txt")) == 249
    assert not session.dirty and not (folder / ".scenarios-save.json").exists()
    again = load_trait(str(folder), check_steering=False)
    assert not again.matched and again.positive.lines[0] == "First new line, and my pulse jumped when"
    # a side with no line cannot be saved (the next load would refuse an empty file)
    for _ in range(119):
        session.cut_line("positive", 0)
    assert "positive side has none" in session.unsavable()
    # and matched pairs still refuse unequal counts
    with pytest.raises(DatasetError, match="pairs must stay matched"):
        save_pair_files(folder, ["a"], ["b", "c"])


def test_the_disk_is_read_as_unmatched_and_reloads_clean_buffers(session, folder):
    neg = lines(folder / "negative.txt")
    (folder / "negative.txt").write_text("\n".join(neg[:-3]) + "\n", encoding="utf-8")
    report = sync_from_disk(session, 0)
    assert report.outcome == DiskOutcome.SYNCED and report.files == ["negative.txt"]
    assert session.side_len("negative") == 247 and session.side_len("positive") == 118
    assert not session.dirty


def test_a_conflict_on_unequal_sides_is_settled_either_way(session, folder):
    session.cut_line("positive", 0)                       # unsaved
    mine = session.snapshot()
    neg = lines(folder / "negative.txt")
    (folder / "negative.txt").write_text("\n".join(neg + ["THEIRS: my breath caught when"]) + "\n",
                                         encoding="utf-8")
    report = sync_from_disk(session, 0)
    assert report.outcome == DiskOutcome.CONFLICT and not report.conflict.matched
    diffs = diff_lines(report.conflict.mine, report.conflict.theirs)
    assert {(d.side, d.mine_line, d.theirs_line) for d in diffs} == {("positive", None, 1),
                                                                     ("negative", None, 251)}
    outcome, _ = settle_conflict(session, report.state, "theirs", 0)
    assert outcome == Settled.TOOK_THEIRS
    assert (session.side_len("positive"), session.side_len("negative")) == (118, 251)
    assert session.last_conflict is not None and not session.last_conflict.matched
    session.undo()
    assert session.snapshot() == mine
    session.save()                                         # mine overwrites, lengths kept
    assert len(lines(folder / "positive.txt")) == 117 and len(lines(folder / "negative.txt")) == 250


def test_refresh_skips_rows_a_side_does_not_have(session):
    score(session, "negative", 200, 5)
    session.request_refresh([200])                          # positive has 118 lines: skipped there
    assert session.refresh_wanted == {("negative", session.text("negative", 200))}
    session.request_refresh([3], sides=("positive",))
    assert ("positive", session.text("positive", 3)) in session.refresh_wanted


def test_no_pair_lint_on_unrelated_lines(session):
    found = session.lint()
    assert not [f for f in found if f.code in ("no-common-setup", "count-mismatch", "asymmetric-length")]
    dup = session.text("positive", 1)
    session.edit_line("positive", 0, dup)                  # a duplicate line is a line error
    assert any(f.code == "duplicate-line" for f in session.lint_for_line("positive", 0)
               + session.lint_for_line("positive", 1))
    assert all(f.side == "positive" for f in session.lint_for_line("positive", 0))


def test_diff_lines_compares_sides_of_any_length():
    a = Snapshot(("p1", "p2"), ("n1", "n2", "n3"))
    b = Snapshot(("p1", "p2", "p3"), ("n1", "n3"))
    d = diff_lines(a, b)
    assert [(x.side, x.mine_line, x.theirs_line, x.mine, x.theirs) for x in d] == [
        ("positive", None, 3, None, "p3"), ("negative", 2, None, "n2", None)]
