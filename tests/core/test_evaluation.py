"""Tests for the LFW protocol helpers (NumPy only: no Qt, no TensorFlow)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from faceapp.core import matching
from faceapp.core.evaluation.protocol import (
    FoldResult,
    Pair,
    evaluate,
    operating_points,
    parse_pairs,
    roc_auc,
    tar_at_far,
    ten_fold_accuracy,
)

# --------------------------------------------------------------------------- parse_pairs


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pairs.txt"
    path.write_text(text, encoding="utf-8")
    return path


SMALL = """2\t2
Alice\t1\t2
Bob 3 12
Alice 1 Bob 2
Carol 4 Dan 1
Erin 1 2
Carol 1 3
Erin 2 Alice 3
Bob 1 Dan 2

"""


def test_parse_pairs_small(tmp_path: Path) -> None:
    pf = parse_pairs(_write(tmp_path, SMALL))
    assert pf.n_folds == 2
    assert pf.n_per_fold == 2
    assert len(pf.pairs) == 8
    assert pf.pairs[0] == Pair("Alice/Alice_0001.jpg", "Alice/Alice_0002.jpg", True, 0)
    assert pf.pairs[1] == Pair("Bob/Bob_0003.jpg", "Bob/Bob_0012.jpg", True, 0)
    assert pf.pairs[3] == Pair("Carol/Carol_0004.jpg", "Dan/Dan_0001.jpg", False, 0)
    assert pf.pairs[4] == Pair("Erin/Erin_0001.jpg", "Erin/Erin_0002.jpg", True, 1)
    assert pf.pairs[7] == Pair("Bob/Bob_0001.jpg", "Dan/Dan_0002.jpg", False, 1)
    assert pf.same.tolist() == [True, True, False, False] * 2
    assert pf.folds.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", 1),  # empty file
        ("two 2\n", 1),  # header not integers
        ("2\n", 1),  # header with one field
        ("1 1\nAlice 1 Bob 2\nCarol 1 Dan 1\n", 2),  # different line where same expected
        ("1 1\nAlice 1 2\nCarol 1 2\n", 3),  # same line where different expected
        ("1 1\nAlice x 2\nCarol 1 Dan 1\n", 2),  # image number not an integer
        ("1 1\nAlice 0 2\nCarol 1 Dan 1\n", 2),  # image numbers start at 1
        ("1 1\nAlice 1 2\n", 2),  # too few lines: ends after the last line read
        ("1 1\nAlice 1 2\nCarol 1 Dan 1\nErin 1 2\n", 4),  # extra line
        ("1 1\n\nAlice 1 2\n\nCarol 1 Dan\n", 5),  # blank lines keep line numbers right
    ],
)
def test_parse_pairs_malformed(tmp_path: Path, text: str, line: int) -> None:
    with pytest.raises(ValueError, match=rf"^line {line}:"):
        parse_pairs(_write(tmp_path, text))


def test_parse_official_lfw_pairs(lfw_dir: Path) -> None:
    pf = parse_pairs(lfw_dir / "pairs.txt")
    assert (pf.n_folds, pf.n_per_fold) == (10, 300)
    assert len(pf.pairs) == 6000
    assert sum(p.same for p in pf.pairs) == 3000
    assert np.bincount(pf.folds).tolist() == [600] * 10
    missing = {
        rel
        for p in pf.pairs
        for rel in (p.path_a_rel, p.path_b_rel)
        if not (lfw_dir / rel).is_file()
    }
    assert not missing, f"{len(missing)} images missing, e.g. {sorted(missing)[:3]}"


# --------------------------------------------------------------------- ten_fold_accuracy


def test_perfectly_separable() -> None:
    rng = np.random.default_rng(0)
    same = np.repeat([True, False], 300)
    d = np.where(same, rng.uniform(0.2, 0.9, 600), rng.uniform(1.1, 1.8, 600))
    folds = np.tile(np.arange(10), 60)
    res = ten_fold_accuracy(d, same, folds)
    assert isinstance(res, FoldResult)
    assert res.accuracies == (1.0,) * 10
    assert res.accuracy == 1.0
    assert res.accuracy_std == 0.0
    # Every threshold lies in the gap between the largest same and smallest different.
    assert all(d[same].max() < t < d[~same].min() for t in res.thresholds)
    assert roc_auc(d, same) == 1.0
    assert tar_at_far(d, same, 1e-3)[0] == 1.0


def test_two_folds_by_hand() -> None:
    # Fold 0: same 0.1, 0.3 ; different 0.5, 0.2
    # Fold 1: same 0.4, 0.6 ; different 0.7, 0.35
    d = np.array([0.1, 0.3, 0.5, 0.2, 0.4, 0.6, 0.7, 0.35])
    same = np.array([1, 1, 0, 0, 1, 1, 0, 0], dtype=bool)
    folds = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    # Fold 0 held out -> train on fold 1, sorted: 0.35 D, 0.4 S, 0.6 S, 0.7 D.
    #   correct pairs for t in: (-inf,0.35): 2 | [0.35,0.4): 1 | [0.4,0.6): 2
    #   | [0.6,0.7): 3 | [0.7,inf): 2.  Best = 3 on [0.6, 0.7) -> threshold 0.65.
    #   Apply to fold 0: 0.1 S ok, 0.3 S ok, 0.5 D accepted (wrong), 0.2 D wrong -> 0.5.
    # Fold 1 held out -> train on fold 0, sorted: 0.1 S, 0.2 D, 0.3 S, 0.5 D.
    #   (-inf,0.1): 2 | [0.1,0.2): 3 | [0.2,0.3): 2 | [0.3,0.5): 3 | [0.5,inf): 2.
    #   Two optimal runs; the lowest wins: [0.1, 0.2) -> threshold 0.15.
    #   Apply to fold 1: 0.4 S rejected (wrong), 0.6 S wrong, 0.7 D ok, 0.35 D ok -> 0.5.
    res = ten_fold_accuracy(d, same, folds)
    assert res.thresholds == pytest.approx((0.65, 0.15))
    assert res.accuracies == (0.5, 0.5)
    assert res.accuracy == 0.5
    assert res.accuracy_std == 0.0
    assert res.threshold == pytest.approx(0.4)


def test_fold_std_is_population_std() -> None:
    # Fold 0: same 0.1 | different 0.9 ; Fold 1: same 0.2 | different 0.8 ;
    # Fold 2: same 0.95 | different 0.05 (mislabelled).  Holding out fold 0 trains on
    # {0.2 S, 0.8 D, 0.95 S, 0.05 D}: sorted 0.05 D, 0.2 S, 0.8 D, 0.95 S -> correct
    # 2 | 1 | 2 | 1 | 2: lowest optimal run is (-inf, 0.05) -> just below 0.05, so fold 0
    # rejects 0.1 S (wrong) and 0.9 D (right) -> 0.5.  By symmetry fold 1 -> 0.5.
    # Holding out fold 2 trains on 0.1 S, 0.2 S, 0.8 D, 0.9 D -> best [0.2, 0.8)
    # -> 0.5, which rejects 0.95 S and accepts 0.05 D -> 0.0.
    d = np.array([0.1, 0.9, 0.2, 0.8, 0.95, 0.05])
    same = np.array([1, 0, 1, 0, 1, 0], dtype=bool)
    folds = np.array([0, 0, 1, 1, 2, 2])
    res = ten_fold_accuracy(d, same, folds)
    assert res.thresholds[0] == math.nextafter(0.05, -math.inf)
    assert res.thresholds[2] == pytest.approx(0.5)
    assert res.accuracies == (0.5, 0.5, 0.0)
    assert res.accuracy_std == pytest.approx(np.std([0.5, 0.5, 0.0]))
    assert res.accuracy_std == pytest.approx(math.sqrt(1 / 18))  # ddof=0, not 1


def test_decision_rule_is_inclusive_like_is_match() -> None:
    # Fold 0: same 0.2, 0.4 ; different 0.6.  Fold 1: same 0.5 ; different 0.7.
    # Fold 0 held out: train 0.5 S, 0.7 D -> best [0.5, 0.7) -> 0.6; fold 0 accepts
    #   0.2, 0.4 and also 0.6 D (equal to the threshold, so accepted) -> 2/3.
    # Fold 1 held out: train 0.2 S, 0.4 S, 0.6 D -> best [0.4, 0.6) -> 0.5; fold 1
    #   accepts 0.5 S (equal to the threshold) and rejects 0.7 D -> 1.0.
    d = np.array([0.2, 0.4, 0.6, 0.5, 0.7])
    same = np.array([1, 1, 0, 1, 0], dtype=bool)
    folds = np.array([0, 0, 0, 1, 1])
    res = ten_fold_accuracy(d, same, folds)
    assert res.thresholds == (0.6, 0.5)
    assert res.accuracies == (pytest.approx(2 / 3), 1.0)
    assert matching.is_match(0.6, res.thresholds[0])
    assert matching.is_match(0.5, res.thresholds[1])


def test_threshold_is_deterministic_and_exact() -> None:
    rng = np.random.default_rng(3)
    same = rng.random(1200) < 0.5
    d = np.where(same, rng.normal(0.9, 0.15, 1200), rng.normal(1.35, 0.15, 1200))
    folds = rng.integers(0, 10, 1200)
    a = ten_fold_accuracy(d, same, folds)
    b = ten_fold_accuracy(d.copy(), same.copy(), folds.copy())
    assert a == b
    # The chosen threshold is at least as good on the training folds as any grid value.
    grid = np.arange(0.0, 4.0, 0.001)
    for k, t in enumerate(a.thresholds):
        train = folds != k
        acc_t = np.mean((d[train] <= t) == same[train])
        grid_acc = ((d[train][None, :] <= grid[:, None]) == same[train]).mean(axis=1)
        assert acc_t >= grid_acc.max()


def test_ten_fold_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="NaN"):
        ten_fold_accuracy(np.array([0.1, np.nan]), np.array([True, False]), np.array([0, 1]))
    with pytest.raises(ValueError, match="two folds"):
        ten_fold_accuracy(np.array([0.1, 0.2]), np.array([True, False]), np.array([0, 0]))
    with pytest.raises(ValueError, match="equally long"):
        ten_fold_accuracy(np.array([0.1, 0.2]), np.array([True]), np.array([0, 1]))


# ------------------------------------------------------------------------------- roc_auc


def test_auc_identical_distributions_is_half() -> None:
    # Every same pair is mirrored by a different pair with the same distance.
    d = np.tile(np.linspace(0.0, 2.0, 101), 2)
    same = np.repeat([True, False], 101)
    assert roc_auc(d, same) == 0.5
    # And all-equal distances: every comparison is a tie worth 1/2.
    assert roc_auc(np.ones(10), np.arange(10) % 2 == 0) == 0.5


def test_auc_by_hand_with_ties() -> None:
    # same: 0.1, 0.5 ; different: 0.5, 0.9.  Pairs (same, diff):
    # (0.1,0.5) 1, (0.1,0.9) 1, (0.5,0.5) tie 1/2, (0.5,0.9) 1 -> 3.5 / 4.
    d = np.array([0.1, 0.5, 0.5, 0.9])
    same = np.array([True, True, False, False])
    assert roc_auc(d, same) == 0.875
    assert roc_auc(d, ~same) == 0.125


def test_auc_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    d = np.round(rng.uniform(0, 2, 300), 2)  # rounding makes ties
    same = rng.random(300) < 0.4
    gs, im = d[same][:, None], d[~same][None, :]
    brute = (np.sum(gs < im) + 0.5 * np.sum(gs == im)) / (gs.size * im.size)
    assert roc_auc(d, same) == pytest.approx(brute, abs=1e-12)


# ---------------------------------------------------------------------------- tar_at_far


def test_tar_at_far_by_hand() -> None:
    # 10 different pairs at 0.50, 0.55, ..., 0.95; FAR <= 0.2 allows k = 2 false accepts,
    # so the threshold must stay below the third smallest different distance, 0.60.
    # Same pairs: 0.30, 0.52, 0.58, 0.60, 0.70 -> below 0.60 are 0.30, 0.52, 0.58 -> 3/5.
    diff = np.array([0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95])
    gen = np.array([0.30, 0.52, 0.58, 0.60, 0.70])
    d = np.concatenate([gen, diff])
    same = np.concatenate([np.ones(5, bool), np.zeros(10, bool)])
    tar, thr = tar_at_far(d, same, far=0.2)
    assert tar == 0.6
    assert thr == math.nextafter(diff[2], -math.inf)
    # FAR at the returned threshold is exactly 2/10, and one step more would exceed it.
    ((_, far_at, tar_at),) = operating_points(d, same, [thr])
    assert (far_at, tar_at) == (0.2, 0.6)
    assert operating_points(d, same, [diff[2]])[0].far == 0.3
    # FAR 0 -> below the smallest different distance (0.50): only 0.30 accepted.
    assert tar_at_far(d, same, far=0.0) == (0.2, math.nextafter(0.5, -math.inf))
    # FAR 1 -> accept everything.
    assert tar_at_far(d, same, far=1.0) == (1.0, float(d.max()))


def test_tar_at_far_lfw_sized() -> None:
    # 3000 different pairs: far=1e-3 allows exactly 3 false accepts.
    diff = np.linspace(0.5, 2.0, 3000)
    gen = np.linspace(0.0, 1.0, 3000)
    d = np.concatenate([gen, diff])
    same = np.repeat([True, False], 3000)
    tar, thr = tar_at_far(d, same)
    assert diff[2] <= thr < diff[3]
    assert np.count_nonzero(diff <= thr) == 3
    assert tar == np.count_nonzero(gen <= thr) / 3000


def test_tar_at_far_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="far"):
        tar_at_far(np.array([0.1, 0.2]), np.array([True, False]), far=1.5)
    with pytest.raises(ValueError, match="different-person"):
        tar_at_far(np.array([0.1, 0.2]), np.array([True, True]))


# --------------------------------------------------------------------- operating_points


def test_operating_points() -> None:
    d = np.array([0.2, 0.4, 0.6, 0.8])
    same = np.array([True, True, False, False])
    pts = operating_points(d, same, [0.0, 0.4, 0.7, 2.0])
    assert pts == [(0.0, 0.0, 0.0), (0.4, 0.0, 1.0), (0.7, 0.5, 1.0), (2.0, 1.0, 1.0)]
    assert pts[2].far == 0.5 and pts[2].tar == 1.0 and pts[2].threshold == 0.7


# ------------------------------------------------------------------------------ evaluate


def test_evaluate_keys_and_nan() -> None:
    rng = np.random.default_rng(2)
    same = np.repeat([True, False], 600)
    d = np.where(same, rng.normal(0.8, 0.1, 1200), rng.normal(1.4, 0.1, 1200))
    folds = np.tile(np.arange(10), 120)
    out = evaluate(d, same, folds)
    assert set(out) == {
        "accuracy",
        "accuracy_std",
        "tar_at_far_1e-3",
        "auc",
        "threshold",
        "fold_accuracies",
        "fold_thresholds",
    }
    assert 0.99 < out["accuracy"] <= 1.0
    assert isinstance(out["fold_accuracies"], list) and len(out["fold_accuracies"]) == 10
    assert isinstance(out["fold_thresholds"], list)
    assert out["threshold"] == pytest.approx(np.mean(out["fold_thresholds"]))
    d[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        evaluate(d, same, folds)
