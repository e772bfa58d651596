"""The people list: sorted updates, search, lazy thumbnails, and gallery I/O off the GUI thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from faceapp.gui.people import PeopleModel
from faceapp.storage.gallery import Person
from faceapp.storage.people import PeopleList, PeopleSnapshot, sort_key

from .gui_helpers import ListSource, celebrity_photos, fake_pipeline, grey_frames, make_ctx


def _p(pid: int, name: str, n: int = 1) -> Person:
    return Person(pid, name, n, "2024-05-01T10:00:00+00:00")


def _unit(k: int) -> np.ndarray:
    v = np.zeros(128, np.float32)
    v[k % 128] = 1.0
    return v


# -- PeopleList (no Qt) ---------------------------------------------------------------------


def test_people_list_keeps_the_gallery_order_through_updates():
    people = PeopleList([_p(1, "bob"), _p(2, "Ann"), _p(3, "Émile"), _p(4, "ann")])
    assert [p.name for p in people] == ["Ann", "ann", "bob", "Émile"]
    assert people.row_of_name("bob") == 2 and people.row_of_name("Bob") == -1
    assert people.named_ignoring_case("BOB").name == "bob"
    assert people.named_ignoring_case("ann").name == "ann"  # the exact spelling first

    old, new = people.replace(_p(1, "bob"), _p(1, "Zed"))  # a rename moves the row
    assert (old, new) == (2, 2)
    assert [p.name for p in people] == ["Ann", "ann", "Zed", "Émile"]  # "é" sorts after "z"
    old, new = people.replace(None, _p(5, "Carl"))  # an enrolment inserts one
    assert (old, new) == (-1, 2)
    old, new = people.replace(_p(2, "Ann"), None)  # a removal
    assert (old, new) == (0, -1)
    assert [p.name for p in people] == ["ann", "Carl", "Zed", "Émile"]
    assert people.get(5).name == "Carl" and people.row_of(3) == 3
    old, _ = people.replace(_p(3, "a stale name"), _p(3, "Émile", 2))  # found by id
    assert old == 3 and people[3].n_samples == 2


def test_search_matches_anywhere_ignoring_case_and_keeps_the_order():
    people = PeopleList(
        PeopleSnapshot.of([_p(1, "Maria Lopez"), _p(2, "Omar"), _p(3, "Bea")]).people
    )
    assert [p.name for p in people.matching("MAR")] == ["Maria Lopez", "Omar"]
    assert [p.name for p in people.matching("")] == ["Bea", "Maria Lopez", "Omar"]
    assert len(people.matching("zz")) == 0


def test_a_snapshot_is_sorted_like_the_store_sorts():
    names = ["b", "A", "a", "ä", "B", "Z"]
    snap = PeopleSnapshot.of(_p(i, n) for i, n in enumerate(names))
    assert list(snap.keys) == sorted(sort_key(n) for n in names)
    assert [p.name for p in PeopleList.from_snapshot(snap)] == [k[1] for k in snap.keys]


# -- PeopleModel with a context -----------------------------------------------------------


@pytest.fixture
def started_ctx(qtbot, store):
    """A context whose gallery thread runs; stopped after the test."""
    contexts = []

    def make(**settings):
        ctx = make_ctx(store, fake_pipeline(), **settings)
        contexts.append(ctx)
        ctx.start_gallery()
        qtbot.waitUntil(lambda: ctx.people_loaded)
        return ctx

    yield make
    for ctx in contexts:
        ctx.stop_gallery()


def test_the_model_follows_enrolments_renames_and_removals(qtbot, store, started_ctx):
    for i, name in enumerate(["Ann", "Bob", "Cleo"]):
        store.add_samples(name, [(_unit(i), None, None)])
    ctx = started_ctx()
    model = PeopleModel(ctx, with_counts=True)
    names = lambda: [model.index(r).data(PeopleModel.NameRole) for r in range(model.rowCount())]  # noqa: E731
    assert names() == ["Ann", "Bob", "Cleo"]
    assert model.index(1).data() == "Bob\n1 sample · add more"
    bob = model.index(1)
    from PySide6.QtCore import QPersistentModelIndex

    kept = QPersistentModelIndex(bob)
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.rename(ctx.person_named("Bob").id, "Zoe")
    assert names() == ["Ann", "Cleo", "Zoe"]
    assert kept.row() == 2  # a view's selection follows the moved row
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.add_samples("Abe", [(_unit(5), None, None)])
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.add_samples("Cleo", [(_unit(6), None, None)])
    assert names() == ["Abe", "Ann", "Cleo", "Zoe"]
    assert model.index(2).data() == "Cleo\n2 samples"
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.remove_person(ctx.person_named("Ann").id)
    assert names() == ["Abe", "Cleo", "Zoe"]
    assert [p.name for p in store.people()] == names()

    model.set_filter("Z")
    assert names() == ["Zoe"]
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.rename(ctx.person_named("Abe").id, "Liz")  # now matches: comes in
    assert names() == ["Liz", "Zoe"]
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.rename(ctx.person_named("Zoe").id, "Mo")  # no longer matches: goes
    assert names() == ["Liz"]
    model.set_filter("")
    assert names() == ["Cleo", "Liz", "Mo"]
    assert not model.flags(model.index(0)) & Qt.ItemFlag.ItemIsEditable


def test_a_failed_write_changes_nothing_and_says_why(qtbot, store, started_ctx):
    store.add_samples("Ann", [(_unit(0), None, None)])
    store.add_samples("Bob", [(_unit(1), None, None)])
    ctx = started_ctx()
    with qtbot.waitSignal(ctx.edit_finished) as finished:
        ctx.gallery.rename(ctx.person_named("Bob").id, "Ann")
    edit = finished.args[0]
    assert "already enrolled" in edit.error and edit.after is None
    assert [p.name for p in ctx.people()] == ["Ann", "Bob"]
    with qtbot.waitSignal(ctx.edit_finished) as finished:
        ctx.gallery.add_samples("Cleo", [(np.zeros(128, np.float32), None, None)])
    assert "not all zero" in finished.args[0].error
    assert [p.name for p in store.people()] == ["Ann", "Bob"]


def test_thumbnails_are_loaded_for_the_rows_on_screen_only(qtbot, store, started_ctx):
    photos = celebrity_photos("train")
    if not photos:
        pytest.skip("the 5-celebrity photos are absent")
    jpeg = photos["madonna"][0].read_bytes()
    store.add_samples("Madonna", [(_unit(0), jpeg, "m.jpg")])
    for i in range(300):
        store.add_samples(f"Person {i:03d}", [(_unit(i + 1), None, None)])
    ctx = started_ctx()
    asked: list[tuple[int, ...]] = []
    ctx.thumbnails_loaded.connect(lambda loaded: asked.append(tuple(p for p, _ in loaded)))
    from PySide6.QtWidgets import QListView

    model = PeopleModel(ctx, thumbnails=True)
    view = QListView()
    qtbot.addWidget(view)
    view.setUniformItemSizes(True)
    view.setModel(model)
    view.resize(240, 300)
    view.show()
    madonna = model.index(model.row_of_name("Madonna"))
    badge = madonna.data(Qt.ItemDataRole.DecorationRole)
    view.scrollTo(madonna)
    qtbot.waitUntil(
        lambda: (
            bool(asked)
            and madonna.data(Qt.ItemDataRole.DecorationRole).cacheKey() != badge.cacheKey()
        )
    )
    thumb = madonna.data(Qt.ItemDataRole.DecorationRole)
    assert thumb.width() >= 52 and thumb.height() >= 52
    loaded = {pid for batch in asked for pid in batch}
    assert 0 < len(loaded) < 100  # the rows on screen, not the 301 people


def test_the_gui_thread_never_touches_the_gallery_file(qtbot, make_window, store, monkeypatch):
    from faceapp.storage import database

    for i, name in enumerate(["Ann", "Bob"]):
        store.add_samples(name, [(_unit(i), None, None)])
    calls: list[tuple[str, str]] = []
    connect = database.GalleryFile._open_existing  # every connection to an existing file

    def spy(self):
        calls.append(
            (threading.current_thread().name, threading.current_thread() is threading.main_thread())
        )
        return connect(self)

    monkeypatch.setattr(database.GalleryFile, "_open_existing", spy)
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0))
    panel = window.gallery_panel
    qtbot.waitUntil(lambda: panel.names() == ["Ann", "Bob"])
    qtbot.waitUntil(lambda: window.worker.loop.gallery_index() is not None)
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.add_samples("Cleo", [(_unit(3), None, None)])
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.rename(ctx.person_named("Bob").id, "Bea")
    panel.select("Ann")
    panel.samples_button.click()
    from faceapp.gui.dialogs.samples_dialog import SamplesDialog

    dialog = panel.findChild(SamplesDialog)
    qtbot.waitUntil(lambda: len(dialog.sample_ids()) == 1)
    dialog.close()
    assert calls and not [c for c in calls if c[1]], calls


def test_writes_queued_or_requested_while_closing_are_not_lost(qtbot, store):
    ctx = make_ctx(store, fake_pipeline())  # its gallery thread never started
    edits = []
    ctx.edit_finished.connect(edits.append)
    ctx.gallery.add_samples("Ann", [(_unit(0), None, None)])
    ctx.gallery.request_samples(1)  # a read: dropped by the stop
    ctx.stop_gallery()
    assert [p.name for p in store.people()] == ["Ann"]
    ctx.gallery.rename(store.find_person("Ann").id, "Anna")  # after the stop: at once
    assert [p.name for p in store.people()] == ["Anna"]
    assert [(e.action, e.error) for e in edits] == [("add", None), ("rename", None)]
    assert [p.name for p in ctx.people()] == ["Anna"]


def test_the_stepwise_reads_return_what_the_plain_reads_return(store):
    rng = np.random.default_rng(0)
    names = ["bob", "Ann", "ann", "Émile", "Zoe", "carl"] + [f"P{i:03d}" for i in range(40)]
    for i, name in enumerate(names):
        vectors = rng.standard_normal((1 + i % 3, 128)).astype(np.float32)
        store.add_samples(name, [(v, None, None) for v in vectors])
    store.add_person("Nobody")  # enrolled without samples: listed, not in the index
    pauses = []
    people = store.people_in_steps(lambda: pauses.append(1), rows_per_step=7)
    assert people == store.people() and len(pauses) == 7
    plain, stepwise = store.index(), store.index_in_steps(rows_per_step=5)
    assert stepwise.person_ids == plain.person_ids and stepwise.names == plain.names
    assert np.array_equal(stepwise.owners, plain.owners)
    assert np.array_equal(stepwise.embeddings, plain.embeddings)
    assert np.allclose(stepwise.centroids, plain.centroids, atol=1e-6)
