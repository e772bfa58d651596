"""How well the thresholds separate the user's own people: distances within and between them.

From the gallery's samples this computes what LFW's table says for strangers, but for the
people actually enrolled:

- **genuine** distances, between two samples of the same person, and **impostor**
  distances, between samples of two different people (every pair, like LFW's
  all-pairs table), as histograms and as counts accepted at each threshold;
- the pairs of people whose samples come closest to each other;
- a leave-one-out test of recognition itself: each sample of a person with two or more
  samples is identified against the gallery without it (distance to each person's mean
  embedding, the rule of :mod:`faceapp.core.matching`), and counted as named rightly,
  named as someone else, or unknown.

Pure and Qt-free; memory grows with the number of samples, not with the number of pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from faceapp.core.errors import ModelError
from faceapp.core.matching import (
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    GalleryIndex,
    LfwOperatingPoint,
    automatic_distance,
    default_threshold,
    face_distance,
    l2_normalize,
    lfw_operating_point,
)

#: Width of a histogram bin, in distance units; bins cover ``[0, 2]``.
BIN_WIDTH = 0.02
#: Distances between unit vectors lie in ``[0, 2]``.
MAX_DISTANCE = 2.0
#: Pairs of people listed as closest.
CLOSEST_PAIRS = 10
#: Rows of the distance matrix computed at once.
_BLOCK = 512


@dataclass(frozen=True)
class ThresholdFigures:
    """What one threshold does on the user's gallery (and on LFW, for comparison).

    Parameters
    ----------
    label : str
        Which threshold this is (``"recognition"``, ``"verification"``, ...).
    threshold : float
    genuine_pairs, genuine_accepted : int
        Same-person sample pairs, and those within the threshold.
    impostor_pairs, impostor_accepted : int
        Different-person sample pairs, and those within the threshold (false accepts).
    loo_total : int
        Samples identified in the leave-one-out test (of people with 2+ samples).
    loo_right, loo_wrong, loo_unknown : int
        Of those: named as their own person, named as someone else, not named.
    lfw : LfwOperatingPoint or None
        The same threshold on LFW's all-pairs table (None outside it).
    """

    label: str
    threshold: float
    genuine_pairs: int
    genuine_accepted: int
    impostor_pairs: int
    impostor_accepted: int
    loo_total: int
    loo_right: int
    loo_wrong: int
    loo_unknown: int
    lfw: LfwOperatingPoint | None

    @property
    def far(self) -> float | None:
        """Fraction of different-person pairs accepted; None without such pairs."""
        return self.impostor_accepted / self.impostor_pairs if self.impostor_pairs else None

    @property
    def tar(self) -> float | None:
        """Fraction of same-person pairs accepted; None without such pairs."""
        return self.genuine_accepted / self.genuine_pairs if self.genuine_pairs else None


@dataclass(frozen=True)
class ClosePair:
    """Two people whose samples come close.

    Parameters
    ----------
    person, other : str
        Display names (``person`` sorts first).
    distance : float
        Smallest distance between a sample of one and a sample of the other.
    centroid_distance : float
        Distance between their mean embeddings (what recognition compares a face with).
    """

    person: str
    other: str
    distance: float
    centroid_distance: float


@dataclass(frozen=True)
class CalibrationReport:
    """Genuine and impostor distances of a gallery, and what the thresholds do with them.

    Parameters
    ----------
    people, samples : int
        People (with at least one sample) and samples in the gallery.
    bin_edges : ndarray, shape (n_bins + 1,)
        Histogram bin edges over ``[0, 2]``.
    genuine_hist, impostor_hist : ndarray, shape (n_bins,), int64
        Pairs per bin.
    genuine_pairs, impostor_pairs : int
        All same-person and different-person sample pairs.
    thresholds : tuple of ThresholdFigures
        One per threshold asked for.
    closest : tuple of ClosePair
        For each person, the other person whose samples come closest to theirs; each
        pair once, closest first, at most ``closest`` of them.
    single_sample : tuple of str
        People with one sample: they have no genuine pairs and no leave-one-out test.
    lfw_curve : tuple of LfwOperatingPoint
        LFW's false and true accepts at thresholds in steps of 0.01 (empty when the
        shipped table is missing).

    Notes
    -----
    Immutable (the arrays are read-only): safe to hand from a worker thread to the GUI.
    """

    people: int
    samples: int
    bin_edges: np.ndarray = field(repr=False)
    genuine_hist: np.ndarray = field(repr=False)
    impostor_hist: np.ndarray = field(repr=False)
    genuine_pairs: int
    impostor_pairs: int
    thresholds: tuple[ThresholdFigures, ...]
    closest: tuple[ClosePair, ...]
    single_sample: tuple[str, ...]
    lfw_curve: tuple[LfwOperatingPoint, ...] = field(repr=False)

    def accepted_fraction(self, genuine: bool) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(thresholds, fraction of pairs within each)`` at the bin edges.

        For curves: with ``genuine`` the true-accept rate, otherwise the false-accept
        rate, of the user's gallery at each bin edge (to bin precision).  The fractions
        are NaN when there are no such pairs.
        """
        hist = self.genuine_hist if genuine else self.impostor_hist
        total = self.genuine_pairs if genuine else self.impostor_pairs
        cum = np.concatenate([[0], np.cumsum(hist)]).astype(np.float64)
        frac = cum / total if total else np.full(cum.shape, np.nan)
        return self.bin_edges.copy(), frac

    def as_dict(self) -> dict[str, object]:
        """Return the report as JSON-ready values (no LFW curve, histograms as lists)."""
        return {
            "people": self.people,
            "samples": self.samples,
            "genuine_pairs": self.genuine_pairs,
            "impostor_pairs": self.impostor_pairs,
            "bin_width": BIN_WIDTH,
            "genuine_histogram": self.genuine_hist.tolist(),
            "impostor_histogram": self.impostor_hist.tolist(),
            "thresholds": [
                {
                    "label": t.label,
                    "threshold": t.threshold,
                    "genuine_accepted": t.genuine_accepted,
                    "impostor_accepted": t.impostor_accepted,
                    "false_accept_rate": t.far,
                    "true_accept_rate": t.tar,
                    "leave_one_out": {
                        "samples": t.loo_total,
                        "named_right": t.loo_right,
                        "named_wrong": t.loo_wrong,
                        "unknown": t.loo_unknown,
                    },
                    "lfw_false_accept_rate": None if t.lfw is None else t.lfw.far,
                    "lfw_true_accept_rate": None if t.lfw is None else t.lfw.tar,
                }
                for t in self.thresholds
            ],
            "closest": [
                {
                    "person": c.person,
                    "other": c.other,
                    "distance": round(c.distance, 4),
                    "centroid_distance": round(c.centroid_distance, 4),
                }
                for c in self.closest
            ],
            "single_sample": list(self.single_sample),
        }


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _lfw_curve() -> tuple[LfwOperatingPoint, ...]:
    """LFW's operating points every 0.01 inside the shipped table (empty without it)."""
    points = []
    for t in np.round(np.arange(MIN_THRESHOLD, MAX_THRESHOLD + 1e-9, 0.01), 2):
        try:
            point = lfw_operating_point(float(t))
        except ModelError:
            return ()
        if point is not None:
            points.append(point)
    return tuple(points)


def _leave_one_out(
    index: GalleryIndex, thresholds: list[float]
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Identify each sample of a 2+-sample person against the gallery without it.

    Returns the number of samples tested and, per threshold, how many were named
    rightly, wrongly and not at all.
    """
    emb, owners = index.embeddings, index.owners
    n_people = len(index)
    counts = np.bincount(owners, minlength=n_people)
    sums = np.zeros((n_people, emb.shape[1]), np.float64)
    np.add.at(sums, owners, emb.astype(np.float64))
    centroids = l2_normalize(sums)
    tested = np.flatnonzero(counts[owners] >= 2)
    right = np.zeros(len(thresholds), np.int64)
    wrong = np.zeros(len(thresholds), np.int64)
    unknown = np.zeros(len(thresholds), np.int64)
    t = np.asarray(thresholds, np.float32)
    for start in range(0, len(tested), _BLOCK):
        rows = tested[start : start + _BLOCK]
        own = owners[rows]
        dists = face_distance(emb[rows], centroids)  # (b, people)
        loo = l2_normalize(sums[own] - emb[rows].astype(np.float64))
        own_dist = np.linalg.norm(emb[rows] - loo, axis=1).astype(np.float32)
        dists[np.arange(len(rows)), own] = own_dist
        best = np.argmin(dists, axis=1)
        best_d = dists[np.arange(len(rows)), best]
        within = best_d[:, None] <= t[None, :]
        is_own = (best == own)[:, None]
        right += (within & is_own).sum(axis=0)
        wrong += (within & ~is_own).sum(axis=0)
        unknown += (~within).sum(axis=0)
    return len(tested), right, wrong, unknown


def calibration_report(
    index: GalleryIndex,
    thresholds: Mapping[str, float] | None = None,
    closest: int = CLOSEST_PAIRS,
) -> CalibrationReport:
    """Compute genuine and impostor distances of a gallery and what thresholds do with them.

    Parameters
    ----------
    index : GalleryIndex
        The gallery (e.g. ``GalleryStore.index()``).
    thresholds : mapping of str to float, optional
        Thresholds to evaluate, by label; default recognition's automatic threshold for
        this gallery (:func:`faceapp.core.matching.automatic_distance`) and
        verification's default (:func:`faceapp.core.matching.default_threshold`).
    closest : int
        How many pairs of people to list at most (see ``CalibrationReport.closest``).

    Returns
    -------
    CalibrationReport
        Empty histograms and no pairs for a gallery of fewer than two samples.

    Raises
    ------
    ModelError
        When ``thresholds`` is not given and a shipped LFW table is missing.
    """
    if thresholds is None:
        thresholds = {
            "recognition": automatic_distance(index),
            "verification": default_threshold("verification"),
        }
    labels = list(thresholds)
    levels = [float(thresholds[k]) for k in labels]
    edges = np.round(np.arange(0.0, MAX_DISTANCE + BIN_WIDTH / 2, BIN_WIDTH), 6)
    n_bins = len(edges) - 1
    gen_hist = np.zeros(n_bins, np.int64)
    imp_hist = np.zeros(n_bins, np.int64)
    gen_acc = np.zeros(len(levels), np.int64)
    imp_acc = np.zeros(len(levels), np.int64)
    emb, owners = index.embeddings, index.owners
    n = emb.shape[0]
    n_people = len(index)
    # Per person: the nearest sample of anybody else, and whose it is.
    nearest_d = np.full(n_people, np.inf)
    nearest_who = np.full(n_people, -1, np.int64)
    t = np.asarray(levels, np.float32)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        d = face_distance(emb[start:stop], emb)  # (b, n)
        rows = np.arange(start, stop)
        same = owners[rows][:, None] == owners[None, :]
        upper = np.arange(n)[None, :] > rows[:, None]
        kinds = ((same & upper, gen_hist, gen_acc), (~same & upper, imp_hist, imp_acc))
        for mask, hist, acc in kinds:
            values = d[mask]
            bins = np.minimum((values / BIN_WIDTH).astype(np.int64), n_bins - 1)
            hist += np.bincount(bins, minlength=n_bins)
            acc += (values[:, None] <= t[None, :]).sum(axis=0)
        other = np.where(same, np.inf, d)
        j = np.argmin(other, axis=1) if n else np.zeros(0, np.int64)
        dj = other[np.arange(len(rows)), j]
        for row, col, dist in zip(rows.tolist(), j.tolist(), dj.tolist()):
            p = owners[row]
            if dist < nearest_d[p]:
                nearest_d[p], nearest_who[p] = dist, owners[col]
    pairs: dict[tuple[int, int], float] = {}
    for p in range(n_people):
        q = int(nearest_who[p])
        if q >= 0:
            key = (min(p, q), max(p, q))
            pairs[key] = min(pairs.get(key, np.inf), float(nearest_d[p]))
    ranked = sorted(pairs.items(), key=lambda kv: kv[1])[: max(closest, 0)]
    close = []
    for (p, q), dist in ranked:
        a, b = sorted((index.names[p], index.names[q]), key=lambda s: (s.casefold(), s))
        cd = float(face_distance(index.centroids[p], index.centroids[q : q + 1])[0])
        close.append(ClosePair(a, b, dist, cd))
    counts = np.bincount(owners, minlength=n_people)
    loo_total, right, wrong, unknown = _leave_one_out(index, levels)
    figures = tuple(
        ThresholdFigures(
            label=labels[k],
            threshold=levels[k],
            genuine_pairs=int(gen_hist.sum()),
            genuine_accepted=int(gen_acc[k]),
            impostor_pairs=int(imp_hist.sum()),
            impostor_accepted=int(imp_acc[k]),
            loo_total=loo_total,
            loo_right=int(right[k]),
            loo_wrong=int(wrong[k]),
            loo_unknown=int(unknown[k]),
            lfw=_lfw_or_none(levels[k]),
        )
        for k in range(len(levels))
    )
    return CalibrationReport(
        people=n_people,
        samples=n,
        bin_edges=_readonly(edges),
        genuine_hist=_readonly(gen_hist),
        impostor_hist=_readonly(imp_hist),
        genuine_pairs=int(gen_hist.sum()),
        impostor_pairs=int(imp_hist.sum()),
        thresholds=figures,
        closest=tuple(close),
        single_sample=tuple(
            sorted(
                (index.names[p] for p in range(n_people) if counts[p] == 1),
                key=lambda s: (s.casefold(), s),
            )
        ),
        lfw_curve=_lfw_curve(),
    )


def _lfw_or_none(threshold: float) -> LfwOperatingPoint | None:
    try:
        return lfw_operating_point(threshold)
    except ModelError:
        return None
