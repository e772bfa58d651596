"""GalleryFollower: a refresh by the people who changed equals a full read, on both stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceapp.storage.gallery import GalleryStore
from faceapp.storage.people import GalleryFollower, PeopleSnapshot
from faceapp.storage.protocol import Store


def vec(seed: int, dim: int = 128) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path: Path) -> Store:
    """The same tests on both stores: the SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return GalleryStore(tmp_path / "g.sqlite3")
    from faceapp.storage.postgres import PostgresStore

    return PostgresStore(request.getfixturevalue("pg_uri"))


def full_read(store, follower: GalleryFollower) -> None:
    mark = follower.mark_of(store)
    follower.read(mark, PeopleSnapshot.of(store.people()))
    follower.index = store.index_in_steps()


def assert_same_as_a_full_read(store, follower: GalleryFollower) -> None:
    assert follower.people == PeopleSnapshot.of(store.people())
    full, got = store.index_in_steps(), follower.index
    assert got.person_ids == full.person_ids and got.names == full.names
    assert got.enrolled_at == full.enrolled_at
    assert np.array_equal(got.owners, full.owners)
    assert np.array_equal(got.embeddings.reshape(-1), full.embeddings.reshape(-1))
    assert np.array_equal(got.negative_owners, full.negative_owners)
    assert np.array_equal(got.negatives.reshape(-1), full.negatives.reshape(-1))
    assert np.array_equal(got.centroids, full.centroids)


def test_a_refresh_by_the_changed_people_equals_a_full_read(store) -> None:
    follower = GalleryFollower()
    assert not follower.catch_up(store)  # nothing read yet
    full_read(store, follower)  # an empty gallery
    store.add_samples("Cy", [(vec(1), None, None), (vec(2), None, None)])
    store.add_samples("Ann", [(vec(3), None, None)])
    store.add_person("Nobody Yet")  # listed, not in the index (no samples)
    steps = [
        lambda: None,  # nothing changed
        lambda: store.add_samples("Bob", [(vec(4), None, None)]),  # enrol
        lambda: store.add_samples("Ann", [(vec(5), None, None)]),  # add a sample
        lambda: store.rename("Cy", "Aaron"),  # rename (moves in the list)
        lambda: store.add_negative("Ann", vec(6)),  # a "not X" correction
        lambda: store.remove_samples([store.samples("Ann")[0].id]),  # remove a sample
        lambda: store.remove_person("Bob"),  # remove
        lambda: store.add_samples("Nobody Yet", [(vec(7), None, None)]),  # first sample
        lambda: store.remove_samples([s.id for s in store.samples("Aaron")]),  # none left
    ]
    for step in steps:
        step()
        assert follower.catch_up(store)
        assert_same_as_a_full_read(store, follower)
    for k in range(3):  # several changes at once
        store.add_samples(f"P{k}", [(vec(10 + k), None, None)])
    store.remove_person("Ann")
    assert follower.catch_up(store)
    assert_same_as_a_full_read(store, follower)


def test_after_a_wipe_the_store_asks_for_a_full_read_or_the_delta_is_exact(store) -> None:
    follower = GalleryFollower()
    store.add_samples("Ann", [(vec(1), None, None)])
    store.add_negative("Ann", vec(2))
    full_read(store, follower)
    store.wipe(backup=False)
    store.add_samples("Bob", [(vec(3), None, None)])
    if follower.catch_up(store):  # a file tells by its stamps: still exact
        assert_same_as_a_full_read(store, follower)
    else:  # the database's log says "everything": read it all
        assert hasattr(store, "changes_since")
        full_read(store, follower)
        assert follower.catch_up(store)
        assert_same_as_a_full_read(store, follower)


def test_too_many_changes_ask_for_a_full_read(store, monkeypatch) -> None:
    import faceapp.storage.people as people

    monkeypatch.setattr(people, "MAX_DELTA", 2)
    follower = GalleryFollower()
    full_read(store, follower)
    for k in range(3):
        store.add_samples(f"P{k}", [(vec(k), None, None)])
    assert not follower.catch_up(store)


def test_a_change_log_older_than_kept_asks_for_a_full_read(pg_uri) -> None:
    from faceapp.storage.postgres import PostgresStore

    store = PostgresStore(pg_uri)
    store.add_samples("Ann", [(vec(1), None, None)])
    before = store.revision()
    store.add_samples("Bob", [(vec(2), None, None)])
    assert store.changes_since(before)[1] == frozenset({store.find_person("Bob").id})
    assert store.changes_since(before - 5)[1] is None  # from before the log's start
    store.write_transaction(
        lambda conn: conn.execute(
            "UPDATE meta SET value = %s WHERE key = 'changes_from'", (before + 1,)
        ),
        content=False,
    )
    assert store.changes_since(before)[1] is None  # pruned


def test_a_window_queue_applies_another_desks_change_without_reading_everything(
    store, monkeypatch
) -> None:
    from faceapp.session.gallery import GalleryCallbacks, GalleryQueue
    from tests.session.helpers import Calls

    if isinstance(store, GalleryStore):
        other = GalleryStore(store.path)
    else:
        from faceapp.storage.postgres import PostgresStore

        other = PostgresStore(store.conninfo)
    store.add_samples("Ann", [(vec(1), None, None)])
    full_reads = []
    reads = type(store).index_in_steps
    monkeypatch.setattr(
        store, "index_in_steps", lambda *a, **k: full_reads.append(1) or reads(store, *a, **k)
    )
    calls = Calls()
    queue = GalleryQueue(
        store,
        GalleryCallbacks(**{n: calls.recorder(n) for n in GalleryCallbacks.__dataclass_fields__}),
        poll_s=0.05,
    )
    queue.reload()
    queue.start_thread("gallery-test")
    try:
        calls.wait_for("index_ready")
        other.add_samples("Fay", [(vec(2), None, "other desk")])
        calls.wait_for("index_ready", 2)
        queue.add_samples("Bob", [(vec(3), None, None)])  # this window's own write
        calls.wait_for("index_ready", 3)
    finally:
        queue.stop()
    assert full_reads == [1]  # only the first read was a full one
    assert [p.name for p in calls.of("people_loaded")[-1][0].people] == ["Ann", "Fay"]
    assert sorted(calls.of("index_ready")[-1][0].names) == ["Ann", "Bob", "Fay"]


def test_a_file_mark_is_arrays_not_a_tuple_per_person(tmp_path: Path) -> None:
    """100,000 stamps as dict entries of tuples were rebuilt after each write (GC pauses)."""
    store = GalleryStore(tmp_path / "g.sqlite3")
    for k in range(20):
        store.add_samples(f"P{k}", [(vec(k), None, None)])
    mark = GalleryFollower.mark_of(store)
    assert not isinstance(mark, dict)
    assert all(isinstance(v, np.ndarray) for v in vars(mark).values())


def test_a_refresh_computes_only_the_changed_people(store, monkeypatch) -> None:
    """The per-write work follows the change: rows normalised, arrays copied (not 100,000)."""
    import faceapp.core.matching as matching
    import faceapp.storage.people as people

    for k in range(30):
        store.add_samples(f"P{k:02}", [(vec(k), None, None)] * (1 + k % 3))
    store.add_negative("P03", vec(99))
    follower = GalleryFollower()
    full_read(store, follower)
    normalised: list[int] = []
    real = matching.l2_normalize

    def counting(v, axis=-1):
        normalised.append(int(np.asarray(v).reshape(-1, np.asarray(v).shape[-1]).shape[0]))
        return real(v, axis)

    monkeypatch.setattr(matching, "l2_normalize", counting)
    monkeypatch.setattr(people, "l2_normalize", counting)

    before = follower.index
    store.rename("P05", "Aaron")  # names only: the arrays are the same
    assert follower.catch_up(store)
    assert follower.index.embeddings is before.embeddings
    assert follower.index.centroids is before.centroids
    assert sum(normalised) <= 3  # at most the renamed person's three samples
    monkeypatch.undo()
    assert_same_as_a_full_read(store, follower)

    monkeypatch.setattr(matching, "l2_normalize", counting)
    monkeypatch.setattr(people, "l2_normalize", counting)
    normalised.clear()
    store.add_samples("Zed", [(vec(50), None, None), (vec(51), None, None)])  # enrol
    store.add_samples("P07", [(vec(52), None, None)])  # and one more sample
    assert follower.catch_up(store)
    assert sum(normalised) <= 2 + 1 + 2 + 1 + 1  # their samples, their means, negatives
    monkeypatch.undo()
    assert_same_as_a_full_read(store, follower)


def test_the_first_refresh_after_a_read_does_not_walk_everybody(store, monkeypatch) -> None:
    """The snapshot read in the worker carries the ids: no 100,000-person pass per write."""
    import faceapp.storage.people as people

    for k in range(20):
        store.add_samples(f"P{k:02}", [(vec(k), None, None)])
    follower = GalleryFollower()
    full_read(store, follower)
    assert np.array_equal(follower.people.ids, [p.id for p in follower.people.people])
    walked: list[int] = []
    real = people._ID
    monkeypatch.setattr(people, "_ID", lambda p: walked.append(1) or real(p))
    store.rename("P03", "Aaron")
    assert follower.catch_up(store)
    assert walked == []
    monkeypatch.undo()
    assert_same_as_a_full_read(store, follower)
    assert np.array_equal(follower.people.ids, [p.id for p in follower.people.people])


def test_a_snapshot_takes_its_ids_in_slices(monkeypatch) -> None:
    """One C-level pass over 100,000 people held the GIL 100+ ms (a window stall at open)."""
    from faceapp.storage.schema import Person

    people = [Person(k, f"N{k:06}", 1, "") for k in range(20_000, 0, -1)]
    lengths: list[int] = []
    real = np.fromiter
    monkeypatch.setattr(
        np, "fromiter", lambda it, dtype, count=-1: lengths.append(count) or real(it, dtype, count)
    )
    snapshot = PeopleSnapshot.of(people)
    assert max(lengths) <= 8192
    assert snapshot.ids.tolist() == [p.id for p in snapshot.people]
