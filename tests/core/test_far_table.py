"""All-pairs FAR/TAR counting on small synthetic embeddings, and the table shipped with faceapp."""

from __future__ import annotations

import json
import math
from itertools import combinations

import numpy as np
import pytest

from faceapp.core import matching
from faceapp.core.errors import ModelError
from faceapp.core.evaluation.far_table import (
    FAR_TARGETS,
    count_pairs,
    far_table,
    identity_of,
    threshold_grid,
    write_far_table,
)


def _data(seed: int = 3) -> tuple[np.ndarray, list[str]]:
    """37 embeddings of 7 people in 16-d: each person a direction plus noise."""
    rng = np.random.default_rng(seed)
    people = [f"P{k}" for k in range(7)]
    centres = rng.normal(size=(7, 16))
    ids = [people[k] for k in rng.integers(0, 7, size=37)]
    emb = np.stack([centres[int(p[1:])] + 0.6 * rng.normal(size=16) for p in ids])
    return matching.l2_normalize(emb).astype(np.float32), ids


def _brute_force(emb: np.ndarray, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    e = emb.astype(np.float64)
    gen, imp = [], []
    for i, j in combinations(range(len(ids)), 2):
        (gen if ids[i] == ids[j] else imp).append(float(np.linalg.norm(e[i] - e[j])))
    return np.sort(gen), np.sort(imp)


def test_identity_is_the_folder() -> None:
    assert identity_of("Aaron_Peirsol/Aaron_Peirsol_0002.jpg") == "Aaron_Peirsol"
    with pytest.raises(ValueError):
        identity_of("loose.jpg")


@pytest.mark.parametrize("block", [1, 5, 256])
def test_counts_match_a_brute_force_over_every_pair(block: int) -> None:
    emb, ids = _data()
    gen, imp = _brute_force(emb, ids)
    counts = count_pairs(emb, ids, bin_width=1e-4, block=block)
    n = len(ids)
    assert counts.genuine_pairs == gen.size and counts.impostor_pairs == imp.size
    assert counts.genuine_pairs + counts.impostor_pairs == n * (n - 1) // 2
    assert counts.n_images == 37 and counts.n_identities == len(set(ids))
    for t in np.arange(0.0, 2.0001, 0.05):
        t = round(float(t), 4)
        assert counts.accepted(t) == (
            int(np.searchsorted(imp, t, side="right")),
            int(np.searchsorted(gen, t, side="right")),
        )


def test_a_pair_exactly_at_the_threshold_is_accepted() -> None:
    # Unit vectors 60 degrees apart are exactly 1.0 apart, 120 degrees sqrt(3).
    emb = np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2], [-0.5, math.sqrt(3) / 2]])
    counts = count_pairs(emb, ["a", "b", "a"])
    assert counts.accepted(1.0) == (2, 0)  # a-b and b-a are 1.0 apart
    assert counts.accepted(0.9999) == (0, 0)
    assert counts.accepted(1.7320) == (2, 0)
    assert counts.accepted(1.7321) == (2, 1)  # the two a's


def test_threshold_at_far_is_the_largest_that_keeps_to_it() -> None:
    emb, ids = _data()
    counts = count_pairs(emb, ids)
    for far in (0.0, 0.01, 0.1, 0.5):
        t = counts.threshold_at_far(far)
        assert counts.accepted(t)[0] <= far * counts.impostor_pairs
        assert counts.accepted(t + counts.bin_width)[0] > far * counts.impostor_pairs


def test_bad_inputs_are_refused() -> None:
    emb, ids = _data()
    with pytest.raises(ValueError):
        count_pairs(emb, ids[:-1])
    with pytest.raises(ValueError):
        count_pairs(emb[:1], ids[:1])
    bad = emb.copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError):
        count_pairs(bad, ids)


def test_the_written_table_is_what_matching_reads(tmp_path, monkeypatch) -> None:
    emb, ids = _data()
    counts = count_pairs(emb, ids)
    gen, imp = _brute_force(emb, ids)
    protocol_d = np.concatenate([gen[:5], imp[:5]])
    protocol_same = np.array([True] * 5 + [False] * 5)
    doc = far_table(counts, far_targets=(0.01, 0.1), protocol=(protocol_d, protocol_same))
    path = tmp_path / "table.json"
    write_far_table(path, doc)
    again = json.loads(path.read_text(encoding="utf-8"))
    assert again["format"] == matching.OPERATING_POINTS_FORMAT
    assert again["columns"][:5] == list(matching.OPERATING_POINTS_COLUMNS)
    assert again["columns"][5:] == ["protocol_far", "protocol_tar"]
    thresholds = [row[0] for row in again["points"]]
    assert thresholds == sorted(thresholds)
    assert set(np.round(threshold_grid(), 4)) <= set(thresholds)
    assert {t["threshold"] for t in again["far_targets"]} <= set(thresholds)

    monkeypatch.setattr(matching, "_OPERATING_POINTS", path)
    matching._table.cache_clear()
    try:
        t10 = matching.threshold_at_far(0.1)
        assert t10 == counts.threshold_at_far(0.1)
        point = matching.lfw_operating_point(t10)
        assert point is not None and point.measured
        assert (point.impostor_accepted, point.genuine_accepted) == counts.accepted(t10)
        assert point.impostor_pairs == imp.size and point.genuine_pairs == gen.size
        between = matching.lfw_operating_point(1.005)
        assert between is not None and not between.measured
        assert matching.lfw_operating_point(0.1) is None  # below the table
        # A rate the table has no row for: the largest tabulated threshold keeping to it.
        t20 = matching.threshold_at_far(0.2)
        assert matching.false_accept_rate(t20) <= 0.2
    finally:
        matching._table.cache_clear()


def test_a_table_of_the_old_format_is_refused_with_its_path(tmp_path, monkeypatch) -> None:
    path = tmp_path / "old.json"
    path.write_text('{"columns": ["threshold", "far", "tar"], "points": [[1.0, 0.1, 0.9]]}')
    monkeypatch.setattr(matching, "_OPERATING_POINTS", path)
    matching._table.cache_clear()
    try:
        with pytest.raises(ModelError, match="old.json"):
            matching.false_accept_rate(1.0)
    finally:
        matching._table.cache_clear()


# ------------------------------------------------------------------ the shipped table


def _shipped() -> dict:
    return json.loads(matching._OPERATING_POINTS.read_text(encoding="utf-8"))


def test_the_shipped_table_is_consistent() -> None:
    doc = _shipped()
    assert doc["format"] == matching.OPERATING_POINTS_FORMAT
    cols = doc["columns"]
    rows = np.array(doc["points"], dtype=np.float64)
    n = doc["images"]
    assert n == 7701
    assert doc["impostor_pairs"] + doc["genuine_pairs"] == n * (n - 1) // 2
    # Every same-person pair of the protocol is one of the pairs counted.
    assert doc["impostor_pairs"] > 29_000_000 and doc["genuine_pairs"] >= 3000
    for name in ("threshold", "far", "tar", "impostor_accepted", "genuine_accepted"):
        assert np.all(np.diff(rows[:, cols.index(name)]) >= 0), name
    imp, gen = rows[:, cols.index("impostor_accepted")], rows[:, cols.index("genuine_accepted")]
    assert np.allclose(rows[:, cols.index("far")], imp / doc["impostor_pairs"], rtol=1e-3)
    assert np.allclose(rows[:, cols.index("tar")], gen / doc["genuine_pairs"], rtol=1e-3)
    assert {t["far"] for t in doc["far_targets"]} == set(FAR_TARGETS)
    for target in doc["far_targets"]:
        point = matching.lfw_operating_point(target["threshold"])
        assert point is not None and point.measured
        assert point.impostor_accepted <= target["far"] * doc["impostor_pairs"]
    assert len(json.dumps(doc)) < 20_000  # small enough to ship


def test_all_pairs_agree_with_the_3000_protocol_pairs_at_the_default() -> None:
    doc = _shipped()
    cols = doc["columns"]
    (row,) = [r for r in doc["points"] if r[0] == matching.PAIR_THRESHOLD]
    far, protocol_far = row[cols.index("far")], row[cols.index("protocol_far")]
    m = doc["protocol_impostor_pairs"]
    assert m == 3000
    # The 3,000 pairs are a sample of the same population: binomial spread, 3 sigma.
    assert abs(far - protocol_far) <= 3 * math.sqrt(far * (1 - far) / m) + 1 / m
    assert matching.false_accept_rate(matching.PAIR_THRESHOLD) == pytest.approx(far, rel=1e-3)


def test_verification_defaults_to_one_in_ten_thousand() -> None:
    t = matching.default_threshold("verification")
    assert t == matching.threshold_at_far(matching.DEFAULT_VERIFICATION_FAR)
    assert matching.MIN_THRESHOLD <= t < matching.PAIR_THRESHOLD
    point = matching.lfw_operating_point(t)
    assert point is not None and point.measured
    assert point.far <= 1e-4
    assert point.impostor_accepted > 0  # resolved, not "none seen"
    assert matching.default_threshold("recognition") == matching.PAIR_THRESHOLD
    with pytest.raises(ValueError):
        matching.default_threshold("nonsense")
