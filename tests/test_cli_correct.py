"""``faceapp correct IMAGE --not NAME`` in-process, on the real 5-celebrity photos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faceapp.core.matching import identify
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import History
from tests.conftest import cli, person_photos


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.model
def test_a_stranger_corrected_five_times_is_not_named_again(
    capsys, tmp_path: Path, celebrity_dir: Path, pipeline
) -> None:
    from faceapp.core.images import load_image

    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    g = ("--gallery", str(tmp_path / "g.sqlite3"), "--threshold", "1.2")
    ben = train["ben_afflek"][0]
    assert cli(capsys, "enroll", "Ben", str(ben), g[0], g[1])[0] == 0
    index = GalleryStore(g[1]).index()

    def named_ben(path: Path) -> bool:
        frame = load_image(path)
        faces = pipeline.detect(frame)
        return any(m.name == "Ben" for m in identify(pipeline.embed(frame, faces), index, 1.2))

    stranger = [p for p in train["jerry_seinfeld"] + val["jerry_seinfeld"] if named_ben(p)]
    assert len(stranger) >= 6
    shown_again, corrections = stranger[0], stranger[1:6]

    code, out, _ = cli(capsys, "identify", str(shown_again), "--json", *g)
    assert [f["name"] for f in json.loads(out)[0]["faces"]] == ["Ben"]

    code, out, err = cli(capsys, "correct", *map(str, corrections), "--not", "Ben", "--json", *g)
    doc = json.loads(out)
    assert code == 0 and doc["person"] == "Ben" and doc["corrections"] == 5, err
    assert len(GalleryStore(g[1]).negatives("Ben")) == 5

    code, out, _ = cli(capsys, "identify", str(shown_again), "--history", "--json", *g)
    assert [f["name"] for f in json.loads(out)[0]["faces"]] == [None]
    events = History(GalleryStore(g[1])).events()
    assert [(e.decision, e.name) for e in events] == [("corrected", "Ben")]
    code, out, _ = cli(capsys, "history", "--decision", "corrected", "--json", g[0], g[1])
    assert code == 0 and [e["name"] for e in json.loads(out)["events"]] == ["Ben"]
    code, out, _ = cli(capsys, "history", g[0], g[1])
    assert "corrected" in out and "not Ben" in out

    # Ben's own photos are still Ben
    code, out, _ = cli(capsys, "identify", *map(str, val["ben_afflek"][:3]), "--json", *g)
    assert all(f["name"] == "Ben" for image in json.loads(out) for f in image["faces"])


@pytest.mark.model
def test_correct_refuses_bad_input_in_one_line(capsys, tmp_path: Path, celebrity_dir: Path) -> None:
    train = person_photos(celebrity_dir, "train")
    g = ("--gallery", str(tmp_path / "g.sqlite3"))
    photo = str(train["madonna"][0])
    code, _, err = cli(capsys, "correct", photo, "--not", "Nobody", *g)
    assert code == 2 and "nobody called 'Nobody' is enrolled" in one_line(err)
    code, _, err = cli(capsys, "correct", str(tmp_path / "missing.jpg"), "--not", "X", *g)
    assert code == 2 and one_line(err)
    code, _, err = cli(capsys, "correct", photo, *g)
    assert code == 2 and "--not" in one_line(err)
    assert not (tmp_path / "g.sqlite3").exists()
