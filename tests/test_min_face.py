"""The live minimum face size: a stored preference and ``faceapp video --min-face``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from faceapp.cli import run
from faceapp.settings import DEFAULT_MIN_FACE_PX, MIN_FACE_PX_RANGE, Settings
from tests.conftest import person_photos


def test_the_minimum_face_size_is_stored_clipped_and_old_files_load() -> None:
    assert Settings().min_face_px == DEFAULT_MIN_FACE_PX == 32
    low, high = MIN_FACE_PX_RANGE
    assert Settings.from_dict({"min_face_px": "64"}).min_face_px == 64
    assert Settings.from_dict({"min_face_px": "5"}).min_face_px == low
    assert Settings.from_dict({"min_face_px": 10_000}).min_face_px == high
    assert Settings.from_dict({"min_face_px": "abc"}).min_face_px == DEFAULT_MIN_FACE_PX
    assert Settings.from_dict({"min_face_px": "nan"}).min_face_px == DEFAULT_MIN_FACE_PX
    assert Settings.from_dict({"threshold": "0.9"}).min_face_px == DEFAULT_MIN_FACE_PX


@pytest.mark.parametrize("value", ["0", "12", "5000", "forty"])
def test_a_bad_min_face_is_exit_2_one_line(capsys, tmp_path: Path, value: str) -> None:
    code = run(["video", "demo", "--min-face", value, "--gallery", str(tmp_path / "g.sqlite3")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "min-face" in err, err


def test_min_face_on_an_image_folder_is_exit_2(capsys, tmp_path: Path, celebrity_dir: Path):
    folder = person_photos(celebrity_dir, "val")["madonna"][0].parent
    code = run(["video", str(folder), "--min-face", "40", "--gallery", str(tmp_path / "g")])
    _out, err = capsys.readouterr()
    assert code == 2
    assert err.strip().splitlines() == [
        "faceapp: --min-face applies to video files and cameras only"
    ], err


@pytest.mark.model
def test_min_face_drops_the_faces_under_the_size(capsys, tmp_path: Path, celebrity_dir: Path):
    import cv2

    from faceapp.core.images import load_image

    photo = load_image(person_photos(celebrity_dir, "val")["madonna"][2])
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (640, 480))
    for height in (440, 440, 440, 110, 110, 110):  # faces of 100-135 px, then of 23-35 px
        frame = np.full((480, 640, 3), 90, np.uint8)
        small = cv2.resize(photo, (round(photo.shape[1] * height / photo.shape[0]), height))
        frame[20 : 20 + height, 100 : 100 + small.shape[1]] = small
        writer.write(frame)
    writer.release()

    def sizes(*flags: str) -> list[list[float]]:
        code = run(["video", str(clip), "--gallery", str(tmp_path / "g"), "--json", *flags])
        frames = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["frames"]
        assert code in (0, 1) and len(frames) == 6
        return [[min(f["box"][2:]) for f in fr["faces"]] for fr in frames]

    every = sizes()
    assert all(every) and max(max(s) for s in every[3:]) < 40 < min(min(s) for s in every[:3])
    dropped = sizes("--min-face", "80")
    assert [len(s) for s in dropped] == [sum(x >= 80 for x in s) for s in every], dropped
    assert all(dropped[:3]) and not any(dropped[3:]), dropped
