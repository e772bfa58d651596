"""The wrong-person check before enrolment: the rule on small made-up galleries, then real faces."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from faceapp.core.enrolment_check import check_enrolment, with_sample
from faceapp.core.matching import GalleryIndex, l2_normalize
from tests.conftest import person_photos


def unit(*values: float) -> np.ndarray:
    v = np.zeros(128, np.float32)
    v[: len(values)] = values
    return l2_normalize(v)


def gallery(**people: list[np.ndarray]) -> GalleryIndex:
    samples = [(pid, name, e) for pid, (name, embs) in enumerate(people.items(), 1) for e in embs]
    return GalleryIndex.from_samples(samples)


A, B = unit(1, 0), unit(0, 1)  # distance sqrt(2) = 1.41 apart


def test_a_face_like_the_target_passes() -> None:
    v = check_enrolment(unit(1, 0.2), gallery(Ann=[A], Bob=[B]), "Ann")
    assert v.ok and v.reason == "ok"
    assert v.target_distance == pytest.approx(np.linalg.norm(unit(1, 0.2) - A), abs=1e-5)
    assert v.nearest_other == "Bob"
    assert "looks like Ann" in v.message


def test_a_face_closer_to_someone_else_is_refused_with_their_name() -> None:
    probe = unit(0.3, 1)
    v = check_enrolment(probe, gallery(Ann=[A], Bob=[B]), "Ann", threshold=1.6)
    assert not v.ok and v.reason == "closer_to_other"
    d = float(np.linalg.norm(probe - B))
    assert v.nearest_other == "Bob" and v.nearest_other_distance == pytest.approx(d, abs=1e-5)
    assert v.message.startswith(f"this face looks like Bob ({d:.2f})")
    assert v.as_dict()["ok"] is False and v.as_dict()["nearest_other"] == "Bob"


def test_a_face_far_from_the_target_is_refused_even_with_nobody_else() -> None:
    v = check_enrolment(B, gallery(Ann=[A]), "Ann", threshold=1.07)
    assert v.reason == "far_from_target" and v.nearest_other is None
    assert "does not look like Ann" in v.message and "1.41" in v.message
    assert check_enrolment(B, gallery(Ann=[A]), "Ann", threshold=1.5).ok  # the threshold decides


def test_a_new_person_is_refused_only_when_they_match_someone_enrolled() -> None:
    index = gallery(Ann=[A])
    v = check_enrolment(unit(1, 0.1), index, "Cy")
    assert v.reason == "matches_other" and v.target_distance is None
    assert "already enrolled" in v.message
    fresh = check_enrolment(B, index, "Cy")
    assert fresh.ok and fresh.message == "first sample of Cy"
    assert check_enrolment(B, GalleryIndex.empty(), "Cy").ok


def test_the_target_is_compared_by_its_mean_like_recognition() -> None:
    index = gallery(Ann=[A, unit(1, 0.5)], Bob=[B])
    probe = unit(1, 0.25)
    v = check_enrolment(probe, index, "Ann")
    mean = l2_normalize(A + unit(1, 0.5))
    assert v.target_distance == pytest.approx(float(np.linalg.norm(probe - mean)), abs=1e-5)


def test_with_sample_lets_a_run_check_its_own_photos() -> None:
    index = gallery(Bob=[B])
    grown = with_sample(index, "Cy", A)
    assert grown.names == ("Bob", "Cy") and grown.n_samples == 2 and index.n_samples == 1
    assert check_enrolment(B, grown, "Cy").reason == "closer_to_other"
    again = with_sample(grown, "Cy", unit(1, 0.1))
    assert again.n_samples == 3 and len(again) == 2


def test_dimension_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="values"):
        check_enrolment(np.ones(64, np.float32) / 8, gallery(Ann=[A]), "Ann")


def test_verdict_is_immutable() -> None:
    v = check_enrolment(A, gallery(Ann=[A]), "Ann")
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.reason = "closer_to_other"  # type: ignore[misc]


@pytest.mark.model
def test_real_faces_another_persons_photo_is_refused(pipeline, celebrity_dir) -> None:
    from faceapp.core.images import load_image
    from faceapp.enrolment import prepare_sample

    train = person_photos(celebrity_dir, "train")

    def embedding(person: str, k: int) -> np.ndarray:
        return prepare_sample(pipeline, load_image(train[person][k]), "x", True).embedding

    index = GalleryIndex.from_samples(
        [
            (1, "madonna", embedding("madonna", 1)),
            (2, "jerry_seinfeld", embedding("jerry_seinfeld", 1)),
        ]
    )
    ok = check_enrolment(embedding("madonna", 2), index, "madonna")
    wrong = check_enrolment(embedding("jerry_seinfeld", 2), index, "madonna")
    assert ok.ok, ok.message
    assert wrong.reason == "closer_to_other" and wrong.nearest_other == "jerry_seinfeld"
    assert wrong.nearest_other_distance < 1.07 < wrong.target_distance


def test_with_sample_extends_the_arrays_with_the_centroids_the_index_would_compute(
    monkeypatch,
) -> None:
    # At 100,000 samples rebuilding the index from one tuple per sample held the
    # interpreter lock for ~200 ms (gui_stall, enrol): the arrays are extended instead,
    # and the centroids given are bit for bit those a fresh index computes.
    rng = np.random.default_rng(7)
    samples = [(pid, f"P{pid}", l2_normalize(rng.normal(size=128))) for pid in (1, 2, 3, 2, 1, 2)]
    index = GalleryIndex.from_samples(samples)
    index = GalleryIndex(
        index.person_ids,
        index.names,
        index.embeddings,
        index.owners,
        np.asarray(l2_normalize(rng.normal(size=(1, 128))), np.float32),
        np.array([1], np.int64),
    )

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the index was rebuilt from tuples")

    monkeypatch.setattr(GalleryIndex, "from_samples", no_rebuild)
    for name in ("P2", "New"):
        grown = with_sample(index, name, rng.normal(size=128).astype(np.float32))
        fresh = GalleryIndex(grown.person_ids, grown.names, grown.embeddings, grown.owners)
        assert np.array_equal(grown.centroids, fresh.centroids)
        assert grown.n_samples == index.n_samples + 1
        assert np.array_equal(grown.negatives, index.negatives)  # corrections kept
        assert grown.names[grown.owners[-1]] == name
    assert with_sample(index, "New", A).person_ids[-1] == -1
