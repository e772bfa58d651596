"""Gallery integrity: locks across threads and processes, damage, foreign files, creation."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from faceapp.storage import schema
from faceapp.storage.gallery import APPLICATION_ID, SCHEMA_VERSION, GalleryError, GalleryStore

REPO = Path(__file__).resolve().parents[2]


def emb(seed: int, dim: int = 128) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=dim)


def raw(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def integrity(path: Path) -> list[tuple]:
    """``PRAGMA integrity_check`` of a file that is not in use; the error when it has one."""
    try:
        return raw(path, "PRAGMA integrity_check")
    except sqlite3.DatabaseError as exc:
        return [(str(exc),)]


def child(code: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out


class Hook:
    """An embedding whose conversion to an array runs ``hook`` first.

    The store converts embeddings inside its write transaction, so ``hook`` runs while
    the store holds the write lock, through the public API only.
    """

    def __init__(self, hook) -> None:
        self.hook = hook

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        self.hook()
        return np.ones(8, dtype or np.float64)


# -- the thread + process race ---------------------------------------------------------

TRY_TO_WRITE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    conn.execute("BEGIN IMMEDIATE")
    print("got the write lock")
    conn.execute("ROLLBACK")
except sqlite3.OperationalError as exc:
    print("locked:", exc)
"""


def test_a_read_in_another_thread_keeps_the_write_lock(tmp_path: Path) -> None:
    """While a write is in progress, a read in another thread must not let a process in.

    Closing any descriptor of the database file drops every POSIX lock the process
    holds on it; the store must open the file through SQLite only.
    """
    path = tmp_path / "gallery.db"
    store = GalleryStore(path)
    store.add_samples("Ann", [(np.ones(8), None, None)])
    seen: list[str] = []

    def in_transaction() -> None:
        reader = threading.Thread(target=lambda: seen.extend(p.name for p in store.people()))
        reader.start()
        reader.join()
        GalleryStore(path).find_person("Ann")  # a second store in this thread, too
        seen.append(finish(child(TRY_TO_WRITE, str(path))).strip())

    store.add_samples("Bob", [(Hook(in_transaction), None, None)])
    assert seen[:1] == ["Ann"]
    assert seen[-1].startswith("locked:"), seen  # the other process had to wait
    assert integrity(path) == [("ok",)]
    assert [(p.name, p.n_samples) for p in store.people()] == [("Ann", 1), ("Bob", 1)]


WRITER_PROCESS = """
import sys
import numpy as np
from faceapp.storage.gallery import GalleryStore
store = GalleryStore(sys.argv[1])
rounds, batch = int(sys.argv[2]), int(sys.argv[3])
for i in range(rounds):
    store.add_samples(
        "process",
        [(np.arange(1.0, 129.0) + i + j, bytes([i % 256]) * 8000, "p") for j in range(batch)],
    )
    for _ in range(20):
        store.revision()
"""


def test_two_threads_and_a_process_write_at_once(tmp_path: Path) -> None:
    """Big write transactions in one thread, reads and small writes in another, and a
    second process doing both: nothing lost, nothing damaged.

    Against the store that read the file header with ``open()`` this failed in 9 of 13
    runs ("disk I/O error", lost rows, "wrong # of entries in index samples_person");
    ``test_a_read_in_another_thread_keeps_the_write_lock`` shows the cause every time.
    """
    rounds, batch = 40, 40
    path = tmp_path / "gallery.db"
    store = GalleryStore(path)
    store.add_person("reader")
    proc = child(WRITER_PROCESS, str(path), str(rounds), str(batch))
    errors: list[BaseException] = []
    small_writes = [0]
    done = threading.Event()

    def big_writes() -> None:
        try:
            for i in range(rounds):
                store.add_samples(
                    "writer",
                    [(emb(1000 * i + j), bytes([i % 256]) * 8000, "t") for j in range(batch)],
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    def reads() -> None:
        try:
            i = 0
            while not done.is_set():
                i += 1
                store.revision()
                if i % 50 == 0:
                    store.add_samples("reader", [(emb(i), b"r" * 4000, "r")])
                    small_writes[0] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=big_writes), threading.Thread(target=reads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    finish(proc)
    assert errors == []
    assert integrity(path) == [("ok",)]
    counts = {p.name: p.n_samples for p in store.people()}
    assert counts == {
        "process": rounds * batch,
        "writer": rounds * batch,
        "reader": small_writes[0],
    }


CREATE_PROCESS = """
import sys
import numpy as np
from faceapp.storage.gallery import GalleryStore
GalleryStore(sys.argv[1]).add_samples(sys.argv[2], [(np.ones(8), None, None)])
"""


def test_threads_and_processes_create_one_new_gallery_together(tmp_path: Path) -> None:
    path = tmp_path / "new" / "gallery.db"
    procs = [child(CREATE_PROCESS, str(path), f"process {k}") for k in range(2)]
    errors: list[BaseException] = []

    def create(k: int) -> None:
        try:
            GalleryStore(path).add_samples(f"thread {k}", [(np.ones(8), None, None)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for proc in procs:
        finish(proc)
    assert errors == []
    names = {p.name for p in GalleryStore(path).people()}
    assert names == {"process 0", "process 1"} | {f"thread {k}" for k in range(4)}
    assert sorted(p.name for p in path.parent.iterdir()) == ["gallery.db"]  # no temp files left
    assert integrity(path) == [("ok",)]


def test_a_write_waiting_for_wipe_goes_to_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    store = GalleryStore(path)
    store.add_person("Ann")
    writer_store = GalleryStore(path)
    opened = threading.Event()
    open_existing, backup = writer_store._open_existing, store._backup

    def open_and_tell():
        conn = open_existing()
        opened.set()
        return conn

    def backup_after_the_writer_opened_the_old_file():
        writer.start()
        assert opened.wait(timeout=60)
        return backup()

    writer_store._open_existing = open_and_tell
    store._backup = backup_after_the_writer_opened_the_old_file
    errors: list[BaseException] = []

    def write() -> None:
        try:
            writer_store.add_person("Bob")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    writer = threading.Thread(target=write)
    assert store.wipe() == store.backup_path
    writer.join()
    assert errors == []
    assert [p.name for p in store.people()] == ["Bob"]  # not lost with the wiped file
    assert [p.name for p in GalleryStore(store.backup_path).people()] == ["Ann"]


# -- damage ----------------------------------------------------------------------------


def damaged_gallery(tmp_path: Path) -> Path:
    """A real gallery of 30 people, with 2 KB of noise written at offset 28672."""
    path = tmp_path / "gallery.db"
    store = GalleryStore(path)
    rng = np.random.default_rng(7)
    for k in range(30):
        store.add_samples(f"person {k}", [(emb(k), rng.bytes(1500), f"photo{k}.jpg")])
    assert path.stat().st_size > 28672 + 2048
    with open(path, "r+b") as f:  # no store is open here
        f.seek(28672)
        f.write(rng.bytes(2048))
    assert integrity(path) != [("ok",)]
    return path


def test_damage_in_the_middle_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    path = damaged_gallery(tmp_path)
    before = path.read_bytes()
    with pytest.raises(GalleryError) as info:
        GalleryStore(path)
    message = str(info.value)
    assert str(path) in message and "damaged" in message and "\n" not in message
    assert "delete it" in message  # says what to do (there is no backup yet)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gallery.db"]


def test_every_write_checks_for_damage(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    store = GalleryStore(path)  # opened while the file was still fine
    damaged = damaged_gallery(tmp_path)
    assert damaged == path
    before = path.read_bytes()
    writes = [
        lambda: store.add_samples("new", [(emb(99), None, None)]),
        lambda: store.add_person("new"),
        lambda: store.rename("person 1", "renamed"),
        lambda: store.remove_person("person 2"),
        lambda: store.remove_sample(3),
        lambda: store.wipe(),
        store.people,
    ]
    for write in writes:
        with pytest.raises(GalleryError, match="damaged"):
            write()
    assert path.read_bytes() == before
    assert not store.backup_path.exists()


def test_damage_message_names_the_backup_when_there_is_one(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    legacy_gallery(path, ["Ann"])
    GalleryStore(path).add_person("Bob")  # the migration keeps a backup
    bak = Path(f"{path}.bak")
    assert bak.is_file()
    with open(path, "r+b") as f:
        f.seek(4096)  # page 2: the first table's b-tree
        f.write(b"\xee" * 2048)
    with pytest.raises(GalleryError) as info:
        GalleryStore(path)
    assert f"restore the backup {bak}" in str(info.value)


# -- foreign files, schema 1, application id -------------------------------------------


def legacy_gallery(path: Path, names: list[str]) -> None:
    """Write a schema-1 gallery the way faceapp did before the application id."""
    conn = sqlite3.connect(path, isolation_level=None)
    schema._migrate_v1(conn)
    conn.execute("PRAGMA user_version = 1")
    for name in names:
        conn.execute("INSERT INTO people(name, created_at) VALUES (?, '2024-01-01')", (name,))
    conn.close()


def test_new_galleries_carry_the_application_id(tmp_path: Path) -> None:
    store = GalleryStore(tmp_path / "g.db")
    store.add_person("Ann")
    assert int.from_bytes(b"FACE", "big") == APPLICATION_ID
    assert raw(store.path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert store.path.read_bytes()[68:72] == b"FACE"


def test_schema_1_gallery_is_read_as_it_is_and_stamped_by_a_write(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    legacy_gallery(path, ["Ann"])
    before = path.read_bytes()
    store = GalleryStore(path)
    assert [p.name for p in store.people()] == ["Ann"]
    assert path.read_bytes() == before  # reads never write
    store.add_person("Bob")
    assert raw(path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    bak = store.backup_path  # the copy made before the migration
    assert raw(bak, "PRAGMA application_id") == [(0,)] and raw(bak, "PRAGMA user_version") == [(1,)]
    assert raw(bak, "SELECT name FROM people") == [("Ann",)]
    assert stat.S_IMODE(bak.stat().st_mode) == 0o600
    assert [p.name for p in store.people()] == ["Ann", "Bob"]


def other_programs_database(path: Path, user_version: int = 1, app_id: int = 0) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes(text) VALUES ('do not lose me')")
    conn.execute(f"PRAGMA user_version = {user_version}")
    conn.execute(f"PRAGMA application_id = {app_id}")
    conn.commit()
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize("app_id", [0, 0x4D504255])
def test_wipe_refuses_another_programs_database(tmp_path: Path, app_id: int) -> None:
    path = tmp_path / "other.db"
    content = other_programs_database(path, user_version=1, app_id=app_id)
    with pytest.raises(GalleryError, match="another program") as info:
        GalleryStore(path)
    assert str(path) in str(info.value) and "notes" in str(info.value)
    path.rename(tmp_path / "aside.db")
    store = GalleryStore(path)  # opened while there was no file yet
    (tmp_path / "aside.db").rename(path)
    with pytest.raises(GalleryError, match="another program"):
        store.wipe()
    with pytest.raises(GalleryError, match="another program"):
        store.add_person("Ann")
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_faceapp_tables_under_another_application_id_are_foreign(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    legacy_gallery(path, ["Ann"])
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 7")
    conn.close()
    with pytest.raises(GalleryError, match="0x00000007"):
        GalleryStore(path)


def test_wipe_keeps_a_private_backup_unless_told_not_to(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    store = GalleryStore(path)
    store.add_samples("Ann", [(emb(1), b"\xff\xd8ann", None)])
    bak = store.wipe()
    assert bak == store.backup_path and not path.exists()
    assert stat.S_IMODE(bak.stat().st_mode) == 0o600
    assert [p.name for p in GalleryStore(bak).people()] == ["Ann"]  # a usable copy
    store.add_person("Bob")
    assert store.wipe(backup=False) is None
    assert list(tmp_path.iterdir()) == []  # the older backup went too


# -- what the path is ------------------------------------------------------------------


def test_zero_byte_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    path.touch()
    with pytest.raises(GalleryError, match="0-byte") as info:
        GalleryStore(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert path.read_bytes() == b""
    assert list(tmp_path.iterdir()) == [path]


def test_nothing_is_created_until_a_write_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "g.db"
    store = GalleryStore(path)
    assert store.people() == [] and store.find_person("Ann") is None
    assert len(store.index()) == 0 and store.revision() == 0
    with pytest.raises(ValueError):
        store.add_samples("Ann", [(np.zeros(8), None, None)])
    with pytest.raises(KeyError):
        store.add_samples("Ann", [(np.ones(8), None, None)], create=False)
    with pytest.raises(KeyError):
        store.remove_person("Ann")
    assert store.add_samples("Ann", []) == []
    assert list(tmp_path.iterdir()) == []  # no file and no folder


@pytest.mark.parametrize("where", ["folder", "under a file", "fifo"])
def test_a_path_that_cannot_be_a_gallery(tmp_path: Path, where: str) -> None:
    if where == "folder":
        path = tmp_path
    elif where == "under a file":
        (tmp_path / "notes.txt").write_text("x")
        path = tmp_path / "notes.txt" / "sub" / "g.db"
    else:
        path = tmp_path / "pipe"
        os.mkfifo(path)
    with pytest.raises(GalleryError) as info:
        GalleryStore(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    if where == "under a file":
        assert "notes.txt is a file, not a folder" in message
        assert (tmp_path / "notes.txt").read_text() == "x"
