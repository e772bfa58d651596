"""Unknown faces kept as faces: their stored values, their groups, the samples a group gives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.enrolment_check import EnrolmentVerdict, screen_embeddings
from faceapp.core.grouping import DEFAULT_CUT, group_embeddings
from faceapp.core.matching import DEFAULT_STRANGER_RATE, GalleryIndex
from faceapp.core.quality import QualityFigures, judge
from faceapp.storage.history.events import iso_utc
from faceapp.storage.samples import decode_embedding, quality_from_json

#: The schema version that added the unknown faces' columns to ``history``.
FACES_SCHEMA = 5

#: Most samples a group is enrolled from (its best faces, see :func:`best_faces`).
MAX_GROUP_SAMPLES = 5


@dataclass(frozen=True)
class UnknownFace:
    """An unknown face kept in the history with its embedding.

    Parameters
    ----------
    event_id : int
        The history event of the appearance.
    at : datetime
        When it was seen, in UTC.
    source : str or None
        Where ("camera 0", a file name ...).
    position : float or None
        Seconds into the source.
    embedding : ndarray, shape (d,), float32
        Its L2-normalised embedding; read-only.
    quality : QualityFigures or None
        Its enrolment quality figures, when they were recorded.
    face_group : int or None
        The number of the group the user put it in (merging groups, or taking a face out
        of one: :meth:`~faceapp.storage.history.History.new_face_group`); None when
        grouped automatically.
    """

    event_id: int
    at: datetime
    source: str | None
    position: float | None
    embedding: np.ndarray = field(repr=False, compare=False)
    quality: QualityFigures | None = None
    face_group: int | None = None

    @property
    def quality_ok(self) -> bool | None:
        """True when its quality passes the enrolment checks, False when not, None when unknown."""
        return None if self.quality is None else judge(self.quality).ok


def face_of_row(row: Sequence[Any], path: Path | str) -> UnknownFace:
    """Return the face of a ``history`` row: id, at, source, position, embedding, quality, group."""
    blob = bytes(row[4])
    return UnknownFace(
        event_id=int(row[0]),
        at=datetime.fromtimestamp(row[1], timezone.utc),
        source=row[2],
        position=row[3],
        embedding=decode_embedding(blob, len(blob) // 4, path),
        quality=quality_from_json(row[5]),
        face_group=None if row[6] is None else int(row[6]),
    )


@dataclass(frozen=True)
class FaceGroup:
    """Unknown faces taken for one person.

    Parameters
    ----------
    id : int
        The smallest event id of its faces: stable while the group keeps that face.
    faces : tuple of UnknownFace
        Oldest first.
    """

    id: int
    faces: tuple[UnknownFace, ...]

    @property
    def count(self) -> int:
        """Number of faces."""
        return len(self.faces)

    @property
    def first_seen(self) -> datetime:
        """When its first face was seen (UTC)."""
        return min(f.at for f in self.faces)

    @property
    def last_seen(self) -> datetime:
        """When its last face was seen (UTC)."""
        return max(f.at for f in self.faces)

    @property
    def sources(self) -> tuple[str, ...]:
        """Where its faces were seen, each once, in the order first seen."""
        return tuple(dict.fromkeys(f.source for f in self.faces if f.source))

    @property
    def event_ids(self) -> tuple[int, ...]:
        """The event ids of its faces, oldest first."""
        return tuple(f.event_id for f in self.faces)

    def as_dict(self) -> dict[str, Any]:
        """Return the group as JSON-ready values (times in UTC, ISO 8601)."""
        return {
            "group": self.id,
            "count": self.count,
            "first_seen_utc": iso_utc(self.first_seen),
            "last_seen_utc": iso_utc(self.last_seen),
            "sources": list(self.sources),
            "best_event_ids": [f.event_id for f in best_faces(self)],
            "event_ids": list(self.event_ids),
        }


def group_faces(faces: Sequence[UnknownFace], cut: float = DEFAULT_CUT) -> list[FaceGroup]:
    """Return the unknown faces grouped by person, largest and most recently seen groups first.

    Faces the user put in a group (``face_group``) stay in it; the others are grouped
    by :func:`faceapp.core.grouping.group_embeddings` at ``cut``, never two faces of one
    frame together (same source, position and time of recording: one photo or frame).

    Parameters
    ----------
    faces : sequence of UnknownFace
        All of one dimension.
    cut : float
        See :func:`~faceapp.core.grouping.group_embeddings`.
    """
    pinned: dict[tuple[str, int], list[UnknownFace]] = {}
    free = [f for f in faces if f.face_group is None]
    for f in faces:
        if f.face_group is not None:
            pinned.setdefault(("user", f.face_group), []).append(f)
    if free:
        frames = [(f.source, f.position, f.at) for f in free]
        labels = group_embeddings(np.stack([f.embedding for f in free]), cut, frames=frames)
        for f, label in zip(free, labels.tolist(), strict=True):
            pinned.setdefault(("auto", int(label)), []).append(f)
    groups = [
        FaceGroup(min(f.event_id for f in members), tuple(sorted(members, key=_oldest)))
        for members in pinned.values()
    ]
    return sorted(groups, key=lambda g: (-g.count, -g.last_seen.timestamp(), g.id))


def _oldest(face: UnknownFace) -> tuple[float, int]:
    return face.at.timestamp(), face.event_id


def best_faces(
    group: FaceGroup, n: int = MAX_GROUP_SAMPLES, allow_poor: bool = False
) -> list[UnknownFace]:
    """Return the faces a group is enrolled from: good quality first, then the most typical.

    Faces whose quality passes the enrolment checks come first, then those without
    recorded quality; faces that fail the checks only with ``allow_poor``.  Within each
    kind, the faces nearest the group's mean embedding come first (a face wrongly put in
    the group is the last chosen).

    Parameters
    ----------
    group : FaceGroup
    n : int
        Most faces returned.
    allow_poor : bool
        Also return faces that fail the quality checks (last).
    """
    mean = np.mean([f.embedding for f in group.faces], axis=0)
    rank: dict[int, list[tuple[float, int, UnknownFace]]] = {0: [], 1: [], 2: []}
    for f in group.faces:
        ok = f.quality_ok
        kind = 0 if ok else 1 if ok is None else 2
        if kind == 2 and not allow_poor:
            continue
        rank[kind].append((float(np.linalg.norm(f.embedding - mean)), f.event_id, f))
    ordered = [f for kind in (0, 1, 2) for _, _, f in sorted(rank[kind], key=lambda t: t[:2])]
    return ordered[:n]


@dataclass(frozen=True)
class GroupEnrolment:
    """The samples chosen from a group for a person, and the wrong-person check of each.

    Parameters
    ----------
    target : str
        The person (display name, as stored).
    faces : tuple of UnknownFace
        The faces to enrol, best first.
    verdicts : tuple of EnrolmentVerdict
        The check of each face against the gallery and the faces before it.
    """

    target: str
    faces: tuple[UnknownFace, ...]
    verdicts: tuple[EnrolmentVerdict, ...]

    @property
    def ok(self) -> bool:
        """True when there are faces and every check passed."""
        return bool(self.faces) and all(v.ok for v in self.verdicts)

    @property
    def refused(self) -> list[EnrolmentVerdict]:
        """The checks that failed."""
        return [v for v in self.verdicts if not v.ok]


def plan_enrolment(
    group: FaceGroup,
    index: GalleryIndex,
    target: str,
    threshold: float | None = None,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
    n: int = MAX_GROUP_SAMPLES,
    allow_poor: bool = False,
) -> GroupEnrolment:
    """Choose a group's samples for ``target`` and run the wrong-person check on each.

    Each face is checked as ``faceapp enroll`` checks a photo
    (:func:`~faceapp.core.enrolment_check.check_enrolment`): against the gallery plus
    the faces chosen before it, so a new person's group is refused when it looks like
    someone enrolled, and a group added to a person when it looks like someone else.

    Parameters
    ----------
    group : FaceGroup
    index : GalleryIndex
        The gallery now.
    target : str
        Display name, as stored (``normalise_name``).
    threshold, stranger_rate
        As :func:`~faceapp.core.enrolment_check.check_enrolment`.
    n : int
        Most samples.
    allow_poor : bool
        Also use faces that fail the quality checks (see :func:`best_faces`).
    """
    faces = best_faces(group, n, allow_poor)
    pairs = [(target, f.embedding) for f in faces]
    verdicts = screen_embeddings(pairs, index, threshold, stranger_rate)
    return GroupEnrolment(target, tuple(faces), tuple(verdicts))
