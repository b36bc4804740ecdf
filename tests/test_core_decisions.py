"""The decisions the editor used to take itself, now in core: tested without Pilot."""
from __future__ import annotations

from core.backend_state import BackendState, blockers, fold_backend, unconfigured
from core.cache import Cache
from core.dataset import load_trait
from core.events import BackendStatus, CompletionReady, LineError, RunDone, ScoreReady
from core.rubric import Rubric
from core.scheduler import Scheduler
from core.session import Session
from core.session_disk import DiskOutcome, Settled, settle_conflict, sync_from_disk
from core.session_pairs import Problem
from core.stream import RunTally
from core.verdicts import LineResult

from .test_session import fill_all, write_trait


def make(tmp_path) -> Session:
    folder = write_trait(tmp_path / "t")
    return Session(load_trait(str(folder)), cache=Cache(tmp_path / "c.sqlite3"))


def test_scheduler_queues_behind_a_run_and_serves_the_queue_when_it_ends(tmp_path):
    s, sched = make(tmp_path), Scheduler()
    plan = sched.request(s)
    assert plan is not None and plan.size == 10 and sched.testing
    assert sched.request(s, include_blocked=True) is None and sched.queued
    end = sched.finished(s, plan.token, cancelled=False)
    assert end.current and end.left == 10 and end.follow_up is True
    assert not sched.testing and not sched.queued
    # the lines the run left are blocked: only an include_blocked request tests them again
    assert sched.request(s) is None
    assert sched.request(s, include_blocked=True).size == 10


def test_scheduler_ignores_the_end_of_a_cancelled_run(tmp_path):
    s, sched = make(tmp_path), Scheduler()
    first = sched.request(s)
    assert sched.cancel(s) == first.token and not s.inflight
    second = sched.request(s)
    assert not sched.finished(s, first.token, cancelled=True).current
    assert sched.testing and sched.token == second.token


def test_sync_from_disk_reloads_clean_buffers_and_rejudges_a_new_rubric(tmp_path):
    s = make(tmp_path)
    fill_all(s)
    assert sync_from_disk(s, 0).outcome == DiskOutcome.UNCHANGED
    (s.folder / "positive.txt").write_text("".join(f"new {i} so I said \"\n" for i in range(5)))
    (s.folder / "definition.txt").write_text("HIGH (70-100): x\n\nLOW (0-40): y\n\nKey: strict\n")
    report = sync_from_disk(s, 0)
    assert report.outcome == DiskOutcome.SYNCED and report.rejudge
    assert report.files == ["positive.txt"] and s.text("positive", 0) == "new 0 so I said \""
    assert s.rubric.epoch == 1 and s.result("negative", 0).stale


def test_sync_from_disk_makes_a_conflict_of_unsaved_edits_and_settles_it(tmp_path):
    s = make(tmp_path)
    s.cut_pair(0)
    (s.folder / "negative.txt").write_text("".join(f"other {i} so I admitted \"\n" for i in range(5)))
    report = sync_from_disk(s, 0)
    assert report.outcome == DiskOutcome.CONFLICT and s.n_pairs == 4     # nothing overwritten
    outcome, _ = settle_conflict(s, report.state, "theirs", 0)
    assert outcome == Settled.TOOK_THEIRS and s.n_pairs == 5 and s.last_conflict.choice == "theirs"
    assert settle_conflict(s, report.state, "mine", 0)[0] == Settled.GONE


def test_one_rubric_holder_shared_with_the_runner(tmp_path):
    rubric = Rubric("old")
    folder = write_trait(tmp_path / "t")
    s = Session(load_trait(str(folder)), rubric=rubric)
    s.apply_definition("new", None)
    assert rubric.text == "new" and rubric.epoch == 1 and s.definition == "new"


def test_the_cli_and_the_editor_fold_the_stream_alike(tmp_path):
    s = make(tmp_path)
    text = s.text("positive", 0)
    events = [BackendStatus("judge", BackendState.NOT_CONFIGURED, "no key"),
              CompletionReady(1, "positive", 0, text, "yes", ("yes",), False),
              ScoreReady(1, "positive", 0, text, "yes", 80, False, 1, 1, 0.5),
              LineError(1, "negative", 0, s.text("negative", 0), "generate", "boom"),
              RunDone(1, False, 2, 1, 1, 0.5, 0.1)]
    rows = {"positive": [LineResult(text)], "negative": [LineResult(s.text("negative", 0))]}
    tally = RunTally()
    for ev in events:
        s.apply_event(ev)
        tally.fold(ev, lambda e: rows[e.side][e.idx])
    assert rows["positive"][0] == s.result("positive", 0)
    assert rows["negative"][0] == s.result("negative", 0)
    assert tally.cost_usd == s.cost_usd == 0.5 and tally.blockers == ["no key"]
    assert tally.backends["judge"].state == BackendState.READY == s.backends["judge"].state


def test_backend_state_blockers_and_judge_errors():
    backends = unconfigured("local", None, "ANTHROPIC_API_KEY is not set")
    assert blockers(backends) == {"generator": "no generation backend configured",
                                  "judge": "ANTHROPIC_API_KEY is not set"}
    assert fold_backend(backends, LineError(1, "positive", 0, "x", "judge", "rate limited"))
    assert backends["judge"].state == BackendState.ERROR
    fold_backend(backends, ScoreReady(1, "positive", 0, "x", "c", 70, False))
    assert "judge" not in blockers(backends)
    # once ready, a per-line judge error is that line's error, not the judge's state
    assert not fold_backend(backends, LineError(1, "positive", 0, "x", "judge", "again"))


def test_pair_problems_are_typed(tmp_path):
    s = make(tmp_path)
    fill_all(s, pos_score=10, neg_score=10)
    assert s.pair_info(0).problems[0] is Problem.MISMATCH
