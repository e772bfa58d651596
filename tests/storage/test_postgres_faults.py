"""Faults on a shared gallery: the server or the client killed mid-import and mid-enrolment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from faceapp.storage.gallery import GalleryError, GalleryStore
from tests.storage.conftest import APP_PASSWORD, APP_ROLE

REPO = Path(__file__).resolve().parents[2]
KEY = "0" * 64
#: People in the archive: enough that an import lasts long enough to be interrupted.
MANY = 3000


def vec(seed: int, dim: int = 128) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory) -> Path:
    """An archive of :data:`MANY` people, one sample each."""
    from faceapp.storage.archive import export_gallery

    folder = tmp_path_factory.mktemp("archive")
    store = GalleryStore(folder / "g.sqlite3")
    rng = np.random.default_rng(0)
    store.write_transaction(
        lambda conn: conn.executemany(
            "INSERT INTO people(id, name, created_at) VALUES (?, ?, '2026-01-01T00:00:00+00:00')",
            [(i + 1, f"Person {i:05d}") for i in range(MANY)],
        )
    )
    store.write_transaction(
        lambda conn: conn.executemany(
            "INSERT INTO samples(person_id, embedding, dim) VALUES (?, ?, 128)",
            [(i + 1, unit(rng.normal(size=128)).tobytes()) for i in range(MANY)],
        )
    )
    out = folder / "many.faceapp"
    export_gallery(store, out, KEY)
    return out


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype("<f4")


def with_password(uri: str) -> str:
    return uri.replace(f"{APP_ROLE}@", f"{APP_ROLE}:{APP_PASSWORD}@")


def wait_for_a_writer(pg_server, dbname: str) -> None:
    """Wait until a faceapp session of ``dbname`` holds the write lock in an open transaction."""
    deadline = time.monotonic() + 60
    with pg_server.admin() as admin:
        while time.monotonic() < deadline:
            row = admin.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = %s"
                " AND a.application_name = 'faceapp'",
                (dbname,),
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(0.002)
    raise AssertionError("no write transaction seen")


def people_count(pg_server, dbname: str) -> int:
    import psycopg

    with psycopg.connect(
        host=str(pg_server.socket_dir), port=pg_server.port, user="pgadmin", dbname=dbname
    ) as conn:
        return int(conn.execute("SELECT count(*) FROM people").fetchone()[0])


def assert_one_clear_line(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert APP_PASSWORD not in message and "offline" in message
    assert "nothing was written" in message


def test_the_server_killed_mid_import_leaves_nobody_and_the_store_reconnects(
    pg_server, pg_uri, big_archive
) -> None:
    from faceapp.storage.archive import import_archive, read_archive
    from faceapp.storage.postgres import PostgresStore

    dbname = pg_uri.rsplit("/", 1)[1]
    store = PostgresStore(with_password(pg_uri))
    archive = read_archive(big_archive, KEY)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            import_archive(store, archive)
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        wait_for_a_writer(pg_server, dbname)
        pg_server.stop_immediate()
        worker.join(60)
    finally:
        pg_server.start()
    assert len(failure) == 1 and isinstance(failure[0], GalleryError), failure
    assert_one_clear_line(str(failure[0]))
    assert people_count(pg_server, dbname) == 0  # no half import: nobody
    assert store.people() == []  # the same store connected again by itself
    store.add_samples("After", [(vec(1), None, None)])
    assert [p.name for p in store.people()] == ["After"]


def test_the_server_killed_mid_enrolment_leaves_no_half_person(
    pg_server, pg_uri, monkeypatch
) -> None:
    import faceapp.storage.postgres as postgres

    dbname = pg_uri.rsplit("/", 1)[1]
    store = postgres.PostgresStore(with_password(pg_uri))
    inside, release = threading.Event(), threading.Event()
    stamp = postgres.utc_now_text

    def slow_stamp() -> str:  # called inside the enrolment's transaction
        inside.set()
        release.wait(30)
        return stamp()

    monkeypatch.setattr(postgres, "utc_now_text", slow_stamp)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            store.add_samples("Half", [(vec(1), None, None), (vec(2), None, None)])
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert inside.wait(30)
        pg_server.stop_immediate()
        release.set()
        worker.join(60)
    finally:
        release.set()
        pg_server.start()
    monkeypatch.setattr(postgres, "utc_now_text", stamp)
    assert len(failure) == 1 and isinstance(failure[0], GalleryError), failure
    assert_one_clear_line(str(failure[0]))
    assert people_count(pg_server, dbname) == 0
    store.add_samples("Half", [(vec(1), None, None)])  # reconnected; the name is free
    assert [(p.name, p.n_samples) for p in store.people()] == [("Half", 1)]


IMPORTER = textwrap.dedent(
    """
    import sys
    from faceapp.storage.archive import import_archive, read_archive
    from faceapp.storage.postgres import PostgresStore

    store = PostgresStore(sys.argv[1])
    archive = read_archive(sys.argv[2], "0" * 64)
    print("importing", flush=True)
    import_archive(store, archive)
    print("done", flush=True)
    """
)


def test_a_client_killed_mid_import_leaves_nobody(pg_server, pg_uri, big_archive) -> None:
    from faceapp.storage.postgres import PostgresStore

    dbname = pg_uri.rsplit("/", 1)[1]
    child = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, pg_uri, str(big_archive)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "importing"
        wait_for_a_writer(pg_server, dbname)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    store = PostgresStore(pg_uri)
    assert store.people() == []  # the server rolled the import back
    with pg_server.admin() as admin:  # once the killed session is gone, its lock is free
        deadline = time.monotonic() + 30
        while admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
            " AND application_name = 'faceapp' AND state <> 'idle'",
            (dbname,),
        ).fetchone()[0]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    store.add_samples("Person 00001", [(vec(1), None, None)])
    assert len(store.people()) == 1
