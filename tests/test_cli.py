"""The command line: exit codes, JSON output, bad input, gallery unchanged on failure."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from faceapp.cli import run
from faceapp.core.matching import DEFAULT_THRESHOLD, default_threshold
from faceapp.storage.gallery import GalleryStore
from tests.conftest import person_photos

REPO = Path(__file__).resolve().parents[1]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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
    assert code == 0 and "1.07" in out


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
    huge = io.BytesIO()
    Image.new("1", (30000, 30000)).save(huge, format="PNG")
    (folder / "huge.png").write_bytes(huge.getvalue())
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
    assert doc["threshold"] == default_threshold("verification") < DEFAULT_THRESHOLD
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

    code, out, _ = cli(
        capsys, "identify", str(val["elton_john"][0]), "--gallery", str(gallery), "--json"
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
