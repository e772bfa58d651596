"""session.window_menus: the window's action, menu and toolbar tables (no Qt)."""

from __future__ import annotations

from faceapp.session.window_menus import ACTIONS, TOOLBAR, menu_order


def test_every_action_is_in_exactly_one_menu_and_the_toolbar_uses_known_ones() -> None:
    names = [spec.name for spec in ACTIONS]
    assert len(set(names)) == len(names)
    assert sorted(menu_order()) == sorted(names)
    assert set(TOOLBAR) <= set(names)


def test_no_two_actions_share_a_key() -> None:
    keys = [k for spec in ACTIONS for k in spec.keys] + [s.standard for s in ACTIONS if s.standard]
    assert len(set(keys)) == len(keys)
    assert {"Ctrl+U", "Space", "F11"} <= set(keys)
