"""What the window says about its source and model: the status bar's texts and the banners'."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faceapp import paths
from faceapp.core.reconnect import LinkStatus
from faceapp.core.sources import FrameSource, network_scheme, redact_source
from faceapp.session.live import ModelState
from faceapp.session.meters import LiveMeters
from faceapp.settings import Settings

#: The source's state while a live source is lost (no figure is shown then).
LOST_STATE = "reconnecting"
#: The source named while the no-camera card is up.
NO_SOURCE = "none (no camera found)"
#: The model state as the status bar says it.
MODEL_TEXT = {
    ModelState.LOADING: "Loading model…",
    ModelState.READY: "Model ready",
    ModelState.FAILED: "Model failed",
}


def source_name(spec: str | FrameSource) -> str:
    """Return how the window names a source: a network address never with its password."""
    return redact_source(spec) if isinstance(spec, str) else spec.name


def is_camera(spec: str | FrameSource) -> bool:
    """Return True when ``spec`` names a local camera by its index ("0", "1", …)."""
    return isinstance(spec, str) and spec.strip().isdigit()


def source_state(running: bool, paused: bool, lost: bool, started: bool, picture: bool) -> str:
    """Return the word shown after the source's name: paused, reconnecting, stopped or "".

    Parameters
    ----------
    running : bool
        A capture runs.
    paused, lost : bool
        The video is paused; the live source is lost (this wins over paused).
    started : bool
        The window has started (before, nothing is stopped).
    picture : bool
        A picture is shown (not the no-camera card, which needs no "stopped").
    """
    if running:
        return LOST_STATE if lost else "paused" if paused else ""
    return "stopped" if started and picture else ""


@dataclass(frozen=True)
class StatusTexts:
    """The texts of the toolbar's source title and of the status bar's fields."""

    title: str
    source: str
    rates: str
    latency: str
    faces: str


def status_texts(
    source: str, state: str, shown_fps: float, processed_fps: float, latency_ms: float, faces: int
) -> StatusTexts:
    """Return what the toolbar and status bar say of the source and its figures.

    While the source is lost (``state`` is :data:`LOST_STATE`) no figure is shown: the
    rates, latency and faces of the frames before the loss would be stale.  A latency
    of 0 (no result yet) is shown as a dash.
    """
    title, shown = f"Source: {source}", source + (f" ({state})" if state else "")
    if state == LOST_STATE:
        return StatusTexts(title, shown, "camera lost: no frames", "latency –", "faces –")
    latency = f"{latency_ms:.0f} ms" if latency_ms > 0 else "–"
    return StatusTexts(
        title,
        shown,
        f"shown {shown_fps:.1f} fps · processed {processed_fps:.1f} fps",
        f"latency {latency}",
        f"{faces} face{'s' if faces != 1 else ''}",
    )


def meter_texts(source: str, state: str, meters: LiveMeters) -> StatusTexts:
    """Return :func:`status_texts` of ``source`` in ``state`` with the figures of ``meters``."""
    rates = meters.shown.rate(), meters.processed.rate()
    return status_texts(source, state, *rates, meters.latency_ms, meters.faces)


def session_summary(seconds: float, meters: LiveMeters) -> str:
    """Return the log line of a session ``seconds`` long: the frames shown and processed."""
    shown, processed = meters.shown, meters.processed
    return (
        f"session: {seconds:.1f} s; frames shown {shown.count} ({shown.mean_rate():.1f}/s),"
        f" frames processed {processed.count} ({processed.mean_rate():.1f}/s)"
    )


def pause_texts(paused: bool) -> tuple[str, str]:
    """Return the Pause action's text and tool tip: what it does next (Resume while paused)."""
    what = "Resume the video" if paused else "Pause the video"
    return ("Resume" if paused else "Pause"), f"{what} (Space)"


def model_failed_text(message: str) -> str:
    """Return the banner of a face model that could not be loaded (``message``: why)."""
    return (
        f"The face model could not be loaded ({message}). Frames are shown, but faces"
        f" are not recognised: {paths.missing_files_advice()}, then restart."
    )


def lost_text(status: LinkStatus) -> str:
    """Return the banner of a lost live source: why, and when the next try is."""
    retry = f"; next try in {status.retry_in_s:.0f} s" if status.attempts else ""
    return f"{status.text} ({status.reason}{retry})"


def offline_text(message: str, held: int) -> str:
    """Return the banner of a shared gallery away, with the history events waiting."""
    return message + (f" · {held} history events wait to be written" if held else "")


class OfflineLink:
    """The shared gallery's offline banner: up while the server is away, with the events held.

    Attributes
    ----------
    message : str or None
        Why the gallery is away (None while it is online).
    held : int
        History events waiting for the gallery.
    """

    def __init__(self) -> None:
        self.message: str | None = None
        self.held = 0
        self._shown = False

    def change(self) -> str | None:
        """Return what the gallery banner is to say now.

        The offline text while the gallery is away; "" to hide the banner once it is
        back (only when the banner showed the offline text); None to leave the banner
        as it is.
        """
        if self.message is not None:
            self._shown = True
            return offline_text(self.message, self.held)
        if self._shown:
            self._shown = False
            return ""
        return None


def opening_text(label: str) -> str:
    """Return what the video view says while the source ``label`` opens."""
    return f"Opening {label}…"


def ended_text(label: str) -> str:
    """Return the banner of a video (or another finite source) that has ended."""
    return f"{label} has ended."


def enrolling_text(name: str) -> str:
    """Return the status bar's line while a capture of ``name`` is being stored."""
    return f"Enrolling {name}…"


def enrolled_text(names: list[str]) -> str:
    """Return the status bar's line once ``names`` (at least one) were enrolled."""
    return f"Enrolled: {', '.join(names)}"


def opened_source_changes(spec: str, settings: Settings) -> dict[str, Any]:
    """Return the preferences to change once the source ``spec`` delivers frames.

    It becomes the source of the next start; a network camera's address is also
    offered again by the source dialog (shown redacted there).
    """
    changes: dict[str, Any] = {"source": spec}
    if network_scheme(spec) is not None:
        changes["recent_addresses"] = settings.with_recent(spec).recent_addresses
    return changes
