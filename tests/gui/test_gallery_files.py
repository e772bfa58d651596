"""Gallery files in the window: new/open/recent, which file is open, export and import."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from faceapp.core.images import load_image
from faceapp.core.matching import identify
from faceapp.core.pipeline import largest_face
from faceapp.session.gallery_files import LAST_KEY, recent_galleries
from faceapp.storage.archive import export_gallery
from faceapp.storage.gallery import GalleryStore

from .gui_helpers import ListSource, fake_pipeline, grey_frames, make_ctx


def _window(make_window, qtbot, ctx):
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0, name="grey"))
    qtbot.waitUntil(lambda: ctx.people_loaded and ctx.gallery_index() is not None)
    return window


def _close_message(files) -> str:
    box = files.last_message
    assert box is not None
    text = html.unescape(re.sub(r"<[^>]+>", "", box.text()))  # as shown
    box.accept()
    files.last_message = None
    return text


def _contents(path: Path) -> dict[str, list[bytes]]:
    """``{name: [embedding bytes]}`` of a gallery file, read directly."""
    store = GalleryStore(path)
    return {
        p.name: sorted(s.embedding.astype("<f4").tobytes() for s in store.samples(p.id))
        for p in store.people()
    }


def test_round_trip_export_new_gallery_import_gives_the_same_people_samples_and_answers(
    qtbot, make_window, demo_store, real_pipeline, val_photos, tmp_path
):
    ctx = make_ctx(demo_store, real_pipeline)
    window = _window(make_window, qtbot, ctx)
    files = window.gallery_files
    before = _contents(demo_store.path)
    assert len(before) == 5
    probes = []
    for photos in val_photos.values():
        image = load_image(photos[0])
        probes.append(real_pipeline.embed(image, [largest_face(real_pipeline.detect(image))])[0])
    probes = np.stack(probes)
    answers_before = [(m.name, round(m.distance, 6)) for m in identify(probes, ctx.gallery_index())]

    archive = tmp_path / "out" / "people.zip"
    archive.parent.mkdir()
    with qtbot.waitSignal(files.export_finished, timeout=60_000) as sig:
        files.export_to(archive)
    summary, error = sig.args
    assert error == "" and summary.people == 5 and summary.samples == 5
    assert "Exported 5 people with 5 samples to people.zip" in _close_message(files)

    fresh = tmp_path / "other" / "fresh.sqlite3"
    fresh.parent.mkdir()
    with qtbot.waitSignal(files.open_finished, timeout=30_000) as sig:
        files.new_gallery(fresh)
    assert sig.args == [str(fresh), ""]
    assert ctx.store.path == fresh and fresh.is_file()
    assert window.windowTitle() == "faceapp — fresh.sqlite3"
    qtbot.waitUntil(lambda: ctx.people_loaded)
    assert ctx.people() == [] and len(ctx.gallery_index()) == 0
    assert window.gallery_panel.empty_label.text().startswith("Nobody enrolled")

    with qtbot.waitSignal(files.import_finished, timeout=60_000) as sig:
        files.import_from(archive)
    summary, error = sig.args
    assert error == "" and len(summary.added) == 5 and summary.samples_added == 5
    assert "5 people added" in _close_message(files)
    qtbot.waitUntil(lambda: len(ctx.people()) == 5 and len(ctx.gallery_index()) == 5)
    assert _contents(fresh) == before
    answers_after = [(m.name, round(m.distance, 6)) for m in identify(probes, ctx.gallery_index())]
    assert answers_after == answers_before
    assert {n for n, _ in answers_after} == set(before)  # each val photo is named

    # Again: everybody is enrolled now; one question lists them all, merge adds nothing new.
    asked = []
    files.conflict_asked.connect(asked.append)
    with qtbot.waitSignal(files.conflict_asked, timeout=60_000):
        files.import_from(archive)
    dialog = asked[0]
    assert sorted(dialog.names()) == sorted(before)
    dialog.set_policy("merge")
    with qtbot.waitSignal(files.import_finished, timeout=60_000) as sig:
        dialog.accept()
    summary, error = sig.args
    assert sorted(summary.merged) == sorted(before)
    assert summary.samples_added == 0 and summary.samples_already_there == 5
    _close_message(files)
    assert _contents(fresh) == before


def test_rename_policy_imports_people_enrolled_already_under_new_names(
    qtbot, make_window, store, tmp_path
):
    unit = np.eye(128, dtype=np.float32)
    store.add_samples("Ann", [(unit[0], None, "a.jpg")])
    ctx = make_ctx(store, fake_pipeline())
    window = _window(make_window, qtbot, ctx)
    files = window.gallery_files
    archive = tmp_path / "ann.zip"
    with qtbot.waitSignal(files.export_finished, timeout=60_000):
        files.export_to(archive)
    _close_message(files)
    asked = []
    files.conflict_asked.connect(asked.append)
    with qtbot.waitSignal(files.conflict_asked, timeout=60_000):
        files.import_from(archive)
    asked[0].set_policy("rename")
    with qtbot.waitSignal(files.import_finished, timeout=60_000) as sig:
        asked[0].accept()
    assert sig.args[0].renamed == (("Ann", "Ann (2)"),)
    assert "Ann imported as Ann (2)" in _close_message(files)
    qtbot.waitUntil(lambda: [p.name for p in ctx.people()] == ["Ann", "Ann (2)"])


@pytest.mark.parametrize("kind", ["junk", "foreign"])
def test_a_damaged_or_foreign_file_is_refused_and_the_gallery_stays_open(
    qtbot, make_window, store, tmp_path, kind
):
    store.add_samples("Ann", [(np.eye(128, dtype=np.float32)[0], None, "a.jpg")])
    ctx = make_ctx(store, fake_pipeline())
    window = _window(make_window, qtbot, ctx)
    files = window.gallery_files
    bad = tmp_path / "bad.sqlite3"
    if kind == "junk":
        bad.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
        expected = "not a SQLite database"
    else:
        import sqlite3

        with sqlite3.connect(bad) as conn:
            conn.execute("CREATE TABLE notes(text)")
        expected = "another program"
    with qtbot.waitSignal(files.open_finished, timeout=30_000) as sig:
        files.open_gallery(bad)
    assert sig.args[0] == str(bad) and expected in sig.args[1]
    text = _close_message(files)
    assert expected in text and "gallery.sqlite3 stays open" in text
    assert ctx.store is store
    assert window.windowTitle() == "faceapp — gallery.sqlite3"
    assert [p.name for p in ctx.people()] == ["Ann"]
    assert bad.read_bytes()[:16] == b"SQLite format 3\x00"  # left untouched


def test_the_title_and_status_show_the_file_and_the_choice_is_remembered(
    qtbot, make_window, store, tmp_path
):
    ctx = make_ctx(store, fake_pipeline())
    window = _window(make_window, qtbot, ctx)
    files = window.gallery_files
    assert window.windowTitle() == "faceapp — gallery.sqlite3"
    assert files.status_gallery.text() == "Gallery: gallery.sqlite3"
    assert str(store.path.absolute()) in files.status_gallery.toolTip()
    other = tmp_path / "club.sqlite3"
    GalleryStore(other).add_samples("Bob", [(np.eye(128, dtype=np.float32)[1], None, "b.jpg")])
    with qtbot.waitSignal(files.open_finished, timeout=30_000):
        files.open_gallery(other)
    assert window.windowTitle() == "faceapp — club.sqlite3"
    assert str(other.absolute()) in files.status_gallery.toolTip()
    qtbot.waitUntil(lambda: [p.name for p in ctx.people()] == ["Bob"])
    settings = QSettings()
    assert settings.value(LAST_KEY) == str(other.absolute())
    assert recent_galleries(settings)[0] == other.absolute()
    files.recent_menu.aboutToShow.emit()  # as when the menu opens
    entries = [a.text() for a in files.recent_menu.actions()]
    assert any(t.startswith("club.sqlite3") for t in entries)


def test_archives_of_another_model_or_damaged_ones_leave_the_gallery_untouched(
    qtbot, make_window, store, tmp_path
):
    unit = np.eye(128, dtype=np.float32)
    store.add_samples("Ann", [(unit[0], None, "a.jpg")])
    other = GalleryStore(tmp_path / "other.sqlite3")
    other.add_samples("Cy", [(unit[3], None, "c.jpg")])
    foreign = tmp_path / "foreign-model.zip"
    export_gallery(other, foreign, "0" * 64)
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(foreign.read_bytes()[:-40])
    ctx = make_ctx(store, fake_pipeline())
    window = _window(make_window, qtbot, ctx)
    files = window.gallery_files
    revision = store.revision()
    for archive in (foreign, damaged):
        with qtbot.waitSignal(files.import_finished, timeout=60_000) as sig:
            files.import_from(archive)
        assert sig.args[0] is None and sig.args[1]
        text = _close_message(files)
        assert text.startswith("Nothing imported") and "unchanged" in text
    assert store.revision() == revision
    assert [p.name for p in store.people()] == ["Ann"]


def test_startup_opens_the_gallery_chosen_last_and_passes_over_a_damaged_one(
    tmp_path, monkeypatch, caplog
):
    from faceapp.session.gallery_files import remember_gallery, startup_gallery

    monkeypatch.setenv("FACEAPP_DATA_DIR", str(tmp_path / "data"))
    settings = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    assert startup_gallery(None, settings).path == tmp_path / "data" / "gallery.sqlite3"
    club = tmp_path / "club.sqlite3"
    GalleryStore(club).add_samples("Bob", [(np.eye(128, dtype=np.float32)[1], None, "b.jpg")])
    remember_gallery(settings, club)
    assert startup_gallery(None, settings).path == club.absolute()
    explicit = tmp_path / "explicit.sqlite3"
    assert startup_gallery(explicit, settings).path == explicit  # --gallery wins
    club.write_bytes(b"not a gallery any more" * 100)
    assert startup_gallery(None, settings).path == tmp_path / "data" / "gallery.sqlite3"
    assert "cannot be opened" in caplog.text


def test_the_file_actions_ask_for_a_file_then_act_on_it_and_do_nothing_when_cancelled(
    qtbot, make_window, store, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    ctx = make_ctx(store, fake_pipeline())
    window = _window(make_window, qtbot, ctx)
    files = window.gallery_files
    chosen, asked, done = [str(tmp_path / "chosen")], [], []

    def dialog(kind):
        def ask(parent, title, start, filters):
            assert parent is window
            asked.append((kind, title, Path(start).name, filters.split(" (")[0]))
            return chosen[0], ""

        return staticmethod(ask)

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog("save"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog("open"))
    for method in ("new_gallery", "open_gallery", "export_to", "import_from"):
        monkeypatch.setattr(files, method, lambda *a, m=method: done.append((m, *a)))
    actions = (files.new_action, files.open_action, files.export_action, files.import_action)
    for action in actions:
        action.trigger()
    path = tmp_path / "chosen"
    assert done == [
        ("new_gallery", path),
        ("open_gallery", path),
        ("export_to", path.with_suffix(".zip"), False),  # nobody was asked about chosen.zip
        ("import_from", path),
    ]
    assert [a[:2] for a in asked] == [
        ("save", "New gallery"),
        ("open", "Open gallery"),
        ("save", "Export gallery"),
        ("open", "Import gallery"),
    ]
    assert [a[3] for a in asked] == ["faceapp galleries"] * 2 + ["Gallery archives"] * 2
    assert asked[2][2].startswith("faceapp-gallery-") and asked[2][2].endswith(".zip")
    chosen[0] = ""  # cancelled
    for action in actions:
        action.trigger()
    assert len(done) == 4
