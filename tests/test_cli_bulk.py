"""Many people at once (issue 16): ``enroll --folders``, ``identify`` on folders, ``--csv``."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faceapp.bulk_enrolment import BatchGallery, name_from_file, scan_people_folder
from faceapp.core.enrolment_check import check_enrolment, with_sample
from faceapp.core.images import image_files
from faceapp.core.matching import GalleryIndex
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import csv_cell
from tests.conftest import cli, person_photos


def samples_of(gallery: Path) -> dict[str, int]:
    return {p.name: p.n_samples for p in GalleryStore(gallery).people()}


def copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def faceless(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 240), (120, 130, 140)).save(path)
    return path


@pytest.fixture(scope="module")
def train(celebrity_dir: Path) -> dict[str, list[Path]]:
    return person_photos(celebrity_dir, "train")


# -- the folder's layout, no model -------------------------------------------------------


def test_names_come_from_folders_and_from_file_names(tmp_path: Path) -> None:
    assert name_from_file("Ada_Lovelace") == "Ada Lovelace"
    assert name_from_file("Ada_Lovelace_0002") == "Ada Lovelace"
    assert name_from_file("Grace__Hopper_") == "Grace Hopper"
    assert name_from_file("0042") == "0042"
    for rel in (
        "Ada Lovelace/one.jpg",
        "Ada Lovelace/trip/two.PNG",
        "Ada Lovelace/.hidden.jpg",
        "Ada Lovelace/notes.txt",
        "Ada_Lovelace_0003.jpg",
        "Grace_Hopper_0001.jpg",
        "Grace_Hopper_0002.jpeg",
        "Empty/readme.md",
        "Bad\u202ename/x.jpg",
        ".git/x.jpg",
        "list.csv",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    scan = scan_people_folder(tmp_path)
    people = {p.name: p for p in scan.people}
    assert list(people) == ["Ada Lovelace", "Bad\u202ename", "Empty", "Grace Hopper"]
    assert [p.relative_to(tmp_path).as_posix() for p in people["Ada Lovelace"].photos] == [
        "Ada Lovelace/one.jpg",
        "Ada Lovelace/trip/two.PNG",
        "Ada_Lovelace_0003.jpg",
    ]
    assert len(people["Grace Hopper"].photos) == 2 and people["Grace Hopper"].problem is None
    assert "text-direction" in (people["Bad\u202ename"].problem or "")
    assert people["Empty"].problem == "no photos in this folder"
    assert scan.ignored == 1 and scan.n_photos == 5


def test_image_files_are_sorted_recursive_and_skip_hidden_and_link_loops(tmp_path: Path) -> None:
    for rel in ("b.jpg", "a/z.webp", "a/.x.jpg", ".cache/y.jpg", "c.txt", "d.JPEG"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    os.symlink(tmp_path / "missing.jpg", tmp_path / "dangling.jpg")
    found = [p.relative_to(tmp_path).as_posix() for p in image_files(tmp_path)]
    assert found == ["a/z.webp", "b.jpg", "d.JPEG", "dangling.jpg"]


def test_batch_gallery_gives_the_verdicts_of_the_full_index() -> None:
    """The batch's running means decide as the index rebuilt after every sample would."""
    rng = np.random.default_rng(16)
    centres = rng.normal(size=(40, 128))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    centres[20:] += centres[:20] + rng.normal(scale=0.08, size=(20, 128))  # look-alikes
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)

    def noisy(person: int, scale: float) -> np.ndarray:
        e = centres[person] + rng.normal(scale=scale, size=128)
        return (e / np.linalg.norm(e)).astype(np.float32)

    full = GalleryIndex.from_samples([(i, f"P{i}", noisy(i, 0.05)) for i in range(20)])
    batch = BatchGallery(full)
    reasons = set()
    for _ in range(300):
        person = int(rng.integers(0, 40))
        e = noisy(person, rng.uniform(0.02, 0.25))
        expected = check_enrolment(e, full, f"P{person}", 1.07)
        got = check_enrolment(e, batch.index(), f"P{person}", 1.07)
        assert (got.reason, got.nearest_other) == (expected.reason, expected.nearest_other)
        for a, b in (
            (got.target_distance, expected.target_distance),
            (got.nearest_other_distance, expected.nearest_other_distance),
        ):
            assert (a is None) == (b is None) and (a is None or abs(a - b) < 1e-4)
        reasons.add(got.reason)
        if got.ok:
            full = with_sample(full, f"P{person}", e)
            batch.add(f"P{person}", e)
    assert len(batch) == len(full) == 40  # the new people joined the batch's gallery
    mine = batch.index()
    assert (mine.names, mine.person_ids, mine.n_samples) == (
        full.names,
        full.person_ids,
        full.n_samples,
    )
    np.testing.assert_allclose(mine.centroids, full.centroids, atol=1e-6)
    assert reasons == {"ok", "far_from_target", "closer_to_other", "matches_other"}


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20x", "'\uff20x"),
        ("  =1", "'  =1"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("photos/=x.jpg", "photos/=x.jpg"),
        (None, ""),
    ],
)
def test_csv_cells_never_start_a_formula(text: str | None, cell: str) -> None:
    assert csv_cell(text) == cell


def test_enroll_folders_bad_input_is_exit_2_and_writes_nothing(capsys, tmp_path: Path) -> None:
    gallery = tmp_path / "g.sqlite3"
    g = ("--gallery", str(gallery))
    code, _, err = cli(capsys, "enroll", "--folders", str(tmp_path / "missing"), *g)
    assert code == 2 and "no such folder" in err
    (tmp_path / "people").mkdir()
    (tmp_path / "people" / "notes.txt").write_text("x")
    code, _, err = cli(capsys, "enroll", "--folders", str(tmp_path / "people"), *g)
    assert code == 2 and "no photos found" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "enroll", "Ann", "--folders", str(tmp_path / "people"), *g)
    assert code == 2 and "not both" in err
    code, _, err = cli(capsys, "enroll", "Ann", *g)
    assert code == 2 and "at least one photo" in err
    assert not gallery.exists()


# -- enrolment with the real model -------------------------------------------------------


@pytest.mark.model
def test_enroll_folders_enrols_everybody_and_reports_each_bad_photo(
    capsys, tmp_path: Path, train: dict[str, list[Path]]
) -> None:
    people, gallery = tmp_path / "people", tmp_path / "g.sqlite3"
    madonna = [copy(p, people / "Madonna" / p.name) for p in train["madonna"][1:3]]
    copy(train["jerry_seinfeld"][1], people / "Jerry Seinfeld" / "jerry.jpg")
    copy(train["mindy_kaling"][1], people / "Mindy_Kaling.jpg")
    cut = people / "Madonna" / "cut.jpg"
    cut.write_bytes(madonna[0].read_bytes()[:300])
    wall = faceless(people / "Madonna" / "wall.png")
    copy(train["ben_afflek"][1], people / "Ben\u202eAfflek" / "ben.jpg")
    (people / "list.txt").write_text("who is who")
    g = ("--gallery", str(gallery))
    code, out, err = cli(capsys, "enroll", "--folders", str(people), *g, "--json")
    assert code == 1, err  # some photos refused, the others enrolled
    doc = json.loads(out)  # exactly one JSON document
    assert doc["summary"] | {"seconds": 0} == {
        "people": 3,
        "new": 3,
        "more_samples": 0,
        "samples": 4,
        "photos": 6,
        "photos_refused": 2,
        "photos_forced": 0,
        "people_skipped": 1,
        "files_ignored": 1,
        "seconds": 0,
    }
    by_name = {p["name"]: p for p in doc["people"]}
    statuses = {Path(r["source"]).name: r for r in by_name["Madonna"]["photos"]}
    assert statuses[cut.name]["status"] == "refused" and statuses[cut.name]["reason"] == "bad_file"
    assert statuses[wall.name]["reason"] == "no_face"
    assert "no face found" in statuses[wall.name]["message"]
    assert [statuses[p.name]["status"] for p in madonna] == ["enrolled", "enrolled"]
    assert by_name["Madonna"] | {"photos": None} == {
        "name": "Madonna",
        "added": 2,
        "samples": 2,
        "new": True,
        "photos": None,
    }
    assert "text-direction" in by_name["Ben\u202eAfflek"]["problem"]
    assert samples_of(gallery) == {"Jerry Seinfeld": 1, "Madonna": 2, "Mindy Kaling": 1}

    # The same run for people: one line per refused photo and the summary last.
    again = tmp_path / "again.sqlite3"
    code, out, _ = cli(capsys, "enroll", "--folders", str(people), "--gallery", str(again))
    lines = out.strip().splitlines()
    assert code == 1
    assert f"{cut}: the image is truncated or corrupt" in out and f"{wall}: no face found" in out
    assert "'Ben\\u202eAfflek': name refused" in out  # the hidden character shown escaped
    assert lines[-1].startswith(
        "3 people enrolled (3 new, 0 with more samples), 4 samples, 2 photos refused, "
        "1 people skipped, in "
    )


@pytest.mark.model
def test_face_recognition_layout_and_the_wrong_person_check_never_abort(
    capsys, tmp_path: Path, train: dict[str, list[Path]]
) -> None:
    gallery = tmp_path / "g.sqlite3"
    g = ("--gallery", str(gallery), "--json")
    first = tmp_path / "first"
    copy(train["madonna"][1], first / "Madonna_0001.jpg")
    copy(train["madonna"][2], first / "Madonna_0002.jpg")
    copy(train["jerry_seinfeld"][1], first / "Jerry_Seinfeld.jpg")
    code, out, _ = cli(capsys, "enroll", "--folders", str(first), *g)
    assert code == 0 and json.loads(out)["summary"]["samples"] == 3
    assert samples_of(gallery) == {"Jerry Seinfeld": 1, "Madonna": 2}

    second = tmp_path / "second"
    jerry_as_madonna = copy(train["jerry_seinfeld"][2], second / "Madonna_0003.jpg")
    copy(train["madonna"][3], second / "Madonna_0004.jpg")
    copy(train["mindy_kaling"][1], second / "Mindy_Kaling.jpg")
    code, out, _ = cli(capsys, "enroll", "--folders", str(second), *g)
    doc = json.loads(out)
    assert code == 1
    results = {r["source"]: r for p in doc["people"] for r in p["photos"]}
    wrong = results[str(jerry_as_madonna)]
    assert wrong["status"] == "refused" and wrong["reason"] == "wrong_person"
    assert wrong["message"].startswith("this face looks like Jerry Seinfeld")
    summary = doc["summary"]
    assert (summary["people"], summary["new"], summary["more_samples"]) == (2, 1, 1)
    assert samples_of(gallery) == {"Jerry Seinfeld": 1, "Madonna": 3, "Mindy Kaling": 1}

    forced = tmp_path / "forced"
    copy(jerry_as_madonna, forced / "Madonna_0005.jpg")
    code, out, _ = cli(capsys, "enroll", "--folders", str(forced), "--force", *g)
    (result,) = json.loads(out)["people"][0]["photos"]
    assert code == 0 and result["status"] == "enrolled" and result["forced"] is True
    assert samples_of(gallery)["Madonna"] == 4


# -- identify on folders -----------------------------------------------------------------


@pytest.mark.model
def test_identify_a_folder_one_entry_per_photo_and_bad_files_reported(
    capsys, tmp_path: Path, train: dict[str, list[Path]], monkeypatch
) -> None:
    gallery = tmp_path / "g.sqlite3"
    g = ("--gallery", str(gallery))
    for who, name in (("madonna", "=Madonna"), ("jerry_seinfeld", "\uff0bJerry")):
        assert cli(capsys, "enroll", name, str(train[who][1]), *g)[0] == 0
    photos = tmp_path / "photos"
    copy(train["madonna"][4], photos / "b" / "madonna.jpg")
    copy(train["jerry_seinfeld"][4], photos / "a.jpg")
    faceless(photos / "b" / "wall.png")
    (photos / "b" / "broken.jpg").write_bytes(b"not a photo")
    (photos / "notes.txt").write_text("x")
    code, out, err = cli(capsys, "identify", str(photos), *g, "--json")
    assert code == 0
    doc = json.loads(out)
    assert [Path(e["image"]).relative_to(photos).as_posix() for e in doc] == [
        "a.jpg",
        "b/broken.jpg",
        "b/madonna.jpg",
        "b/wall.png",
    ]
    assert [f["name"] for f in doc[0]["faces"]] == ["\uff0bJerry"]
    assert "not an image" in doc[1]["error"] and doc[1]["faces"] == []
    assert [f["name"] for f in doc[2]["faces"]] == ["=Madonna"] and doc[3]["faces"] == []
    assert err.count("broken.jpg") == 1 and "Traceback" not in err

    # --csv: one row per face; names and file names a spreadsheet would run are defused.
    monkeypatch.chdir(tmp_path)
    copy(train["madonna"][4], tmp_path / "@madonna.jpg")
    code, out, _ = cli(capsys, "identify", "@madonna.jpg", "photos", *g, "--csv", "faces.csv")
    assert code == 0 and "wrote 5 row(s) to faces.csv" in out
    assert (tmp_path / "faces.csv").stat().st_mode & 0o777 == 0o600
    with open(tmp_path / "faces.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["image"], r["name"]) for r in rows] == [
        ("'@madonna.jpg", "'=Madonna"),
        ("photos/a.jpg", "'\uff0bJerry"),
        ("photos/b/broken.jpg", ""),
        ("photos/b/madonna.jpg", "'=Madonna"),
        ("photos/b/wall.png", ""),
    ]
    assert float(rows[0]["w"]) > 20 and 0 <= float(rows[0]["distance"]) < 1.07
    assert "not an image" in rows[2]["note"] and rows[4]["note"] == "no face found"
    code, out, _ = cli(capsys, "identify", "photos", *g, "--csv", "-")
    assert code == 0 and list(csv.reader(io.StringIO(out)))[0][:2] == ["image", "x"]


def test_identify_csv_refuses_the_gallery_links_and_json_on_stdout(capsys, tmp_path: Path) -> None:
    gallery = tmp_path / "g.sqlite3"
    GalleryStore(gallery).add_samples("Ann", [(np.eye(128, dtype=np.float32)[0], None, None)])
    before = gallery.read_bytes()
    photo = faceless(tmp_path / "wall.png")
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "elsewhere.csv")
    g = ("--gallery", str(gallery))
    for target, why in (
        (str(gallery), "is the gallery file"),
        (f"{gallery}-wal", "is the gallery file"),
        (str(link), "symbolic link"),
        (str(tmp_path), "is a folder"),
        (str(tmp_path / "no" / "x.csv"), "does not exist"),
    ):
        code, _, err = cli(capsys, "identify", str(photo), *g, "--csv", target)
        assert code == 2 and why in err, (target, err)
    code, _, err = cli(capsys, "identify", str(photo), *g, "--csv", "-", "--json")
    assert code == 2 and "choose one" in err
    assert gallery.read_bytes() == before and not (tmp_path / "elsewhere.csv").exists()
    (tmp_path / "nothing").mkdir()
    code, _, err = cli(capsys, "identify", str(tmp_path / "nothing"), *g)
    assert code == 2 and "no photos in this folder" in err
