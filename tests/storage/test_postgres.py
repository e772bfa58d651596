"""The PostgreSQL store against a real server: the store protocol, NOTIFY, transactions, secrets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.quality import QualityFigures
from faceapp.storage.gallery import GalleryError, GalleryStore
from faceapp.storage.protocol import Store, watch_of
from faceapp.storage.watch import GalleryWatch
from tests.storage.conftest import APP_PASSWORD, APP_ROLE

REPO = Path(__file__).resolve().parents[2]
THUMB = b"\xff\xd8\xff\xe0fake-jpeg"


def vec(seed: int, dim: int = 128) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path: Path) -> Store:
    """The same tests on both stores: the SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return GalleryStore(tmp_path / "g.sqlite3")
    from faceapp.storage.postgres import PostgresStore

    return PostgresStore(request.getfixturevalue("pg_uri"))


# -- one protocol, two stores ------------------------------------------------------------


def test_enrol_list_rename_remove_on_both_stores(store: Store) -> None:
    figures = QualityFigures(146.0, 401.25, 0.1, -2.5)
    ids = store.add_samples("Ann Lee", [(vec(1), THUMB, "a.jpg", figures), (vec(2), None, None)])
    assert len(ids) == 2
    store.add_samples("bob", [(vec(3), THUMB, "b.jpg")])
    assert [(p.name, p.n_samples) for p in store.people()] == [("Ann Lee", 2), ("bob", 1)]
    ann = store.find_person("Ann Lee")
    assert ann is not None and store.find_person(ann.id) == ann
    samples = store.samples("Ann Lee")
    assert [s.id for s in samples] == ids and samples[0].quality == figures
    assert samples[0].source == "a.jpg" and samples[1].thumbnail is None
    assert store.thumbnail("Ann Lee") == THUMB
    assert store.thumbnails([ann.id, 999]) == {ann.id: THUMB}

    index = store.index()
    assert sorted(index.names) == ["Ann Lee", "bob"] and index.embeddings.shape == (3, 128)
    stamped = store.index_in_steps(rows_per_step=1)
    assert stamped.enrolled_at_of(ann.id) == ann.created_at
    np.testing.assert_array_equal(np.sort(stamped.embeddings, 0), np.sort(index.embeddings, 0))

    renamed = store.rename("Ann Lee", "Ann Smith")
    assert renamed.id == ann.id and renamed.n_samples == 2
    with pytest.raises(ValueError, match="already enrolled"):
        store.rename("bob", "Ann Smith")
    with pytest.raises(ValueError):
        store.add_samples("b\u043eb", [(vec(4), None, None)])  # a Cyrillic o: looks like "bob"
    with pytest.raises(KeyError):
        store.remove_samples([ids[0], 10_000])  # all or none
    assert store.find_person("Ann Smith").n_samples == 2
    store.remove_samples([ids[0]])
    assert store.find_person("Ann Smith").n_samples == 1
    assert store.remove_person("Ann Smith").id == ann.id
    assert [p.name for p in store.people()] == ["bob"]
    with pytest.raises(KeyError):
        store.remove_person("Ann Smith")


def test_a_failed_write_leaves_nothing_and_the_revision_follows_writes(store: Store) -> None:
    store.add_samples("Ann", [(vec(1), None, None)])
    before = store.revision()
    store.add_samples("Ann", [(vec(5), None, None)])
    assert store.revision() == before + 1
    with pytest.raises(ValueError, match="gallery uses 128"):
        store.add_samples("Cy", [(vec(2), None, None), (vec(3, dim=64), None, None)])
    assert store.find_person("Cy") is None and store.revision() == before + 1
    store.get_or_create_person("Ann")  # nothing written: the revision stays
    assert store.revision() == before + 1
    store.wipe(backup=False)
    assert store.people() == [] and store.revision() != before + 1


# -- PostgreSQL only --------------------------------------------------------------------


def test_notify_reaches_another_connections_watch(pg_uri: str) -> None:
    from faceapp.storage.postgres import PostgresStore, PostgresWatch

    desk_a, desk_b = PostgresStore(pg_uri), PostgresStore(pg_uri)
    watch = watch_of(desk_b)
    assert isinstance(watch, PostgresWatch)
    assert watch.poll() is False  # the first poll starts listening
    assert watch.poll() is False  # nothing written yet
    for write in (
        lambda: desk_a.add_samples("Ann", [(vec(1), None, None)]),
        lambda: desk_a.rename("Ann", "Anne"),
        lambda: desk_a.remove_person("Anne"),
        lambda: desk_a.wipe(),
    ):
        write()
        deadline = time.monotonic() + 2.0  # the goal: seen on another desk within 2 s
        while not watch.poll():
            assert time.monotonic() < deadline, "no notification within 2 s"
            time.sleep(0.01)
        assert watch.poll() is False  # taken once
    watch.close()


def test_a_gallery_file_still_gets_the_file_watch(tmp_path: Path) -> None:
    assert isinstance(watch_of(GalleryStore(tmp_path / "g.sqlite3")), GalleryWatch)


CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import faceapp.storage.postgres as pg

    real = pg.sample_values
    calls = []

    def slow(item):
        calls.append(item)
        return real(item)

    pg.sample_values = slow
    store = pg.PostgresStore(sys.argv[1])
    original = store._get_or_create

    def paused(conn, clean):
        person = original(conn, clean)  # the person row is written, not committed
        print("inside", flush=True)
        time.sleep(600)
        return person

    store._get_or_create = paused
    store.add_samples("Half Person", [(np.ones(128, np.float32), None, None)])
    """
)


def test_a_client_killed_mid_enrolment_leaves_no_half_person(pg_uri: str) -> None:
    from faceapp.storage.postgres import PostgresStore

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, pg_uri],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "inside"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    store = PostgresStore(pg_uri)
    # The server rolled the transaction back: nobody, and the name is free again.
    assert store.people() == []
    store.add_samples("Half Person", [(vec(1), None, None)])
    assert [p.n_samples for p in store.people()] == [1]


def test_export_from_postgres_imports_into_sqlite_exactly(pg_uri: str, tmp_path: Path) -> None:
    import cv2

    from faceapp.storage.archive import export_gallery, import_archive, read_archive
    from faceapp.storage.postgres import PostgresStore

    pixels = np.random.default_rng(0).integers(0, 255, (40, 40, 3), np.uint8)
    thumb = cv2.imencode(".jpg", pixels)[1].tobytes()
    pg = PostgresStore(pg_uri)
    figures = QualityFigures(120.0, 33.5, 0.25, 1.0)
    pg.add_samples("Ann", [(vec(1), thumb, "a.jpg", figures), (vec(2), None, None)])
    pg.add_samples("Zoë", [(vec(3), thumb, "z.jpg")])
    out = tmp_path / "g.faceapp"
    export_gallery(pg, out, "0" * 64)
    sqlite = GalleryStore(tmp_path / "copy.sqlite3")
    import_archive(sqlite, read_archive(out, "0" * 64))

    def content(store: Store) -> list[tuple]:
        return [
            (
                p.name,
                p.created_at,
                [
                    (s.embedding.tobytes(), s.thumbnail, s.source, s.created_at, s.quality)
                    for s in store.samples(p.name)
                ],
            )
            for p in store.people()
        ]

    assert content(sqlite) == content(pg) and len(content(pg)) == 2


# -- secrets ------------------------------------------------------------------------------


def test_redact_location_hides_every_form_of_password() -> None:
    from faceapp.storage.postgres import is_database_location, redact_location

    cases = {
        "postgresql://ann:pa:ss@db.example/gal?sslmode=verify-full": "pa:ss",
        "postgres://ann@db/gal?password=pa55&sslmode=require": "pa55",
        "service=desk password=pa55": "pa55",
        "service=desk password='p a s s'": "p a s s",
    }
    for location, secret in cases.items():
        assert is_database_location(location)
        shown = redact_location(location)
        assert secret not in shown and "***" in shown, shown
    assert redact_location("postgresql://ann@db/gal") == "postgresql://ann@db/gal"
    assert not is_database_location("/home/ann/gallery.sqlite3")
    assert not is_database_location("postgresql:/folded")


def test_a_wrong_password_is_never_in_the_message(pg_server) -> None:
    from faceapp.storage.postgres import PostgresStore

    uri = pg_server.new_database()
    wrong = uri.replace(f"{APP_ROLE}@", f"{APP_ROLE}:Wr0ng-Secret@")
    with pytest.raises(GalleryError) as caught:
        PostgresStore(wrong)
    text = str(caught.value)
    assert "Wr0ng-Secret" not in text and "cannot connect" in text and "***" in text
    right = uri.replace(f"{APP_ROLE}@", f"{APP_ROLE}:{APP_PASSWORD}@")
    store = PostgresStore(right)
    assert APP_PASSWORD not in str(store.path) and APP_PASSWORD not in repr(store.path)


def test_a_window_queue_on_postgres_reads_again_after_another_desks_write(pg_uri: str) -> None:
    from faceapp.session.gallery import GalleryCallbacks, GalleryQueue
    from faceapp.storage.postgres import PostgresStore
    from tests.session.helpers import Calls

    window, desk = PostgresStore(pg_uri), PostgresStore(pg_uri)
    window.add_samples("Ann", [(vec(1), None, None)])
    calls = Calls()
    queue = GalleryQueue(
        window,
        GalleryCallbacks(**{n: calls.recorder(n) for n in GalleryCallbacks.__dataclass_fields__}),
        poll_s=0.05,
    )
    queue.reload()
    queue.start_thread("gallery-test")
    try:
        calls.wait_for("index_ready")
        desk.add_samples("Fay", [(vec(2), None, "other desk")])
        calls.wait_for("index_ready", 2)
    finally:
        queue.stop()
    assert [p.name for p in calls.of("people_loaded")[-1][0].people] == ["Ann", "Fay"]
    assert sorted(calls.of("index_ready")[-1][0].names) == ["Ann", "Fay"]


def test_a_file_exported_and_imported_into_postgres_round_trips(
    pg_uri: str, tmp_path: Path
) -> None:
    from faceapp.storage.archive import export_gallery, import_archive, read_archive
    from faceapp.storage.postgres import PostgresStore

    sqlite = GalleryStore(tmp_path / "g.sqlite3")
    sqlite.add_samples("Ann", [(vec(1), None, "a.jpg", QualityFigures(90.0, 12.0, 0.5, 3.0))])
    sqlite.add_samples("Bo", [(vec(2), None, None), (vec(3), None, "b.jpg")])
    out = tmp_path / "g.faceapp"
    export_gallery(sqlite, out, "0" * 64)
    pg = PostgresStore(pg_uri)
    watch = pg.watch()
    watch.poll()
    summary = import_archive(pg, read_archive(out, "0" * 64))
    assert summary.added == ("Ann", "Bo")
    for person in sqlite.people():
        mine = [
            (s.embedding.tobytes(), s.source, s.created_at, s.quality)
            for s in sqlite.samples(person.name)
        ]
        theirs = [
            (s.embedding.tobytes(), s.source, s.created_at, s.quality)
            for s in pg.samples(person.name)
        ]
        assert mine == theirs
        assert pg.find_person(person.name).created_at == person.created_at
    deadline = time.monotonic() + 2.0
    while not watch.poll():  # the import was announced like any write
        assert time.monotonic() < deadline
        time.sleep(0.01)
    from faceapp.storage.history import History

    assert History(pg).events() == []  # the database keeps a history (empty so far)


def _least_privileges_sql() -> str:
    """Return the SQL block of docs/shared-gallery.md granting the desks' role what it needs."""
    text = (REPO / "docs" / "shared-gallery.md").read_text(encoding="utf-8")
    start = text.index("-- least privileges of the desks' role")
    return text[start : text.index("```", start)]


def test_the_documented_least_privileges_are_enough_and_no_more(pg_server, tmp_path) -> None:
    import psycopg

    from faceapp.storage.postgres import PostgresStore

    owner_uri = pg_server.new_database()  # owned by the app's role, which migrates
    dbname = owner_uri.rsplit("/", 1)[1]
    desk, password = f"desk_{dbname}", "desk-Pa55"
    with pg_server.admin() as admin:
        admin.execute(f"CREATE ROLE {desk} LOGIN PASSWORD '{password}'")
    with psycopg.connect(
        host=str(pg_server.socket_dir), port=pg_server.port, user="pgadmin", dbname=dbname,
        autocommit=True,
    ) as db:  # fmt: skip
        db.execute(f"CREATE SCHEMA gallery AUTHORIZATION {APP_ROLE}")
        db.execute(f"ALTER ROLE {APP_ROLE} IN DATABASE {dbname} SET search_path = gallery")
        db.execute(f"ALTER ROLE {desk} IN DATABASE {dbname} SET search_path = gallery")
    PostgresStore(owner_uri).add_samples("Ann", [(vec(1), THUMB, "a.jpg")])  # creates tables
    with psycopg.connect(
        host=str(pg_server.socket_dir), port=pg_server.port, user=APP_ROLE, dbname=dbname,
        autocommit=True,
    ) as db:  # fmt: skip
        sql = _least_privileges_sql().replace("faceapp_desk", desk)
        db.execute(sql.replace("DATABASE faceapp", f"DATABASE {dbname}"))

    store = PostgresStore(owner_uri.replace(f"{APP_ROLE}@", f"{desk}:{password}@"))
    watch = store.watch()
    watch.poll()
    store.add_samples("Bo", [(vec(2), THUMB, "b.jpg")])
    store.rename("Bo", "Bob")
    ann = store.find_person("Ann")
    store.remove_samples([s.id for s in store.samples("Bob")])
    store.remove_negative(store.add_negative("Bob", vec(3)))  # "not X" corrections
    store.add_negative("Bob", vec(4))
    since = store.revision()
    store.remove_person("Bob")
    assert store.changes_since(since) == (store.revision(), frozenset({ann.id + 1}))
    assert [p.name for p in store.people()] == ["Ann"] and store.index().names == ("Ann",)
    assert store.thumbnails([ann.id]) == {ann.id: THUMB}
    from datetime import datetime, timezone

    from faceapp.storage.history import History, NewEvent

    history = History(store, desk="door")  # the desks' role records and reads history
    seen = NewEvent("recognition", "unknown", None, None, 1.07, embedding=vec(5))
    at = datetime.now(timezone.utc)
    assert history.record([seen], now=at) == 1
    [face] = history.unknown_faces()
    assert history.new_face_group([face.event_id]) == 1
    assert history.forget_faces([face.event_id]) == 1
    assert [e.desk for e in history.events()] == ["door"]
    with pytest.raises(GalleryError, match="permission denied for table meta"):
        history.configure(enabled=False)  # the settings are the owner's
    store.wipe()
    assert store.people() == []
    deadline = time.monotonic() + 2.0
    while not watch.poll():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with pytest.raises(GalleryError, match="permission denied for schema gallery"):
        store.write_transaction(lambda conn: conn.execute("CREATE TABLE other(x integer)"))


def test_a_dropped_connection_fails_one_call_cleanly_then_reconnects(pg_server, pg_uri) -> None:
    from faceapp.storage.postgres import PostgresStore

    store = PostgresStore(pg_uri)
    store.add_samples("Ann", [(vec(1), None, None)])
    watch = store.watch()
    watch.poll()
    with pg_server.admin() as admin:  # the server ends every session of the database
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (pg_uri.rsplit("/", 1)[1],),
        )
    with pytest.raises(GalleryError, match="offline.*nothing was written"):
        store.add_samples("Bo", [(vec(2), None, None)])
    assert [p.name for p in store.people()] == ["Ann"]  # connected again; nothing half written
    assert watch.poll() is True  # the watch lost its session: a change of unknown kind
    assert watch.poll() is True  # and it listens again (what was missed is unknown)
    store.add_samples("Bo", [(vec(2), None, None)])
    deadline = time.monotonic() + 2.0
    while not watch.poll():
        assert time.monotonic() < deadline
        time.sleep(0.01)
