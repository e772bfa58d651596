"""Everyday use on the command line (issue 10): safe enrolment, history, export/import, report,
and ``--json`` giving exactly one JSON document on stdout."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from faceapp.cli import run
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import CSV_COLUMNS, History
from tests.conftest import cli, person_photos

REPO = Path(__file__).resolve().parents[1]


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def faceapp(*argv: str) -> subprocess.CompletedProcess:
    """Run ``python -m faceapp`` in a child process, as a shell script would."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "faceapp", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=600,
    )


@pytest.fixture()
def gallery(tmp_path: Path) -> Path:
    return tmp_path / "g.sqlite3"


# -- the wrong-person check ------------------------------------------------------------------


@pytest.mark.model
def test_enroll_refuses_another_persons_face_unless_forced(
    capsys, gallery: Path, celebrity_dir: Path
) -> None:
    train = person_photos(celebrity_dir, "train")
    g = ("--gallery", str(gallery))
    assert cli(capsys, "enroll", "Madonna", str(train["madonna"][1]), *g)[0] == 0
    before = gallery.read_bytes()

    # Jerry is not enrolled: his face is far from Madonna's sample.
    code, out, err = cli(capsys, "enroll", "Madonna", str(train["jerry_seinfeld"][2]), *g)
    line = one_line(err)
    assert code == 2 and out == ""
    assert "does not look like Madonna" in line and "--force" in line
    assert gallery.read_bytes() == before

    # Jerry enrolled: now the face is named as him.
    assert cli(capsys, "enroll", "Jerry Seinfeld", str(train["jerry_seinfeld"][1]), *g)[0] == 0
    before = gallery.read_bytes()
    code, _, err = cli(
        capsys,
        "enroll",
        "Madonna",
        str(train["madonna"][2]),  # a good photo in the same run: all or nothing
        str(train["jerry_seinfeld"][2]),
        *g,
    )
    line = one_line(err)
    assert code == 2 and "this face looks like Jerry Seinfeld (0." in line, line
    assert "nothing enrolled" in line
    assert gallery.read_bytes() == before
    assert GalleryStore(gallery).find_person("Madonna").n_samples == 1

    # --force enrols it, says so on stderr, and the JSON records the check.
    code, out, err = cli(
        capsys, "enroll", "Madonna", str(train["jerry_seinfeld"][2]), "--force", "--json", *g
    )
    assert code == 0 and "looks like Jerry Seinfeld" in err
    doc = json.loads(out)
    assert doc["samples"] == 2 and doc["checks"][0]["forced"] is True
    assert doc["checks"][0]["reason"] == "closer_to_other"
    assert doc["checks"][0]["nearest_other"] == "Jerry Seinfeld"

    # A photo of the right person passes without a word.
    code, out, err = cli(capsys, "enroll", "Jerry Seinfeld", str(train["jerry_seinfeld"][3]), *g)
    assert code == 0 and err == ""


# -- history -------------------------------------------------------------------------------


@pytest.mark.model
def test_video_records_one_event_per_appearance_and_history_writes_csv(
    capsys, tmp_path: Path, gallery: Path, celebrity_dir: Path
) -> None:
    from tests.gui.make_video import make_video

    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    store = GalleryStore(gallery)
    g = ("--gallery", str(gallery))
    for person in ("madonna", "elton_john"):
        code, _, err = cli(capsys, "enroll", person.replace("_", " "), str(train[person][1]), *g)
        assert code == 0, err
    photos = [val["madonna"][0], val["elton_john"][0], val["ben_afflek"][0], val["madonna"][2]]
    clip = make_video(tmp_path / "clip.avi", photos, seconds_per_photo=1.5, fps=10)

    # Without --history nothing is recorded.
    assert cli(capsys, "video", str(clip), "--max-frames", "5", *g)[0] == 0
    assert History(store).events() == []

    code, out, err = cli(capsys, "video", str(clip), "--history", "--json", *g)
    assert code == 0, err
    doc = json.loads(out)
    frames = doc["frames"]
    assert len(frames) == 60
    recorded = doc["history_recorded"]
    # One event per appearance: each of the 4 photos (a cut gives a new track), not per frame.
    assert 4 <= recorded <= 8, [f["faces"] for f in frames]

    csv_path = tmp_path / "history.csv"
    code, out, _ = cli(capsys, "history", "--csv", str(csv_path), *g)
    assert code == 0 and "wrote" in out
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8", newline="")))
    assert len(rows) == recorded and tuple(rows[0]) == CSV_COLUMNS
    named = [(r["name"], float(r["position_s"])) for r in rows if r["decision"] == "named"]
    assert [n for n, _ in named][:2] == ["madonna", "elton john"]
    assert ("madonna", pytest.approx(4.5, abs=0.5)) in [(n, p) for n, p in named]
    assert all(r["mode"] == "recognition" and r["source"].endswith("clip.avi") for r in rows)
    assert all(float(r["distance"]) <= 1.07 for r in rows if r["decision"] == "named")
    ben = [r for r in rows if 3.0 <= float(r["position_s"]) < 4.5]
    assert ben and all(r["decision"] == "unknown" for r in ben)  # not enrolled
    assert stat_mode(csv_path) == 0o600

    # The events carry a decodable face crop.
    from faceapp.core.images import decode_image

    events = History(store).events()
    assert all(decode_image(e.crop).shape == (64, 64, 3) for e in events)

    # Filters, JSON, and the switch.
    got = json.loads(cli(capsys, "history", "--name", "madonna", "--json", *g)[1])
    assert {e["name"] for e in got["events"]} == {"madonna"} and got["settings"]["enabled"]
    out = cli(capsys, "history", "--since", "1h", "--decision", "unknown", "--json", *g)[1]
    assert all(e["decision"] == "unknown" for e in json.loads(out)["events"])
    assert cli(capsys, "history", "--disable", *g)[0] == 0
    code, _, err = cli(capsys, "video", str(clip), "--history", "--max-frames", "3", *g)
    assert code == 0 and "history is off" in err
    assert len(History(store).events()) == recorded
    code, _, err = cli(capsys, "history", "--since", "last tuesday", *g)
    assert code == 2 and "--since" in one_line(err)


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.model
def test_identify_and_verify_record_with_history(
    capsys, gallery: Path, celebrity_dir: Path
) -> None:
    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    g = ("--gallery", str(gallery))
    assert cli(capsys, "enroll", "madonna", str(train["madonna"][1]), *g)[0] == 0
    # val[elton_john][0] scores 0.84, under the detection floor: [2] is a stranger over it.
    code, out, _ = cli(
        capsys, "identify", str(val["madonna"][0]), str(val["elton_john"][2]), "--history", *g
    )
    assert code == 0 and "recorded 2 event(s)" in out
    code, out, _ = cli(
        capsys, "verify", "madonna", str(val["elton_john"][0]), "--history", "--json", *g
    )
    assert code == 1 and json.loads(out)["history_recorded"] == 1
    events = History(GalleryStore(gallery)).events()
    assert [(e.mode, e.decision, e.name) for e in events] == [
        ("recognition", "named", "madonna"),
        ("recognition", "unknown", None),
        ("verification", "rejected", "madonna"),
    ]
    assert events[0].position is None and events[0].source.endswith(".jpg")


# -- export / import ---------------------------------------------------------------------------


def _answers(capsys, gallery: Path, photos: list[Path]) -> list:
    code, out, err = cli(capsys, "identify", *map(str, photos), "--json", "--gallery", str(gallery))
    assert code in (0, 1), err
    return [[(f["name"], f["distance"]) for f in doc["faces"]] for doc in json.loads(out)]


def _contents(gallery: Path) -> dict:
    store = GalleryStore(gallery)
    return {
        p.name: (
            p.created_at,
            [
                (s.embedding.tobytes(), s.thumbnail, s.source, s.created_at)
                for s in store.samples(p.name)
            ],
        )
        for p in store.people()
    }


@pytest.mark.model
def test_export_wipe_import_gives_the_same_gallery_and_answers(
    capsys, tmp_path: Path, gallery: Path, celebrity_dir: Path
) -> None:
    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    g = ("--gallery", str(gallery))
    for person in sorted(train):
        # --force: two web photos of one person can lie beyond 1.07 (ben_afflek's do).
        photos = map(str, train[person][1:3])
        code, _, err = cli(capsys, "enroll", person, *photos, "--largest", "--force", *g)
        assert code == 0, err
    probes = [p for person in sorted(val) for p in val[person]]
    before_answers = _answers(capsys, gallery, probes)
    before = _contents(gallery)
    assert sum(len(s) for _, s in before.values()) == 10

    archive = tmp_path / "people.zip"
    code, out, _ = cli(capsys, "gallery", "export", str(archive), "--json", *g)
    assert code == 0 and json.loads(out)["samples"] == 10
    assert cli(capsys, "gallery", "wipe", "--yes", "--no-backup", *g)[0] == 0
    assert not gallery.exists()
    code, out, _ = cli(capsys, "gallery", "import", str(archive), "--json", *g)
    assert code == 0 and json.loads(out)["samples_added"] == 10

    assert _contents(gallery) == before  # same people, same sample bytes
    after_answers = _answers(capsys, gallery, probes)
    assert after_answers == before_answers
    assert sum(1 for faces in after_answers for name, _ in faces if name) >= 20

    # Importing again: refused without --on-conflict, nothing written; merge adds nothing.
    snapshot = gallery.read_bytes()
    code, out, err = cli(capsys, "gallery", "import", str(archive), *g)
    assert code == 2 and out == "" and "--on-conflict" in one_line(err)
    assert gallery.read_bytes() == snapshot
    code, out, _ = cli(capsys, "gallery", "import", str(archive), "--on-conflict", "merge", *g)
    assert code == 0 and "10 sample(s) were already there" in out
    assert _contents(gallery) == before


def test_import_of_another_models_gallery_is_refused(capsys, tmp_path: Path, gallery: Path) -> None:
    from faceapp.storage.archive import export_gallery

    source = GalleryStore(tmp_path / "other.db")
    source.add_samples("Ann", [(np.ones(128, np.float32), None, None)])
    archive = export_gallery(source, tmp_path / "other.zip", "0" * 64).path
    code, out, err = cli(capsys, "gallery", "import", str(archive), "--gallery", str(gallery))
    assert code == 2 and out == "" and "another model" in one_line(err)
    assert not gallery.exists()


# -- report ----------------------------------------------------------------------------------


@pytest.mark.model
def test_report_writes_a_self_contained_page(
    capsys, tmp_path: Path, gallery: Path, celebrity_dir: Path
) -> None:
    train = person_photos(celebrity_dir, "train")
    for person in ("madonna", "mindy_kaling", "ben_afflek"):
        photos = map(str, train[person][:3])
        assert (
            cli(capsys, "enroll", person, *photos, "--largest", "--gallery", str(gallery))[0] == 0
        )
    out_file = tmp_path / "report.html"
    code, out, err = cli(capsys, "report", "--out", str(out_file), "--gallery", str(gallery))
    assert code == 0, err
    assert "3 people, 9 samples: 9 same-person and 27 different-person pairs" in out
    page = out_file.read_text(encoding="utf-8")
    assert page.count("<svg") == 3 and "mindy_kaling" in page
    code, out, _ = cli(capsys, "report", "--out", str(tmp_path), "--gallery", str(gallery))
    assert code == 2


# -- --json: one document, nothing else --------------------------------------------------------


@pytest.mark.model
def test_every_subcommand_prints_exactly_one_json_document(
    capfd, tmp_path: Path, gallery: Path, celebrity_dir: Path
) -> None:
    from tests.gui.make_video import make_video

    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    g = ("--gallery", str(gallery))
    clip = make_video(tmp_path / "c.avi", [val["madonna"][0]], seconds_per_photo=0.5, fps=10)
    runs = [
        ("weights", "check"),
        ("enroll", "madonna", str(train["madonna"][1])),
        ("enroll", "Zed", str(train["elton_john"][1])),
        ("identify", str(val["madonna"][0]), "--history"),
        ("verify", "madonna", str(val["madonna"][0]), "--history"),
        ("video", str(clip), "--history"),
        ("gallery", "list", "-v"),
        ("gallery", "rename", "Zed", "Elton"),
        ("gallery", "export", str(tmp_path / "g.zip")),
        ("gallery", "remove", "Elton"),
        ("gallery", "import", str(tmp_path / "g.zip"), "--on-conflict", "skip"),
        ("history",),
        ("history", "--retention", "10"),
        ("report", "--out", str(tmp_path / "r.html")),
        ("history", "--clear", "--yes"),
        ("gallery", "wipe", "--yes"),
    ]
    # In this process (capfd also sees what C code writes to file descriptor 1) ...
    for argv in runs:
        code = run([*argv, "--json", *g])
        out, err = capfd.readouterr()
        assert code in (0, 1), (argv, err)
        try:
            json.loads(out)
        except json.JSONDecodeError:
            pytest.fail(f"{argv}: stdout is not one JSON document: {out[:300]!r}")

    # ... and in a child that loads the models itself: their start prints nothing on stdout.
    assert run(["enroll", "madonna", str(train["madonna"][1]), *g]) == 0
    proc = faceapp("identify", str(val["madonna"][0]), "--json", *g)
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)[0]["faces"], proc.stdout[:300]


def test_list_verbose_shows_the_gallery_path(capsys, gallery: Path) -> None:
    GalleryStore(gallery).add_person("Ann")
    code, out, _ = cli(capsys, "gallery", "list", "-v", "--gallery", str(gallery))
    assert code == 0 and out.splitlines()[0] == f"gallery {gallery}"
    code, out, err = cli(capsys, "gallery", "list", "-v", "--json", "--gallery", str(gallery))
    assert json.loads(out) == [{"id": 1, "name": "Ann", "samples": 0}] and str(gallery) in err


def test_eval_lfw_and_bench_json_is_one_document(capsys, tmp_path: Path, monkeypatch) -> None:
    from tests.test_cli import _saved_run

    root, saved = _saved_run(tmp_path, {"detector": "mtcnn", "align": "similarity", "flip": True})
    code, out, err = cli(capsys, "eval-lfw", str(root), "--embeddings", str(saved), "--json")
    assert code == 0, err
    assert json.loads(out)["pairs"] == 8

    # faceapp bench runs this in a child whose stdout passes straight through.
    import benchmarks.suite

    monkeypatch.setattr(benchmarks.suite, "run_benchmark", lambda **kw: {"fps": 1.0, **kw})
    assert benchmarks.suite.main(["--quick", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == {"fps": 1.0, "quick": True, "progress": None}


@pytest.mark.model
def test_video_from_a_network_camera_records_its_address_without_the_password(
    capsys, gallery: Path, celebrity_dir: Path
) -> None:
    import cv2

    from tests.core.stream_servers import MjpegServer

    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    assert (
        cli(capsys, "enroll", "madonna", str(train["madonna"][1]), "--gallery", str(gallery))[0]
        == 0
    )
    frames = []
    for photo in (val["madonna"][0], val["elton_john"][2]):
        ok, jpeg = cv2.imencode(".jpg", cv2.imread(str(photo)))
        frames += [jpeg.tobytes()] * 5
    server = MjpegServer(frames, fps=10.0).start()
    try:
        address = server.url(auth="admin:S3cr3t-pw@")
        code, out, err = cli(
            capsys,
            "video",
            address,
            "--max-frames",
            "8",
            "--history",
            "--json",
            "--gallery",
            str(gallery),
        )
    finally:
        server.stop()
    assert code == 0, err
    assert json.loads(out)["history_recorded"] >= 1
    events = History(GalleryStore(gallery)).events()
    assert events and all(
        e.source == "http://admin:***@127.0.0.1:" + f"{server.port}/video.mjpg" for e in events
    ), [e.source for e in events]
    assert "S3cr3t" not in out + err
