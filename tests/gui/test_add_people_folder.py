"""Gallery > Add people from folder…: a folder of people enrolled as ``enroll --folders`` does."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from .gui_helpers import ListSource, celebrity_photos, fake_pipeline, grey_frames, make_ctx


def _shown(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _window(qtbot, make_window, ctx):
    window = make_window(ctx, ListSource(grey_frames(), fps=5.0))
    qtbot.waitUntil(lambda: ctx.people_loaded and ctx.gallery_index() is not None)
    return window


@pytest.mark.model
def test_the_folder_action_enrols_everybody_and_reports_the_bad_photos(
    qtbot, make_window, store, real_pipeline, tmp_path, monkeypatch
):
    train = celebrity_photos("train")
    people = tmp_path / "people"
    _copy(train["madonna"][1], people / "Madonna" / "a.jpg")
    _copy(train["madonna"][2], people / "Madonna" / "b.jpg")
    (people / "Madonna" / "broken.jpg").write_bytes(b"not a photo")
    _copy(train["jerry_seinfeld"][1], people / "Jerry Seinfeld" / "jerry.jpg")
    _copy(train["mindy_kaling"][1], people / "Mindy_Kaling.jpg")
    Image.new("RGB", (320, 240), (120, 130, 140)).save(people / "Wall_0001.png")
    ctx = make_ctx(store, real_pipeline)
    window = _window(qtbot, make_window, ctx)
    (gallery_menu,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&Gallery"]
    assert window.chrome.add_folder_action in gallery_menu.actions()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(people))

    runner = window.enrolment
    with qtbot.waitSignal(runner.folder_enrolled, timeout=120_000) as done:
        window.chrome.add_folder_action.trigger()
    summary, results = done.args
    assert (summary.people, summary.new, summary.samples, summary.refused) == (3, 3, 4, 2)
    assert {p.name: p.added for p in results} == {
        "Madonna": 2,
        "Jerry Seinfeld": 1,
        "Mindy Kaling": 1,
        "Wall": 0,
    }
    assert {p.name: p.n_samples for p in store.people()} == {
        "Jerry Seinfeld": 1,
        "Madonna": 2,
        "Mindy Kaling": 1,
    }
    box = runner.last_summary
    assert box is not None and box.isVisible()
    assert _shown(box.text()) == summary.line
    details = _shown(box.informativeText())
    assert "broken.jpg: not an image" in details and "Wall_0001.png: no face found" in details
    box.accept()
    qtbot.waitUntil(lambda: {p.name for p in ctx.people()} >= {"Madonna", "Mindy Kaling"})


def test_a_folder_without_photos_says_so_and_enrols_nobody(qtbot, make_window, store, tmp_path):
    (tmp_path / "notes.txt").write_text("nobody here")
    ctx = make_ctx(store, fake_pipeline())
    window = _window(qtbot, make_window, ctx)
    with qtbot.waitSignal(window.enrolment.folder_enrolled, timeout=30_000) as done:
        window.enrolment.enrol_folder(tmp_path)
    assert done.args == [None, ()]
    box = window.enrolment.last_summary
    assert box is not None and "No photos found" in _shown(box.text())
    box.accept()
    assert store.people() == []
