"""History in a shared PostgreSQL gallery: events from several desks, each with its desk."""

from __future__ import annotations

import csv
import io
import json
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from faceapp.cli import run
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import History, NewEvent
from tests.storage.conftest import APP_PASSWORD, APP_ROLE


def vec(seed: int, dim: int = 128) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def named(person, at: datetime, source: str) -> NewEvent:
    return NewEvent(
        "recognition", "named", person.id, 0.5, 1.07, source=source, at=at,
        person_since=person.created_at,
    )  # fmt: skip


def test_two_desks_record_and_one_history_lists_both_with_their_desk(capsys, pg_server) -> None:
    from faceapp.storage.postgres import PostgresStore

    uri = pg_server.new_database()
    entrance, lab = PostgresStore(uri), PostgresStore(uri)  # two desks, two connections
    entrance.add_samples("Ann", [(vec(1), None, None)])
    ann = lab.find_person("Ann")
    t0 = datetime.now(timezone.utc) - timedelta(minutes=5)
    assert History(entrance, desk="entrance").record([named(ann, t0, "door.mp4")]) == 1
    unknown = NewEvent(
        "recognition", "unknown", None, None, 1.07, at=t0 + timedelta(seconds=1),
        embedding=vec(9),
    )  # fmt: skip
    later = named(ann, t0 + timedelta(seconds=2), "cam")
    assert History(lab, desk="lab").record([later, unknown]) == 2
    revision = entrance.revision()

    third = History(PostgresStore(uri))  # a third desk reads everything
    events = third.events()
    assert [(e.desk, e.decision, e.name) for e in events] == [
        ("entrance", "named", "Ann"),
        ("lab", "unknown", None),
        ("lab", "named", "Ann"),
    ]
    assert [e.desk for e in third.events(desk="lab")] == ["lab", "lab"]
    assert len(third.unknown_faces()) == 1
    assert entrance.revision() == revision  # history writes are not people changes

    # The command line: every desk, one desk, JSON and CSV; the password never shown.
    with_password = uri.replace(f"{APP_ROLE}@", f"{APP_ROLE}:{APP_PASSWORD}@")
    g = ("--gallery", with_password)
    assert run(["history", *g, "--json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out.strip().splitlines()[-1])
    assert [e["desk"] for e in doc["events"]] == ["entrance", "lab", "lab"]
    assert run(["history", *g, "--desk", "entrance"]) == 0
    out2, err2 = capsys.readouterr()
    assert "1 shown" in out2 and "entrance" in out2
    assert run(["history", *g, "--csv", "-"]) == 0
    out3, err3 = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out3)))
    assert [r["desk"] for r in rows] == ["entrance", "lab", "lab"]
    assert APP_PASSWORD not in out + err + out2 + err2 + out3 + err3


def test_the_desk_defaults_to_the_host_name_and_settings_live_in_the_database(
    pg_uri: str,
) -> None:
    from faceapp.storage.postgres import PostgresStore

    store = PostgresStore(pg_uri)
    history = History(store)
    assert history.desk == socket.gethostname()
    assert history.configure(retention_days=7).retention_days == 7
    assert History(PostgresStore(pg_uri)).settings().retention_days == 7
    person = store.add_person("Bo")
    history.record([named(person, datetime.now(timezone.utc), "x")])
    assert [e.desk for e in History(PostgresStore(pg_uri)).events()] == [socket.gethostname()]
    assert history.clear() == 1 and history.events() == []


def test_a_gallery_file_keeps_no_desk_and_says_so(tmp_path: Path, capsys) -> None:
    store = GalleryStore(tmp_path / "g.sqlite3")
    person = store.add_person("Ann")
    History(store).record([named(person, datetime.now(timezone.utc), "x")])
    assert [e.desk for e in History(store).events()] == [None]
    with pytest.raises(ValueError, match="shared gallery"):
        History(store).events(desk="lab")
    code = run(["history", "--gallery", str(tmp_path / "g.sqlite3"), "--desk", "lab"])
    _, err = capsys.readouterr()
    assert code != 0 and "Traceback" not in err and "shared gallery" in err
