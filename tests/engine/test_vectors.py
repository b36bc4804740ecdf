"""The vector preview's statistics (core.vectors) against a straightforward reference written
with plain loops, on synthetic hidden states with a planted trait direction."""
from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from core.activations import Activations
from core.vectors import best_of, layer_stats, vector_report
from core.verdicts import LineResult, Thresholds

DIM = 64


def reference_stats(pos: list[np.ndarray], neg: list[np.ndarray], folds: int = 5) -> tuple[float, float]:
    """Held-out accuracy and Cohen's d, the long way: line i of a side is in fold i % k; each
    fold is scored by the mean-difference vector of the others, thresholded at its midpoint."""
    k = min(folds, len(pos), len(neg))
    held_pos, held_neg = [], []
    for f in range(k):
        tp = [x for i, x in enumerate(pos) if i % k != f]
        tn = [x for i, x in enumerate(neg) if i % k != f]
        mp = sum(tp) / len(tp)
        mn = sum(tn) / len(tn)
        v = mp - mn
        v = v / math.sqrt(sum(float(c) ** 2 for c in v))
        thr = (float(np.dot(mp, v)) + float(np.dot(mn, v))) / 2
        held_pos += [float(np.dot(x, v)) - thr for i, x in enumerate(pos) if i % k == f]
        held_neg += [float(np.dot(x, v)) - thr for i, x in enumerate(neg) if i % k == f]
    correct = sum(p > 0 for p in held_pos) + sum(n < 0 for n in held_neg)
    accuracy = correct / (len(held_pos) + len(held_neg))
    n1, n2 = len(held_pos), len(held_neg)
    pooled = math.sqrt(((n1 - 1) * statistics.variance(held_pos) + (n2 - 1) * statistics.variance(held_neg))
                       / (n1 + n2 - 2))
    return accuracy, (statistics.mean(held_pos) - statistics.mean(held_neg)) / pooled


def planted(rng: np.random.Generator, n: int, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """n positive and n negative states: noise, plus/minus `strength` along one direction."""
    d = rng.normal(size=DIM)
    d /= np.linalg.norm(d)
    pos = rng.normal(size=(n, DIM)) + strength * d + 3.0    # a shared offset the difference removes
    neg = rng.normal(size=(n, DIM)) - strength * d + 3.0
    return pos, neg


@pytest.mark.parametrize("n,strength,folds", [(20, 1.5, 5), (7, 0.8, 5), (2, 2.0, 5), (12, 0.0, 3),
                                              (30, 0.4, 5)])
def test_layer_stats_match_the_reference(n, strength, folds):
    rng = np.random.default_rng(n * 100 + int(strength * 10))
    pos, neg = planted(rng, n, strength)
    got = layer_stats(7, pos, neg, folds)
    acc, d = reference_stats(list(pos), list(neg), folds)
    assert got.layer == 7
    assert got.accuracy == pytest.approx(acc)
    assert got.cohens_d == pytest.approx(d, rel=1e-9)


def test_unequal_sides_match_the_reference():
    rng = np.random.default_rng(3)
    pos, neg = planted(rng, 15, 1.0)
    got = layer_stats(1, pos, neg[:9])
    acc, d = reference_stats(list(pos), list(neg[:9]))
    assert (got.accuracy, got.cohens_d) == (pytest.approx(acc), pytest.approx(d))


def test_a_planted_direction_separates_and_noise_does_not():
    rng = np.random.default_rng(0)
    pos, neg = planted(rng, 40, 3.0)
    strong = layer_stats(1, pos, neg)
    assert strong.accuracy == 1.0 and strong.cohens_d > 4
    pos, neg = planted(rng, 40, 0.0)
    noise = layer_stats(2, pos, neg)
    assert 0.25 <= noise.accuracy <= 0.75 and abs(noise.cohens_d) < 1.0


def acts(layers: dict[int, np.ndarray]) -> Activations:
    return Activations.from_array(tuple(layers), "response[:5]", np.stack(list(layers.values())))


def test_report_picks_the_planted_layer_and_flags_the_line_that_pulls_the_wrong_way():
    """Three layers: noise, the planted direction, a weaker copy. Only passing pairs make the
    vector; every line with states gets a projection; a positive line whose state sits on the
    negative side is flagged; a failing pair, a stale line and an errored line are handled."""
    rng = np.random.default_rng(11)
    n = 12
    d = rng.normal(size=DIM)
    d /= np.linalg.norm(d)
    t = Thresholds()
    positive, negative = [], []
    for i in range(n):
        sign_p = -1.0 if i == 4 else 1.0                   # line 5: scored as a pass, states say otherwise
        p = {8: rng.normal(size=DIM), 12: rng.normal(size=DIM) + 4.0 * sign_p * d,
             16: rng.normal(size=DIM) + 0.6 * sign_p * d}
        q = {8: rng.normal(size=DIM), 12: rng.normal(size=DIM) - 4.0 * d, 16: rng.normal(size=DIM) - 0.6 * d}
        positive.append(LineResult(f"p{i}", "c", (), 90, activations=acts(p)))
        negative.append(LineResult(f"n{i}", "c", (), 10, activations=acts(q)))
    positive[10].score = 10                                  # pair 11 fails: not in the vector
    negative[11].stale = True                                # pair 12: stale, not used or projected
    rep = vector_report(positive, negative, t)
    assert rep is not None and rep.position == "response[:5]"
    assert rep.used == (n - 2, n - 2)
    assert [s.layer for s in rep.layers] == [8, 12, 16]
    assert rep.best_layer == 12
    by = {s.layer: s for s in rep.layers}
    assert by[12].accuracy > 0.9 and by[12].accuracy > by[8].accuracy
    # the same numbers as the reference on the lines it was made from
    use = [i for i in range(n) if i not in (10, 11)]
    acc, dd = reference_stats([positive[i].activations.layer(12) for i in use],
                              [negative[i].activations.layer(12) for i in use])
    assert by[12].accuracy == pytest.approx(acc) and by[12].cohens_d == pytest.approx(dd)
    assert rep.projection("negative", 11) is None                         # stale
    assert rep.projection("positive", 10) is not None                     # failing lines are projected too
    assert rep.wrong_side("positive", 4)
    assert not any(rep.wrong_side("positive", i) for i in range(n) if i != 4)
    assert not any(rep.wrong_side("negative", i) for i in range(n))
    # projections on the vector from all used lines, 0 at the midpoint
    mp = np.mean([positive[i].activations.layer(12) for i in use], axis=0)
    mn = np.mean([negative[i].activations.layer(12) for i in use], axis=0)
    v = (mp - mn) / np.linalg.norm(mp - mn)
    want = positive[3].activations.layer(12) @ v - (mp @ v + mn @ v) / 2
    assert rep.projection("positive", 3) == pytest.approx(float(want), rel=1e-5)


def test_report_without_states_is_none_and_with_too_few_pairs_says_why():
    rows = [LineResult("a", "c", (), 90), LineResult("b", "c", (), 90)]
    assert vector_report(rows, [LineResult("x", "c", (), 10)] * 2) is None
    one = acts({1: np.ones(4)})
    pos = [LineResult("a", "c", (), 90, activations=one), LineResult("b", "c", (), 10, activations=one)]
    neg = [LineResult("x", "c", (), 10, activations=one), LineResult("y", "c", (), 10, activations=one)]
    rep = vector_report(pos, neg)
    assert rep.layers == () and rep.best_layer is None and rep.used == (1, 1)
    assert "2 pairs that pass on both sides" in rep.note and "(1 so far)" in rep.note


def test_unmatched_sides_use_each_sides_passing_lines():
    rng = np.random.default_rng(5)
    pos_s, neg_s = planted(rng, 9, 2.0)
    pos = [LineResult(f"p{i}", "c", (), 90, activations=acts({3: x})) for i, x in enumerate(pos_s)]
    neg = [LineResult(f"n{i}", "c", (), 10, activations=acts({3: x})) for i, x in enumerate(neg_s[:6])]
    rep = vector_report(pos, neg, matched=False)
    assert rep.used == (9, 6) and rep.best_layer == 3
    acc, dd = reference_stats([r.activations.layer(3) for r in pos], [r.activations.layer(3) for r in neg])
    assert rep.best.accuracy == pytest.approx(acc) and rep.best.cohens_d == pytest.approx(dd, rel=1e-5)


def test_best_layer_breaks_ties_by_d_then_by_the_earlier_layer():
    from core.vectors import LayerStats
    assert best_of([LayerStats(4, 0.9, 1.0), LayerStats(8, 0.9, 2.0), LayerStats(12, 0.8, 5.0)]) == 8
    assert best_of([LayerStats(8, 0.9, 2.0), LayerStats(4, 0.9, 2.0)]) == 4
    assert best_of([LayerStats(8, 1.0, None), LayerStats(4, 0.5, 3.0)]) == 8
    assert best_of([]) is None
