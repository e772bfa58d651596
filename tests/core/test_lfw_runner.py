"""The eval-lfw runner end to end on a small LFW-format set built from the 5-celebrity photos."""

from __future__ import annotations

import shutil
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.evaluation.far_table import count_pairs, identity_of
from faceapp.core.evaluation.lfw import run_from_embeddings, run_lfw
from faceapp.core.matching import PAIR_THRESHOLD
from tests.conftest import person_photos

pytestmark = pytest.mark.model


def build_lfw_format(src: Path, dst: Path) -> Path:
    """Copy val photos to ``Name/Name_NNNN.jpg`` and write a 2-fold pairs file."""
    people = person_photos(src, "val")
    names = sorted(people)
    for name in names:
        (dst / name).mkdir(parents=True)
        for i, photo in enumerate(people[name], 1):
            shutil.copy(photo, dst / name / f"{name}_{i:04d}.jpg")
    same = [(n, a, b) for n in names for a, b in ((1, 2), (3, 4), (5, 1), (2, 4))]
    diff = [(a, 1 + k % 5, b, 1 + (k + 2) % 5) for k, (a, b) in enumerate(combinations(names, 2))]
    diff = (diff * 2)[:20]
    lines = ["2 10"]
    for fold in range(2):
        lines += [f"{n}\t{a}\t{b}" for n, a, b in same[fold * 10 : fold * 10 + 10]]
        lines += [f"{a}\t{i}\t{b}\t{j}" for a, i, b, j in diff[fold * 10 : fold * 10 + 10]]
    (dst / "pairs.txt").write_text("\n".join(lines) + "\n")
    return dst


def test_runner_scores_a_small_real_protocol(pipeline, celebrity_dir: Path, tmp_path: Path) -> None:
    root = build_lfw_format(celebrity_dir, tmp_path / "mini")
    run = run_lfw(pipeline, root)
    s = run.summary
    assert s["pairs"] == 40 and s["images"] == 25
    assert s["auc"] >= 0.97  # real photos of 5 people, unaligned, any pose
    assert s["accuracy"] >= 0.9
    assert set(s) >= {
        "accuracy",
        "accuracy_std",
        "tar_at_far_1e-3",
        "auc",
        "threshold",
        "no_face",
        "seconds",
    }
    assert run.distances.shape == (40,)

    # Scoring the saved embeddings again (eval-lfw --embeddings) gives the same result.
    again = run_from_embeddings(run.images, run.embeddings, root / "pairs.txt", "similarity")
    assert np.allclose(again.distances, run.distances, atol=1e-6)
    assert again.summary["accuracy"] == s["accuracy"] and again.summary["auc"] == s["auc"]

    # Every pair of the 25 real photos: 5 x C(5, 2) same-person pairs, the rest different.
    counts = count_pairs(run.embeddings, [identity_of(rel) for rel in run.images])
    assert (counts.genuine_pairs, counts.impostor_pairs) == (50, 250)
    impostors, genuine = counts.accepted(PAIR_THRESHOLD)
    assert impostors / 250 <= 0.05 and genuine / 50 >= 0.7


def test_runner_reports_missing_images(pipeline, celebrity_dir: Path, tmp_path: Path) -> None:
    root = build_lfw_format(celebrity_dir, tmp_path / "mini")
    (root / "madonna" / "madonna_0003.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="missing"):
        run_lfw(pipeline, root)
