"""'Not X' corrections in recognition: the rule on small vectors, and on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.matching import GalleryIndex, corrected_people, identify, l2_normalize
from tests.conftest import person_photos


def unit(*values: float) -> np.ndarray:
    return l2_normalize(np.array(values, np.float32))


A, B = unit(1, 0, 0), unit(0, 1, 0)


def gallery(negatives: list[tuple[int, np.ndarray]] = ()) -> GalleryIndex:
    return GalleryIndex.from_samples([(1, "A", A), (2, "B", B)], negatives=negatives)


def test_a_face_nearer_a_negative_of_its_nearest_person_is_not_named_them() -> None:
    probe = unit(1, 0.3, 0.2)  # near A, far from B
    (before,) = identify(probe, gallery(), threshold=0.5)
    assert before.name == "A" and before.accepted and before.corrected is None
    (after,) = identify(probe, gallery([(1, unit(1, 0.35, 0.25))]), threshold=0.5)
    assert after.name is None and not after.accepted and not after.maybe
    assert (after.corrected, after.corrected_id) == ("A", 1)


def test_a_corrected_face_falls_to_the_runner_up_under_the_same_rule() -> None:
    probe = unit(1, 0.9, 0)  # between A and B, a little nearer to A
    negative = unit(1, 0.95, 0)
    (m,) = identify(probe, gallery([(1, negative)]), threshold=0.9)
    assert (m.name, m.accepted, m.person_id, m.corrected) == ("B", True, 2, "A")
    # the distance is to the person named now, not to A
    assert m.distance == pytest.approx(float(np.linalg.norm(probe - B)), abs=1e-5)
    # the automatic rule: B alone is left, so the margin is B's against nobody
    (auto,) = identify(probe, gallery([(1, negative)]))
    assert auto.corrected == "A" and auto.name in (None, "B")


def test_the_persons_own_faces_and_other_peoples_faces_are_untouched() -> None:
    index = gallery([(1, unit(1, 0.6, 0.6))])
    own, other = identify(np.stack([unit(1, 0.05, 0), unit(0.1, 1, 0)]), index, threshold=0.5)
    assert (own.name, own.corrected) == ("A", None)
    assert (other.name, other.corrected) == ("B", None)


def test_a_face_as_near_to_the_negative_as_to_the_person_is_still_named() -> None:
    probe = unit(1, 1, 0)
    mirror = unit(0, 1, 0)  # a negative exactly as far as A's sample
    index = GalleryIndex.from_samples([(1, "A", A)], negatives=[(1, mirror)])
    assert not corrected_people(probe, index).any()  # strictly nearer is needed
    (m,) = identify(probe, index, threshold=0.9)
    assert m.name == "A" and m.corrected is None


def test_a_person_with_several_samples_is_judged_by_their_nearest_sample() -> None:
    index = GalleryIndex.from_samples(
        [(1, "A", A), (1, "A", unit(0, 0, 1))], negatives=[(1, unit(1, 0.3, 0))]
    )
    near_second = unit(0.1, 0.05, 1)  # near A's second sample, farther from the negative
    near_negative = unit(1, 0.25, 0)
    assert corrected_people(np.stack([near_second, near_negative]), index).tolist() == [
        [False],
        [True],
    ]


def test_negatives_of_people_without_samples_are_left_out() -> None:
    index = GalleryIndex.from_samples([(1, "A", A)], negatives=[(9, A), (1, B)])
    assert index.negatives.shape == (1, 3) and index.negative_owners.tolist() == [0]
    assert not index.negatives.flags.writeable


def test_an_index_without_negatives_names_as_before() -> None:
    probes = l2_normalize(np.abs(np.random.default_rng(0).normal(size=(50, 3))).astype(np.float32))
    plain = GalleryIndex.from_samples([(1, "A", A), (2, "B", B)])
    far = gallery([(1, unit(-1, -1, -1))])  # a correction nobody is near
    assert identify(probes, plain, threshold=0.8) == identify(probes, far, threshold=0.8)


@pytest.mark.model
def test_a_stranger_corrected_five_times_is_not_named_again(celebrity_dir, pipeline) -> None:
    """The goal row of issue 19 on real photos: 'not X' five times, then shown again.

    Ben Affleck is enrolled from one photo; a loose pinned threshold (1.2) names a photo of
    Jerry Seinfeld as him.  Five other photos of Seinfeld are stored as "not Ben"; a
    Seinfeld photo held out of the corrections is no longer named Ben, while Ben's own
    photos still are.
    """
    from faceapp.core.images import load_image

    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")

    def embed(path):
        frame = load_image(path)
        faces = pipeline.detect(frame)
        largest = max(faces, key=lambda f: f.box.w * f.box.h)
        return pipeline.embed(frame, [largest])[0]

    ben = embed(train["ben_afflek"][0])
    ben_own = [embed(p) for p in val["ben_afflek"]]
    stranger = [embed(p) for p in train["jerry_seinfeld"] + val["jerry_seinfeld"]]
    plain = GalleryIndex.from_samples([(1, "Ben", ben)])
    loose = 1.2
    named = [i for i, e in enumerate(stranger) if identify(e, plain, loose)[0].name == "Ben"]
    assert len(named) >= 6, "the loose threshold should name several strangers as Ben"
    shown_again, corrections = named[0], [stranger[i] for i in named[1:6]]
    assert identify(stranger[shown_again], plain, loose)[0].name == "Ben"

    corrected = GalleryIndex.from_samples(
        [(1, "Ben", ben)], negatives=[(1, e) for e in corrections]
    )
    (again,) = identify(stranger[shown_again], corrected, loose)
    assert again.name is None and again.corrected == "Ben"
    own = identify(np.stack(ben_own), corrected, loose)
    assert all(m.name == "Ben" for m in identify(np.stack(ben_own), plain, loose))
    assert sum(m.name == "Ben" for m in own) >= len(own) - 1  # Ben himself stays Ben
