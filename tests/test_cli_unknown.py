"""``faceapp unknown`` and ``history --daily`` (issue 19), run in-process as people type them."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.matching import l2_normalize
from faceapp.core.quality import QualityFigures
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import History, NewEvent
from tests.conftest import cli, person_photos

GOOD = QualityFigures(120.0, 80.0, 0.1, 2.0)


def near(seed: int, k: int) -> list[np.ndarray]:
    centre = l2_normalize(np.random.default_rng(seed).normal(size=128))
    rng = np.random.default_rng(seed + 1000)
    return [l2_normalize(centre + rng.normal(0, 0.01, 128)) for _ in range(k)]


@pytest.fixture()
def made_up(tmp_path: Path) -> Path:
    """A gallery with Ann enrolled and unknown faces of two made-up people (3 + 2)."""
    path = tmp_path / "g.db"
    store = GalleryStore(path)
    store.add_samples("Ann", [(near(1, 1)[0], None, None)])
    now = datetime.now(timezone.utc)
    events = [
        NewEvent(
            "recognition",
            "unknown",
            None,
            1.3,
            1.07,
            f"p{i}.jpg",
            None,
            b"\xff\xd8x",
            now - timedelta(minutes=10 - i),
            embedding=v,
            quality=GOOD,
        )
        for i, v in enumerate(near(7, 3) + near(8, 2))
    ]
    History(store).record(events)
    return path


def groups(capsys, gallery: Path) -> list[tuple[int, int]]:
    code, out, _ = cli(capsys, "unknown", "list", "--json", "--gallery", str(gallery))
    assert code == 0
    return [(g["group"], g["count"]) for g in json.loads(out)["groups"]]


def test_list_merge_remove_ignore(capsys, made_up: Path) -> None:
    g = str(made_up)
    assert groups(capsys, made_up) == [(1, 3), (4, 2)]
    code, out, _ = cli(capsys, "unknown", "list", "--gallery", g)
    assert "group 1: 3 face(s)" in out and "p0.jpg" in out
    assert cli(capsys, "unknown", "merge", "1", "4", "--gallery", g)[0] == 0
    assert groups(capsys, made_up) == [(1, 5)]
    assert cli(capsys, "unknown", "remove", "2", "--gallery", g)[0] == 0
    assert groups(capsys, made_up) == [(1, 4), (2, 1)]
    assert cli(capsys, "unknown", "ignore", "2", "--gallery", g)[0] == 0
    assert groups(capsys, made_up) == [(1, 4)]
    assert History(GalleryStore(made_up)).crop(2) is None


def test_name_enrols_a_new_person_and_the_group_leaves(capsys, made_up: Path) -> None:
    code, out, _ = cli(capsys, "unknown", "name", "1", "Zoe", "--json", "--gallery", str(made_up))
    doc = json.loads(out)
    assert code == 0 and doc["added"] == 3 and doc["samples"] == 3 and doc["name"] == "Zoe"
    assert groups(capsys, made_up) == [(4, 2)]
    assert cli(capsys, "unknown", "add", "4", "Zoe", "--gallery", str(made_up))[0] == 2  # not Zoe
    assert groups(capsys, made_up) == [(4, 2)]


def test_bad_requests_say_why_in_one_line(capsys, made_up: Path) -> None:
    g = str(made_up)
    for argv, says in (
        (("unknown", "name", "99", "Zoe"), "no group 99"),
        (("unknown", "name", "1", "Ann"), "enrolled already"),
        (("unknown", "add", "1", "Nobody"), "nobody called"),
        (("unknown", "merge", "1", "1"), "two or more"),
        (("unknown", "remove", "12345"), "not an unknown face"),
    ):
        code, _, err = cli(capsys, *argv, "--gallery", g)
        assert code == 2 and says in err and len(err.strip().splitlines()) == 1, err


def test_history_daily_csv(capsys, tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    store = GalleryStore(path)
    store.add_samples("=Ann", [(near(1, 1)[0], None, None)])
    ann = store.find_person("=Ann").id
    now = datetime.now(timezone.utc)
    History(store).record(
        [
            NewEvent("recognition", "named", ann, 0.4, 1.07, at=now - timedelta(seconds=s))
            for s in (0, 30)
        ]
    )
    code, out, _ = cli(capsys, "history", "--daily", "--csv", "-", "--gallery", str(path))
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0][:5] == ["date", "name", "first_seen", "last_seen", "appearances"]
    assert rows[1][1] == "'=Ann" and rows[1][4] == "2"
    out_file = tmp_path / "daily.csv"
    cli(capsys, "history", "--daily", "--csv", str(out_file), "--gallery", str(path))
    assert out_file.stat().st_mode & 0o777 == 0o600
    code, out, _ = cli(capsys, "history", "--daily", "--json", "--gallery", str(path))
    (day,) = json.loads(out)["daily"]
    assert day["appearances"] == 2 and day["name"] == "=Ann"


@pytest.mark.model
def test_photo_folder_run_named_in_one_go(capsys, tmp_path: Path, celebrity_dir: Path) -> None:
    """Madonna enrolled; a folder of the five people's photos; the unknown groups named."""
    g = str(tmp_path / "g.db")
    train = person_photos(celebrity_dir, "train")
    assert (
        cli(
            capsys,
            "enroll",
            "Madonna",
            *map(str, train["madonna"][:5]),
            "--largest",
            "--gallery",
            g,
        )[0]
        == 0
    )
    code, out, _ = cli(capsys, "identify", str(celebrity_dir / "val"), "--history", "--gallery", g)
    assert "recorded" in out
    code, out, _ = cli(capsys, "unknown", "list", "--json", "--gallery", g)
    listed = json.loads(out)["groups"]
    by_person = {}
    for group in listed:
        folders = {Path(s).parent.name for s in group["sources"]}
        assert len(folders) == 1, group  # no group mixes two people's photos
        by_person.setdefault(folders.pop(), group)  # the largest group of each person
    assert "madonna" not in by_person and len(by_person) == 4
    names = {
        "ben_afflek": "Ben Affleck",
        "jerry_seinfeld": "Jerry Seinfeld",
        "mindy_kaling": "Mindy Kaling",
    }
    for folder, name in names.items():
        code, out, err = cli(
            capsys, "unknown", "name", str(by_person[folder]["group"]), name, "--gallery", g
        )
        assert code == 0, err
    code, out, _ = cli(capsys, "identify", str(celebrity_dir / "val"), "--json", "--gallery", g)
    named = {Path(d["image"]).parent.name: [f["name"] for f in d["faces"]] for d in json.loads(out)}
    for folder, name in names.items():
        assert name in named[folder]
    assert (
        sum(
            name in faces
            for d in json.loads(out)
            for faces in [[f["name"] for f in d["faces"]]]
            for name in names.values()
        )
        >= 12
    )


def test_cli_names_through_the_windows_naming_step(capsys, made_up: Path, monkeypatch) -> None:
    """``unknown name|add`` and the window's Name… share one naming step (session.name_faces)."""
    from faceapp.session import unknown_faces

    calls = []
    real = unknown_faces.name_faces

    def spy(*args, **kwargs):
        calls.append(kwargs.get("new", args[3] if len(args) > 3 else None))
        return real(*args, **kwargs)

    monkeypatch.setattr(unknown_faces, "name_faces", spy)
    code, out, _ = cli(capsys, "unknown", "name", "1", "Zoe", "--json", "--gallery", str(made_up))
    assert code == 0 and json.loads(out)["event_ids"] and calls == [True]
    code, _, err = cli(capsys, "unknown", "add", "4", "Nobody", "--gallery", str(made_up))
    assert code == 2 and "nobody called" in err and calls == [True, False]
