"""The Help menu (About, shortcuts, how to use) and the View actions: pause, mode, full screen."""

from __future__ import annotations

from faceapp import __version__, paths

from .gui_helpers import ListSource, fake_pipeline, grey_frames, make_ctx


def _menu_titles(window) -> dict[str, list[str]]:
    out = {}
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        out[menu.title().replace("&", "")] = [a.text() for a in menu.actions() if a.text()]
    return out


def test_help_menu_has_how_to_shortcuts_and_about(qtbot, make_window, store):
    window = make_window(make_ctx(store, fake_pipeline()), ListSource(grey_frames()), start=False)
    menus = _menu_titles(window)
    assert menus["Help"] == ["How to use", "Keyboard shortcuts", "About faceapp"]
    assert "Pause" in menus["View"] and "Full screen" in menus["View"]


def test_about_shows_version_model_hash_and_readable_licences(qtbot):
    from faceapp.gui.dialogs.help_dialogs import AboutDialog

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    header = dialog.header.text()
    assert __version__ in header
    sha = paths.pinned_hashes()["facenet_keras.h5"]
    assert len(sha) == 64 and sha in header
    components = [n.component for n in dialog.notices]
    assert any(c.startswith("Qt 6 and PySide6") for c in components)
    assert any(c.startswith("OpenCV") for c in components)
    qt = next(i for i, n in enumerate(dialog.notices) if n.component.startswith("Qt 6"))
    dialog.component_list.setCurrentRow(qt)
    assert dialog.notices[qt].licence.startswith("LGPL-3.0")
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in dialog.licence_text.toPlainText()
    opencv = next(i for i, n in enumerate(dialog.notices) if n.component.startswith("OpenCV"))
    dialog.component_list.setCurrentRow(opencv)
    assert "Apache License" in dialog.licence_text.toPlainText()


def test_bundled_distribution_folders_are_listed_with_their_licence(qtbot, tmp_path):
    """The package adds one folder per distribution (METADATA.txt and its licence files)."""
    from faceapp.gui.dialogs.help_dialogs import AboutDialog

    (tmp_path / "README.md").write_text(
        "| component | licence | notes |\n|---|---|---|\n| Foo | MIT (`MIT.txt`) | x |\n"
    )
    (tmp_path / "MIT.txt").write_text("MIT text")
    dist = tmp_path / "numpy"
    dist.mkdir()
    (dist / "METADATA.txt").write_text("numpy 2.1.0\nLicense: BSD-3-Clause\n")
    (dist / "LICENSE.txt").write_text("Copyright NumPy developers")
    dialog = AboutDialog(folder=tmp_path)
    qtbot.addWidget(dialog)
    assert [(n.component, n.licence) for n in dialog.notices] == [
        ("Foo", "MIT (MIT.txt)"),
        ("numpy 2.1.0", "BSD-3-Clause"),
    ]
    assert dialog.licence_text.toPlainText() == "MIT text"
    dialog.component_list.setCurrentRow(1)
    assert dialog.licence_text.toPlainText() == "Copyright NumPy developers"


def test_shortcuts_dialog_lists_pause_mode_capture_and_full_screen(qtbot, make_window, store):
    from faceapp.gui.dialogs.help_dialogs import ShortcutsDialog

    window = make_window(make_ctx(store, fake_pipeline()), ListSource(grey_frames()), start=False)
    dialog = ShortcutsDialog(window.chrome.actions())
    qtbot.addWidget(dialog)
    keys = dict(dialog.rows())
    assert keys["Pause"] == "Space"
    assert keys["Switch mode (recognition / verification)"] == "Ctrl+M"
    assert keys["Capture face"] == "Ctrl+E"
    assert keys["Full screen"] == "F11"


def test_pause_stops_reading_and_resume_continues(qtbot, make_window, store):
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=50.0, name="grey"))
    qtbot.waitUntil(lambda: window.capture_worker.loop.frames_read > 3)
    window.chrome.pause_action.trigger()
    capture = window.capture_worker
    assert capture.loop.paused()
    window._update_status()
    assert window.chrome.status_source.text() == "grey (paused)"
    qtbot.wait(100)  # a read under way when the pause came may still finish
    before = capture.loop.frames_read
    qtbot.wait(400)  # 20 frames at 50 fps would have been read meanwhile
    assert capture.loop.frames_read == before
    window.chrome.pause_action.trigger()
    qtbot.waitUntil(lambda: capture.loop.frames_read > before + 3)


def test_mode_action_switches_between_recognition_and_verification(qtbot, make_window, store):
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames()), start=False)
    assert ctx.settings.mode == "recognition"
    window.chrome.mode_action.trigger()
    assert ctx.settings.mode == "verification"
    assert window.mode_panel.verification_button.isChecked()
    window.chrome.mode_action.trigger()
    assert ctx.settings.mode == "recognition"


def test_each_help_action_opens_its_dialog_on_the_window(qtbot, make_window, store):
    from faceapp.gui.dialogs.help_dialogs import AboutDialog, HowToDialog, ShortcutsDialog

    window = make_window(make_ctx(store, fake_pipeline()), ListSource(grey_frames()), start=False)
    chrome = window.chrome
    for action, kind in (
        (chrome.howto_action, HowToDialog),
        (chrome.shortcuts_action, ShortcutsDialog),
        (chrome.about_action, AboutDialog),
    ):
        action.trigger()
        opened = [d for d in window.findChildren(kind) if d.isVisible()]
        assert len(opened) == 1, kind.__name__
        opened[0].close()
