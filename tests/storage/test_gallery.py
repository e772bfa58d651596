"""Tests for the gallery stores (no Qt): the SQLite file, and PostgreSQL where it applies."""

from __future__ import annotations

import ast
import json
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.matching import identify
from faceapp.storage import gallery
from faceapp.storage.gallery import SCHEMA_VERSION, GalleryError, GalleryStore

from .helpers import emb, raw

JPEG = b"\xff\xd8\xff\xe0fake-jpeg"


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return v / np.linalg.norm(v)


def run_child(code: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> GalleryStore:
    """The same tests on both stores: the SQLite file and a fresh PostgreSQL database.

    Tests of the file itself (its bytes, its journal, other processes opening it) ask for
    ``file_store``.
    """
    if request.param == "sqlite":
        return GalleryStore(tmp_path / "gallery.db")
    from faceapp.storage.postgres import PostgresStore

    return PostgresStore(request.getfixturevalue("pg_uri"))  # type: ignore[return-value]


@pytest.fixture
def file_store(tmp_path: Path) -> GalleryStore:
    return GalleryStore(tmp_path / "gallery.db")


def test_creates_parent_dirs_and_schema_on_first_write(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "gallery.db"
    s = GalleryStore(str(path))
    assert s.path == path
    assert s.people() == [] and len(s.index()) == 0 and s.revision() == 0
    assert list(tmp_path.iterdir()) == []  # reading creates nothing
    s.add_person("Ann")
    assert path.is_file()
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "PRAGMA application_id") == [(gallery.APPLICATION_ID,)]
    tables = {r[0] for r in raw(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"people", "samples", "meta"} <= tables
    assert [p.name for p in s.people()] == ["Ann"]


def test_embedding_round_trip_exact_and_normalised(file_store: GalleryStore) -> None:
    (sid,) = file_store.add_samples("Ann", [(np.full(4, 2.0), None, None)])
    expected = np.full(4, 0.5, "<f4").tobytes()
    assert raw(file_store.path, "SELECT embedding, dim FROM samples WHERE id=?", (sid,)) == [
        (expected, 4)
    ]
    (sample,) = file_store.samples("Ann")
    assert sample.embedding.tobytes() == expected and sample.dim == 4


def test_random_embedding_round_trip(file_store: GalleryStore) -> None:
    v = emb(1).astype(np.float64) * 37.0
    file_store.add_samples("Ann", [(v, None, None)])
    (sample,) = file_store.samples("Ann")
    (blob,) = raw(file_store.path, "SELECT embedding FROM samples")[0]
    assert len(blob) == 4 * 128 and sample.embedding.tobytes() == blob
    assert sample.embedding.dtype == np.float32 and sample.embedding.shape == (128,)
    assert not sample.embedding.flags.writeable
    np.testing.assert_allclose(sample.embedding, unit(v), atol=1e-6)
    assert abs(np.linalg.norm(sample.embedding) - 1.0) < 1e-6


def test_unicode_names_and_sorting(file_store: GalleryStore) -> None:
    for name in ["Zoë Ångström", "王菲", "  bob  ", "Alice"]:
        file_store.add_person(name)
    assert [p.name for p in file_store.people()] == ["Alice", "bob", "Zoë Ångström", "王菲"]
    assert file_store.find_person("王菲").name == "王菲"
    assert file_store.find_person(unicodedata.normalize("NFD", "Zoë Ångström")) is not None
    assert file_store.find_person("Bob") is None  # exact, case-sensitive
    other = GalleryStore(file_store.path)
    assert {p.name for p in other.people()} == {"Alice", "bob", "Zoë Ångström", "王菲"}


@pytest.mark.parametrize("bad", ["", "   ", "x" * 101, "a\nb"])
def test_invalid_names_rejected(store: GalleryStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.add_person(bad)
    assert store.people() == []


def test_name_length_limit_and_type(store: GalleryStore) -> None:
    assert store.add_person("x" * 100).name == "x" * 100
    with pytest.raises(TypeError):
        store.add_person(5)  # type: ignore[arg-type]


def test_duplicate_name(store: GalleryStore) -> None:
    ann = store.add_person("Ann")
    with pytest.raises(ValueError, match="already"):
        store.add_person(" Ann ")
    rev = store.revision()
    assert store.get_or_create_person("Ann") == ann
    assert store.revision() == rev
    assert store.get_or_create_person("ann").id != ann.id  # case-sensitive uniqueness


def test_rename(store: GalleryStore) -> None:
    store.add_samples("Ann", [(emb(1), JPEG, "cam")])
    bob = store.add_person("Bob")
    renamed = store.rename("Ann", "Anna Ö")
    assert renamed.name == "Anna Ö" and renamed.n_samples == 1
    assert store.find_person("Ann") is None
    assert store.rename(renamed.id, "Anne").id == renamed.id
    with pytest.raises(ValueError):
        store.rename("Anne", "Bob")
    with pytest.raises(KeyError):
        store.rename("Nobody", "X")
    assert store.find_person(bob.id).name == "Bob"
    assert [p.name for p in store.people()] == ["Anne", "Bob"]


def test_remove_person_takes_samples(file_store: GalleryStore) -> None:
    file_store.add_samples("Ann", [(emb(1), JPEG, None), (emb(2), None, None)])
    file_store.add_samples("Bob", [(emb(3), None, None)])
    file_store.remove_person("Ann")
    assert [p.name for p in file_store.people()] == ["Bob"]
    assert raw(file_store.path, "SELECT count(*) FROM samples") == [(1,)]
    with pytest.raises(KeyError):
        file_store.remove_person("Ann")
    file_store.remove_person(file_store.find_person("Bob").id)
    assert raw(file_store.path, "SELECT count(*) FROM samples") == [(0,)]


def test_remove_sample_keeps_person(store: GalleryStore) -> None:
    first, second = store.add_samples("Ann", [(emb(1), None, None), (emb(2), None, None)])
    store.remove_sample(first)
    assert [s.id for s in store.samples("Ann")] == [second]
    store.remove_sample(second)
    assert store.find_person("Ann").n_samples == 0
    assert store.samples("Ann") == [] and len(store.index()) == 0
    with pytest.raises(KeyError):
        store.remove_sample(second)


def test_remove_samples_removes_exactly_those_in_one_write(store: GalleryStore) -> None:
    ann = store.add_samples("Ann", [(emb(i), None, f"a{i}") for i in range(4)])
    bob = store.add_samples("Bob", [(emb(9), None, "b")])
    revision = store.revision()
    store.remove_samples([ann[0], ann[2], ann[2]])
    assert [s.id for s in store.samples("Ann")] == [ann[1], ann[3]]
    assert [s.id for s in store.samples("Bob")] == bob
    assert store.revision() == revision + 1  # one transaction
    store.remove_samples([])
    assert store.revision() == revision + 1


def test_remove_samples_is_all_or_nothing(store: GalleryStore) -> None:
    ann = store.add_samples("Ann", [(emb(1), None, None), (emb(2), None, None)])
    with pytest.raises(KeyError, match=f"no sample with id {ann[1] + 100}"):
        store.remove_samples([ann[0], ann[1] + 100])
    assert [s.id for s in store.samples("Ann")] == ann
    many = store.add_samples("Bob", [(emb(i), None, None) for i in range(1200)])
    with pytest.raises(KeyError):  # the missing id is in the last of several statements
        store.remove_samples([*many, max(many) + 1])
    assert len(store.samples("Bob")) == 1200
    store.remove_samples(many)
    assert store.find_person("Bob").n_samples == 0


def test_index_contents(store: GalleryStore) -> None:
    store.add_samples("Ann", [(emb(1), None, None), (emb(2), None, None)])
    store.add_samples("Bob", [(emb(3), None, None)])
    store.add_person("Empty")
    idx = store.index()
    ann, bob = store.find_person("Ann"), store.find_person("Bob")
    assert idx.names == ("Ann", "Bob") and idx.person_ids == (ann.id, bob.id)
    assert idx.embeddings.shape == (3, 128) and idx.owners.tolist() == [0, 0, 1]
    np.testing.assert_allclose(idx.embeddings[2], unit(emb(3)), atol=1e-6)
    with pytest.raises(ValueError):
        idx.embeddings[0, 0] = 1.0
    with pytest.raises(ValueError):
        idx.owners[0] = 1
    assert identify(unit(emb(3)), idx)[0].name == "Bob"
    store.remove_person("Bob")
    assert idx.names == ("Ann", "Bob")  # a snapshot does not follow writes
    assert store.index().names == ("Ann",)


@pytest.mark.parametrize(
    "bad",
    [
        np.array([1.0, np.nan] * 64),
        np.array([np.inf] + [0.0] * 127),
        np.zeros(128),
        np.ones((2, 64)),
        np.arange(128),  # integers are not embeddings
        np.ones(64),  # differs from the first item's dimension
    ],
    ids=["nan", "inf", "zero", "2d", "int", "dim"],
)
def test_add_samples_writes_nothing_on_failure(file_store: GalleryStore, bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        file_store.add_samples(
            "New", [(emb(1), JPEG, "ok"), (bad, None, None), (emb(2), None, None)]
        )
    assert file_store.people() == [] and file_store.revision() == 0
    assert list(file_store.path.parent.iterdir()) == []  # not even the file was created
    file_store.add_person("Old")
    rev = file_store.revision()
    with pytest.raises(ValueError):
        file_store.add_samples(
            "New", [(emb(1), JPEG, "ok"), (bad, None, None), (emb(2), None, None)]
        )
    assert [p.name for p in file_store.people()] == ["Old"] and file_store.revision() == rev
    assert raw(file_store.path, "SELECT count(*) FROM samples") == [(0,)]


@pytest.mark.parametrize("bad", [np.array([1.0, np.nan] * 64), np.ones(64)], ids=["nan", "dim"])
def test_a_refused_add_changes_nothing_on_either_store(
    store: GalleryStore, bad: np.ndarray
) -> None:
    store.add_samples("Old", [(emb(3), None, None)])
    rev = store.revision()
    with pytest.raises(ValueError):
        store.add_samples("New", [(emb(1), JPEG, "ok"), (bad, None, None), (emb(2), None, None)])
    assert [p.name for p in store.people()] == ["Old"] and store.revision() == rev
    assert len(store.index()) == 1 and store.find_person("New") is None


def test_add_samples_dimension_must_match_gallery(store: GalleryStore) -> None:
    store.add_samples("Ann", [(emb(1), None, None)])
    with pytest.raises(ValueError, match="128"):
        store.add_samples("Bob", [(emb(2, dim=64), None, None)])
    assert store.find_person("Bob") is None


def test_add_samples_create_false(store: GalleryStore) -> None:
    with pytest.raises(KeyError):
        store.add_samples("Ann", [(emb(1), None, None)], create=False)
    assert store.people() == []
    store.add_person("Ann")
    assert len(store.add_samples("Ann", [(emb(1), None, None)], create=False)) == 1
    assert store.add_samples("Ann", []) == []


def test_bad_thumbnail_type_writes_nothing(store: GalleryStore) -> None:
    with pytest.raises(TypeError):
        store.add_samples("Ann", [(emb(1), None, None), (emb(2), "not bytes", None)])
    assert store.people() == []


def test_samples_and_thumbnail(store: GalleryStore) -> None:
    a, _, c = store.add_samples(
        "Ann", [(emb(1), JPEG + b"a", "f1.jpg"), (emb(2), None, None), (emb(3), JPEG + b"c", None)]
    )
    samples = store.samples("Ann")
    assert [s.id for s in samples] == sorted(s.id for s in samples)
    assert samples[0].source == "f1.jpg" and samples[0].thumbnail == JPEG + b"a"
    assert samples[1].thumbnail is None and samples[0].dim == 128
    assert store.thumbnail("Ann") == JPEG + b"c"
    store.remove_sample(c)
    assert store.thumbnail("Ann") == JPEG + b"a"
    store.remove_sample(a)
    assert store.thumbnail("Ann") is None
    with pytest.raises(KeyError):
        store.thumbnail("Nobody")
    with pytest.raises(KeyError):
        store.samples("Nobody")


def test_garbage_file_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    content = b"this is not a database\n" * 200
    path.write_bytes(content)
    with pytest.raises(GalleryError, match="not a SQLite database") as info:
        GalleryStore(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gallery.db"]


def test_foreign_sqlite_database_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices(id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    content = path.read_bytes()
    with pytest.raises(GalleryError, match="invoices") as info:
        GalleryStore(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == content


def test_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    store = GalleryStore(path)
    store.add_person("Ann")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    content = path.read_bytes()
    with pytest.raises(GalleryError, match="newer") as info:
        GalleryStore(path)
    assert str(path) in str(info.value)
    with pytest.raises(GalleryError):
        store.people()
    with pytest.raises(GalleryError):
        store.wipe()
    assert path.read_bytes() == content


def test_damaged_embedding_detected(file_store: GalleryStore) -> None:
    file_store.add_samples("Ann", [(emb(1), None, None)])
    conn = sqlite3.connect(file_store.path)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute("UPDATE samples SET dim = 127")
    conn.commit()
    conn.close()
    with pytest.raises(GalleryError, match="damaged"):
        file_store.index()
    with pytest.raises(GalleryError, match="damaged"):
        file_store.samples("Ann")


def test_wipe_removes_every_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "gallery.db"
    store = GalleryStore(path)
    store.add_person("Bob")
    # A reader in WAL mode keeps the -wal and -shm files (holding sample data) alive.
    reader = sqlite3.connect(path)
    reader.execute("PRAGMA journal_mode = WAL")
    reader.execute("SELECT count(*) FROM people").fetchall()
    store.add_samples("Ann", [(emb(1), JPEG, None)])
    assert Path(f"{path}-wal").stat().st_size > 0 and Path(f"{path}-shm").exists()
    rev = store.revision()
    assert store.wipe(backup=False) is None
    reader.close()
    assert list(path.parent.iterdir()) == []
    assert store.people() == [] and store.revision() == 0  # usable again, empty
    store.add_person("Ann")
    assert store.revision() > rev  # a new file does not repeat an old revision


def test_wipe_refuses_a_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    store = GalleryStore(path)
    path.write_bytes(b"garbage" * 100)
    with pytest.raises(GalleryError):
        store.wipe()
    assert path.read_bytes() == b"garbage" * 100


def test_revision_changes_on_every_write(store: GalleryStore) -> None:
    seen = [store.revision()]

    def changed() -> bool:
        seen.append(store.revision())
        return seen[-1] != seen[-2]

    ann = store.add_person("Ann")
    assert changed()
    (sid,) = store.add_samples("Ann", [(emb(1), None, None)])
    assert changed()
    store.rename(ann.id, "Anne")
    assert changed()
    store.remove_sample(sid)
    assert changed()
    store.remove_person("Anne")
    assert changed()
    store.people(), store.index(), store.find_person("x")
    assert not changed()
    with pytest.raises(KeyError):
        store.remove_person("Anne")
    assert not changed()
    assert seen == sorted(seen)


def test_write_waits_for_another_writer(file_store: GalleryStore) -> None:
    file_store.add_person("Ann")
    blocker = sqlite3.connect(file_store.path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, blocker.execute, ("COMMIT",))
    timer.start()
    try:
        start = time.monotonic()
        assert file_store.rename("Ann", "Anne").name == "Anne"  # reads, then writes
        assert time.monotonic() - start >= 0.25
    finally:
        timer.join()
        blocker.close()


CHILD_WRITE = """
import json, sys
import numpy as np
from faceapp.storage.gallery import GalleryStore
file_store = GalleryStore(sys.argv[1])
v = np.arange(1, 129, dtype=np.float64)
ids = file_store.add_samples("王菲", [(v, b"\\xff\\xd8child", "child")])
print(json.dumps(ids))
"""

CHILD_READ = """
import json, sys
from faceapp.storage.gallery import GalleryStore
file_store = GalleryStore(sys.argv[1])
out = {}
for p in file_store.people():
    out[p.name] = [[s.id, s.embedding.tobytes().hex(), s.source, (s.thumbnail or b"").hex()]
                   for s in file_store.samples(p.id)]
print(json.dumps({"people": out, "revision": file_store.revision()}))
"""


def test_child_process_writes_parent_reads(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    ids = json.loads(run_child(CHILD_WRITE, str(path)))
    store = GalleryStore(path)
    (person,) = store.people()
    assert person.name == "王菲" and person.n_samples == 1
    (sample,) = store.samples("王菲")
    assert [sample.id] == ids and sample.source == "child" and sample.thumbnail == b"\xff\xd8child"
    np.testing.assert_allclose(sample.embedding, unit(np.arange(1, 129)), atol=1e-6)


def test_parent_writes_child_reads(file_store: GalleryStore) -> None:
    file_store.add_samples("Zoë Ångström", [(emb(1), JPEG, "a.jpg"), (emb(2), None, None)])
    file_store.add_person("Empty")
    out = json.loads(run_child(CHILD_READ, str(file_store.path)))
    assert out["revision"] == file_store.revision()
    assert out["people"]["Empty"] == []
    expected = [
        [s.id, s.embedding.tobytes().hex(), s.source, (s.thumbnail or b"").hex()]
        for s in file_store.samples("Zoë Ångström")
    ]
    assert out["people"]["Zoë Ångström"] == expected and len(expected) == 2


CHILD_MANY = """
import sys
import numpy as np
from faceapp.storage.gallery import GalleryStore
file_store = GalleryStore(sys.argv[1])
for i in range(int(sys.argv[2])):
    file_store.add_samples("Shared", [(np.ones(8) + i, None, sys.argv[3])])
"""


def test_concurrent_processes_and_threads(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    store = GalleryStore(path)
    store.add_person("Shared")
    rev = store.revision()
    procs = [
        subprocess.Popen([sys.executable, "-c", CHILD_MANY, str(path), "10", f"proc{k}"])
        for k in range(4)
    ]
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            pid = store.add_person(f"T{k}").id
            for i in range(10):
                store.add_samples("Shared", [(np.ones(8) - i * 0.01, None, f"thread{k}")])
                store.rename(pid, f"T{k}-{i}")  # reads, then writes, in one transaction
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.wait(timeout=120) for p in procs] == [0] * 4
    assert errors == []
    assert [p.name for p in store.people()] == ["Shared"] + [f"T{k}-9" for k in range(4)]
    assert len(store.samples("Shared")) == 80
    assert store.revision() == rev + 80 + 4 + 40


def test_module_imports_neither_qt_nor_pickle() -> None:
    trees = [
        ast.parse(f.read_text(encoding="utf-8")) for f in Path(gallery.__file__).parent.glob("*.py")
    ]
    imported = {
        alias.name.split(".")[0]
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert imported & {"pickle", "shelve", "dill", "PySide6", "PyQt5", "PyQt6"} == set()
    assert {"sqlite3", "numpy"} <= imported
    out = run_child("import sys, faceapp.storage.gallery; print('PySide6' in sys.modules)")
    assert out.strip() == "False"


def test_stepwise_reads_give_what_the_plain_reads_give(store: GalleryStore) -> None:
    rng = np.random.default_rng(7)
    assert store.people_in_steps() == [] and len(store.index_in_steps()) == 0
    for k, name in enumerate(["zoe", "Ann", "bob", "Émile", "ann b"]):
        store.add_samples(name, [(rng.normal(size=128), None, None) for _ in range(k + 1)])
    pauses: list[int] = []
    assert store.people_in_steps(lambda: pauses.append(1), rows_per_step=2) == store.people()
    stepwise, plain = store.index_in_steps(rows_per_step=4), store.index()
    assert stepwise.person_ids == plain.person_ids and stepwise.names == plain.names
    np.testing.assert_allclose(stepwise.centroids, plain.centroids, atol=1e-6)
    assert len(pauses) >= 3
