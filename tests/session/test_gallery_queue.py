"""GalleryQueue driven from plain threads against a real gallery file: order, tickets,
writes that outlive a stop, switching files, and another process's writes noticed."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from faceapp.session.gallery import GalleryCallbacks, GalleryEdit, GalleryQueue
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.people import PeopleSnapshot

from .helpers import Calls, emb

JPEG = b"\xff\xd8\xff\xe0 a thumbnail"


def _callbacks(calls: Calls) -> GalleryCallbacks:
    return GalleryCallbacks(
        **{name: calls.recorder(name) for name in GalleryCallbacks.__dataclass_fields__}
    )


@pytest.fixture
def store(tmp_path: Path) -> GalleryStore:
    store = GalleryStore(tmp_path / "gallery.sqlite3")
    store.add_samples("Ann", [(emb(1), JPEG, "test")])
    store.add_samples("bob", [(emb(2), None, "test")])
    return store


def _started(store: GalleryStore, calls: Calls, poll_s: float = 3600.0) -> GalleryQueue:
    queue = GalleryQueue(store, _callbacks(calls), poll_s=poll_s)
    queue.reload()
    queue.start_thread("gallery-test")
    return queue


def test_a_reload_hands_over_the_sorted_people_then_the_index_in_the_queue_thread(store) -> None:
    calls = Calls()
    queue = _started(store, calls)
    try:
        calls.wait_for("index_ready")
    finally:
        queue.stop()
    ((snapshot,),) = calls.of("people_loaded")
    assert isinstance(snapshot, PeopleSnapshot)
    assert [p.name for p in snapshot.people] == ["Ann", "bob"]  # case ignored
    ((index,),) = calls.of("index_ready")
    assert sorted(index.names) == ["Ann", "bob"]
    assert calls.names() == ["people_loaded", "index_ready"]
    assert {thread for _, _, thread in calls.calls} == {"gallery-test"}


def test_writes_run_in_order_each_reported_with_its_ticket(store) -> None:
    calls = Calls()
    queue = _started(store, calls)
    try:
        calls.wait_for("index_ready")
        ann = store.find_person("Ann")
        tickets = [
            queue.add_samples("Cy", [(emb(3), None, "test"), (emb(4), None, "test")]),
            queue.rename(ann.id, "Anna"),
            queue.remove_samples((999_999,), ann.id),  # no such sample: nothing written
            queue.remove_person(store.find_person("bob").id),
        ]
        edits: list[GalleryEdit] = [a[0] for a in calls.wait_for("edit_finished", 4)]
        calls.wait_for("index_ready", 2)  # rebuilt once the writes are done
    finally:
        queue.stop()
    assert tickets == sorted(tickets) and len(set(tickets)) == 4
    assert [e.ticket for e in edits] == tickets
    assert [e.action for e in edits] == ["add", "rename", "remove_sample", "remove_person"]
    add, rename, failed, remove = edits
    assert add.error is None and add.before is None and add.after.n_samples == 2
    assert len(add.sample_ids) == 2
    assert (rename.before.name, rename.after.name) == ("Ann", "Anna")
    assert failed.error and failed.after is None
    assert remove.before.name == "bob" and remove.after is None
    assert sorted(p.name for p in store.people()) == ["Anna", "Cy"]


def test_samples_and_thumbnails_are_plain_values_with_their_ticket(store) -> None:
    calls = Calls()
    queue = _started(store, calls)
    ann = store.find_person("Ann")
    far = -emb(1)  # the opposite face: farthest from the mean of Ann's samples
    store.add_samples("Ann", [(emb(1) + 0.01, None, "test"), (far, None, "test")])
    try:
        ticket = queue.request_samples(ann.id)
        queue.request_thumbnails([ann.id, store.find_person("bob").id])
        ((got_ticket, person, samples, distances),) = calls.wait_for("samples_ready")
        ((thumbs,),) = calls.wait_for("thumbnails_ready")
    finally:
        queue.stop()
    assert got_ticket == ticket and person.name == "Ann" and len(samples) == 3
    assert isinstance(samples, tuple) and isinstance(distances, tuple)
    assert int(np.argmax(distances)) == 2  # the stranger's sample stands out
    assert dict(thumbs) == {ann.id: JPEG, store.find_person("bob").id: None}


def test_queued_writes_outlive_a_stop_and_a_late_write_runs_at_once(store) -> None:
    calls = Calls()
    queue = GalleryQueue(store, _callbacks(calls))
    busy, release = threading.Event(), threading.Event()
    queue.submit_job(lambda s: (busy.set(), release.wait(10))[1], write=False)
    queue.start_thread("gallery-test")
    assert busy.wait(10)
    queue.add_samples("Dee", [(emb(5), None, "test")])  # queued behind the job
    ticket = queue.request_samples(1)  # a read: dropped by the stop
    stopper = threading.Thread(target=queue.stop)
    stopper.start()
    release.set()
    stopper.join(10)
    assert store.find_person("Dee") is not None
    assert [args[0] for args in calls.of("samples_ready")] != [ticket]
    late = queue.add_samples("Eve", [(emb(6), None, "test")])
    assert store.find_person("Eve") is not None  # done in this thread, before returning
    assert calls.of("edit_finished")[-1][0].ticket == late


def test_use_store_finishes_the_old_files_writes_then_serves_the_new_file(store, tmp_path) -> None:
    other = GalleryStore(tmp_path / "other.sqlite3")
    other.add_samples("Zed", [(emb(7), None, "test")])
    calls = Calls()
    queue = _started(store, calls)
    order: list[str] = []
    busy, release = threading.Event(), threading.Event()
    try:
        calls.wait_for("index_ready")
        queue.submit_job(lambda s: (busy.set(), release.wait(10), order.append("job"))[0], False)
        assert busy.wait(10)
        queue.add_samples("Old", [(emb(8), None, "test")])  # queued before the switch
        switcher = threading.Thread(
            target=lambda: (queue.use_store(other), order.append("switched"))
        )
        switcher.start()
        release.set()
        switcher.join(10)
        assert order == ["job", "switched"]  # it waited for the operation in progress
        assert queue.store is other
        queue.add_samples("New", [(emb(9), None, "test")])
        queue.reload()
        calls.wait(
            lambda: len(calls.of("people_loaded")) == 2 and len(calls.of("edit_finished")) == 2
        )
    finally:
        queue.stop()
    assert store.find_person("Old") is not None and other.find_person("Old") is None
    assert other.find_person("New") is not None and store.find_person("New") is None
    assert [p.name for p in calls.of("people_loaded")[-1][0].people] in (
        ["New", "Zed"],
        ["Zed"],  # read before the write was served
    )


def test_a_write_by_another_process_is_noticed_and_read_again(store) -> None:
    calls = Calls()
    queue = _started(store, calls, poll_s=0.05)
    try:
        calls.wait_for("index_ready")
        code = (
            "import sys, numpy as np\n"
            "from faceapp.storage.gallery import GalleryStore\n"
            "sample = (np.ones(16, np.float32), None, 'cli')\n"
            "GalleryStore(sys.argv[1]).add_samples('Fay', [sample])\n"
        )
        subprocess.run([sys.executable, "-c", code, str(store.path)], check=True, timeout=60)
        calls.wait_for("people_loaded", 2)
    finally:
        queue.stop()
    assert "Fay" in [p.name for p in calls.of("people_loaded")[-1][0].people]


def test_the_full_reads_run_with_the_garbage_collector_paused(store, monkeypatch) -> None:
    # 100,000 rows read with the collector on set off collections of 15-40 ms holding the
    # interpreter lock (gui_stall --trace-stalls, open phase): both full reads, the people
    # and the index, run with it paused, and it is on again afterwards.
    import gc

    seen: dict[str, bool] = {}
    people_in_steps, index_in_steps = store.people_in_steps, store.index_in_steps

    def people(*args, **kwargs):
        seen["people"] = gc.isenabled()
        return people_in_steps(*args, **kwargs)

    def index(*args, **kwargs):
        seen["index"] = gc.isenabled()
        return index_in_steps(*args, **kwargs)

    monkeypatch.setattr(store, "people_in_steps", people)
    monkeypatch.setattr(store, "index_in_steps", index)
    calls = Calls()
    queue = _started(store, calls)
    try:
        calls.wait_for("index_ready")
    finally:
        queue.stop()
    assert seen == {"people": False, "index": False}
    assert gc.isenabled()
