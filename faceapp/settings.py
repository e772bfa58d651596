"""User preferences (thresholds per mode, mode, claim, source, geometry) as a plain dataclass."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from faceapp.core.live import LIVE_MIN_FACE_PX
from faceapp.core.matching import (
    DEFAULT_STRANGER_RATE,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    MODES,
    STRANGER_RATES,
    default_threshold,
)

log = logging.getLogger(__name__)


#: Live mode's smallest face by default, and the range a user may choose (pixels): under
#: 20 px the detector's first stage cannot see a face; over 200 px only close-ups are left.
DEFAULT_MIN_FACE_PX = round(LIVE_MIN_FACE_PX)
MIN_FACE_PX_RANGE = (20, 200)

#: Source used when the user has never chosen one: the first camera (the GUI falls back
#: to the demo when no camera opens).
DEFAULT_SOURCE = "0"

#: Seconds each photo of a folder stays on screen at least (a preference), and its ceiling.
DEFAULT_PHOTO_INTERVAL_S = 1.0
#: Network camera addresses the source dialog remembers.
MAX_RECENT_ADDRESSES = 8
MAX_PHOTO_INTERVAL_S = 60.0


@dataclass(frozen=True)
class Settings:
    """What the user chose last time; Qt-free, stored by the GUI layer with QSettings.

    Parameters
    ----------
    threshold : float or None
        Recognition mode's pinned distance threshold in ``[MIN_THRESHOLD,
        MAX_THRESHOLD]`` (lower is stricter), or None for the automatic threshold that
        follows the gallery at ``stranger_rate``
        (:func:`faceapp.core.matching.identify`).  (Its name predates the per-mode
        thresholds: preference files written before them keep their value for
        recognition.)
    mode : {"recognition", "verification"}
        1:K identification, or 1:1 verification of ``claim``.
    claim : str or None
        Display name of the claimed identity in verification mode.
    source : str
        ``"demo"``, a camera index such as ``"0"``, a video file or a folder of images
        (see :func:`faceapp.core.sources.open_source`).
    geometry : bytes
        Opaque window geometry as saved by the GUI toolkit; empty when unknown.
    demo_offered : bool
        True once the user has been offered to enrol the demo people.
    verification_threshold : float or None
        Verification mode's threshold, or None for that mode's default (the threshold
        at :data:`~faceapp.core.matching.DEFAULT_VERIFICATION_FAR` on LFW), which then
        follows the table shipped with the installed version.
    liveness : bool
        Ask for a head turn (left, then right) before accepting a claim in verification
        mode (:mod:`faceapp.core.liveness`); on unless the user turned it off.  Preference
        files written before it get the default.
    photo_interval_s : float
        Shortest time, in seconds, a photo of a folder source stays on screen (each stays
        until it has been processed, and at least this long); in
        ``[0, MAX_PHOTO_INTERVAL_S]``.
    guided_capture : bool
        The enrolment dialog starts in guided capture (several samples in several poses,
        taken by themselves) rather than single photo: the mode the user chose last.
    min_face_px : int
        Smallest face, in pixels (shorter side of the box), that live recognition looks
        for and shows (:attr:`faceapp.core.live.LiveSettings.min_face_px`), in
        :data:`MIN_FACE_PX_RANGE`; smaller values find people further away at a higher
        CPU cost (``docs/performance.md``).
    stranger_rate : float
        Recognition's automatic threshold: the fraction of strangers that may be given
        someone's name, one of :data:`~faceapp.core.matching.STRANGER_RATES` (another
        value becomes the nearest of them); lower is stricter.
    recent_addresses : str
        The network cameras opened last, newest first, one address a line (at most
        :data:`MAX_RECENT_ADDRESSES`), as typed: with any password, which is why the
        preferences file is private (0600); shown only redacted.
    camera_modes : str
        The size and frame rate chosen per camera, one ``camera=1280x720@30`` a line;
        ``camera`` is the name the system gives it, or its index (see
        :func:`camera_mode_for`).
    """

    threshold: float | None = None
    mode: str = "recognition"
    claim: str | None = None
    source: str = DEFAULT_SOURCE
    geometry: bytes = b""
    demo_offered: bool = False
    verification_threshold: float | None = None
    liveness: bool = True
    photo_interval_s: float = DEFAULT_PHOTO_INTERVAL_S
    guided_capture: bool = True
    min_face_px: int = DEFAULT_MIN_FACE_PX
    stranger_rate: float = DEFAULT_STRANGER_RATE
    recent_addresses: str = ""
    camera_modes: str = ""

    def recent(self) -> list[str]:
        """Return the remembered network camera addresses, newest first."""
        return [a for a in self.recent_addresses.splitlines() if a.strip()]

    def with_recent(self, address: str) -> Settings:
        """Return a copy that remembers ``address`` first (once; the oldest fall off)."""
        address = address.strip()
        if not address or "\n" in address:
            return self
        kept = [address, *(a for a in self.recent() if a != address)][:MAX_RECENT_ADDRESSES]
        return replace(self, recent_addresses="\n".join(kept))

    def camera_mode_for(self, camera: str) -> str | None:
        """Return the mode remembered for ``camera`` (``"1280x720@30"``, ``"auto"``), or None."""
        for line in self.camera_modes.splitlines():
            key, sep, value = line.rpartition("=")
            if sep and key == camera:
                return value
        return None

    def with_camera_mode(self, camera: str, mode: str) -> Settings:
        """Return a copy that remembers ``mode`` for ``camera`` (the latest choice wins)."""
        camera = " ".join(camera.split())
        lines = [
            line for line in self.camera_modes.splitlines() if line.rpartition("=")[0] != camera
        ]
        return replace(self, camera_modes="\n".join([*lines, f"{camera}={mode}"]))

    def validated(self) -> Settings:
        """Return a copy with every field brought into its valid range.

        A threshold outside the range is clipped (a non-number becomes the mode's
        default), a stranger rate becomes the nearest offered one, an unknown mode
        becomes ``"recognition"``, an empty claim or source their defaults; the minimum
        face size is clipped to :data:`MIN_FACE_PX_RANGE`.
        """
        t, v = (_clipped(x) for x in (self.threshold, self.verification_threshold))
        r = self.stranger_rate
        r = (
            DEFAULT_STRANGER_RATE
            if not (math.isfinite(r) and r > 0)
            else min(STRANGER_RATES, key=lambda x: abs(math.log(x / r)))
        )
        mode = self.mode if self.mode in MODES else "recognition"
        claim = self.claim.strip() if isinstance(self.claim, str) and self.claim.strip() else None
        source = self.source.strip() if self.source and self.source.strip() else DEFAULT_SOURCE
        p = self.photo_interval_s
        p = (
            DEFAULT_PHOTO_INTERVAL_S
            if not math.isfinite(p)
            else min(max(p, 0.0), MAX_PHOTO_INTERVAL_S)
        )
        low, high = MIN_FACE_PX_RANGE
        return replace(
            self,
            min_face_px=min(max(int(self.min_face_px), low), high),
            threshold=t,
            verification_threshold=v,
            stranger_rate=float(r),
            mode=mode,
            claim=claim,
            source=source,
            photo_interval_s=float(p),
            recent_addresses="\n".join(self.recent()[:MAX_RECENT_ADDRESSES]),
        )

    def threshold_for(self, mode: str) -> float | None:
        """Return the threshold in force in ``mode``: the user's choice or the mode's default.

        In recognition, None means the automatic threshold, which follows the gallery
        (:func:`faceapp.core.matching.index_outlook`); verification always gives a number.

        Raises
        ------
        faceapp.core.errors.ModelError
            When verification's default is needed and the shipped LFW table is damaged.
        """
        if mode == "verification":
            if self.verification_threshold is None:
                return default_threshold("verification")
            return self.verification_threshold
        return self.threshold

    @staticmethod
    def threshold_field(mode: str) -> str:
        """Return the name of the field that holds ``mode``'s threshold."""
        return "verification_threshold" if mode == "verification" else "threshold"

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain values (float, str, bytes, bool; ``None`` for no claim)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Settings:
        """Build settings from stored values, ignoring unknown keys and unusable values.

        Values may be strings (as INI-backed stores return them); anything that cannot be
        converted keeps its default, with a debug log line.
        """
        default = cls()
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in values or values[f.name] is None:
                continue
            raw = values[f.name]
            try:
                kwargs[f.name] = _convert(raw, type(getattr(default, f.name)), f.name)
            except (TypeError, ValueError):
                log.debug("ignoring stored %s=%r", f.name, raw)
        return cls(**kwargs).validated()


def _clipped(threshold: float | None) -> float | None:
    """Return a pinned threshold clipped to the range; None (or a non-number) stays automatic."""
    if threshold is None or not math.isfinite(threshold):
        return None
    return float(min(max(threshold, MIN_THRESHOLD), MAX_THRESHOLD))


def _convert(raw: Any, kind: type, name: str) -> Any:
    if name == "claim":
        return str(raw)
    if name in ("threshold", "verification_threshold"):
        return float(raw)
    if kind is bool:
        if isinstance(raw, str):
            if raw.strip().lower() in ("true", "1", "yes"):
                return True
            if raw.strip().lower() in ("false", "0", "no", ""):
                return False
            raise ValueError(raw)
        return bool(raw)
    if kind is float:
        return float(raw)
    if kind is int:
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(raw)
        return round(value)
    if kind is bytes:
        if isinstance(raw, (bytes, bytearray, memoryview)):
            return bytes(raw)
        raise TypeError(type(raw).__name__)
    return str(raw)
