"""The command line: exit codes, JSON output, bad input, gallery unchanged on failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from faceapp.core.matching import PAIR_THRESHOLD, default_threshold
from faceapp.storage.gallery import GalleryStore
from tests.conftest import cli, person_photos
from tests.hostile.corpus import png_bytes

REPO = Path(__file__).resolve().parents[1]


def last_json(out: str):
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture()
def gallery(tmp_path: Path) -> Path:
    return tmp_path / "g.sqlite3"


def test_version_answers_without_heavy_imports() -> None:
    code = (
        "import sys; from faceapp.__main__ import main; rc = main(['--version']);"
        "assert 'tensorflow' not in sys.modules and 'PySide6' not in sys.modules; sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("faceapp ")


def test_help_says_which_threshold_each_command_defaults_to(capsys) -> None:
    code, out, _ = cli(capsys, "verify", "--help")
    assert code == 0 and "1 in 10,000" in " ".join(out.split())
    code, out, _ = cli(capsys, "identify", "--help")
    said = " ".join(out.split())
    assert code == 0 and "how often a stranger may be given someone's name: 1 in N" in said
    assert "default 100" in said and "1.07" in said


def test_usage_error_is_exit_2_one_line(capsys) -> None:
    code, out, err = cli(capsys, "enroll")
    assert code == 2 and len(err.strip().splitlines()) == 1


def make_bad_files(folder: Path, good: Path) -> dict[str, Path]:
    """Every kind of unusable input the issue lists, made from a real photo."""
    data = good.read_bytes()
    files = {
        "truncated JPEG": (folder / "cut.jpg", data[: len(data) // 3]),
        "zero-byte file": (folder / "empty.jpg", b""),
        "text named .jpg": (folder / "text.jpg", b"this is not a photo\n"),
    }
    out = {}
    for label, (path, content) in files.items():
        path.write_bytes(content)
        out[label] = path
    out["missing path"] = folder / "does-not-exist.jpg"
    # Refused on its header: four rows of pixel data are enough to say 30000 x 30000.
    (folder / "huge.png").write_bytes(png_bytes(30000, 30000, rows=4))
    out["absurdly large image"] = folder / "huge.png"
    return out


@pytest.mark.model
def test_bad_inputs_exit_2_and_leave_gallery_unchanged(
    capsys, tmp_path: Path, gallery: Path, celebrity_dir: Path
) -> None:
    photos = person_photos(celebrity_dir, "train")
    good = photos["madonna"][0]
    assert cli(capsys, "enroll", "Madonna", str(good), "--gallery", str(gallery))[0] == 0
    before = gallery.read_bytes()
    for label, bad in make_bad_files(tmp_path, good).items():
        # A good photo next to a bad one: all or nothing.
        code, out, err = cli(
            capsys, "enroll", "Madonna", str(good), str(bad), "--gallery", str(gallery)
        )
        assert code == 2, label
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (label, err)
        assert gallery.read_bytes() == before, label
    # A photo without a face, at enrolment: refused with a reason, nothing written.
    wall = tmp_path / "wall.png"
    Image.new("RGB", (320, 240), (120, 130, 140)).save(wall)
    code, _, err = cli(capsys, "enroll", "Nobody", str(wall), "--gallery", str(gallery))
    assert code == 2 and "no face" in err
    assert GalleryStore(gallery).find_person("Nobody") is None
    assert gallery.read_bytes() == before


@pytest.mark.model
def test_enroll_identify_verify_round_trip(capsys, gallery: Path, celebrity_dir: Path) -> None:
    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    for person in ("madonna", "jerry_seinfeld"):
        code, out, _ = cli(
            capsys, "enroll", person, str(train[person][1]), "--gallery", str(gallery), "--json"
        )
        assert code == 0 and last_json(out)["added"] == 1

    code, out, _ = cli(capsys, "gallery", "list", "--gallery", str(gallery), "--json")
    assert code == 0 and {p["name"]: p["samples"] for p in last_json(out)} == {
        "jerry_seinfeld": 1,
        "madonna": 1,
    }

    code, out, _ = cli(
        capsys, "identify", str(val["jerry_seinfeld"][0]), "--gallery", str(gallery), "--json"
    )
    faces = last_json(out)[0]["faces"]
    assert code == 0 and [f["name"] for f in faces] == ["jerry_seinfeld"]

    code, out, _ = cli(
        capsys, "verify", "madonna", str(val["madonna"][2]), "--gallery", str(gallery), "--json"
    )
    doc = last_json(out)
    assert code == 0 and doc["accepted"] is True
    # No --threshold: verification's own default, 1 in 10,000 false accepts on LFW.
    assert doc["threshold"] == default_threshold("verification") < PAIR_THRESHOLD
    assert "verification default" in doc["threshold_source"]
    assert doc["lfw_false_accept_rate"] <= 1e-4 and doc["lfw_impostor_pairs"] > 29_000_000
    code, out, _ = cli(
        capsys,
        "verify",
        "madonna",
        str(val["jerry_seinfeld"][0]),
        "--gallery",
        str(gallery),
        "--json",
    )
    assert code == 1 and last_json(out)["accepted"] is False

    # val[elton_john][0] scores 0.84, under the detection floor: a stranger there is not shown.
    code, out, _ = cli(
        capsys, "identify", str(val["elton_john"][2]), "--gallery", str(gallery), "--json"
    )
    assert code == 1 and [f["name"] for f in last_json(out)[0]["faces"]] == [None]

    code, _, err = cli(
        capsys, "verify", "nobody", str(val["madonna"][0]), "--gallery", str(gallery)
    )
    assert code == 2 and "nobody" in err


def test_gallery_rename_remove_wipe(capsys, gallery: Path) -> None:
    import numpy as np

    store = GalleryStore(gallery)
    store.add_samples("Zoë", [(np.ones(128, np.float32), None, "test")])
    assert cli(capsys, "gallery", "rename", "Zoë", "Zoé", "--gallery", str(gallery))[0] == 0
    assert store.find_person("Zoé") is not None
    code, _, err = cli(capsys, "gallery", "remove", "Zoë", "--gallery", str(gallery))
    assert code == 2 and "Zoë" in err
    assert cli(capsys, "gallery", "remove", "Zoé", "--gallery", str(gallery))[0] == 0
    assert store.people() == []
    assert cli(capsys, "gallery", "wipe", "--gallery", str(gallery))[0] == 2  # needs --yes
    assert cli(capsys, "gallery", "wipe", "--yes", "--gallery", str(gallery))[0] == 0
    assert not gallery.exists()


def test_damaged_gallery_is_a_clear_error_and_untouched(capsys, gallery: Path) -> None:
    gallery.write_bytes(b"definitely not sqlite" * 100)
    before = gallery.read_bytes()
    code, _, err = cli(capsys, "gallery", "list", "--gallery", str(gallery))
    assert code == 2 and str(gallery) in err and len(err.strip().splitlines()) == 1
    assert gallery.read_bytes() == before


def test_gallery_list_across_processes(gallery: Path) -> None:
    import numpy as np

    GalleryStore(gallery).add_samples("王菲", [(np.ones(128, np.float32), None, None)] * 2)
    proc = subprocess.run(
        [sys.executable, "-m", "faceapp", "gallery", "list", "--json", "--gallery", str(gallery)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [
        {"id": 1, "name": "王菲", "samples": 2}
    ]


@pytest.mark.model
def test_video_names_enrolled_people_and_writes_annotated_file(
    capsys, tmp_path: Path, gallery: Path, celebrity_dir: Path
) -> None:
    import cv2

    from faceapp.core.images import load_image
    from faceapp.core.sources import letterbox

    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    assert (
        cli(capsys, "enroll", "madonna", str(train["madonna"][1]), "--gallery", str(gallery))[0]
        == 0
    )
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (640, 480))
    for photo in (val["madonna"][2], val["elton_john"][0]):
        frame = letterbox(load_image(photo), (640, 480))
        for _ in range(10):  # one second each
            writer.write(frame)
    writer.release()
    out_path = tmp_path / "annotated.avi"
    code, out, _ = cli(
        capsys, "video", str(clip), "--out", str(out_path), "--gallery", str(gallery), "--json"
    )
    frames = last_json(out)["frames"]
    assert code == 0 and len(frames) == 20
    names = [[f["name"] for f in fr["faces"]] for fr in frames]
    assert all("madonna" in n for n in names[:10]), names
    assert all(n and "madonna" not in n for n in names[10:]), names[10:]  # Elton: not enrolled
    cap = cv2.VideoCapture(str(out_path))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 20


# -- gallery files and names (issue 8) -------------------------------------------------


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "unexpected error" not in err, err
    return lines[0]


@pytest.mark.parametrize("where", ["folder", "under a file"])
def test_gallery_that_is_a_folder_or_under_a_file(capsys, tmp_path: Path, where: str) -> None:
    if where == "folder":
        gallery = tmp_path
    else:
        (tmp_path / "notes.txt").write_text("mine")
        gallery = tmp_path / "notes.txt" / "g.sqlite3"
    photo = str(tmp_path / "photo.jpg")
    for argv in (
        ["gallery", "list"],
        ["gallery", "wipe", "--yes"],
        ["gallery", "remove", "Ann"],
        ["enroll", "Ann", photo],
        ["identify", photo],
        ["verify", "Ann", photo],
    ):
        code, _, err = cli(capsys, *argv, "--gallery", str(gallery))
        assert code == 2, argv
        assert str(gallery) in one_line_error(err), argv
    if where == "under a file":
        assert (tmp_path / "notes.txt").read_text() == "mine"


def test_zero_byte_gallery_is_refused_and_left_empty(capsys, tmp_path: Path, gallery: Path) -> None:
    gallery.touch()
    for argv in (["gallery", "list"], ["enroll", "Ann", str(tmp_path / "x.jpg")]):
        code, _, err = cli(capsys, *argv, "--gallery", str(gallery))
        assert code == 2 and "0-byte" in one_line_error(err), argv
    assert gallery.read_bytes() == b""


def test_failed_enroll_to_a_new_path_creates_nothing(capsys, tmp_path: Path) -> None:
    gallery = tmp_path / "new" / "g.sqlite3"
    bad = tmp_path / "cut.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not the rest of a photo")
    code, _, err = cli(capsys, "enroll", "Ann", str(bad), "--gallery", str(gallery))
    assert code == 2 and str(bad) in one_line_error(err)
    code, _, err = cli(capsys, "gallery", "list", "--gallery", str(gallery))
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.jpg"]  # no file, no folder


def test_damaged_gallery_is_refused_by_every_command(capsys, tmp_path: Path, gallery: Path) -> None:
    import numpy as np

    store = GalleryStore(gallery)
    rng = np.random.default_rng(1)
    for k in range(30):
        store.add_samples(f"person {k}", [(rng.normal(size=128), rng.bytes(1500), None)])
    with open(gallery, "r+b") as f:
        f.seek(28672)
        f.write(rng.bytes(2048))
    before = gallery.read_bytes()
    photo = str(tmp_path / "photo.jpg")
    for argv in (
        ["gallery", "list"],
        ["gallery", "rename", "person 1", "someone"],
        ["gallery", "remove", "person 2"],
        ["gallery", "wipe", "--yes"],
        ["enroll", "person 3", photo],
        ["identify", photo],
    ):
        code, _, err = cli(capsys, *argv, "--gallery", str(gallery))
        line = one_line_error(err)
        assert code == 2 and str(gallery) in line and "damaged" in line, argv
        assert "delete it" in line  # what to do
    assert gallery.read_bytes() == before


def test_wipe_refuses_another_programs_database(capsys, tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "accounts.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE accounts(id INTEGER PRIMARY KEY, owner TEXT)")
    conn.execute("INSERT INTO accounts(owner) VALUES ('not faceapp')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for argv in (["gallery", "wipe", "--yes"], ["gallery", "list"]):
        code, _, err = cli(capsys, *argv, "--gallery", str(other))
        assert code == 2 and "another program" in one_line_error(err), argv
    assert other.read_bytes() == before


def test_wipe_keeps_a_backup_unless_no_backup(capsys, gallery: Path) -> None:
    import stat

    import numpy as np

    GalleryStore(gallery).add_samples("Ann", [(np.ones(128), None, None)])
    code, out, _ = cli(capsys, "gallery", "wipe", "--yes", "--gallery", str(gallery), "--json")
    backup = Path(f"{gallery}.bak")
    assert code == 0 and last_json(out) == {"wiped": str(gallery), "backup": str(backup)}
    assert str(backup) in out and not gallery.exists()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    GalleryStore(gallery).add_person("Bob")
    argv = ["gallery", "wipe", "--yes", "--no-backup", "--gallery", str(gallery)]
    code, out, _ = cli(capsys, *argv)
    assert code == 0 and "no backup" in out
    assert not gallery.exists() and not backup.exists()


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Eve\u202egnp.exe", "text-direction control"),
        ("ben_afflek\u200b", "invisible formatting character"),
        ("Ann\x07", "control character"),
    ],
)
def test_names_with_hidden_characters_are_refused(
    capsys, tmp_path: Path, gallery: Path, name: str, why: str
) -> None:
    photo = str(tmp_path / "photo.jpg")  # never read: the name is refused first
    code, _, err = cli(capsys, "enroll", name, photo, "--gallery", str(gallery))
    assert code == 2 and why in one_line_error(err)
    assert not gallery.exists()
    GalleryStore(gallery).add_person("Ann")
    before = gallery.read_bytes()
    code, _, err = cli(capsys, "gallery", "rename", "Ann", name, "--gallery", str(gallery))
    assert code == 2 and why in one_line_error(err)
    assert gallery.read_bytes() == before


def test_every_command_normalises_names_the_same_way(capsys, tmp_path: Path, gallery: Path) -> None:
    import unicodedata

    import numpy as np

    jose_nfd = unicodedata.normalize("NFD", "José")
    store = GalleryStore(gallery)
    store.add_samples("ben_afflek", [(np.ones(128), None, None)])
    store.add_samples(jose_nfd, [(np.ones(128), None, None)])
    missing = tmp_path / "missing.jpg"
    for name in (" ben_afflek ", "José", f" {jose_nfd}\t"):
        # The name is found; what fails is the photo, which does not exist.
        code, _, err = cli(capsys, "verify", name, str(missing), "--gallery", str(gallery))
        line = one_line_error(err)
        assert code == 2 and "nobody" not in line and str(missing) in line, name
    code, _, err = cli(
        capsys, "verify", "ben_afflek\u200b", str(missing), "--gallery", str(gallery)
    )
    assert code == 2 and "nobody called 'ben_afflek\\u200b'" in one_line_error(err)
    code, out, _ = cli(
        capsys, "gallery", "rename", f"{jose_nfd} ", "Jose", "--gallery", str(gallery)
    )
    assert code == 0 and out.strip() == "renamed José to Jose"
    code, out, _ = cli(capsys, "gallery", "remove", " ben_afflek ", "--gallery", str(gallery))
    assert code == 0 and out.startswith("removed ben_afflek ")
    assert [p.name for p in store.people()] == ["Jose"]


def test_list_escapes_a_name_stored_before_the_rules(capsys, gallery: Path) -> None:
    import sqlite3

    GalleryStore(gallery).add_person("placeholder")
    conn = sqlite3.connect(gallery)
    conn.execute("UPDATE people SET name = ?", ("Eve\u202egnp.exe",))
    conn.commit()
    conn.close()
    code, out, _ = cli(capsys, "gallery", "list", "--gallery", str(gallery))
    assert code == 0 and "\u202e" not in out and "'Eve\\u202egnp.exe'" in out


@pytest.mark.model
def test_decomposed_name_enrolled_then_verified_composed(
    capsys, gallery: Path, celebrity_dir: Path
) -> None:
    import unicodedata

    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    nfd = unicodedata.normalize("NFD", "Renée ")
    code, out, _ = cli(capsys, "enroll", nfd, str(train["madonna"][1]), "--gallery", str(gallery))
    assert code == 0
    for claim in ("Renée", " Renée", unicodedata.normalize("NFD", "Renée")):
        code, out, err = cli(
            capsys, "verify", claim, str(val["madonna"][2]), "--gallery", str(gallery), "--json"
        )
        assert code == 0, err
        assert last_json(out)["accepted"] is True and last_json(out)["name"] == "Renée"


def _saved_run(tmp_path: Path, pipeline: dict) -> tuple[Path, Path]:
    """An LFW-format folder (pairs file only) and a --save-distances file for it."""
    import numpy as np

    rng = np.random.default_rng(0)
    people = [f"P{k}" for k in range(6)]
    images = [f"{p}/{p}_{i:04d}.jpg" for p in people for i in range(1, 5)]
    centres = rng.normal(size=(6, 8))
    emb = np.stack([centres[int(rel[1])] + 0.5 * rng.normal(size=8) for rel in images])
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    root = tmp_path / "lfw"
    root.mkdir()
    lines = ["2 2"]
    for fold in range(2):
        a, b = people[2 * fold], people[2 * fold + 1]
        lines += [f"{a}\t1\t2", f"{b}\t3\t4", f"{a}\t1\t{b}\t2", f"{b}\t3\t{people[5]}\t4"]
    (root / "pairs.txt").write_text("\n".join(lines) + "\n")
    saved = tmp_path / "run.npz"
    np.savez(
        saved,
        distances=np.zeros(8),
        images=np.array(images),
        embeddings=emb.astype(np.float32),
        pipeline=np.array(json.dumps(pipeline)),
    )
    return root, saved


def test_eval_lfw_writes_the_all_pairs_table_from_saved_embeddings(capsys, tmp_path) -> None:
    from faceapp.core import matching

    default = {"detector": "mtcnn", "align": "similarity", "flip": True}
    root, saved = _saved_run(tmp_path, default)
    table = tmp_path / "points.json"
    code, out, err = cli(
        capsys,
        "eval-lfw",
        str(root),
        "--embeddings",
        str(saved),
        "--write-operating-points",
        str(table),
        "--json",
    )
    assert code == 0, err
    summary = last_json(out)
    assert summary["pairs"] == 8
    doc = json.loads(table.read_text(encoding="utf-8"))
    assert doc["format"] == matching.OPERATING_POINTS_FORMAT
    assert doc["images"] == 24 and doc["identities"] == 6
    assert doc["genuine_pairs"] == 6 * 6 and doc["impostor_pairs"] == 24 * 23 // 2 - 36
    assert doc["source"]["pipeline"] == default
    assert doc["protocol_impostor_pairs"] == 4 and doc["protocol_genuine_pairs"] == 4
    assert summary["operating_points"]["impostor_pairs"] == doc["impostor_pairs"]

    other = dict(default, flip=False)
    (tmp_path / "b").mkdir()
    root2, saved2 = _saved_run(tmp_path / "b", other)
    code, _, err = cli(capsys, "eval-lfw", str(root2), "--embeddings", str(saved2))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--no-flip" in err
    code, _, _ = cli(capsys, "eval-lfw", str(root2), "--embeddings", str(saved2), "--no-flip")
    assert code == 0
    code, _, err = cli(capsys, "eval-lfw", str(root), "--embeddings", str(root / "pairs.txt"))
    assert code == 2 and "--save-distances" in err
