"""Gallery > Unknown faces…: real faces grouped, named in three clicks, added, ignored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog, QLineEdit, QMessageBox

from faceapp.session.unknown_rows import IGNORE, MERGE, TAKE_OUT
from faceapp.storage.history import CROP_SIZE, History, NewEvent

from .gui_helpers import make_ctx

pytestmark = pytest.mark.model

#: The unknown faces recorded: person folder (train split) and how many of its photos.
UNKNOWN = {"madonna": 19, "elton_john": 8}
#: Enrolled in the gallery, from one train photo each (the demo people's).
ENROLLED = ("Ben Afflek", "Elton John", "Jerry Seinfeld")


@pytest.fixture(scope="module")
def unknown_faces(real_pipeline):
    """``{person: [(embedding, crop, quality)]}``: the largest face of each train photo."""
    from faceapp import paths
    from faceapp.core.images import load_image
    from faceapp.core.quality import assess_face
    from faceapp.enrolment import thumbnail_of

    out: dict[str, list] = {}
    for person, n in UNKNOWN.items():
        photos = sorted((paths.celebrity_dir() / "train" / person).iterdir())[:n]
        out[person] = []
        for p in photos:
            image = load_image(p)
            faces = real_pipeline.detect(image)
            face = max(faces, key=lambda f: f.box.w * f.box.h)
            embedding = real_pipeline.embed(image, [face])[0]
            crop = thumbnail_of(image, face, CROP_SIZE)
            out[person].append((embedding, crop, assess_face(image, face).figures))
    return out


@pytest.fixture
def history_store(store, demo_embeddings, unknown_faces):
    """Three people enrolled; Madonna's and Elton John's faces recorded as unknown.

    Returns the store and ``{event id: person folder}``.
    """
    for name, emb, thumb, source in demo_embeddings:
        if name in ENROLLED:
            store.add_samples(name, [(emb, thumb, source)])
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    events, people = [], []
    for person, faces in unknown_faces.items():
        for i, (embedding, crop, quality) in enumerate(faces):
            events.append(
                NewEvent(
                    "recognition",
                    "unknown",
                    None,
                    1.2,
                    0.8,
                    "camera 0",
                    float(i),
                    crop,
                    at=start + timedelta(minutes=len(events)),
                    embedding=embedding,
                    quality=quality,
                )
            )
            people.append(person)
    History(store).record(events)
    ids = [f.event_id for f in History(store).unknown_faces()]
    return store, dict(zip(ids, people, strict=True))


@pytest.fixture
def dialog(qtbot, history_store):
    from faceapp.gui.dialogs.unknown_faces_dialog import UnknownFacesDialog

    from .gui_helpers import fake_pipeline

    store, _ = history_store
    ctx = make_ctx(store, fake_pipeline())
    ctx.start_gallery()
    qtbot.waitUntil(lambda: ctx.people_loaded, timeout=10_000)
    d = UnknownFacesDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    _wait_loaded(qtbot, d)
    yield d
    d.close()
    ctx.stop_gallery()


def _wait_loaded(qtbot, d) -> None:
    qtbot.waitUntil(lambda: d.reads.settled, timeout=30_000)


def _after_job(qtbot, d, ticket) -> None:
    """Wait until a gallery job finished and the groups were read again after it."""
    assert ticket is not None
    qtbot.waitUntil(lambda: not d.busy, timeout=30_000)
    _wait_loaded(qtbot, d)


def _people_of(d, people) -> list[set[str]]:
    return [{people[i] for i in g.event_ids} for g in d.shown_groups()]


def test_real_faces_are_grouped_by_person_largest_first(dialog, history_store):
    _, people = history_store
    groups = dialog.shown_groups()
    # These photos vary a lot (years, light, make-up): a person may make several groups
    # (average linkage at 0.80 keeps precision first), but no group mixes people.
    assert all(len(who) == 1 for who in _people_of(dialog, people))
    assert groups[0].count >= 5 and _people_of(dialog, people)[0] == {"madonna"}
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)
    assert dialog.groups.count() == len(groups) and dialog.faces.count() == groups[0].count
    assert dialog.groups.currentRow() == 0  # the largest group is selected on opening
    assert "camera 0" in dialog.detail.text()


def test_a_group_of_madonna_is_named_in_three_clicks(qtbot, dialog, history_store):
    store, people = history_store
    first = dialog.groups.item(0)
    named = set(dialog.shown_groups()[0].event_ids)
    # click 1: the group (selected already on opening; clicking it keeps it so)
    rect = dialog.groups.visualItemRect(first)
    qtbot.mouseClick(dialog.groups.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseClick(dialog.name_button, Qt.MouseButton.LeftButton)  # click 2: Name…
    ask = dialog.namer.last_prompt
    assert isinstance(ask, QInputDialog)
    qtbot.waitUntil(ask.isVisible)
    edit = ask.findChild(QLineEdit)
    qtbot.keyClicks(edit, "Madonna")
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # click 3: the name and Enter
    assert dialog.busy
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    _wait_loaded(qtbot, dialog)
    person = store.find_person("Madonna")
    assert 1 <= person.n_samples <= 5
    left = {i for g in dialog.shown_groups() for i in g.event_ids}
    assert not (left & named)  # the named faces left the list
    assert "Enrolled Madonna" in dialog.summary.text()
    # The window's people follow the gallery's write (its people list is read again in
    # the gallery thread and handed over, so it arrives a moment after the write).
    qtbot.waitUntil(lambda: "Madonna" in [p.name for p in dialog._ctx.people()], timeout=10_000)


def test_a_group_looking_like_someone_enrolled_is_refused_then_added_to_them(
    qtbot, dialog, history_store
):
    store, people = history_store
    elton = next(g for g in dialog.shown_groups() if people[g.event_ids[0]] == "elton_john")
    dialog.select_group(elton.id)
    ticket = dialog.namer.name(elton.event_ids, "Somebody New", new=True)
    _after_job(qtbot, dialog, ticket)
    assert store.find_person("Somebody New") is None
    refusal = dialog.namer.last_prompt
    assert isinstance(refusal, QMessageBox) and "Elton John" in refusal.text()
    assert any(b.text() == "Enrol anyway" for b in refusal.buttons())
    refusal.close()
    before = store.find_person("Elton John").n_samples
    dialog.select_group(elton.id)
    ask = dialog.ask(new=False)
    assert ask.comboBoxItems() == [p.name for p in dialog._ctx.people()]
    ask.setTextValue("Elton John")
    ask.accept()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    _wait_loaded(qtbot, dialog)
    assert store.find_person("Elton John").n_samples > before
    assert elton.id not in {g.id for g in dialog.shown_groups()}


def test_take_out_merge_and_ignore(qtbot, dialog, history_store):
    store, people = history_store
    big = dialog.shown_groups()[0]
    dialog.select_group(big.id)
    for r in (1, 2):
        dialog.faces.item(r).setSelected(True)
    taken = set(dialog.selected_face_ids())
    assert dialog.take_out_button.isEnabled()
    _after_job(qtbot, dialog, dialog.run(TAKE_OUT))
    groups = {frozenset(g.event_ids) for g in dialog.shown_groups()}
    assert frozenset(taken) in groups and frozenset(set(big.event_ids) - taken) in groups
    # Merge the two back: select both groups.
    rows = [
        r
        for r in range(dialog.groups.count())
        if set(dialog.shown_groups()[r].event_ids) <= set(big.event_ids)
    ]
    assert len(rows) == 2
    dialog.groups.clearSelection()
    for r in rows:
        dialog.groups.item(r).setSelected(True)
    assert dialog.merge_button.isEnabled() and not dialog.name_button.isEnabled()
    _after_job(qtbot, dialog, dialog.run(MERGE))
    assert set(big.event_ids) in [set(g.event_ids) for g in dialog.shown_groups()]
    # Ignore it: its faces are forgotten, crops included.
    merged = next(g for g in dialog.shown_groups() if set(g.event_ids) == set(big.event_ids))
    dialog.select_group(merged.id)
    _after_job(qtbot, dialog, dialog.run(IGNORE))
    assert not set(big.event_ids) & {f.event_id for f in History(store).unknown_faces()}
    assert History(store).crops(big.event_ids) == {}
    assert store.find_person("Madonna") is None


def test_gallery_menu_opens_the_dialog_and_naming_updates_the_window(
    qtbot, make_window, history_store
):
    from faceapp.gui.dialogs.unknown_faces_dialog import UnknownFacesDialog

    from .gui_helpers import fake_pipeline

    store, _ = history_store
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, None)
    qtbot.waitUntil(lambda: ctx.people_loaded, timeout=10_000)
    gallery_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Gallery")
    entry = next(a for a in gallery_menu.actions() if a.text() == "Unknown faces…")
    entry.trigger()
    d = next(w for w in window.findChildren(QDialog) if isinstance(w, UnknownFacesDialog))
    assert d is not None and d.isVisible()
    _wait_loaded(qtbot, d)
    d.ask(new=True).setTextValue("Madonna")
    d.namer.last_prompt.accept()
    qtbot.waitUntil(lambda: not d.busy, timeout=30_000)
    qtbot.waitUntil(lambda: window.gallery_panel.names().count("Madonna") == 1, timeout=10_000)
    d.close()


def test_a_grouping_still_running_is_abandoned_when_the_dialog_is_dismissed(dialog) -> None:
    dialog.reload()
    assert dialog._loader._bursts  # the grouping runs in its thread
    dialog.reject()
    assert not dialog._loader._bursts and dialog.reads.shown != dialog.reads.asked
