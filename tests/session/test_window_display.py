"""session.window_display: the display copies' size and pacing (no Qt)."""

from __future__ import annotations

from faceapp.session.window_display import MAX_DISPLAY_SIDE, DisplayPacing, DisplaySize


def test_a_display_size_out_of_range_means_frames_as_they_come() -> None:
    size = DisplaySize()
    assert size.get() is None
    size.set(640, 360)
    assert size.get() == (640, 360)
    for width, height in ((0, 360), (640, -1), (MAX_DISPLAY_SIDE + 1, 360)):
        size.set(width, height)
        assert size.get() is None


def test_pacing_lets_limit_copies_ahead_and_counts_the_rest_as_drops() -> None:
    pacing = DisplayPacing(limit=2)
    assert [pacing.take() for _ in range(5)] == [True, True, False, False, False]
    assert pacing.drops == 3
    pacing.shown()
    assert pacing.take() and not pacing.take()
    assert pacing.drops == 4


def test_a_photo_is_always_shown_and_extra_acknowledgements_are_harmless() -> None:
    pacing = DisplayPacing(limit=1)
    assert pacing.take()
    assert pacing.take(always=True)  # the copies in flight are forgotten
    pacing.shown()
    pacing.shown()  # more acknowledgements than copies: never below zero
    assert pacing.take() and not pacing.take()
