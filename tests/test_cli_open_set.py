"""Open-set recognition on the command line: 1 stranger in N, maybe X?, eval-lfw --open-set."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import cli, person_photos
from tests.core.test_lfw_runner import build_lfw_format

pytestmark = pytest.mark.model


def test_identify_says_maybe_between_named_and_unknown(
    capsys, tmp_path: Path, celebrity_dir: Path
) -> None:
    gallery = str(tmp_path / "g.sqlite3")
    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    for person in ("madonna", "jerry_seinfeld"):
        assert cli(capsys, "enroll", person, str(train[person][1]), "--gallery", gallery)[0] == 0
    photo = str(val["jerry_seinfeld"][0])
    code, out, _ = cli(capsys, "identify", photo, "--gallery", gallery, "--json")
    auto = json.loads(out)[0]["faces"][0]
    assert code == 0 and auto["name"] == "jerry_seinfeld" and auto["maybe"] is None
    # Pinned stricter than this face's distance: not a name, not silence either.
    pinned = f"{auto['distance'] - 0.1:.2f}"
    code, out, _ = cli(
        capsys, "identify", photo, "--gallery", gallery, "--threshold", pinned, "--history"
    )
    assert code == 1 and "maybe jerry_seinfeld? (distance" in out
    code, out, _ = cli(
        capsys, "identify", photo, "--gallery", gallery, "--threshold", pinned, "--csv", "-"
    )
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["name"], row["maybe"]) == ("", "jerry_seinfeld")
    code, out, _ = cli(capsys, "history", "--gallery", gallery, "--json")
    events = json.loads(out)["events"]
    assert [(e["decision"], e["name"]) for e in events] == [("maybe", "jerry_seinfeld")]
    code, out, _ = cli(capsys, "history", "--gallery", gallery, "--decision", "maybe", "--json")
    assert code == 0 and len(json.loads(out)["events"]) == 1
    # Someone never enrolled, at the strictest rate offered: unknown, no name.  (Elton's
    # val[0] scores 0.84, under the detection floor: [2] is a stranger over it.)
    code, out, _ = cli(
        capsys,
        "identify",
        str(val["elton_john"][2]),
        "--gallery",
        gallery,
        "--strangers",
        "1000",
        "--json",
    )
    face = json.loads(out)[0]["faces"][0]
    assert code == 1 and face["name"] is None


@pytest.fixture
def eval_lfw_on_the_session_models(monkeypatch, face_models) -> None:
    """eval-lfw's default detector and embedder are the session's loaded ones."""
    import faceapp.core.detection
    import faceapp.core.embedding

    make_detector = faceapp.core.detection.create_detector
    make_embedder = faceapp.core.embedding.create_embedder

    def create_detector(name="mtcnn", **kwargs):
        same = (name, kwargs) == ("mtcnn", {})
        return face_models.detector if same else make_detector(name, **kwargs)

    def create_embedder(**kwargs):
        same = kwargs in ({}, {"flip": True})
        return face_models.embedder if same else make_embedder(**kwargs)

    monkeypatch.setattr(faceapp.core.detection, "create_detector", create_detector)
    monkeypatch.setattr(faceapp.core.embedding, "create_embedder", create_embedder)


@pytest.mark.usefixtures("eval_lfw_on_the_session_models")
def test_eval_lfw_open_set_reports_every_gallery_size(
    capsys, tmp_path: Path, celebrity_dir: Path
) -> None:
    root = build_lfw_format(celebrity_dir, tmp_path / "mini")
    code, out, _ = cli(capsys, "eval-lfw", str(root), "--open-set", "--seeds", "2", "--json")
    assert code == 0
    rows = json.loads(out)["open_set"]
    # Five people with five photos each: every size is everyone; one and three photos.
    assert [(r["photos"], r["people"], r["trials"]) for r in rows] == [(1, 5, 2), (3, 5, 2)]
    for r in rows:
        c = r["counts"]
        assert (
            sum(c[k] for k in ("named_right", "named_wrong", "maybe_right", "maybe_wrong"))
            + c["unknown"]
            == 10
        )
        assert c["strangers"] == 0 and r["named_right"] >= 0.8
