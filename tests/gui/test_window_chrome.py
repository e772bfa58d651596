"""The window's chrome: every menu action with a key is in Help > Keyboard shortcuts."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow

from faceapp.gui.window_chrome import WindowChrome


def test_every_menu_action_with_a_key_is_among_the_shortcuts(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    chrome = WindowChrome(window)
    in_menus = [
        a
        for menu in (m.menu() for m in window.menuBar().actions())
        for a in menu.actions()
        if a.shortcuts()
    ]
    listed = chrome.shortcut_actions()
    assert chrome.unknown_faces_action in in_menus  # Ctrl+U
    assert [a for a in in_menus if a not in listed] == []


def test_the_chrome_declares_an_attribute_for_every_action_of_the_table() -> None:
    from faceapp.session.window_menus import ACTIONS

    declared = {n for n in WindowChrome.__annotations__ if n.endswith("_action")}
    assert declared == {f"{spec.name}_action" for spec in ACTIONS}
