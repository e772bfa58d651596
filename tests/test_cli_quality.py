"""`faceapp enroll` stores the quality figures of each photo's face with its sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceapp.cli import run
from faceapp.core.images import load_image
from faceapp.core.pipeline import largest_face
from faceapp.core.quality import assess_face
from faceapp.storage.gallery import GalleryStore
from tests.conftest import person_photos


@pytest.mark.model
def test_enroll_stores_the_figures_assess_face_measures(
    capsys, tmp_path: Path, celebrity_dir: Path, pipeline
) -> None:
    photos = person_photos(celebrity_dir, "train")["madonna"][:3]
    gallery = tmp_path / "g.sqlite3"
    code = run(["enroll", "Madonna", *map(str, photos), "--largest", "--gallery", str(gallery)])
    assert code == 0, capsys.readouterr().err
    stored = GalleryStore(gallery).samples("Madonna")
    assert [s.source for s in stored] == [str(p) for p in photos]
    for sample, photo in zip(stored, photos, strict=True):
        image = load_image(photo)
        expected = assess_face(image, largest_face(pipeline.detect(image))).figures
        assert sample.quality == expected
    assert len({s.quality for s in stored}) == 3  # each photo's own figures
