"""The window's proportions: the side panel's width and the share its pinned panel keeps."""

from __future__ import annotations

from collections.abc import Sequence

#: Narrowest and widest side panel, in pixels.
SIDE_MIN_PX = 330
SIDE_MAX_PX = 560
#: Share of the window's width the side panel takes between those (475 px of 1920).
SIDE_SHARE = 0.25
#: Share of the side panel's height kept for the pinned panel (the gallery) when the
#: panels above would take it; at least the pinned panel's minimum, at most its
#: preferred height.
PINNED_SHARE = 0.55
#: Side panels lower than this many pixels (a 1024x700 window's is about 610) give the
#: pinned panel its minimum only: the verdict and the threshold come first there.
PINNED_SHARE_FROM_PX = 680


def side_width(width: int) -> int:
    """Return the side panel's width in a splitter ``width`` pixels wide (handle excluded)."""
    return max(SIDE_MIN_PX, min(SIDE_MAX_PX, round(SIDE_SHARE * width)))


def scroll_cap(height: int, pinned: Sequence[tuple[int, int]], spacing: int) -> int | None:
    """Return the most height the scrolled panels may take in a side panel ``height`` high.

    Parameters
    ----------
    height : int
        The side panel's height, in pixels.
    pinned : sequence of (int, int)
        Each pinned panel's minimum and preferred height; with none, no cap (None).
    spacing : int
        Pixels between the scrolled panels and the pinned ones.
    """
    if not pinned:
        return None
    share = PINNED_SHARE if height >= PINNED_SHARE_FROM_PX else 0.0
    keep = sum(max(least, min(natural, round(share * height))) for least, natural in pinned)
    return max(0, height - keep - spacing)
