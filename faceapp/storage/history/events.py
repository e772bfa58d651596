"""History values: the events recorded and read back, the settings, and the checks on an event."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from faceapp.core.appearances import Appearance, Decision
from faceapp.core.matching import MODES, Mode
from faceapp.core.quality import QualityFigures
from faceapp.storage.samples import embedding_blob, quality_json

#: Days an event is kept when the gallery says nothing else.
DEFAULT_RETENTION_DAYS = 30
#: Range a retention may be set to, in days.
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 3650
#: Side of the square JPEG face crop callers store with an event, in pixels.
CROP_SIZE = 64
#: Largest crop accepted, in bytes (a 64-pixel JPEG is about 2 KB).
MAX_CROP_BYTES = 64 * 1024
#: Longest source text stored, in characters.
MAX_SOURCE_LENGTH = 1000
#: Most values an unknown face's stored embedding may have (FaceNet's is 128).
MAX_EMBEDDING_DIM = 4096

_DECISIONS_OF_MODE: dict[str, tuple[str, ...]] = {
    "recognition": ("named", "maybe", "unknown", "corrected"),
    "verification": ("accepted", "rejected"),
}


@dataclass(frozen=True)
class HistorySettings:
    """Whether history is recorded, and for how long events are kept.

    Parameters
    ----------
    enabled : bool
        Record events (True by default).
    retention_days : int
        Days an event is kept, in ``[MIN_RETENTION_DAYS, MAX_RETENTION_DAYS]``.
    """

    enabled: bool = True
    retention_days: int = DEFAULT_RETENTION_DAYS


@dataclass(frozen=True)
class NewEvent:
    """An event to record.

    Parameters
    ----------
    mode : {"recognition", "verification"}
    decision : {"named", "maybe", "unknown", "corrected", "accepted", "rejected"}
        ``named``/``maybe``/``unknown``/``corrected`` in recognition,
        ``accepted``/``rejected`` in verification.  ``corrected``: a face kept from
        being named X by a "not X" correction, and named nobody else.
    person_id : int or None
        Gallery id of the person named, maybe named or claimed, or, for ``corrected``,
        of the person X the face was kept from; None for ``unknown``.
    distance : float or None
        Distance behind the decision; None (or ``inf``) when there was nobody to compare.
    threshold : float
        Threshold the decision was taken with.
    source : str, optional
        Where the face was seen ("camera 0", a file name, ...).
    position : float, optional
        Seconds into the source.
    crop : bytes, optional
        JPEG of the face, at most :data:`MAX_CROP_BYTES`.
    at : datetime, optional
        When (timezone-aware); the time of recording by default.
    person_since : str, optional
        When the person the face was matched with was enrolled (``Person.created_at``,
        e.g. from :meth:`~faceapp.storage.gallery.StampedIndex.enrolled_at_of`).  When
        given, the event is stored only if ``person_id`` still belongs to a person
        enrolled at that time: gallery ids are reused after a wipe or after the newest
        person was removed, and a face must never be filed under someone else.
    embedding : ndarray, shape (d,), optional
        For an ``unknown`` face only: its L2-normalised embedding, computed from the
        full-resolution frame (``FacePipeline.embed(frame, [face])[0]``), so that unknown
        faces can be grouped and named later (``faceapp unknown``).  Stored as float32
        beside the crop, under the same rules (retention, ``history --clear``, secure
        delete, never exported).  Ignored for the other decisions.
    quality : QualityFigures, optional
        With ``embedding``: the enrolment quality figures of the face in that frame
        (``assess_face(frame, face).figures``), used to pick the samples a group is
        enrolled from.
    """

    mode: Mode
    decision: Decision
    person_id: int | None
    distance: float | None
    threshold: float
    source: str | None = None
    position: float | None = None
    crop: bytes | None = field(default=None, repr=False)
    at: datetime | None = None
    person_since: str | None = None
    embedding: np.ndarray | None = field(default=None, repr=False, compare=False)
    quality: QualityFigures | None = None

    @classmethod
    def from_appearance(
        cls,
        appearance: Appearance,
        crop: bytes | None = None,
        source: str | None = None,
        at: datetime | None = None,
        person_since: str | None = None,
        embedding: np.ndarray | None = None,
        quality: QualityFigures | None = None,
    ) -> NewEvent:
        """Return the event of an :class:`~faceapp.core.appearances.Appearance`.

        ``embedding`` and ``quality`` are kept for an unknown face only (see
        :class:`NewEvent`).
        """
        m = appearance.match
        unknown = appearance.decision == "unknown"
        return cls(
            mode=appearance.mode,
            decision=appearance.decision,
            person_id=None
            if unknown
            else m.corrected_id
            if appearance.decision == "corrected"
            else m.person_id,
            distance=m.distance if math.isfinite(m.distance) else None,
            threshold=m.threshold,
            source=source,
            position=appearance.timestamp,
            crop=crop,
            at=at,
            person_since=None if unknown else person_since,
            embedding=embedding if unknown else None,
            quality=quality if unknown else None,
        )


@dataclass(frozen=True)
class HistoryEvent:
    """A recorded event.

    Parameters
    ----------
    id : int
        Event id (grows with time of recording).
    at : datetime
        When, in UTC.
    mode, decision : str
        See :class:`NewEvent`.
    name : str or None
        The person's current display name; None for an unknown face.
    person_id : int or None
    distance : float or None
    threshold : float
    source : str or None
    position : float or None
        Seconds into the source.
    crop : bytes or None
        JPEG of the face.
    """

    id: int
    at: datetime
    mode: str
    decision: str
    name: str | None
    person_id: int | None
    distance: float | None
    threshold: float
    source: str | None
    position: float | None
    crop: bytes | None = field(default=None, repr=False, compare=False)
    desk: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready values (the crop as its size in bytes).

        ``desk`` is there only for an event of a shared gallery (a file keeps no desk).
        """
        doc = {
            "id": self.id,
            "time_utc": iso_utc(self.at),
            "mode": self.mode,
            "decision": self.decision,
            "name": self.name,
            "person_id": self.person_id,
            "distance": None if self.distance is None else round(self.distance, 4),
            "threshold": self.threshold,
            "source": self.source,
            "position_s": None if self.position is None else round(self.position, 3),
            "crop_bytes": None if self.crop is None else len(self.crop),
        }
        if self.desk is not None:
            doc["desk"] = self.desk
        return doc


def iso_utc(at: datetime) -> str:
    """Return ``at`` in UTC as ISO 8601 with milliseconds (the JSON and CSV time format)."""
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def event_row(event: NewEvent, now: datetime) -> tuple[Any, ...]:
    """Return the ``history`` table row of ``event``, checked.

    Parameters
    ----------
    event : NewEvent
    now : datetime
        The time of recording, used when ``event.at`` is None.

    Returns
    -------
    tuple
        ``(at, mode, decision, person_id, distance, threshold, source, position, crop,
        embedding, quality)``, ``at`` in seconds since the epoch; an infinite distance
        becomes None; ``embedding`` float32 bytes and ``quality`` JSON text, both None
        unless the face is unknown and they were given.

    Raises
    ------
    ValueError, TypeError
        Saying what is wrong with the event.
    """
    if event.mode not in MODES:
        raise ValueError(f"unknown mode {event.mode!r}")
    if event.decision not in _DECISIONS_OF_MODE[event.mode]:
        raise ValueError(f"decision {event.decision!r} does not belong to {event.mode}")
    if (event.decision == "unknown") != (event.person_id is None):
        raise ValueError("an unknown face has no person; every other decision has one")
    distance = event.distance
    if distance is not None and math.isinf(distance):
        distance = None
    if distance is not None and not (math.isfinite(distance) and distance >= 0):
        raise ValueError(f"distance must be finite and >= 0, got {distance}")
    if not math.isfinite(event.threshold):
        raise ValueError(f"threshold must be finite, got {event.threshold}")
    if event.crop is not None:
        if not isinstance(event.crop, (bytes, bytearray)):
            raise TypeError("a crop must be JPEG bytes or None")
        if len(event.crop) > MAX_CROP_BYTES or bytes(event.crop[:2]) != b"\xff\xd8":
            raise ValueError(f"a crop must be a JPEG of at most {MAX_CROP_BYTES} bytes")
    if event.source is not None and (
        not isinstance(event.source, str) or len(event.source) > MAX_SOURCE_LENGTH
    ):
        raise ValueError(f"a source must be text of at most {MAX_SOURCE_LENGTH} characters")
    if event.position is not None and not math.isfinite(event.position):
        raise ValueError("position must be finite")
    at = event.at or now
    if at.tzinfo is None:
        raise ValueError("an event time must carry its time zone")
    blob = quality = None
    if event.decision == "unknown" and event.embedding is not None:
        blob, dim = embedding_blob(event.embedding)
        if dim > MAX_EMBEDDING_DIM:
            raise ValueError(f"an embedding has at most {MAX_EMBEDDING_DIM} values, got {dim}")
        quality = quality_json(event.quality)
    return (
        at.timestamp(),
        event.mode,
        event.decision,
        None if event.person_id is None else int(event.person_id),
        distance,
        float(event.threshold),
        event.source,
        event.position,
        None if event.crop is None else bytes(event.crop),
        blob,
        quality,
    )
