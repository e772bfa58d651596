"""The people panel and the claimed-identity list with many people: lazy rows, search, edits."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt

from benchmarks.big_gallery import build_gallery
from faceapp.gui.people import PeopleModel
from faceapp.gui.widgets import gallery_panel as gallery_panel_module
from faceapp.gui.widgets.gallery_panel import GalleryPanel
from faceapp.gui.widgets.mode_panel import ModePanel
from faceapp.storage.people import PeopleList

from .gui_helpers import fake_pipeline, make_ctx


def _unit(k: int) -> np.ndarray:
    v = np.zeros(128, np.float32)
    v[k % 128] = 1.0
    return v


@pytest.fixture
def started_ctx(qtbot, store):
    """Return ``make(**settings)``: a context whose gallery thread runs; stopped after."""
    contexts = []

    def make(**settings):
        ctx = make_ctx(store, fake_pipeline(), **settings)
        contexts.append(ctx)
        ctx.start_gallery()
        qtbot.waitUntil(lambda: ctx.people_loaded, timeout=20_000)
        return ctx

    yield make
    for ctx in contexts:
        ctx.stop_gallery()


def _enrol(store, *names: str) -> None:
    for i, name in enumerate(names):
        store.add_samples(name, [(_unit(i), None, None)])


def _panels(qtbot, ctx) -> tuple[GalleryPanel, ModePanel]:
    gallery, mode = GalleryPanel(ctx), ModePanel(ctx)
    for panel in (gallery, mode):
        qtbot.addWidget(panel)
        panel.resize(320, 600)
        panel.show()
    return gallery, mode


def _combo_names(mode: ModePanel) -> list[str]:
    return [mode.claim_combo.itemText(i) for i in range(mode.claim_combo.count())]


# -- search ----------------------------------------------------------------------------------


def test_typing_more_letters_searches_the_rows_listed_not_the_whole_gallery(
    qtbot, store, started_ctx, monkeypatch
):
    _enrol(store, "Mara", "Mario", "Marta", "Bob", "Emma", "Tom")
    ctx = started_ctx()
    model = PeopleModel(ctx)
    scanned: list[int] = []
    matching = PeopleList.matching

    def spy(self: PeopleList, text: str) -> PeopleList:
        scanned.append(len(self))
        return matching(self, text)

    monkeypatch.setattr(PeopleList, "matching", spy)
    model.set_filter("m")
    model.set_filter("ma")
    model.set_filter("MAR")
    names = [model.index(r).data() for r in range(model.rowCount())]
    assert names == ["Mara", "Mario", "Marta"]
    # The first letter looks at everybody; each further letter only at those still listed.
    assert scanned == [6, 5, 4]
    model.set_filter("ma")  # a letter taken back: everybody is looked at again
    assert scanned[-1] == 6
    assert [model.index(r).data() for r in range(model.rowCount())] == [
        "Emma",
        "Mara",
        "Mario",
        "Marta",
    ]


def test_a_narrowed_search_still_follows_renames_and_enrolments(qtbot, store, started_ctx):
    _enrol(store, "Mara", "Mario", "Bob")
    ctx = started_ctx()
    model = PeopleModel(ctx)
    model.set_filter("m")
    model.set_filter("mar")
    names = lambda: [model.index(r).data() for r in range(model.rowCount())]  # noqa: E731
    assert names() == ["Mara", "Mario"]
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.rename(ctx.person_named("Bob").id, "Omar")  # now matches: comes in
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.add_samples("Marek", [(_unit(9), None, None)])
    assert names() == ["Mara", "Marek", "Mario", "Omar"]
    model.set_filter("")
    assert names() == ["Mara", "Marek", "Mario", "Omar"]


# -- the people panel and the claimed-identity list ------------------------------------------


def test_the_people_panel_searches_selects_renames_and_removes(
    qtbot, store, started_ctx, monkeypatch
):
    _enrol(store, "Ann Lee", "Bob Ito", "Cleo Lee", "Dan Marquez")
    ctx = started_ctx()
    panel, mode = _panels(qtbot, ctx)
    assert panel.names() == ["Ann Lee", "Bob Ito", "Cleo Lee", "Dan Marquez"]
    assert panel.count_label.text() == "4 people"

    panel.search_edit.setText("lee")
    assert panel.names() == ["Ann Lee", "Cleo Lee"]
    assert panel.count_label.text() == "2 of 4 people"
    panel.select("Cleo Lee")
    assert panel.selected_name() == "Cleo Lee"
    assert panel.rename_button.isEnabled() and panel.delete_button.isEnabled()

    monkeypatch.setattr(gallery_panel_module, "ask_name", lambda *a, **k: "Cleo Leeds")
    panel.rename_button.click()
    qtbot.waitUntil(lambda: panel.selected_name() == "Cleo Leeds")
    assert panel.names() == ["Ann Lee", "Cleo Leeds"]
    assert "Cleo Leeds" in _combo_names(mode) and "Cleo Lee" not in _combo_names(mode)

    monkeypatch.setattr(gallery_panel_module, "confirm", lambda *a, **k: True)
    panel.delete_button.click()
    qtbot.waitUntil(lambda: panel.names() == ["Ann Lee"])
    assert panel.selected_name() in ("", "Ann Lee")  # the selection may move to a neighbour
    assert panel.rename_button.isEnabled() == bool(panel.selected_name())

    panel.search_edit.setText("")
    assert panel.names() == ["Ann Lee", "Bob Ito", "Dan Marquez"]
    assert _combo_names(mode) == ["Ann Lee", "Bob Ito", "Dan Marquez"]
    assert [p.name for p in store.people()] == panel.names()


def test_the_claimed_identity_list_sets_the_claim_and_follows_renames_and_removals(
    qtbot, store, started_ctx
):
    _enrol(store, "Ann", "Bob", "Cleo")
    ctx = started_ctx(mode="verification")
    _, mode = _panels(qtbot, ctx)
    combo = mode.claim_combo
    assert _combo_names(mode) == ["Ann", "Bob", "Cleo"]
    assert combo.currentIndex() == -1  # nobody claimed yet

    combo.setCurrentIndex(1)
    combo.activated.emit(1)  # as a user's choice does
    assert ctx.settings.claim == "Bob"

    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.rename(ctx.person_named("Bob").id, "Zed")  # the claim follows the rename
    qtbot.waitUntil(lambda: ctx.settings.claim == "Zed")
    assert _combo_names(mode) == ["Ann", "Cleo", "Zed"]
    assert combo.currentText() == "Zed"

    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.remove_person(ctx.person_named("Zed").id)
    qtbot.waitUntil(lambda: ctx.settings.claim is None)
    assert _combo_names(mode) == ["Ann", "Cleo"]
    assert combo.currentIndex() == -1


# -- many people: no per-person objects, rows read lazily --------------------------------------


def _objects_and_rows_read(qtbot, started_ctx, monkeypatch) -> tuple[int, int, int]:
    """Open both panels; return (child QObjects, rows listed, distinct rows asked for)."""
    asked: set[tuple[int, int]] = set()
    data = PeopleModel.data

    def spy(self, index, role=Qt.ItemDataRole.DisplayRole):
        asked.add((id(self), index.row()))
        return data(self, index, role)

    monkeypatch.setattr(PeopleModel, "data", spy)
    ctx = started_ctx()
    gallery, mode = _panels(qtbot, ctx)
    qtbot.waitUntil(lambda: gallery.people_list.isVisible())
    gallery.people_list.verticalScrollBar().setValue(
        gallery.people_list.verticalScrollBar().maximum() // 2
    )
    qtbot.waitExposed(gallery)
    objects = len(gallery.findChildren(QObject)) + len(mode.findChildren(QObject))
    return objects, gallery.model.rowCount(), len(asked)


def test_opening_with_many_people_creates_no_per_person_objects(
    qtbot, store, started_ctx, monkeypatch
):
    build_gallery(store.path, 5_000, thumbs=0)
    objects, rows, asked = _objects_and_rows_read(qtbot, started_ctx, monkeypatch)
    assert rows == 5_000
    assert asked < 200  # the rows on screen (and the list's size hint), not 5,000 people


def test_the_panels_hold_as_many_objects_with_5000_people_as_with_3(qtbot, tmp_path, monkeypatch):
    from faceapp.storage.gallery import GalleryStore

    counts = []
    for n, folder in ((3, "few"), (5_000, "many")):
        (tmp_path / folder).mkdir()
        store = GalleryStore(tmp_path / folder / "gallery.sqlite3")
        build_gallery(store.path, n, thumbs=0)
        ctx = make_ctx(store, fake_pipeline())
        ctx.start_gallery()
        try:
            qtbot.waitUntil(lambda ctx=ctx: ctx.people_loaded, timeout=20_000)
            gallery, mode = _panels(qtbot, ctx)
            qtbot.waitUntil(lambda g=gallery, n=n: g.model.rowCount() == n)
            counts.append(len(gallery.findChildren(QObject)) + len(mode.findChildren(QObject)))
        finally:
            ctx.stop_gallery()
    assert counts[0] == counts[1]


def test_the_people_read_are_left_out_of_garbage_collection(qtbot, store, started_ctx):
    """100,000 people would set off full collections that hold the interpreter lock for
    40-70 ms (a GUI stall, ``gui_stall --trace-stalls``); they are built with the collector
    paused and then frozen out of it, as the heap is once the model is ready."""
    import gc

    build_gallery(store.path, 2_000, thumbs=0)
    ctx = started_ctx()
    people = ctx.people_list()
    assert len(people) == 2_000
    collected = {id(o) for o in gc.get_objects()}  # every generation but the frozen one
    assert not any(id(p) in collected for p in (people[0], people[999], people[1_999]))
    # The index is read next, with the collector paused too; once it is in, it is on again.
    qtbot.waitUntil(lambda: len(ctx.gallery_index() or ()) == 2_000, timeout=20_000)
    assert gc.isenabled()
