"""Grouping unknown faces (issue 19): BCubed by hand, and real faces of five people grouped."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.grouping import DEFAULT_CUT, bcubed, group_embeddings
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
def celebrity_faces(largest_face_embedding, celebrity_dir) -> tuple[np.ndarray, list[str]]:
    """The largest face of every 5-celebrity photo (train and val), embedded, and its person."""
    vectors, people = [], []
    for split in ("train", "val"):
        for person, photos in person_photos(celebrity_dir, split).items():
            for photo in photos:
                vector = largest_face_embedding(photo)
                if vector is not None:
                    vectors.append(vector)
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


# -- cannot-link: one photo or frame never shows one person twice --------------------------


def _unit(*rows: list[float]) -> np.ndarray:
    x = np.array(rows, np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_two_faces_of_one_frame_are_split_each_keeping_its_nearer_faces() -> None:
    # a0 and b0 were seen in the same frame; a1 lies nearer a0, b1 nearer b0, and the
    # chain a1-a0-b0-b1 is close enough at a loose cut to make one group of all four.
    x = _unit([1.0, 0.00, 0.0], [1.0, 0.25, 0.0], [1.0, 0.50, 0.0], [1.0, 0.75, 0.0])
    frames = ["a1 alone", "frame 7", "frame 7", "b1 alone"]
    assert group_embeddings(x, 0.9).tolist() == [0, 0, 0, 0]
    labels = group_embeddings(x, 0.9, frames=frames)
    assert labels.tolist() == [0, 0, 1, 1]
    # faces of no known frame (None) are never kept apart for it
    assert group_embeddings(x, 0.9, frames=[None, None, None, None]).tolist() == [0, 0, 0, 0]


def test_three_faces_of_one_frame_make_three_groups() -> None:
    x = _unit([1.0, 0.0, 0.0], [1.0, 0.1, 0.0], [1.0, 0.2, 0.0], [1.0, 0.21, 0.0])
    labels = group_embeddings(x, 0.9, frames=["f", "f", "f", None])
    assert len(set(labels[:3].tolist())) == 3
    assert labels[3] == labels[2]  # the free face goes with the nearest of them


def test_frames_must_match_the_faces() -> None:
    with pytest.raises(ValueError, match="one frame per face"):
        group_embeddings(np.eye(3, 4), frames=["a", "b"])


@pytest.mark.model
def test_real_faces_said_to_share_a_frame_are_never_grouped_together(celebrity_faces) -> None:
    # At a loose cut different people are mixed.  Say that, in each mixed group, a face of
    # one person and a face of another were seen in one photo: the group is split so that
    # they part, and the grouping mixes people less, not more.
    x, people = celebrity_faces
    mixed = (c for c in (1.2, 1.3, 1.4, 1.5) if bcubed(people, group_embeddings(x, c))[0] < 0.95)
    cut = next(mixed)
    loose = group_embeddings(x, cut)
    before, _ = bcubed(people, loose)
    frames: list[object] = [None] * len(x)
    pairs = []
    for g in np.unique(loose):
        members = np.flatnonzero(loose == g)
        who = sorted({people[i] for i in members})
        if len(who) > 1:
            a = next(i for i in members if people[i] == who[0])
            b = next(i for i in members if people[i] == who[1])
            frames[a] = frames[b] = f"photo {g}"
            pairs.append((a, b))
    assert pairs
    split = group_embeddings(x, cut, frames=frames)
    assert all(split[a] != split[b] for a, b in pairs)
    after, _ = bcubed(people, split)
    assert after > before
