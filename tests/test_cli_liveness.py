"""``faceapp verify NAME --video FILE [--liveness]``: decisions, JSON, exit codes, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceapp.core.images import load_image
from faceapp.storage.gallery import GalleryStore
from tests.conftest import person_photos
from tests.liveness_media import held_in_place, replay_frames, turn_sequence, write_video
from tests.test_cli import cli, last_json

REPO = Path(__file__).resolve().parents[1]
YAW_LABELS = REPO / "benchmarks" / "labels" / "lfw_yaw_mediapipe.tsv"


@pytest.fixture()
def gallery(tmp_path: Path) -> Path:
    """A gallery with "ann" enrolled from a made-up embedding (no model needed)."""
    path = tmp_path / "g.sqlite3"
    GalleryStore(path).add_samples("ann", [(np.eye(128, dtype=np.float32)[0], None, None)])
    return path


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--liveness"], "--liveness needs a video"),
        ([], "give a photo"),
        (["photo.jpg", "--video", "v.avi"], "not both"),
        (["--video", "missing.avi", "--liveness"], "missing.avi: no such video file"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, gallery: Path, argv, says) -> None:
    code, out, err = cli(capsys, "verify", "ann", *argv, "--gallery", str(gallery), "--json")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err


def test_unreadable_video_and_unknown_name_exit_2(capsys, tmp_path: Path, gallery: Path) -> None:
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"this is not a video\n" * 100)
    code, _, err = cli(
        capsys, "verify", "ann", "--video", str(junk), "--liveness", "--gallery", str(gallery)
    )
    assert code == 2 and len(err.strip().splitlines()) == 1 and "junk.avi" in err
    code, _, err = cli(
        capsys, "verify", "bob", "--video", str(junk), "--liveness", "--gallery", str(gallery)
    )
    assert code == 2 and "bob" in err


@pytest.mark.model
def test_a_replayed_photo_matches_but_is_not_live(
    capsys, tmp_path: Path, celebrity_dir: Path
) -> None:
    """The issue's attack: the enrolment photo itself, printed and tilted before the camera."""
    photo = person_photos(celebrity_dir, "val")["madonna"][2]
    gallery = tmp_path / "g.sqlite3"
    assert cli(capsys, "enroll", "madonna", str(photo), "--gallery", str(gallery))[0] == 0
    video = write_video(
        replay_frames(load_image(photo), "tilt-sideways").frames, tmp_path / "replay.avi"
    )
    base = ["verify", "madonna", "--video", str(video), "--gallery", str(gallery), "--json"]

    code, out, _ = cli(capsys, *base)  # without the challenge the photo gets in, as before
    doc = last_json(out)
    assert code == 0 and doc["decision"] == "accept" and doc["live"] is None

    code, out, err = cli(capsys, *base, "--liveness")
    doc = last_json(out)
    assert code == 1, err
    assert doc["decision"] == "reject" and doc["live"] is False and doc["matched"] is True
    assert doc["distance"] <= doc["threshold"]
    assert "flat picture" in doc["reason"] or "no head turn" in doc["reason"]
    assert doc["seconds"] > 6.0
    lo, hi = doc["nose_offset_range"]
    assert hi - lo < 0.3


@pytest.mark.model
@pytest.mark.lfw
def test_real_photos_cut_together_are_a_photo_swap(capsys, tmp_path: Path, lfw_dir: Path) -> None:
    """A sequence of real photos (not a video) of one person, ordered by MediaPipe's yaw."""
    import argparse

    from faceapp.cli.common import loaded_pipeline

    person = "Adrien_Brody"
    labelled = []
    for line in YAW_LABELS.read_text(encoding="utf-8").splitlines():
        rel, _, yaw = line.partition("\t")
        if rel.startswith(f"{person}/") and yaw != "nan":
            labelled.append((lfw_dir / rel, float(yaw)))
    enrol, rest = labelled[0], labelled[1:]
    gallery = tmp_path / "g.sqlite3"
    code, _, err = cli(
        capsys, "enroll", person, str(enrol[0]), "--largest", "--gallery", str(gallery)
    )
    assert code == 0, err
    detect = loaded_pipeline(argparse.Namespace()).detect
    photos = held_in_place([(load_image(p), yaw) for p, yaw in rest], detect)
    video = write_video(turn_sequence(photos), tmp_path / "turn.avi")
    argv = ["verify", person, "--video", str(video), "--liveness", "--gallery", str(gallery)]
    code, out, err = cli(capsys, *argv, "--json")
    doc = last_json(out)
    # Issue 17: photos cut together are a photo swap, however many; the turn is not
    # continuous (the first rule accepted this sequence).
    assert code == 1, (doc, err)
    assert doc["live"] is False and "continuous" in doc["reason"]

    # The most frontal of those photos, held still for 7 s, is not live.
    frontal = min(photos, key=lambda p: abs(p[1]))[0]
    still = write_video([frontal] * 105, tmp_path / "still.avi")
    argv[3] = str(still)
    code, out, _ = cli(capsys, *argv, "--json")
    assert code == 1 and last_json(out)["live"] is False
