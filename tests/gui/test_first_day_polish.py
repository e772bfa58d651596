"""Everyday defects of the window (issue 17): Enter in guided capture, focus, layout, keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from faceapp.core.images import load_image
from faceapp.core.matching import GalleryIndex
from faceapp.core.sources import Frame, letterbox

from .gui_helpers import make_ctx


@pytest.fixture
def frontal_frame(real_pipeline, val_photos):
    """``(image, FrameResult)`` of Jerry Seinfeld facing the camera (640x480, read-only)."""
    image = letterbox(load_image(val_photos["jerry_seinfeld"][2]), (640, 480))
    image.setflags(write=False)
    return image, real_pipeline.process(image, GalleryIndex.empty())


def _show_active(qtbot, widget) -> None:
    widget.show()
    widget.activateWindow()
    qtbot.waitActive(widget)
    qtbot.waitUntil(lambda: widget.focusWidget() is not None)


# -- 1. guided capture: Enter and focus ------------------------------------------------------


@pytest.mark.model
def test_enter_in_guided_capture_keeps_the_samples_and_saves_them(
    qtbot, store, real_pipeline, frontal_frame
):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    ctx = make_ctx(store, real_pipeline)
    image, result = frontal_frame
    dialog = EnrolDialog(ctx, lambda: (Frame(image, 0, 0.0), result), "", guided=True)
    qtbot.addWidget(dialog)
    _show_active(qtbot, dialog)
    assert dialog.focusWidget() is dialog.name_edit  # type the name straight away
    panel = dialog.guided_panel
    qtbot.waitUntil(lambda: len(panel.taken.shots) == 1)
    assert not panel.restart_button.autoDefault()  # "Start over" is never what Enter does

    # Enter before a name is typed: nothing happens, the sample stays.
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert len(panel.taken.shots) == 1 and dialog.isVisible()
    assert panel.progress_label.text().startswith("1 of 5")
    # Enter with a name saves the samples taken.
    qtbot.keyClicks(dialog.name_edit, "Jerry Seinfeld")
    with qtbot.waitSignal(dialog.enrol_batch_requested) as saved:
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert saved.args[0] == "Jerry Seinfeld" and len(saved.args[1]) == 1
    assert not dialog.isVisible()


@pytest.mark.parametrize("guided", [True, False])
def test_the_name_field_has_the_focus_when_the_capture_dialog_opens(qtbot, store, guided):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    from .gui_helpers import fake_pipeline

    ctx = make_ctx(store, fake_pipeline())
    dialog = EnrolDialog(ctx, lambda: None, "Ann", guided=guided)
    qtbot.addWidget(dialog)
    _show_active(qtbot, dialog)
    assert dialog.focusWidget() is dialog.name_edit
    assert dialog.name_edit.selectedText() == "Ann"  # typing replaces the suggestion
    assert dialog.enrol_button.isDefault()


# -- 3. gallery files: Documents, and the first gallery among the recent ones --------------


@pytest.fixture
def data_dir_gallery(tmp_path, monkeypatch):
    """A gallery at the default place, inside the (hidden) user data folder."""
    from faceapp import paths
    from faceapp.storage.gallery import GalleryStore

    monkeypatch.setenv("FACEAPP_DATA_DIR", str(tmp_path / ".local" / "share" / "faceapp"))
    return GalleryStore(paths.default_gallery_path())


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home folder of the test's own (Qt reads HOME and the XDG user dirs each time)."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / ".config"))
    return folder


def test_documents_folder_falls_back_to_home(home):
    from faceapp.gui.gallery_files import documents_folder

    assert documents_folder() == home  # no Documents folder
    (home / "Documents").mkdir()
    assert documents_folder() == home / "Documents"


def test_new_gallery_and_export_start_in_documents_not_the_hidden_data_folder(
    qtbot, make_window, data_dir_gallery, home, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    from .gui_helpers import ListSource, fake_pipeline, grey_frames

    (home / "Documents").mkdir()
    asked: list[str] = []

    def ask(parent, caption, folder, *args, **kwargs):
        asked.append(folder)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", ask)
    ctx = make_ctx(data_dir_gallery, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=10.0))
    files = window.gallery_files
    for action in (files.new_action, files.export_action, files.open_action):
        action.trigger()
    new, export, open_ = (Path(a) for a in asked)
    assert new == home / "Documents"
    assert export.parent == home / "Documents" and export.suffix == ".zip"
    assert open_ == home / "Documents"


def test_open_recent_lists_the_gallery_the_window_started_with(
    qtbot, make_window, data_dir_gallery, tmp_path
):
    """The first day: the default gallery (no file yet), then another; back to the first."""
    import numpy as np
    from PySide6.QtCore import QSettings

    from faceapp.session.gallery_files import recent_galleries
    from faceapp.storage.gallery import GalleryStore

    from .gui_helpers import ListSource, fake_pipeline, grey_frames

    store = data_dir_gallery
    settings = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=10.0))
    from faceapp.gui.gallery_files import GalleryFiles

    files = GalleryFiles(ctx, window, settings)
    other = tmp_path / "club.sqlite3"
    GalleryStore(other).add_samples("Bob", [(np.eye(128, dtype=np.float32)[1], None, "b.jpg")])
    with qtbot.waitSignal(files.open_finished, timeout=30_000):
        files.open_gallery(other)
    assert recent_galleries(settings)[:2] == [other.absolute(), store.path.absolute()]
    files.recent_menu.aboutToShow.emit()
    entries = {a.text().split("  ")[0]: a.isEnabled() for a in files.recent_menu.actions()}
    assert entries == {"club.sqlite3": False, "gallery.sqlite3": True}  # back to the first
    (back,) = [a for a in files.recent_menu.actions() if a.isEnabled()]
    with qtbot.waitSignal(files.open_finished, timeout=30_000) as opened:
        back.trigger()
    assert opened.args[1] == "" and ctx.store.path.absolute() == store.path.absolute()


# -- 4. keys on a person in the gallery list -------------------------------------------------


@pytest.fixture
def two_people(store):
    import numpy as np

    unit = np.eye(128, dtype=np.float32)
    store.add_samples("Ann", [(unit[0], None, "a1.jpg"), (unit[1], None, "a2.jpg")])
    store.add_samples("Bob", [(unit[2], None, "b1.jpg")])
    return store


def test_f2_delete_and_enter_on_a_person_rename_delete_and_open_the_samples(
    qtbot, make_window, two_people, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    from faceapp.gui.dialogs.samples_dialog import SamplesDialog
    from faceapp.gui.widgets import gallery_panel

    from .gui_helpers import ListSource, fake_pipeline, grey_frames

    ctx = make_ctx(two_people, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=10.0))
    panel = window.gallery_panel
    qtbot.waitUntil(lambda: panel.names() == ["Ann", "Bob"])
    _show_active(qtbot, window)
    view = panel.people_list
    panel.select("Ann")
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)

    asked: list[str] = []

    def ask_name(parent, title, label, text="", names=None):
        asked.append(text)
        return "Anna"

    monkeypatch.setattr(gallery_panel, "ask_name", ask_name)
    with qtbot.waitSignal(ctx.gallery_changed):
        qtbot.keyClick(view, Qt.Key.Key_F2)
    assert asked == ["Ann"] and [p.name for p in two_people.people()] == ["Anna", "Bob"]

    panel.select("Anna")
    qtbot.keyClick(view, Qt.Key.Key_Return)
    dialogs = [d for d in panel.findChildren(SamplesDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].close()

    questions: list[str] = []

    def question(parent, title, text, *args, **kwargs):
        questions.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    panel.select("Bob")
    view.setFocus()
    with qtbot.waitSignal(ctx.gallery_changed):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert len(questions) == 1 and "Bob" in questions[0]  # asked first, as the button does
    assert [p.name for p in two_people.people()] == ["Anna"]


def test_the_gallery_keys_are_in_the_list_context_menu(qtbot, store):
    from PySide6.QtGui import QKeySequence

    from faceapp.gui.widgets.gallery_panel import GalleryPanel

    from .gui_helpers import fake_pipeline

    panel = GalleryPanel(make_ctx(store, fake_pipeline()))
    qtbot.addWidget(panel)
    keys = {a.text(): a.shortcut() for a in panel.people_list.actions()}
    assert keys["Rename…"] == QKeySequence("F2")
    assert keys["Delete…"] == QKeySequence(QKeySequence.StandardKey.Delete)
    assert keys["Samples…"] == QKeySequence("Return")


def test_the_gallery_keys_are_listed_in_help_keyboard_shortcuts(qtbot, make_window, store):
    from faceapp.gui.dialogs.help_dialogs import ShortcutsDialog

    from .gui_helpers import ListSource, fake_pipeline, grey_frames

    window = make_window(make_ctx(store, fake_pipeline()), ListSource(grey_frames()), start=False)
    dialog = ShortcutsDialog(window.chrome.shortcut_actions(), window)
    qtbot.addWidget(dialog)
    rows = dict(dialog.rows())
    assert rows["Rename the selected person"] == "F2"
    assert rows["Samples of the selected person"].startswith("Return")
    assert rows["Delete the selected person"].startswith("Del")


# -- 5. Pause becomes Resume ------------------------------------------------------------------


def test_pause_becomes_resume_and_back(qtbot, make_window, store):
    from .gui_helpers import ListSource, fake_pipeline, grey_frames

    window = make_window(make_ctx(store, fake_pipeline()), ListSource(grey_frames(), fps=10.0))
    pause = window.chrome.pause_action
    icon_before = pause.icon().cacheKey()
    assert pause.text() == "Pause"
    pause.trigger()
    assert pause.isChecked() and pause.text() == "Resume"
    assert pause.icon().cacheKey() != icon_before and not pause.icon().isNull()
    assert "Resume" in pause.toolTip()
    qtbot.waitUntil(lambda: "paused" in window.chrome.status_source.text())
    pause.trigger()
    assert not pause.isChecked() and pause.text() == "Pause"


# -- 6. keyboard focus is clearly visible -----------------------------------------------------


def _luminance(rgb) -> float:
    """Relative luminance (WCAG) of an sRGB triple of 0..255."""
    import numpy as np

    c = np.asarray(rgb, float) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def _contrast_ratio(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _focus_widgets():
    from PySide6.QtCore import QStringListModel
    from PySide6.QtWidgets import (
        QCheckBox,
        QComboBox,
        QLineEdit,
        QListView,
        QPushButton,
        QRadioButton,
        QSlider,
    )

    def button(name: str):
        b = QPushButton("Capture face")
        b.setObjectName(name)
        return b

    def people():
        view = QListView()
        view.setObjectName("peopleList")
        view.setModel(QStringListModel(["Ann", "Bob"], view))
        view.setFixedHeight(90)
        return view

    def combo():
        c = QComboBox()
        c.addItems(["Ann", "Bob"])
        return c

    return {
        "button": lambda: button(""),
        "primary button": lambda: button("primary"),
        "danger button": lambda: button("danger"),
        "combo box": combo,
        "slider": lambda: QSlider(Qt.Orientation.Horizontal),
        "people list": people,
        "check box": lambda: QCheckBox("Require a head turn"),
        "radio button": lambda: QRadioButton("Guided"),
        "line edit": lambda: QLineEdit("Ann"),
    }


@pytest.mark.parametrize("kind", list(_focus_widgets()))
def test_keyboard_focus_is_clearly_visible(qtbot, kind):
    """A focused widget shows a ring: pixels an unfocused one lacks, 3:1 against its edge."""
    import numpy as np
    from PySide6.QtWidgets import QGroupBox, QVBoxLayout

    from faceapp import paths

    box = QGroupBox("Panel")  # the side panel's background
    box.setStyleSheet((paths.resources_dir() / "style.qss").read_text(encoding="utf-8"))
    make = _focus_widgets()[kind]
    focused, unfocused = make(), make()
    layout = QVBoxLayout(box)
    layout.addWidget(focused)
    layout.addWidget(unfocused)
    qtbot.addWidget(box)
    box.resize(300, 260)
    _show_active(qtbot, box)
    focused.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(focused.hasFocus)

    def pixels(widget) -> np.ndarray:
        from PySide6.QtGui import QImage

        # As on screen: the panel's background shows through the widget.
        grab = box.grab(widget.geometry().adjusted(-2, -2, 2, 2))
        image = grab.toImage().convertToFormat(QImage.Format.Format_RGB888)
        w, h, stride = image.width(), image.height(), image.bytesPerLine()
        raw = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
        return raw[:, : 3 * w].reshape(h, w, 3).astype(int)

    on, off = pixels(focused), pixels(unfocused)
    assert on.shape == off.shape  # the ring does not change the widget's size
    changed = np.abs(on - off).sum(axis=2) > 60
    assert changed.sum() >= 2 * (on.shape[0] + on.shape[1]) * 0.5, (kind, int(changed.sum()))
    # The changed pixels stand out from what they replace: at least 3:1 (WCAG 2.2, 2.4.13).
    ring = np.median(on[changed], axis=0)
    before = np.median(off[changed], axis=0)
    assert _contrast_ratio(ring, before) >= 3.0, (kind, ring, before)


# -- 2. the side panel on small and wide screens ----------------------------------------------


@pytest.fixture
def twelve_people(store):
    import numpy as np

    rng = np.random.default_rng(0)
    for i in range(12):
        store.add_samples(f"Person {i}", [(rng.normal(size=128).astype(np.float32), None, None)])
    return store


@pytest.mark.parametrize("mode", ["recognition", "verification"])
@pytest.mark.parametrize(
    ("size", "least_rows"), [((1024, 700), 2), ((1240, 800), 3), ((1920, 1080), 4)]
)
def test_the_gallery_list_shows_several_rows_and_the_side_panel_grows(
    qtbot, make_window, twelve_people, mode, size, least_rows
):
    import contextlib

    from PySide6.QtCore import QSize

    from faceapp import paths

    from .gui_helpers import ListSource, fake_pipeline, grey_frames

    ctx = make_ctx(twelve_people, fake_pipeline(), mode=mode, claim="Person 3", liveness=False)
    window = make_window(ctx, ListSource(grey_frames(), fps=10.0))
    window.setStyleSheet((paths.resources_dir() / "style.qss").read_text(encoding="utf-8"))
    panel = window.gallery_panel
    qtbot.waitUntil(lambda: len(panel.names()) == 12)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size() == QSize(*size))
    view = panel.people_list

    def rows() -> float:
        return view.viewport().height() / view.sizeHintForRow(0)

    with contextlib.suppress(qtbot.TimeoutError):  # the layouts settle over a few events
        qtbot.waitUntil(lambda: rows() >= least_rows, timeout=3000)
    assert rows() >= least_rows, (mode, size, rows())
    column = panel.parentWidget().parentWidget()
    if size[0] >= 1920:
        assert column.width() >= 0.22 * size[0], column.width()  # not 330 px of 1920
    else:
        assert column.width() >= 330
