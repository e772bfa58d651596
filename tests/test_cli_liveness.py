"""``faceapp verify NAME --video FILE [--liveness]``: decisions, JSON, exit codes, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceapp.core.images import load_image
from faceapp.storage.gallery import GalleryStore
from tests.conftest import person_photos
from tests.liveness_media import replay_frames, turn_sequence, write_video
from tests.test_cli import cli, last_json

REPO = Path(__file__).resolve().parents[1]
YAW_LABELS = REPO / "benchmarks" / "data" / "lfw_yaw_mediapipe.tsv"


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
def test_real_photos_of_a_head_turn_are_accepted(capsys, tmp_path: Path, lfw_dir: Path) -> None:
    """A sequence of real photos (not a video) of one person, ordered by MediaPipe's yaw."""
    person, enrol = "Hugo_Chavez", "Hugo_Chavez_0001.jpg"
    labels = {}
    for line in YAW_LABELS.read_text().splitlines():
        if line.startswith(f"{person}/") and not line.endswith("nan"):
            rel, yaw = line.split("\t")
            labels[rel] = float(yaw)
    photos = [(load_image(lfw_dir / rel), yaw) for rel, yaw in labels.items() if enrol not in rel]
    gallery = tmp_path / "g.sqlite3"
    code, _, err = cli(
        capsys, "enroll", person, str(lfw_dir / person / enrol), "--gallery", str(gallery)
    )
    assert code == 0, err
    video = write_video(turn_sequence(photos), tmp_path / "turn.avi")
    code, out, err = cli(
        capsys,
        "verify",
        person,
        "--video",
        str(video),
        "--liveness",
        "--gallery",
        str(gallery),
        "--json",
    )
    doc = last_json(out)
    assert code == 0, (doc, err)
    assert doc["decision"] == "accept" and doc["live"] is True and doc["matched"] is True
    lo, hi = doc["nose_offset_range"]
    assert lo < -0.1 < 0.1 < hi
