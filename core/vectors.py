"""The vector preview: how well the dataset's hidden states separate, per layer. Pure numpy.

Per layer, the trait vector is the mean-difference of the lines that pass (the pairs that pass
on both sides of a matched dataset; each side's passing lines of an unmatched one): mean of
the positive hidden states minus mean of the negative ones. Its quality, as the extraction
ecosystem reports it:

* held-out accuracy: k folds (line i of a side is in fold i % k, so a pair's two lines share
  a fold); each fold's lines are projected on the vector of the other folds and classified by
  the midpoint between that vector's two class means (positive above, negative below);
* Cohen's d of those held-out projections (pooled standard deviation);
* the best layer: highest accuracy, then highest d, then the earlier layer.

Every line with hidden states is then projected on the best layer's vector from all the
passing lines, shifted so that 0 is the threshold: positives should land above, negatives
below; a line on the other side is flagged (it pulls the vector the wrong way).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .verdicts import LineResult, Thresholds, line_passed, pair_verdict

FOLDS = 5
MIN_LINES = 2            # per side: one to train on and one to hold out


@dataclass(frozen=True)
class LayerStats:
    layer: int
    accuracy: float                 # held-out, 0-1
    cohens_d: Optional[float]       # None when the held-out projections do not vary


@dataclass(frozen=True)
class VectorReport:
    position: str                               # e.g. response[:5]
    layers: tuple[LayerStats, ...]              # empty: too few passing lines yet (see `note`)
    best_layer: Optional[int]
    used: tuple[int, int]                       # positive and negative lines the vector is from
    projections: dict[str, tuple[Optional[float], ...]] = field(default_factory=dict)
    note: str = ""

    @property
    def best(self) -> Optional[LayerStats]:
        return next((s for s in self.layers if s.layer == self.best_layer), None)

    def projection(self, side: str, idx: int) -> Optional[float]:
        rows = self.projections.get(side, ())
        return rows[idx] if 0 <= idx < len(rows) else None

    def wrong_side(self, side: str, idx: int) -> bool:
        p = self.projection(side, idx)
        return p is not None and not on_its_side(side, p)


def on_its_side(side: str, projection: float) -> bool:
    """A positive line belongs above the threshold (0), a negative one below."""
    return projection > 0 if side == "positive" else projection < 0


def direction(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, float]:
    """The unit mean-difference vector and the midpoint threshold along it. Equal means give
    a zero vector (every projection 0: on neither side)."""
    mp, mn = pos.mean(axis=0), neg.mean(axis=0)
    diff = mp - mn
    norm = float(np.linalg.norm(diff))
    if norm == 0.0:
        return np.zeros_like(diff), 0.0
    unit = diff / norm
    return unit, float((mp @ unit + mn @ unit) / 2)


def held_out_projections(pos: np.ndarray, neg: np.ndarray,
                         folds: int = FOLDS) -> tuple[np.ndarray, np.ndarray]:
    """Each line projected on the vector of the folds it is not in, minus that vector's
    threshold. Needs at least MIN_LINES lines per side. All folds at once (the editor
    recomputes this while results stream in): fold f is every k-th line from f, a strided view,
    so its training means are the side's total minus the fold's sum; the products are
    elementwise, not BLAS calls, whose thread start-up costs more than these small sizes."""
    k = min(folds, len(pos), len(neg))

    def train_means(x: np.ndarray) -> np.ndarray:
        fold_sums = np.stack([x[f::k].sum(axis=0) for f in range(k)])               # k x dim
        counts = np.array([len(range(f, len(x), k)) for f in range(k)])
        return (x.sum(axis=0)[None, :] - fold_sums) / (len(x) - counts)[:, None]

    mp, mn = train_means(pos), train_means(neg)
    diff = mp - mn
    norms = np.sqrt((diff * diff).sum(axis=1))
    units = np.divide(diff, norms[:, None], out=np.zeros_like(diff), where=norms[:, None] > 0)
    thr = ((mp * units).sum(axis=1) + (mn * units).sum(axis=1)) / 2
    fp, fn = np.arange(len(pos)) % k, np.arange(len(neg)) % k
    return (pos * units[fp]).sum(axis=1) - thr[fp], (neg * units[fn]).sum(axis=1) - thr[fn]


def cohens_d(a: np.ndarray, b: np.ndarray) -> Optional[float]:
    pooled = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2))
    if not np.isfinite(pooled) or pooled == 0:
        return None
    return float((a.mean() - b.mean()) / pooled)


def layer_stats(layer: int, pos: np.ndarray, neg: np.ndarray, folds: int = FOLDS) -> LayerStats:
    """Held-out accuracy and Cohen's d of one layer's (lines x dim) hidden states."""
    hp, hn = held_out_projections(pos, neg, folds)
    correct = int((hp > 0).sum() + (hn < 0).sum())
    return LayerStats(layer, correct / (len(hp) + len(hn)), cohens_d(hp, hn))


def best_of(stats: Sequence[LayerStats]) -> Optional[int]:
    if not stats:
        return None
    return min(stats, key=lambda s: (-s.accuracy, -(s.cohens_d if s.cohens_d is not None else -np.inf),
                                     s.layer)).layer


def _usable(r: LineResult, shape: tuple) -> bool:
    a = r.activations
    return (a is not None and not a.empty and not r.stale and r.error is None
            and (a.layers, a.position, a.dim) == shape)


def vector_report(positive: Sequence[LineResult], negative: Sequence[LineResult],
                  t: Thresholds = Thresholds(), *, matched: bool = True,
                  folds: int = FOLDS) -> Optional[VectorReport]:
    """The preview for these lines; None when no line has hidden states (vectors off)."""
    first = next((r.activations for r in [*positive, *negative]
                  if r.activations is not None and not r.activations.empty), None)
    if first is None:
        return None
    shape = (first.layers, first.position, first.dim)
    if matched:
        chosen = [i for i, (p, n) in enumerate(zip(positive, negative))
                  if pair_verdict(p, n, t) == "pass" and _usable(p, shape) and _usable(n, shape)]
        train_p, train_n = chosen, chosen
    else:
        train_p = [i for i, r in enumerate(positive) if line_passed("positive", r, t) and _usable(r, shape)]
        train_n = [i for i, r in enumerate(negative) if line_passed("negative", r, t) and _usable(r, shape)]
    used = (len(train_p), len(train_n))
    if min(used) < MIN_LINES:
        what = "pairs that pass on both sides" if matched else "passing lines on each side"
        return VectorReport(first.position, (), None, used,
                            note=f"the vector needs {MIN_LINES} {what} with hidden states "
                                 f"({min(used)} so far)")
    pos = np.stack([positive[i].activations.array() for i in train_p], axis=1)   # layers x lines x dim
    neg = np.stack([negative[i].activations.array() for i in train_n], axis=1)
    stats = tuple(layer_stats(layer, pos[j], neg[j], folds) for j, layer in enumerate(first.layers))
    best = best_of(stats)
    j = first.layers.index(best)
    unit, thr = direction(pos[j], neg[j])

    def project(rows: Sequence[LineResult]) -> tuple[Optional[float], ...]:
        use = [i for i, r in enumerate(rows) if _usable(r, shape)]
        got = ((np.stack([rows[i].activations.array()[j] for i in use]) * unit).sum(axis=1) - thr) if use else []
        out: list[Optional[float]] = [None] * len(rows)
        for i, value in zip(use, got):
            out[i] = float(value)
        return tuple(out)

    return VectorReport(first.position, stats, best, used,
                        {"positive": project(positive), "negative": project(negative)})
