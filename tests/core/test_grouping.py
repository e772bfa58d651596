"""Grouping unknown faces (issue 19): BCubed by hand, and real faces of five people grouped."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.grouping import DEFAULT_CUT, bcubed, group_embeddings
from faceapp.core.pipeline import largest_face
from tests.conftest import person_photos


def test_bcubed_perfect_grouping() -> None:
    assert bcubed(["a", "a", "b"], [7, 7, 3]) == (1.0, 1.0)


def test_bcubed_one_group_for_everybody() -> None:
    # a: each of 2 faces sees 2/3 of its group as a; b: 1/3. Recall: all together, 1.
    p, r = bcubed(["a", "a", "b"], [0, 0, 0])
    assert p == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3) and r == 1.0


def test_bcubed_every_face_alone() -> None:
    # Precision 1; recall: a's faces see 1/2 of their person each, b 1/1.
    p, r = bcubed(["a", "a", "b"], [0, 1, 2])
    assert p == 1.0 and r == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)


def test_bcubed_amigo_example() -> None:
    # Four faces of x, one of y; groups {x, x, x} and {x, y}.
    p, r = bcubed(["x", "x", "x", "x", "y"], [0, 0, 0, 1, 1])
    assert p == pytest.approx((1 + 1 + 1 + 1 / 2 + 1 / 2) / 5)
    assert r == pytest.approx((3 / 4 + 3 / 4 + 3 / 4 + 1 / 4 + 1) / 5)


def test_bcubed_lengths_must_agree() -> None:
    with pytest.raises(ValueError):
        bcubed([1, 2], [1])


def test_group_embeddings_bad_input_says_why() -> None:
    with pytest.raises(ValueError, match="finite"):
        group_embeddings(np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="positive"):
        group_embeddings(np.eye(3), cut=0)
    assert group_embeddings(np.zeros((0, 128))).shape == (0,)
    assert group_embeddings(np.eye(1, 128)).tolist() == [0]


def test_labels_follow_the_first_face_of_each_group() -> None:
    x = np.eye(4, 8, dtype=np.float32)  # four faces sqrt(2) apart: four groups
    x = np.concatenate([x[[2]], x, x[[0]]])
    assert group_embeddings(x, 0.5).tolist() == [0, 1, 2, 0, 3, 1]


@pytest.fixture(scope="module")
def celebrity_faces(pipeline, celebrity_dir) -> tuple[np.ndarray, list[str]]:
    """The largest face of every 5-celebrity photo (train and val), embedded, and its person."""
    from faceapp.core.images import load_image

    vectors, people = [], []
    for split in ("train", "val"):
        for person, photos in person_photos(celebrity_dir, split).items():
            for photo in photos:
                frame = load_image(photo)
                face = largest_face(pipeline.detect(frame))
                if face is not None:
                    vectors.append(pipeline.embed(frame, [face])[0])
                    people.append(person)
    return np.stack(vectors), people


@pytest.mark.model
def test_real_faces_of_five_people_are_never_mixed(celebrity_faces) -> None:
    x, people = celebrity_faces
    labels = group_embeddings(x)
    precision, recall = bcubed(people, labels)
    assert len(x) > 100
    assert precision == 1.0  # no group holds two people
    # Each person's largest group is theirs alone, and holds a good part of their photos
    # (these web photos vary more than LFW's: recall 0.49 at the default cut).
    for person in sorted(set(people)):
        mine = labels[[p == person for p in people]]
        assert np.bincount(mine).max() >= 7
    assert recall > 0.4


@pytest.mark.model
def test_components_give_what_clustering_everything_gives(celebrity_faces) -> None:
    from sklearn.cluster import AgglomerativeClustering

    x, _ = celebrity_faces
    for cut in (DEFAULT_CUT, 1.0, 1.2):
        ours = group_embeddings(x, cut)
        dense = AgglomerativeClustering(
            n_clusters=None, distance_threshold=cut, linkage="average"
        ).fit_predict(x)
        assert bcubed(dense, ours) == (1.0, 1.0)  # the same partition


@pytest.mark.model
def test_a_looser_cut_joins_each_person(celebrity_faces) -> None:
    x, people = celebrity_faces
    _, strict = bcubed(people, group_embeddings(x, DEFAULT_CUT))
    _, loose = bcubed(people, group_embeddings(x, 0.9))
    assert loose > strict
