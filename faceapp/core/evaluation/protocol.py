"""The LFW verification protocol: pairs files, 10-fold accuracy, TAR@FAR, ROC AUC."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = [
    "FoldResult",
    "OperatingPoint",
    "Pair",
    "PairsFile",
    "evaluate",
    "operating_points",
    "parse_pairs",
    "roc_auc",
    "tar_at_far",
    "ten_fold_accuracy",
]


@dataclass(frozen=True)
class Pair:
    """One verification pair from an LFW-style pairs file.

    Parameters
    ----------
    path_a_rel, path_b_rel : str
        Image paths relative to the LFW root, ``Name/Name_0001.jpg`` (forward slashes,
        image number zero-padded to four digits).
    same : bool
        True when both images show the same person.
    fold : int
        Zero-based fold the pair belongs to.
    """

    path_a_rel: str
    path_b_rel: str
    same: bool
    fold: int


@dataclass(frozen=True)
class PairsFile:
    """The contents of an LFW-style pairs file.

    Parameters
    ----------
    pairs : tuple of Pair
        Pairs in file order: fold 0's same-person pairs, fold 0's different-person
        pairs, then fold 1, and so on.
    n_folds : int
        Number of folds (10 for the official ``pairs.txt``).
    n_per_fold : int
        Same-person pairs per fold, which is also the number of different-person
        pairs per fold (300 for the official file).
    """

    pairs: tuple[Pair, ...]
    n_folds: int
    n_per_fold: int

    @property
    def same(self) -> np.ndarray:
        """Return the labels as a bool array of shape ``(len(pairs),)``."""
        return np.fromiter((p.same for p in self.pairs), dtype=bool, count=len(self.pairs))

    @property
    def folds(self) -> np.ndarray:
        """Return the zero-based fold of each pair as an int64 array."""
        return np.fromiter((p.fold for p in self.pairs), dtype=np.int64, count=len(self.pairs))


def _image_rel(name: str, number: str, lineno: int) -> str:
    """Return ``Name/Name_NNNN.jpg`` after checking that ``number`` is a positive int."""
    try:
        n = int(number)
    except ValueError:
        raise ValueError(f"line {lineno}: image number {number!r} is not an integer") from None
    if n < 1:
        raise ValueError(f"line {lineno}: image number {n} must be at least 1")
    return f"{name}/{name}_{n:04d}.jpg"


def parse_pairs(path: str | os.PathLike[str]) -> PairsFile:
    """Read an LFW ``pairs.txt`` file.

    The first non-blank line is ``n_folds n_per_fold``.  Then, for each fold,
    ``n_per_fold`` same-person lines ``name n1 n2`` followed by ``n_per_fold``
    different-person lines ``name1 n1 name2 n2``; fields are separated by any
    whitespace.  Blank lines are ignored.

    Parameters
    ----------
    path : str or path-like
        The pairs file (UTF-8 text).

    Returns
    -------
    PairsFile
        ``n_folds * n_per_fold * 2`` pairs.

    Raises
    ------
    ValueError
        On a malformed header, a line with the wrong number of fields for its
        position, an image number that is not a positive integer, too few lines or
        extra lines; the message names the line number (1-based).
    OSError
        When the file cannot be read.
    """
    with open(path, encoding="utf-8") as fh:
        lines = [(i, line.split()) for i, line in enumerate(fh, start=1) if line.strip()]
    if not lines:
        raise ValueError("line 1: empty pairs file, expected a header 'n_folds n_per_fold'")
    head_no, head = lines[0]
    try:
        if len(head) != 2:
            raise ValueError
        n_folds, n_per_fold = int(head[0]), int(head[1])
    except ValueError:
        raise ValueError(
            f"line {head_no}: expected a header 'n_folds n_per_fold', got {' '.join(head)!r}"
        ) from None
    if n_folds < 1 or n_per_fold < 1:
        raise ValueError(f"line {head_no}: n_folds and n_per_fold must be positive")

    body = lines[1:]
    expected = 2 * n_folds * n_per_fold
    pairs: list[Pair] = []
    for k, (lineno, fields) in enumerate(body):
        if k >= expected:
            raise ValueError(
                f"line {lineno}: extra line; the header promises {expected} pairs "
                f"({n_folds} folds x {n_per_fold} same + {n_per_fold} different)"
            )
        fold, within = divmod(k, 2 * n_per_fold)
        if within < n_per_fold:
            if len(fields) != 3:
                raise ValueError(
                    f"line {lineno}: expected a same-person line 'name n1 n2' "
                    f"(fold {fold + 1}), got {len(fields)} fields"
                )
            name, n1, n2 = fields
            pairs.append(
                Pair(_image_rel(name, n1, lineno), _image_rel(name, n2, lineno), True, fold)
            )
        else:
            if len(fields) != 4:
                raise ValueError(
                    f"line {lineno}: expected a different-person line 'name1 n1 name2 n2' "
                    f"(fold {fold + 1}), got {len(fields)} fields"
                )
            name1, n1, name2, n2 = fields
            pairs.append(
                Pair(_image_rel(name1, n1, lineno), _image_rel(name2, n2, lineno), False, fold)
            )
    if len(pairs) != expected:
        last = body[-1][0] if body else head_no
        raise ValueError(
            f"line {last}: file ends after {len(pairs)} pairs; the header promises {expected}"
        )
    return PairsFile(tuple(pairs), n_folds, n_per_fold)


def _check_inputs(distances: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``distances`` as float64 and ``same`` as bool after validating them."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same)
    if d.ndim != 1 or s.ndim != 1 or d.shape != s.shape:
        raise ValueError(
            f"distances and same must be 1-D and equally long, got {d.shape} and {s.shape}"
        )
    if d.size == 0:
        raise ValueError("no pairs")
    if not np.all(np.isfinite(d)):
        n_bad = int(np.count_nonzero(~np.isfinite(d)))
        raise ValueError(
            f"{n_bad} distances are NaN or infinite; drop or decide those pairs first "
            "(e.g. no face was found in an image)"
        )
    return d, s.astype(bool)


def _best_threshold(d: np.ndarray, s: np.ndarray) -> float:
    """Return the threshold that maximises accuracy of ``d <= t`` against ``s``.

    See :func:`ten_fold_accuracy` for the tie rule.
    """
    u, inverse = np.unique(d, return_inverse=True)
    m = u.size
    n_same_at = np.bincount(inverse, weights=s, minlength=m)
    n_diff_at = np.bincount(inverse, weights=~s, minlength=m)
    # correct[j + 1] = pairs decided correctly by any t in [u[j], u[j+1]); correct[0] is
    # for t < u[0] (accept nothing).  Integer counts, so ties are exact.
    n_diff = int(np.count_nonzero(~s))
    tp = np.concatenate(([0], np.cumsum(n_same_at)))
    fp = np.concatenate(([0], np.cumsum(n_diff_at)))
    correct = np.rint(tp + (n_diff - fp)).astype(np.int64)
    best = correct.max()
    lo = int(np.argmax(correct == best))  # first (strictest) optimal interval
    hi = lo
    while hi + 1 < correct.size and correct[hi + 1] == best:
        hi += 1
    # The optimal run of thresholds is [start, stop) with start = u[lo - 1] and
    # stop = u[hi], where u[-1] = -inf and u[m] = +inf.
    start = float(u[lo - 1]) if lo > 0 else -math.inf
    stop = float(u[hi]) if hi < m else math.inf
    if math.isinf(start) and math.isinf(stop):
        return float((u[0] + u[-1]) / 2.0)
    if math.isinf(stop):
        return start
    if math.isinf(start):
        return math.nextafter(stop, -math.inf)
    mid = (start + stop) / 2.0
    # Guard against rounding onto ``stop`` when start and stop are adjacent floats.
    return mid if mid < stop else start


@dataclass(frozen=True)
class FoldResult:
    """Outcome of the 10-fold (or k-fold) verification protocol.

    Parameters
    ----------
    accuracies : tuple of float
        Accuracy on each held-out fold, in ``[0, 1]``, in ascending fold-id order.
    thresholds : tuple of float
        Distance threshold chosen on the other folds and applied to each fold.
    accuracy : float
        Mean of ``accuracies``.
    accuracy_std : float
        Population standard deviation of ``accuracies`` (``np.std``, ``ddof=0``, as
        davidsandberg/facenet reports it).
    threshold : float
        Mean of ``thresholds``.
    """

    accuracies: tuple[float, ...]
    thresholds: tuple[float, ...]
    accuracy: float
    accuracy_std: float
    threshold: float


def ten_fold_accuracy(distances: np.ndarray, same: np.ndarray, folds: np.ndarray) -> FoldResult:
    """Return verification accuracy under the LFW k-fold protocol.

    For each fold ``k`` the threshold that maximises accuracy on all *other* folds is
    chosen and applied to fold ``k``.  A pair is predicted "same" when
    ``distance <= threshold``, the rule of :func:`faceapp.core.matching.is_match`.

    Parameters
    ----------
    distances : array_like, shape (n,)
        Distance of each pair (lower means more alike); must be finite.
    same : array_like of bool, shape (n,)
        True for same-person pairs.
    folds : array_like of int, shape (n,)
        Fold id of each pair; any integers, at least two distinct values.

    Returns
    -------
    FoldResult
        Per-fold accuracies and thresholds, their means, and the accuracy std.

    Raises
    ------
    ValueError
        On mismatched shapes, no pairs, NaN or infinite distances, or fewer than two
        folds.

    Notes
    -----
    The threshold search is exact, not a grid: training accuracy only changes at the
    distinct training distances ``u_0 < u_1 < ...``, so every threshold in
    ``[u_j, u_{j+1})`` is equivalent and all of them are considered, together with
    "below ``u_0``" (accept nothing) and "at or above the largest" (accept everything).
    Ties are broken deterministically: among the thresholds with the highest training
    accuracy take the *lowest* contiguous run ``[start, stop)`` (the strictest), and
    return its middle ``(start + stop) / 2``, i.e. the point halfway between the last
    training distance it accepts and the first it rejects.  When the run is unbounded
    above the result is ``start``; when unbounded below it is the largest float below
    ``stop``.  Comparisons are made in float64.
    """
    d, s = _check_inputs(distances, same)
    f = np.asarray(folds)
    if f.shape != d.shape:
        raise ValueError(f"folds must have shape {d.shape}, got {f.shape}")
    fold_ids = np.unique(f)
    if fold_ids.size < 2:
        raise ValueError("need at least two folds")
    accuracies: list[float] = []
    thresholds: list[float] = []
    for k in fold_ids:
        test = f == k
        thr = _best_threshold(d[~test], s[~test])
        accuracies.append(float(np.mean((d[test] <= thr) == s[test])))
        thresholds.append(thr)
    acc = np.asarray(accuracies)
    return FoldResult(
        accuracies=tuple(accuracies),
        thresholds=tuple(thresholds),
        accuracy=float(acc.mean()),
        accuracy_std=float(acc.std()),
        threshold=float(np.mean(thresholds)),
    )


def _split(d: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted same-pair and different-pair distances; both must be non-empty."""
    genuine = np.sort(d[s])
    impostor = np.sort(d[~s])
    if genuine.size == 0 or impostor.size == 0:
        raise ValueError("need at least one same-person and one different-person pair")
    return genuine, impostor


def tar_at_far(distances: np.ndarray, same: np.ndarray, far: float = 1e-3) -> tuple[float, float]:
    """Return the true accept rate at a false accept rate target, over all pairs.

    Parameters
    ----------
    distances : array_like, shape (n,)
        Distance of each pair; must be finite.
    same : array_like of bool, shape (n,)
        True for same-person pairs; both classes must be present.
    far : float
        Largest acceptable false accept rate, in ``[0, 1]``.

    Returns
    -------
    tar : float
        Fraction of same-person pairs with ``distance <= threshold``.
    threshold : float
        The largest threshold whose false accept rate (fraction of different-person
        pairs with ``distance <= threshold``) is at most ``far``.

    Raises
    ------
    ValueError
        On bad inputs (see :func:`ten_fold_accuracy`), a missing class, or ``far``
        outside ``[0, 1]``.

    Notes
    -----
    With ``N`` different-person pairs let ``k`` be the largest integer with
    ``k / N <= far`` and ``g`` the different-pair distances in ascending order.  The
    thresholds allowed are exactly those below ``g[k]`` (0-based), so the threshold
    returned is the largest float64 strictly below ``g[k]``, and TAR counts the
    same-person pairs with distance strictly below ``g[k]``.  When ``k == N`` (every
    different pair may be accepted) the threshold is the largest distance of all pairs
    and TAR is 1.  With LFW's 3000 different pairs, ``far=1e-3`` allows ``k = 3``.
    Unlike davidsandberg/facenet's ``calculate_val`` this neither interpolates nor
    averages over folds; it reads the empirical ROC of all pairs.
    """
    if not 0.0 <= far <= 1.0:
        raise ValueError(f"far must be in [0, 1], got {far}")
    d, s = _check_inputs(distances, same)
    genuine, impostor = _split(d, s)
    n = impostor.size
    k = min(int(math.floor(far * n)), n)
    while k < n and (k + 1) / n <= far:
        k += 1
    while k > 0 and k / n > far:
        k -= 1
    if k == n:
        return 1.0, float(d.max())
    threshold = math.nextafter(float(impostor[k]), -math.inf)
    tar = np.searchsorted(genuine, threshold, side="right") / genuine.size
    return float(tar), threshold


def roc_auc(distances: np.ndarray, same: np.ndarray) -> float:
    """Return the area under the ROC curve of the distance score.

    Parameters
    ----------
    distances : array_like, shape (n,)
        Distance of each pair; must be finite.
    same : array_like of bool, shape (n,)
        True for same-person pairs; both classes must be present.

    Returns
    -------
    float
        Probability, in ``[0, 1]``, that a random same-person pair has a *smaller*
        distance than a random different-person pair, ties counting one half
        (1.0 is perfect separation, 0.5 is chance).

    Raises
    ------
    ValueError
        On bad inputs or a missing class.

    Notes
    -----
    Computed from mid-ranks (the Mann-Whitney U statistic) in ``O(n log n)``.
    """
    d, s = _check_inputs(distances, same)
    _split(d, s)
    _, inverse, counts = np.unique(d, return_inverse=True, return_counts=True)
    # Mid-rank (1-based) of every group of tied values.
    ends = np.cumsum(counts).astype(np.float64)
    mid_ranks = ends - (counts - 1) / 2.0
    ranks = mid_ranks[inverse]
    n_same = int(np.count_nonzero(s))
    n_diff = s.size - n_same
    # U counts (same, different) pairs where the different pair ranks higher.
    u_diff = float(ranks[~s].sum()) - n_diff * (n_diff + 1) / 2.0
    return u_diff / (n_same * n_diff)


class OperatingPoint(NamedTuple):
    """Rates at one threshold: ``(threshold, far, tar)``, rates in ``[0, 1]``."""

    threshold: float
    far: float
    tar: float


def operating_points(
    distances: np.ndarray, same: np.ndarray, thresholds: list[float] | np.ndarray
) -> list[OperatingPoint]:
    """Return the false and true accept rates at each given threshold.

    Parameters
    ----------
    distances : array_like, shape (n,)
        Distance of each pair; must be finite.
    same : array_like of bool, shape (n,)
        True for same-person pairs; both classes must be present.
    thresholds : sequence of float
        Thresholds to report, in any order.

    Returns
    -------
    list of OperatingPoint
        ``(threshold, far, tar)`` for each threshold in the order given, where ``far``
        is the fraction of different-person pairs and ``tar`` the fraction of
        same-person pairs with ``distance <= threshold``.

    Raises
    ------
    ValueError
        On bad inputs or a missing class.
    """
    d, s = _check_inputs(distances, same)
    genuine, impostor = _split(d, s)
    t = np.asarray(thresholds, dtype=np.float64).ravel()
    fa = np.searchsorted(impostor, t, side="right") / impostor.size
    ta = np.searchsorted(genuine, t, side="right") / genuine.size
    return [OperatingPoint(float(a), float(b), float(c)) for a, b, c in zip(t, fa, ta)]


def evaluate(
    distances: np.ndarray, same: np.ndarray, folds: np.ndarray
) -> dict[str, float | list[float]]:
    """Return the LFW summary: 10-fold accuracy, TAR@FAR=1e-3, AUC and threshold.

    Parameters
    ----------
    distances : array_like, shape (n,)
        Distance of each pair.  Pairs whose distance could not be computed (no face
        found) must be removed or decided by the caller; NaN raises.
    same : array_like of bool, shape (n,)
        True for same-person pairs.
    folds : array_like of int, shape (n,)
        Fold id of each pair.

    Returns
    -------
    dict
        ``accuracy`` (mean fold accuracy), ``accuracy_std`` (population std),
        ``tar_at_far_1e-3``, ``auc``, ``threshold`` (mean fold threshold), and the
        lists ``fold_accuracies`` and ``fold_thresholds``.  All values are plain
        Python floats, ready for JSON.

    Raises
    ------
    ValueError
        On NaN or infinite distances, mismatched shapes, fewer than two folds, or a
        missing class.
    """
    folded = ten_fold_accuracy(distances, same, folds)
    tar, _ = tar_at_far(distances, same, 1e-3)
    return {
        "accuracy": folded.accuracy,
        "accuracy_std": folded.accuracy_std,
        "tar_at_far_1e-3": tar,
        "auc": roc_auc(distances, same),
        "threshold": folded.threshold,
        "fold_accuracies": list(folded.accuracies),
        "fold_thresholds": list(folded.thresholds),
    }
