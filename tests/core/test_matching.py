"""Distances and the threshold rule, on small vectors whose answers are known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.matching import (
    PAIR_THRESHOLD,
    GalleryIndex,
    face_distance,
    identify,
    is_match,
    l2_normalize,
    person_distances,
    verify,
)


def unit(*v: float) -> np.ndarray:
    return l2_normalize(np.array(v, dtype=np.float32))


def test_face_distance_matches_euclid() -> None:
    a, b = unit(1, 0, 0), unit(0, 1, 0)
    assert face_distance(a, b[None])[0] == pytest.approx(np.sqrt(2), abs=1e-6)
    assert face_distance(a, a[None])[0] == pytest.approx(0.0, abs=1e-3)
    assert face_distance(a, -a[None])[0] == pytest.approx(2.0, abs=1e-6)
    assert face_distance(np.stack([a, b]), np.zeros((0, 3))).shape == (2, 0)


def test_threshold_rule_is_inclusive_and_lower_is_stricter() -> None:
    assert is_match(0.9, 0.9)
    assert not is_match(0.9001, 0.9)
    assert is_match(PAIR_THRESHOLD - 1e-6)


def gallery() -> GalleryIndex:
    # Ann has two samples (x and y axes), Bob one (z axis).
    return GalleryIndex.from_samples(
        [(1, "Ann", unit(1, 0, 0)), (2, "Bob", unit(0, 0, 1)), (1, "Ann", unit(0, 1, 0))], dim=3
    )


def test_identify_uses_mean_embedding_and_unknown() -> None:
    g = gallery()
    ann_mean = unit(1, 1, 0)  # Ann's samples are the x and y axes
    assert np.allclose(g.centroids[0], ann_mean, atol=1e-6)
    near_ann = unit(1, 1.2, 0.1)
    far = unit(-1, -1, -1)
    m_ann, m_unknown = identify(np.stack([near_ann, far]), g, threshold=0.5)
    assert m_ann.name == "Ann" and m_ann.accepted and m_ann.person_id == 1
    assert m_ann.distance == pytest.approx(float(np.linalg.norm(near_ann - ann_mean)), abs=1e-5)
    assert m_unknown.name is None and not m_unknown.accepted
    d = person_distances(np.stack([near_ann]), g)
    assert d.shape == (1, 2) and d[0, 0] < d[0, 1]
    # On an axis, one of Ann's samples exactly, the mean is 0.77 away: not within 0.5, but
    # within the pair threshold: a maybe, not a name.
    on_axis = identify(unit(0, 1, 0), g, threshold=0.5)[0]
    assert on_axis.maybe and not on_axis.accepted and on_axis.name == "Ann"


def test_person_without_samples_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        GalleryIndex((1, 2), ("a", "b"), np.ones((1, 3), np.float32), np.array([0]))


def test_verify_accepts_and_rejects() -> None:
    g = gallery()
    probe = unit(0, 0.1, 1)
    assert verify(probe, g, "Bob", 0.5).accepted
    assert verify(probe, g, "Bob", 0.5).distance == pytest.approx(
        float(np.linalg.norm(probe - unit(0, 0, 1))), abs=1e-5
    )
    ann = verify(probe, g, "Ann", 0.5)
    assert not ann.accepted and ann.name == "Ann"
    with pytest.raises(KeyError):
        verify(probe, g, "Carol")


def test_empty_gallery_says_unknown() -> None:
    (m,) = identify(unit(1, 0, 0), GalleryIndex.empty(3))
    assert m.name is None and m.distance == float("inf")


def test_index_is_read_only() -> None:
    g = gallery()
    with pytest.raises(ValueError):
        g.embeddings[0, 0] = 1.0


def test_lfw_false_accept_table_ships_and_is_monotonic() -> None:
    from faceapp.core.matching import MAX_THRESHOLD, MIN_THRESHOLD, false_accept_rate

    grid = np.linspace(MIN_THRESHOLD, MAX_THRESHOLD, 50)
    far = [false_accept_rate(float(t)) for t in grid]
    assert all(f is not None for f in far)
    assert all(a <= b for a, b in zip(far, far[1:]))
    default = false_accept_rate(PAIR_THRESHOLD)
    assert default is not None and 0.0 < default < 0.01
    assert false_accept_rate(MAX_THRESHOLD + 1.0) is None


def test_verify_defaults_to_the_stricter_verification_threshold() -> None:
    from faceapp.core.matching import default_threshold

    strict = default_threshold("verification")
    between = (strict + PAIR_THRESHOLD) / 2  # accepted by identify, refused by verify
    angle = 2 * np.arcsin(between / 2)  # unit vectors this far apart
    probe = unit(np.cos(angle), np.sin(angle), 0)
    g = GalleryIndex.from_samples([(1, "Ann", unit(1, 0, 0))])
    m = verify(probe, g, "Ann")
    assert m.distance == pytest.approx(between, abs=1e-4)
    assert m.threshold == strict and not m.accepted
    assert verify(probe, g, "Ann", PAIR_THRESHOLD).accepted
    assert identify(probe, g)[0].name == "Ann"


def _nearest_two_by_partition(probes, index, excluded=None):
    """The former nearest_two (argpartition over every person), as the reference."""
    from faceapp.core.matching import _distance_from_dot

    dots = np.atleast_2d(probes).astype(np.float32) @ index.centroids.T
    if excluded is not None:
        dots = np.where(excluded, np.float32(-1.0), dots)
    rows = np.arange(dots.shape[0])
    top2 = np.argpartition(-dots, 1, axis=1)[:, :2]
    first = dots[rows, top2[:, 0]] >= dots[rows, top2[:, 1]]
    best = np.where(first, top2[:, 0], top2[:, 1])
    second = np.where(first, top2[:, 1], top2[:, 0])
    return best, _distance_from_dot(dots[rows, best]), _distance_from_dot(dots[rows, second])


def test_nearest_two_takes_two_maxima_not_a_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    """A partition of 100,000 people held the GIL ~7 ms a frame; two argmax give the same."""
    from faceapp.core.matching import GalleryIndex, nearest_two

    rng = np.random.default_rng(7)
    vecs = rng.normal(size=(300, 16)).astype(np.float32)
    index = GalleryIndex.from_samples([(i, f"P{i}", v) for i, v in enumerate(vecs)], dim=16)
    probes = l2_normalize(rng.normal(size=(40, 16)).astype(np.float32))
    excluded = rng.random((40, 300)) < 0.3
    expected = [_nearest_two_by_partition(probes, index, e) for e in (None, excluded)]
    partitions = []
    real = np.argpartition
    monkeypatch.setattr(np, "argpartition", lambda *a, **k: partitions.append(1) or real(*a, **k))
    for want, e in zip(expected, (None, excluded)):
        got = nearest_two(probes, index, e)
        for g, w in zip(got, want):
            assert np.array_equal(g, w)
    assert partitions == []


def test_a_gallery_outlook_is_computed_once_per_gallery_and_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each slider step and each frame asked again (10-20 ms of interpolation per step)."""
    import faceapp.core.matching as matching

    reads = []
    real = matching._along_sizes
    monkeypatch.setattr(matching, "_along_sizes", lambda *a: reads.append(1) or real(*a))
    first = matching.gallery_outlook(123_457, 1e-3, 1.1)
    n = len(reads)
    assert n > 0
    for _ in range(5):
        assert matching.gallery_outlook(123_457, 1e-3, 1.1) == first
    assert len(reads) == n
    assert matching.gallery_outlook(123_458, 1e-3, 1.1) != first  # another gallery: computed
    assert len(reads) > n


def test_a_large_batch_is_normalised_in_slices_with_the_same_bits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """110,000 rows at once made two 56 MB temporaries (a 50-180 ms stall of the window)."""
    import faceapp.core.matching as matching

    rng = np.random.default_rng(3)
    v = (rng.normal(size=(20_000, 128)) * rng.uniform(0.1, 10, size=(20_000, 1))).astype(np.float32)
    v[5] = 0.0  # a zero row stays zero
    once = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
    sizes: list[int] = []
    real = np.linalg.norm
    monkeypatch.setattr(
        np.linalg, "norm", lambda x, *a, **k: sizes.append(len(x)) or real(x, *a, **k)
    )
    got = matching.l2_normalize(v)
    assert np.array_equal(got, once) and got.dtype == np.float32
    assert max(sizes) <= 8192


def test_means_are_summed_by_rank_with_the_bits_of_add_at(monkeypatch: pytest.MonkeyPatch) -> None:
    """np.add.at over 110,000 samples held the GIL ~280 ms (an enrolment's window stall)."""
    from faceapp.core.matching import GalleryIndex

    rng = np.random.default_rng(5)
    cases = [np.sort(rng.integers(0, 400, 1000)), rng.integers(0, 40, 900)]  # sorted, not
    expected, got = [], []
    for owners in cases:
        owners = np.unique(owners, return_inverse=True)[1].astype(np.int64)
        n = int(owners.max()) + 1
        emb = l2_normalize(rng.normal(size=(len(owners), 16)).astype(np.float32))
        sums = np.zeros((n, 16), np.float32)
        np.add.at(sums, owners, emb)
        expected.append(l2_normalize(sums).tobytes())
        got.append((tuple(range(n)), tuple(f"P{k}" for k in range(n)), emb, owners))
    calls = []
    real = np.add

    class Add:
        def __getattr__(self, name):
            return getattr(real, name)

        def __call__(self, *a, **k):
            return real(*a, **k)

        def at(self, *a, **k):
            calls.append(1)
            return real.at(*a, **k)

    monkeypatch.setattr(np, "add", Add())
    for want, (ids, names, emb, owners) in zip(expected, got):
        assert GalleryIndex(ids, names, emb, owners).centroids.tobytes() == want
    assert calls == []


def test_the_shipped_tables_are_decoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slider drag asks for the outlook and the LFW figures at every step: no JSON decode."""
    import faceapp.core.matching as matching

    matching.gallery_outlook(10, 1e-3)
    matching.lfw_operating_point(1.0)  # both tables read (and cached) by now
    decodes = []
    real = matching._versioned_json
    monkeypatch.setattr(matching, "_versioned_json", lambda *a: decodes.append(a) or real(*a))
    for step in range(50):
        matching.lfw_operating_point(0.6 + step / 100)
        matching.gallery_outlook(100_000 + step, 1e-3, 1.1)
    assert decodes == []
