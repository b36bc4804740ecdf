"""core.verdicts as pure functions: thresholds, ambiguity, identical, mismatch, summary, target."""
from __future__ import annotations

import pytest

from core.verdicts import (LineResult, Thresholds, first_tokens, is_ambiguous, is_identical,
                           line_passed, line_verdict, pair_verdict, passes, summarize, target_status)

T = Thresholds()


def scored(score, completion="text", tokens=()):
    return LineResult("s", completion, tuple(tokens), score)


@pytest.mark.parametrize("side, score, passed, verdict", [
    ("positive", 100, True, "pass"), ("positive", 61, True, "pass"),
    ("positive", 60, True, "ambiguous"), ("positive", 59, False, "ambiguous"),
    ("positive", 40, False, "ambiguous"), ("positive", 39, False, "fail"), ("positive", 0, False, "fail"),
    ("negative", 0, True, "pass"), ("negative", 39, True, "pass"), ("negative", 40, True, "ambiguous"),
    ("negative", 41, False, "ambiguous"), ("negative", 60, False, "ambiguous"),
    ("negative", 61, False, "fail"), ("negative", 100, False, "fail"),
])
def test_thresholds_and_ambiguous_band(side, score, passed, verdict):
    r = scored(score)
    assert passes(side, score, T) is passed
    assert line_passed(side, r, T) is passed
    assert line_verdict(side, r, T) == verdict
    assert is_ambiguous(score, T) is (40 <= score <= 60)


def test_custom_thresholds():
    t = Thresholds(positive=80, negative=20, ambiguous_low=30, ambiguous_high=70)
    assert line_verdict("positive", scored(75), t) == "fail"
    assert line_verdict("positive", scored(80), t) == "pass"
    assert line_verdict("negative", scored(25), t) == "fail"
    assert line_verdict("negative", scored(71), t) == "fail"
    assert line_verdict("negative", scored(50), t) == "ambiguous"


def test_error_pending_stale_are_never_pass_or_fail():
    err = LineResult("s", "c", (), None, "judge failed")
    err_with_score = LineResult("s", "c", (), 90, "judge failed")
    pending = LineResult("s")
    stale = LineResult("s", "c", (), 90, None, stale=True)
    for side in ("positive", "negative"):
        assert line_passed(side, err) is None and line_verdict(side, err) == "error"
        assert line_passed(side, err_with_score) is None and line_verdict(side, err_with_score) == "error"
        assert line_passed(side, pending) is None and line_verdict(side, pending) == "pending"
        assert line_passed(side, stale) is None and line_verdict(side, stale) == "stale"


def test_pair_verdicts():
    assert pair_verdict(scored(80), scored(10)) == "pass"
    assert pair_verdict(scored(80), scored(90)) == "mismatch"
    assert pair_verdict(scored(20), scored(10)) == "mismatch"
    assert pair_verdict(scored(20), scored(90)) == "fail"
    assert pair_verdict(scored(80), LineResult("s")) == "pending"
    assert pair_verdict(LineResult("s", error="x"), scored(10)) == "error"
    assert pair_verdict(scored(80), LineResult("s", "c", (), 10, "x")) == "error"


def test_identical_by_text_or_first_tokens():
    a = scored(80, " I am sure. Yes", (" I", " am", " sure", ".", " Yes"))
    b = scored(10, " I am sure. Yes", (" I", " am", " sure", ".", " Yes"))
    assert is_identical(a, b)
    c = scored(10, " I am sure. Yes, no doubt", (" I", " am", " sure", ".", " Yes", ",", " no"))
    assert is_identical(a, c)          # same first 5 tokens, different later
    d = scored(10, " I am not sure", (" I", " am", " not", " sure"))
    assert not is_identical(a, d)
    assert first_tokens(a, 3) == ("I", "am", "sure")
    # without token pieces the words stand in
    assert is_identical(scored(1, "one two three four five six"), scored(1, "one two three four five seven"))
    assert not is_identical(scored(1, "one two"), scored(1, "one three"))
    assert not is_identical(scored(1, "x"), LineResult("s"))
    assert is_identical(scored(1, "  same  "), scored(1, "same"))
    assert not is_identical(a, d, Thresholds(identical_tokens=3)) and is_identical(a, d, Thresholds(identical_tokens=2))


def test_summary_counts_and_rates():
    pairs = [
        (scored(80, "a"), scored(10, "b")),            # pass
        (scored(90, "c"), scored(30, "d")),            # pass
        (scored(50, "e"), scored(10, "f")),            # mismatch; positive ambiguous
        (scored(20, "g"), scored(90, "h")),            # fail
        (LineResult("s", "i", (), None, "boom"), scored(5, "j")),   # error
        (LineResult("s"), scored(5, "k")),             # pending
        (scored(70, "same words here"), scored(20, "same words here")),   # pass, identical
    ]
    s = summarize(pairs, T)
    assert (s.positive.total, s.positive.passed, s.positive.failed, s.positive.errors,
            s.positive.pending, s.positive.ambiguous) == (7, 3, 2, 1, 1, 1)
    assert (s.negative.total, s.negative.passed, s.negative.failed) == (7, 6, 1)
    assert s.positive.pass_rate == pytest.approx(3 / 5)
    assert s.negative.pass_rate == pytest.approx(6 / 7)
    assert (s.pairs, s.pairs_passing, s.pairs_scored, s.mismatched, s.identical) == (7, 3, 5, 1, 1)
    assert s.pair_rate == pytest.approx(3 / 5)
    assert not s.complete
    assert s.target_status == "below minimum"
    assert summarize([(scored(80), scored(10))]).complete


@pytest.mark.parametrize("passing, total, status", [
    (50, 50, "ideal"), (45, 50, "ideal"), (60, 66, "ideal"), (50, 56, "meets minimum"),
    (50, 71, "meets minimum"), (50, 72, "below minimum"), (49, 49, "below minimum"),
    (0, 0, "below minimum"),
])
def test_target_status(passing, total, status):
    t = Thresholds(pairs_target=45) if (passing, total) == (45, 50) else T
    assert target_status(passing, total, t) == status
