"""``faceapp correct IMAGE --not NAME`` in-process, on the real 5-celebrity photos."""

from __future__ import annotations

import itertools
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

    # The first six photos of Jerry that Ben's sample names (the rest are never looked at).
    candidates = (p for p in train["jerry_seinfeld"] + val["jerry_seinfeld"] if named_ben(p))
    stranger = list(itertools.islice(candidates, 6))
    assert len(stranger) == 6
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


# -- seeing and undoing corrections: correct --list / --remove (no model needed) ------------


def _gallery_with_corrections(path: Path) -> GalleryStore:
    from tests.storage.helpers import emb

    store = GalleryStore(path)
    store.add_samples("Ann", [(emb(1), None, None)])
    store.add_samples("Bob", [(emb(2), None, None)])
    from tests.storage.test_archive import jpeg

    store.add_negative("Ann", emb(3), crop=jpeg(3), source="door.jpg")
    store.add_negative("Bob", emb(4), source="live view")
    store.add_negative("Ann", emb(5), source="hall.jpg")
    return store


def test_correct_list_shows_every_correction_and_filters_by_person(capsys, tmp_path: Path) -> None:
    g = ("--gallery", str(tmp_path / "g.sqlite3"))
    _gallery_with_corrections(Path(g[1]))
    code, out, err = cli(capsys, "correct", "--list", "--json", *g)
    assert code == 0, err
    doc = json.loads(out)
    rows = [(c["person"], c["source"]) for c in doc["corrections"]]
    assert rows == [("Ann", "door.jpg"), ("Ann", "hall.jpg"), ("Bob", "live view")]
    assert all(isinstance(c["id"], int) and c["created_at"] for c in doc["corrections"])
    assert [c["crop"] for c in doc["corrections"]] == [True, False, False]
    code, out, _ = cli(capsys, "correct", "--list", "--not", "Bob", "--json", *g)
    assert [c["source"] for c in json.loads(out)["corrections"]] == ["live view"]
    code, out, _ = cli(capsys, "correct", "--list", *g)
    assert code == 0 and "3 correction(s)" in out and "not Ann" in out and "door.jpg" in out


def test_correct_remove_undoes_a_correction_by_its_id(capsys, tmp_path: Path) -> None:
    g = ("--gallery", str(tmp_path / "g.sqlite3"))
    store = _gallery_with_corrections(Path(g[1]))
    door = store.negatives("Ann")[0].id
    code, out, err = cli(capsys, "correct", "--remove", str(door), "--json", *g)
    assert code == 0, err
    assert json.loads(out) == {"removed": [{"id": door, "person": "Ann", "source": "door.jpg"}]}
    assert [n.source for n in store.negatives("Ann")] == ["hall.jpg"]
    code, _, err = cli(capsys, "correct", "--remove", str(door), *g)
    assert code == 2 and f"no correction {door}" in one_line(err)
    assert len(store.negatives("Ann")) == 1 and len(store.negatives("Bob")) == 1


def test_correct_list_json_pipes_into_another_program(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    gallery = tmp_path / "g.sqlite3"
    _gallery_with_corrections(gallery)
    listed = subprocess.run(
        [sys.executable, "-m", "faceapp", "correct", "--list", "--json", "--gallery", str(gallery)],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=600,
        check=True,
    )
    # the next program in the pipe reads the ids: a one-line Python stands in for jq
    ids = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json,sys; print(*[c['id'] for c in json.load(sys.stdin)"
            "['corrections'] if c['person'] == 'Ann'])",
        ],
        input=listed.stdout,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert len(ids) == 2


def test_correct_without_images_or_a_mode_says_what_it_needs(capsys, tmp_path: Path) -> None:
    g = ("--gallery", str(tmp_path / "g.sqlite3"))
    code, _, err = cli(capsys, "correct", "--not", "Ann", *g)
    assert code == 2 and "IMAGE" in one_line(err)
    code, _, err = cli(capsys, "correct", "--list", "--remove", "1", *g)
    assert code == 2 and one_line(err)


@pytest.mark.model
def test_gallery_export_and_import_carry_the_corrections(capsys, tmp_path: Path) -> None:
    src = ("--gallery", str(tmp_path / "src.sqlite3"))
    dst = ("--gallery", str(tmp_path / "dst.sqlite3"))
    store = _gallery_with_corrections(Path(src[1]))
    out = str(tmp_path / "g.zip")
    code, text, err = cli(capsys, "gallery", "export", out, "--json", *src)
    assert code == 0, err
    assert json.loads(text)["negatives"] == 3
    code, text, err = cli(capsys, "gallery", "import", out, "--json", *dst)
    assert code == 0, err
    assert json.loads(text)["negatives_added"] == 3
    code, text, _ = cli(capsys, "correct", "--list", "--json", *dst)
    listed = [(c["person"], c["source"], c["crop"]) for c in json.loads(text)["corrections"]]
    assert listed == [
        ("Ann", "door.jpg", True),
        ("Ann", "hall.jpg", False),
        ("Bob", "live view", False),
    ]
    imported = GalleryStore(dst[1])
    assert [n.embedding.tobytes() for n in imported.negatives("Ann")] == [
        n.embedding.tobytes() for n in store.negatives("Ann")
    ]
    code, text, _ = cli(capsys, "gallery", "import", out, "--on-conflict", "merge", *dst)
    assert code == 0 and "correction" not in text  # none new: nothing said about them
    code, text, _ = cli(capsys, "gallery", "export", str(tmp_path / "h.zip"), *src)
    assert "3 correction(s)" in text
