"""The window's source as state: what is open, whether it showed a frame, is lost, is remembered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faceapp.core.reconnect import LinkState, LinkStatus
from faceapp.core.sources import CameraMode, FrameSource, camera_name, open_source
from faceapp.session.source_choices import camera_key, camera_mode_of
from faceapp.session.window_status import (
    NO_SOURCE,
    ended_text,
    is_camera,
    lost_text,
    opened_source_changes,
    source_name,
)
from faceapp.settings import Settings

log = logging.getLogger(__name__)

#: The source banner's buttons: open the source again, the demo, the source dialog;
#: play a finished video again (not remembered as the next start's source).
RETRY, USE_DEMO, CHOOSE, PLAY_AGAIN = "Retry", "Use demo", "Choose source…", "Play again"


@dataclass(frozen=True)
class SourceBanner:
    """What the source banner shows: ``level`` ("error", "warning", "info"), text, buttons."""

    level: str
    text: str
    buttons: tuple[str, ...]


def camera_mode_for(spec: str, settings: Settings) -> CameraMode | None:
    """Return the size and rate remembered for camera ``spec``; None when it is no camera.

    A camera nobody chose a mode for gets 1280×720 at 30 fps.
    """
    if not is_camera(spec):
        return None
    index = int(spec)
    return camera_mode_of(settings.camera_mode_for(camera_key(index, camera_name(index))))


def open_spec(spec: str | FrameSource, settings: Settings) -> FrameSource:
    """Return the source ``spec`` names, a camera in its remembered mode; a source as it is.

    Raises
    ------
    faceapp.core.sources.SourceError
        When the source cannot be opened (the message says why).
    """
    if not isinstance(spec, str):
        return spec
    return open_source(spec, camera_mode=camera_mode_for(spec, settings))


class SourceState:
    """What the window knows of its source, and what it decides from it (one thread).

    Parameters
    ----------
    spec : str or FrameSource
        The first source: a spec as :func:`~faceapp.core.sources.open_source` takes
        it, or a ready source.

    Attributes
    ----------
    spec : str or FrameSource
        The source asked for last.
    label : str
        How the window names it (a network address without its password).
    persist : bool
        Remember ``spec`` in the preferences once it delivers frames.
    lost : bool
        The live source is lost (the window waits for it to come back).
    """

    def __init__(self, spec: str | FrameSource) -> None:
        self.spec = spec
        self.label = source_name(spec)
        self.persist = False
        self.lost = False
        self._got_frame = False
        self._fallback_allowed = True  # the no-camera card, for the first camera only

    def open(self, spec: str | FrameSource, persist: bool) -> None:
        """Note that ``spec`` is being opened (only a string spec can be remembered)."""
        self.spec, self.label = spec, source_name(spec)
        self.persist = persist and isinstance(spec, str)
        self._got_frame = self.lost = False

    def opened(self, name: str, settings: Settings) -> dict[str, Any]:
        """Note the source is open as ``name``; return the preferences to change (maybe none)."""
        self.label = name
        spec = self.spec
        return (
            opened_source_changes(spec, settings) if self.persist and isinstance(spec, str) else {}
        )

    def first_frame(self) -> bool:
        """Note a frame was shown; True for the source's first (no card after that)."""
        if self._got_frame:
            return False
        self._got_frame, self._fallback_allowed = True, False
        return True

    def wants_card(self, retry: Callable[[], bool]) -> bool:
        """Return True when the source's failure shows the no-camera card, not a banner.

        That is a camera that never showed a frame, at the window's start, or again when
        the card's own retry failed (``retry()`` tells, and is asked only then).  The
        source is then named :data:`NO_SOURCE`.
        """
        if not is_camera(self.spec) or self._got_frame:
            return False
        if not (self._fallback_allowed or retry()):
            return False
        log.info("camera %s unavailable", self.spec)
        self._fallback_allowed, self.label = False, NO_SOURCE
        return True

    def failed_banner(self, message: str) -> SourceBanner:
        """Return the banner of a source that failed (``message``: why); log the failure."""
        log.warning("source %s failed: %s", self.label, message)
        text = f"The video source {self.label} failed: {message}"
        demo = () if self.spec == "demo" else (USE_DEMO,)
        return SourceBanner("error", text, (RETRY, *demo, CHOOSE))

    def ended_banner(self) -> SourceBanner:
        """Return the banner of a video (or another finite source) that has ended."""
        return SourceBanner("info", ended_text(self.label), (PLAY_AGAIN, CHOOSE))

    def link_changed(self, status: LinkStatus) -> str:
        """Note a live source's link; return what changed.

        ``"lost"`` when it is newly lost, ``"still lost"`` on a later try, ``"back"``
        when it came back, "" when nothing changed.
        """
        if status.state is LinkState.LOST:
            if self.lost:
                return "still lost"
            self.lost = True
            return "lost"
        if status.state is LinkState.LIVE and self.lost:
            self.lost = False
            log.info("%s is back after %.1f s", self.label, status.lost_for_s)
            return "back"
        return ""


def lost_banner(status: LinkStatus) -> SourceBanner:
    """Return the banner of a lost live source: why, when the next try is, another source."""
    return SourceBanner("warning", lost_text(status), (CHOOSE,))
