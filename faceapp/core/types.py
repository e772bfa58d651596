"""Immutable value types shared by the engine, the command line and the GUI."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in image pixels.

    Parameters
    ----------
    x, y : float
        Top-left corner; x grows to the right, y grows downwards.
    w, h : float
        Width and height, both >= 0.
    """

    x: float
    y: float
    w: float
    h: float

    @property
    def x2(self) -> float:
        """Right edge (exclusive)."""
        return self.x + self.w

    @property
    def y2(self) -> float:
        """Bottom edge (exclusive)."""
        return self.y + self.h

    @property
    def area(self) -> float:
        """Area in square pixels."""
        return max(self.w, 0.0) * max(self.h, 0.0)

    @property
    def center(self) -> Point:
        """Centre point ``(x, y)``."""
        return (self.x + self.w / 2.0, self.y + self.h / 2.0)

    def intersection(self, other: Box) -> float:
        """Return the area, in square pixels, that this box shares with ``other``."""
        ix = max(0.0, min(self.x2, other.x2) - max(self.x, other.x))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y, other.y))
        return ix * iy

    def iou(self, other: Box) -> float:
        """Return the intersection over union with ``other``, in ``[0, 1]``."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def as_ints(self) -> tuple[int, int, int, int]:
        """Return ``(x, y, w, h)`` rounded to whole pixels."""
        return (round(self.x), round(self.y), round(self.w), round(self.h))


@dataclass(frozen=True, slots=True)
class Face:
    """One detected face.

    Parameters
    ----------
    box : Box
        Bounding box in the pixel coordinates of the frame it was found in.
    landmarks : tuple of five (x, y) points
        In the order: eye on the image's left, eye on the image's right, nose tip,
        mouth corner on the image's left, mouth corner on the image's right.
    score : float
        Detector confidence in ``[0, 1]``.
    """

    box: Box
    landmarks: tuple[Point, Point, Point, Point, Point]
    score: float


@dataclass(frozen=True, slots=True)
class Match:
    """The answer of a 1:1 or 1:K comparison.

    Parameters
    ----------
    name : str or None
        The matched (or claimed) person's display name; ``None`` means unknown.
    distance : float
        Euclidean distance between L2-normalised embeddings, in ``[0, 2]``;
        ``inf`` when the gallery is empty.
    threshold : float
        The threshold the decision was taken with (distance <= threshold accepts).
    accepted : bool
        True when ``distance <= threshold``.
    person_id : int or None
        Gallery id of ``name`` when known.
    maybe : bool
        Recognition only: the nearest person (``name``) is near, but not near enough to
        be named (:func:`faceapp.core.matching.identify`); shown as "maybe X?", never
        as a name.  ``accepted`` is then False.
    corrected : str or None
        Recognition only: the person this face was kept from being named because it is
        nearer one of their "not X" corrections than to them
        (:func:`faceapp.core.matching.identify`); ``name`` is then someone else or None.
    corrected_id : int or None
        Gallery id of ``corrected``.
    """

    name: str | None
    distance: float
    threshold: float
    accepted: bool
    person_id: int | None = None
    maybe: bool = False
    corrected: str | None = None
    corrected_id: int | None = None


@dataclass(frozen=True, slots=True)
class FaceResult:
    """A face in a frame together with what the engine made of it.

    Parameters
    ----------
    face : Face
        Where the face is.
    match : Match or None
        Recognition or verification answer; ``None`` when no embedding was computed.
    track_id : int or None
        Stable id of the face across frames when a tracker is used.
    """

    face: Face
    match: Match | None = None
    track_id: int | None = None

    @property
    def known(self) -> bool:
        """True when the face was accepted as an enrolled person (whatever their name)."""
        return self.match is not None and self.match.accepted and self.match.name is not None

    @property
    def maybe(self) -> str | None:
        """The person this face may be, when it is near them but not named; else None."""
        m = self.match
        return m.name if m is not None and m.maybe and not m.accepted else None

    @property
    def label(self) -> str:
        """The name to show: the matched name, ``"maybe X?"``, or ``"Unknown"``."""
        if self.known:
            assert self.match is not None and self.match.name is not None
            return self.match.name
        if self.maybe is not None:
            return f"maybe {self.maybe}?"
        return "Unknown"

    def to_json(self) -> dict[str, Any]:
        """Return the face as JSON-ready values, the one shape the CLI and the GUI write.

        Returns
        -------
        dict
            ``box`` ``[x, y, w, h]`` in frame pixels (0.1 px), the detector ``score``,
            ``name`` (the accepted person, or None), ``maybe`` (the person a face
            near but not named may be, or None) and ``distance`` to the nearest person
            (None without a match or when infinite).
        """
        m, box = self.match, self.face.box
        finite = m is not None and math.isfinite(m.distance)
        return {
            "box": [round(float(v), 1) for v in (box.x, box.y, box.w, box.h)],
            "score": round(float(self.face.score), 4),
            "name": m.name if m is not None and m.accepted else None,
            "maybe": self.maybe,
            "distance": round(float(m.distance), 4) if m is not None and finite else None,
        }


@dataclass(frozen=True, slots=True)
class FrameResult:
    """Everything the pipeline found in one frame; safe to hand across threads.

    Parameters
    ----------
    index : int
        Frame number from the source, starting at 0.
    timestamp : float
        Source timestamp in seconds.
    faces : tuple of FaceResult
        One entry per detected face.
    latency_ms : float
        Wall time spent processing this frame, in milliseconds.
    """

    index: int
    timestamp: float
    faces: tuple[FaceResult, ...] = field(default_factory=tuple)
    latency_ms: float = 0.0


def as_readonly(array: np.ndarray) -> np.ndarray:
    """Return ``array`` with its write flag cleared, so it can be shared between threads."""
    array.setflags(write=False)
    return array
