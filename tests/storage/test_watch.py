"""GalleryWatch sees other writers, wipes and replaced files; no face filed under a reused id."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from faceapp.storage import gallery
from faceapp.storage.gallery import GalleryStore, StampedIndex
from faceapp.storage.history import History, NewEvent
from faceapp.storage.watch import GalleryWatch

from .helpers import emb


@pytest.fixture
def store(tmp_path: Path) -> GalleryStore:
    return GalleryStore(tmp_path / "gallery.db")


def _in_another_process(path: Path, code: str) -> None:
    """Run ``code`` with ``store`` open on ``path`` in a fresh Python process."""
    prelude = (
        "import sys\nfrom faceapp.storage.gallery import GalleryStore\n"
        "store = GalleryStore(sys.argv[1])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", prelude + code, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_a_commit_by_another_process_is_noticed_once(store: GalleryStore) -> None:
    store.add_person("Ann")
    watch = GalleryWatch(store.path)
    try:
        assert watch.poll() is False  # the first poll takes note
        assert watch.poll() is False
        _in_another_process(store.path, "store.rename('Ann', 'Anna')")
        assert watch.poll() is True
        assert watch.poll() is False
        store.remove_person("Anna")  # a connection of this process counts too
        assert watch.poll() is True
    finally:
        watch.close()


def test_a_wipe_and_a_new_gallery_in_its_place_are_noticed(store: GalleryStore) -> None:
    store.add_samples("Madonna", [(emb(1), None, "m.jpg")])
    watch = GalleryWatch(store.path)
    try:
        watch.poll()
        _in_another_process(store.path, "store.wipe(backup=False)")
        assert watch.poll() is True  # gone
        assert watch.poll() is False
        _in_another_process(store.path, "store.add_person('Someone Else')")
        assert watch.poll() is True  # a new file
        # Wiped and enrolled again between two polls: a new inode, still noticed.
        _in_another_process(store.path, "store.wipe(backup=False)\nstore.add_person('Third')")
        assert watch.poll() is True
        assert [p.name for p in store.people()] == ["Third"]
    finally:
        watch.close()


def test_a_file_replaced_by_a_rename_is_noticed(store: GalleryStore, tmp_path: Path) -> None:
    store.add_person("Ann")
    other = GalleryStore(tmp_path / "other.db")
    other.add_person("Bo")
    watch = GalleryWatch(store.path)
    try:
        watch.poll()
        os.replace(other.path, store.path)
        assert watch.poll() is True
    finally:
        watch.close()


def test_a_gallery_that_does_not_exist_yet_is_noticed_when_made(store: GalleryStore) -> None:
    watch = GalleryWatch(store.path)
    try:
        assert watch.poll() is False
        assert watch.poll() is False
        store.add_person("Ann")
        assert watch.poll() is True
    finally:
        watch.close()


def test_the_index_in_steps_knows_when_each_person_was_enrolled(store: GalleryStore) -> None:
    store.add_samples("Ann", [(emb(1), None, None)])
    store.add_samples("Bo", [(emb(2), None, None)])
    index = store.index_in_steps()
    assert isinstance(index, StampedIndex)
    for person in store.people():
        assert index.enrolled_at_of(person.id) == person.created_at
    assert index.enrolled_at_of(999) is None and index.enrolled_at_of(None) is None


def _event(person_id: int, since: str | None) -> NewEvent:
    return NewEvent(
        "recognition",
        "named",
        person_id,
        0.6,
        0.8,
        at=datetime.now(timezone.utc),
        person_since=since,
    )


def test_an_event_of_a_wiped_person_is_not_filed_under_the_id_reused(
    store: GalleryStore, monkeypatch
) -> None:
    monkeypatch.setattr(gallery, "utc_now_text", lambda: "2024-01-01T10:00:00+00:00")
    store.add_samples("Madonna", [(emb(1), None, None)])
    seen = store.index_in_steps()
    madonna = store.find_person("Madonna")
    assert madonna is not None
    since = seen.enrolled_at_of(madonna.id)
    store.wipe(backup=False)
    monkeypatch.setattr(gallery, "utc_now_text", lambda: "2024-01-01T10:05:00+00:00")
    store.add_samples("Someone Else", [(emb(2), None, None)])
    assert store.find_person("Someone Else").id == madonna.id  # the id is reused
    history = History(store)
    assert history.record([_event(madonna.id, since)]) == 0
    assert history.events() == []
    # The person who holds the id now is recorded when the event was matched with them.
    now = store.index_in_steps().enrolled_at_of(madonna.id)
    assert history.record([_event(madonna.id, now)]) == 1
    assert [e.name for e in history.events()] == ["Someone Else"]


def test_an_event_of_a_removed_person_is_not_filed_under_the_next_one(
    store: GalleryStore, monkeypatch
) -> None:
    monkeypatch.setattr(gallery, "utc_now_text", lambda: "2024-01-01T10:00:00+00:00")
    store.add_samples("Ann", [(emb(1), None, None)])
    store.add_samples("Bo", [(emb(2), None, None)])
    bo = store.find_person("Bo")
    since = store.index_in_steps().enrolled_at_of(bo.id)
    store.remove_person("Bo")
    monkeypatch.setattr(gallery, "utc_now_text", lambda: "2024-01-01T11:00:00+00:00")
    store.add_samples("Cy", [(emb(3), None, None)])
    assert store.find_person("Cy").id == bo.id  # SQLite gave the newest id again
    assert History(store).record([_event(bo.id, since)]) == 0
    # A rename keeps the id and the enrolment time: the event still belongs.
    ann = store.find_person("Ann")
    since_ann = store.index_in_steps().enrolled_at_of(ann.id)
    store.rename("Ann", "Anna")
    assert History(store).record([_event(ann.id, since_ann)]) == 1
