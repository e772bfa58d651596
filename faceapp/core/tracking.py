"""Following faces across frames so embeddings are computed per track, not per frame."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from faceapp.core.types import Face, Match

#: A detection continues a track when their boxes overlap at least this much (IoU).
IOU_MATCH = 0.3
#: Re-embed a track after this many seconds, so a changed pose or lighting is seen.
REFRESH_SECONDS = 0.5
#: Forget a track not seen for this many seconds.
MAX_AGE_SECONDS = 1.0
#: Number of recent embeddings per track that vote on its name.
VOTE_WINDOW = 5
#: A fresh embedding this far (Euclidean, unit vectors) from the mean of the track's
#: previous ones means another person took the place (a cut, or someone walking
#: past): the track's history is dropped and it gets a new id.
IDENTITY_BREAK = 1.0


@dataclass
class Track:
    """One face followed over time (owned by the tracker; not shared across threads).

    Attributes
    ----------
    id : int
        Stable id, unique within a tracker.
    face : Face
        Latest detection.
    last_seen, last_embedded : float
        Timestamps in seconds.
    embeddings : deque of ndarray
        The most recent :data:`VOTE_WINDOW` embeddings.
    """

    id: int
    face: Face
    last_seen: float
    last_embedded: float = float("-inf")
    embeddings: deque[np.ndarray] = field(default_factory=lambda: deque(maxlen=VOTE_WINDOW))
    matches: list[Match] = field(default_factory=list)
    match_key: object = None


class FaceTracker:
    """Greedy IoU tracker that says which faces need a (new) embedding.

    Parameters
    ----------
    refresh_seconds : float
        Age after which a track's embedding is refreshed.
    max_age_seconds : float
        Tracks unseen for longer are dropped.

    Notes
    -----
    Not thread-safe: one tracker per worker thread.
    """

    def __init__(
        self, refresh_seconds: float = REFRESH_SECONDS, max_age_seconds: float = MAX_AGE_SECONDS
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.max_age_seconds = max_age_seconds
        self.tracks: dict[int, Track] = {}
        self._next_id = 1

    def reset(self) -> None:
        """Forget every track (for example when the source changes)."""
        self.tracks.clear()

    def update(self, faces: list[Face], timestamp: float) -> list[Track]:
        """Assign each detection to a track, creating tracks for new faces.

        Returns
        -------
        list of Track
            One per face, in the order of ``faces``.
        """
        self.tracks = {
            k: t for k, t in self.tracks.items() if timestamp - t.last_seen <= self.max_age_seconds
        }
        pairs = sorted(
            (
                (face.box.iou(track.face.box), i, track.id)
                for i, face in enumerate(faces)
                for track in self.tracks.values()
            ),
            reverse=True,
        )
        assigned: dict[int, Track] = {}
        used: set[int] = set()
        for iou, i, tid in pairs:
            if iou < IOU_MATCH:
                break
            if i in assigned or tid in used:
                continue
            assigned[i] = self.tracks[tid]
            used.add(tid)
        out = []
        for i, face in enumerate(faces):
            track = assigned.get(i)
            if track is None:
                track = Track(self._next_id, face, timestamp)
                self._next_id += 1
                self.tracks[track.id] = track
            track.face = face
            track.last_seen = timestamp
            out.append(track)
        return out

    def needs_embedding(self, track: Track, timestamp: float) -> bool:
        """Return True for a new track or one whose embedding is older than the refresh time."""
        return not track.embeddings or timestamp - track.last_embedded >= self.refresh_seconds

    def add_embedding(self, track: Track, embedding: np.ndarray, timestamp: float) -> None:
        """Record a fresh embedding for ``track``.

        When the embedding shows a different person (see :data:`IDENTITY_BREAK`) the
        track restarts under a new id, so an old name never sticks to a new face.
        """
        if track.embeddings:
            mean = np.mean(np.stack(track.embeddings), axis=0)
            mean /= max(float(np.linalg.norm(mean)), 1e-12)
            if float(np.linalg.norm(embedding - mean)) > IDENTITY_BREAK:
                del self.tracks[track.id]
                track.id = self._next_id
                self._next_id += 1
                self.tracks[track.id] = track
                track.embeddings.clear()
        track.embeddings.append(embedding)
        track.last_embedded = timestamp
        track.match_key = None  # matches are recomputed with the new embedding


def vote(matches: list[Match]) -> Match:
    """Combine a track's recent matches into one stable answer.

    The most frequent answer wins (``None`` = unknown counts as an answer); ties go to the
    most recent answer among the tied ones.  The reported distance is the median distance
    of the winning answer's matches, and the decision is taken again on that distance
    against the (current) threshold.
    """
    if not matches:
        raise ValueError("vote needs at least one match")
    counts = Counter(m.name if m.accepted else None for m in matches)
    best = max(counts.values())
    tied = {name for name, c in counts.items() if c == best}
    winner = next(
        (m.name if m.accepted else None)
        for m in reversed(matches)
        if (m.name if m.accepted else None) in tied
    )
    mine = [m for m in matches if (m.name if m.accepted else None) == winner]
    latest = mine[-1]
    distance = float(np.median([m.distance for m in mine]))
    accepted = winner is not None and distance <= latest.threshold
    return Match(latest.name, distance, latest.threshold, accepted, latest.person_id)
