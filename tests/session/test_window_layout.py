"""session.window_layout: the side panel's width and the pinned panel's share (no Qt)."""

from __future__ import annotations

from faceapp.session import window_layout as wl


def test_the_side_panel_takes_a_quarter_between_its_bounds() -> None:
    assert wl.side_width(1900) == 475
    assert wl.side_width(800) == wl.SIDE_MIN_PX
    assert wl.side_width(4000) == wl.SIDE_MAX_PX


def test_the_pinned_panel_keeps_its_share_in_a_tall_panel_and_its_minimum_in_a_low_one() -> None:
    assert wl.scroll_cap(1000, [], 6) is None
    assert wl.scroll_cap(1000, [(200, 900)], 6) == 1000 - 550 - 6  # 55 % of 1000
    assert wl.scroll_cap(1000, [(200, 300)], 6) == 1000 - 300 - 6  # no more than it wants
    assert wl.scroll_cap(600, [(200, 900)], 6) == 600 - 200 - 6  # low: its minimum
    assert wl.scroll_cap(100, [(200, 900)], 6) == 0
