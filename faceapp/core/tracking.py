"""Following faces across frames so embeddings are computed per track, not per frame."""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from faceapp.core.live import LiveScheduler, LiveSettings
from faceapp.core.matching import is_match
from faceapp.core.types import Box, Face, Match

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
#: Side, in pixels, of the grey thumbnail of a face box that tells whether a track's face
#: still looks the way it did when it was last embedded.  The thumbnail also covers
#: :data:`SIGNATURE_MARGIN` of its pixels more around the box on each side, so that two of
#: them are compared at shifts of up to that many pixels: a followed box jitters by a few
#: pixels around the face (see :func:`resemblance`).
SIGNATURE_SIZE = 12
SIGNATURE_MARGIN = 2
#: Below this resemblance to the thumbnail of the last embedding, the face changed too much
#: to trust the old embedding (a new person in the same place): re-embed now.  On the LFW
#: video of ``faceapp bench`` 0.6 % of 845 same-face checks fall under it (each a needless
#: embedding); a cut ends every track anyway (:data:`faceapp.core.live.CUT_FRACTION`).
SIGNATURE_MIN_CORRELATION = 0.7
#: In live mode, a face whose thumbnail still resembles the one of its last embedding this
#: much looks the same: its embedding is refreshed only after
#: :attr:`LiveSettings.max_refresh_s <faceapp.core.live.LiveSettings>`, not every
#: :data:`REFRESH_SECONDS`.  0.4 % of the different people of the figures above reach it.
SIGNATURE_STABLE_CORRELATION = 0.8
#: A face whose recent matches lie this close to the threshold (distance units) is a
#: borderline call: in live mode it keeps the :data:`REFRESH_SECONDS` rate even when it
#: looks the same, so that its name settles as it would with every frame embedded.
BORDERLINE_MARGIN = 0.15
#: A detection that overlaps no track continues a track missed on this frame when it looks
#: like that track's face at its last embedding (:func:`resemblance` at least
#: :data:`JUMP_MIN_CORRELATION`), is about as big (sides within :data:`JUMP_MAX_SCALE`)
#: and not far (centres at most :data:`JUMP_MAX_SIDES` sides apart), within
#: :data:`JUMP_MAX_GAP_SECONDS` of its last sighting, so that a face moving fast while
#: frames are skipped is not embedded anew each time it is seen: on the camera clip of
#: ``benchmarks.live`` this took the embeddings from 25 to 16.
JUMP_MIN_CORRELATION = 0.9
JUMP_MAX_SCALE = 1.5
JUMP_MAX_SIDES = 3.0
JUMP_MAX_GAP_SECONDS = 0.5


def appearance_signature(frame: np.ndarray, face: Face) -> np.ndarray:
    """Return a tiny grey thumbnail of the face box and a margin around it (cheap to compare).

    Returns
    -------
    ndarray, shape (n, n), float32
        ``n`` is :data:`SIGNATURE_SIZE` plus twice :data:`SIGNATURE_MARGIN`; the box maps to
        the central :data:`SIGNATURE_SIZE` pixels, the frame's border is repeated beyond its
        edge.  A box under 2 pixels gives zeros, which :func:`resemblance` does not compare.
    """
    import cv2

    n = SIGNATURE_SIZE + 2 * SIGNATURE_MARGIN
    b = face.box
    if b.w < 2 or b.h < 2:
        return np.zeros((n, n), np.float32)
    gx, gy = b.w * SIGNATURE_MARGIN / SIGNATURE_SIZE, b.h * SIGNATURE_MARGIN / SIGNATURE_SIZE
    x0, y0 = int(round(b.x - gx)), int(round(b.y - gy))
    x1, y1 = int(round(b.x2 + gx)), int(round(b.y2 + gy))
    h, w = frame.shape[:2]
    crop = frame[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
    if crop.shape[0] < 1 or crop.shape[1] < 1:
        return np.zeros((n, n), np.float32)
    pad = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
    if any(pad):
        crop = cv2.copyMakeBorder(crop, *pad, cv2.BORDER_REPLICATE)
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return np.asarray(cv2.resize(grey, (n, n), interpolation=cv2.INTER_AREA), np.float32)


def resemblance(a: np.ndarray, b: np.ndarray) -> float | None:
    """Return how alike two :func:`appearance_signature` thumbnails look, in ``[-1, 1]``.

    The best correlation of the box part of ``a`` with the same-sized windows of ``b``
    shifted by up to :data:`SIGNATURE_MARGIN` pixels each way, so that a box placed a few
    pixels differently around the same face still matches.  A box without texture of its
    own (a uniform patch) is compared with its surroundings, unshifted.  None when there is
    no texture to compare or the shapes differ.
    """
    import cv2

    m, n = SIGNATURE_MARGIN, SIGNATURE_SIZE
    if a.shape != b.shape or a.shape != (n + 2 * m, n + 2 * m):
        return None
    centre = np.ascontiguousarray(a[m : m + n, m : m + n], np.float32)
    if centre.std() * n < _FLAT or b[m : m + n, m : m + n].std() * n < _FLAT:
        return _correlation(a, b)
    corr = cv2.matchTemplate(np.ascontiguousarray(b, np.float32), centre, cv2.TM_CCOEFF_NORMED)
    corr = corr[np.isfinite(corr)]
    return float(min(corr.max(), 1.0)) if corr.size else None


def _correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Return the correlation of two whole thumbnails, or None when either is flat."""
    a, b = a - a.mean(), b - b.mean()
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < _FLAT or nb < _FLAT:
        return None
    return float((a * b).sum() / (na * nb))


#: Below this norm of its zero-mean box part (grey levels), a thumbnail is flat.
_FLAT = 1e-3


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
    velocity : tuple of float
        Movement of the box centre, pixels per second (x, y), from the last two sightings.
    confirmed : bool
        Live mode: the face scored above the live floor once, or was recognised; until
        then it is followed but not shown.
    sightings : int
        How many times the face was found (detected or measured); from 2 on, ``velocity``
        is measured, not assumed.
    """

    id: int
    face: Face
    last_seen: float
    velocity: tuple[float, float] = (0.0, 0.0)
    confirmed: bool = False
    sightings: int = 0
    last_embedded: float = float("-inf")
    embeddings: deque[np.ndarray] = field(default_factory=lambda: deque(maxlen=VOTE_WINDOW))
    matches: list[Match] = field(default_factory=list)
    match_key: object = None
    signature: np.ndarray | None = None


class FaceTracker:
    """Greedy IoU tracker that says which faces need a (new) embedding.

    Parameters
    ----------
    refresh_seconds : float
        Age after which a track's embedding is refreshed.
    max_age_seconds : float
        Tracks unseen for longer are dropped.
    live : LiveSettings or None
        Live mode (the default): the pipeline detects less and follows more, skips
        frames that did not change and reports only faces above the live size and score
        floor (see :mod:`faceapp.core.live`); a face that still looks as it did is
        re-embedded every ``live.max_refresh_s`` instead of every ``refresh_seconds``.
        None: every frame through the full detector, every face it finds reported.

    Attributes
    ----------
    live : LiveScheduler or None
        The live-mode state of this stream.

    Notes
    -----
    Not thread-safe: one tracker per worker thread.
    """

    def __init__(
        self,
        refresh_seconds: float = REFRESH_SECONDS,
        max_age_seconds: float = MAX_AGE_SECONDS,
        live: LiveSettings | None = LiveSettings(),  # noqa: B008 - immutable value
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.max_age_seconds = max_age_seconds
        self.live = LiveScheduler(live) if live is not None else None
        self.tracks: dict[int, Track] = {}
        self._next_id = 1

    def update(
        self,
        faces: list[Face],
        timestamp: float,
        looks: Sequence[np.ndarray] | None = None,
    ) -> list[Track]:
        """Assign each detection to a track, creating tracks for new faces.

        A detection continues the track whose box, where it was or where its motion
        puts it now, it overlaps most (IoU at least :data:`IOU_MATCH`).  Given the
        faces' :func:`appearance_signature` (``looks``), a detection that overlaps no
        track may continue one that looks the same nearby (see
        :data:`JUMP_MIN_CORRELATION`).

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
                (_overlap(face.box, track, timestamp), i, track.id)
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
        if looks is not None:
            for i, tid in self._jumps(faces, looks, timestamp, assigned, used):
                assigned[i] = self.tracks[tid]
                used.add(tid)
        out = []
        for i, face in enumerate(faces):
            track = assigned.get(i)
            if track is None:
                track = Track(self._next_id, face, timestamp)
                self._next_id += 1
                self.tracks[track.id] = track
            self.follow(track, face, timestamp)
            out.append(track)
        return out

    def _jumps(
        self,
        faces: list[Face],
        looks: Sequence[np.ndarray],
        timestamp: float,
        assigned: dict[int, Track],
        used: set[int],
    ) -> list[tuple[int, int]]:
        """Return (detection, track id) pairs for faces that jumped (see :meth:`update`)."""
        candidates = []
        for i, face in enumerate(faces):
            if i in assigned:
                continue
            side = min(face.box.w, face.box.h)
            for track in self.tracks.values():
                ref = track.signature
                if track.id in used or ref is None:
                    continue
                if timestamp - track.last_seen > JUMP_MAX_GAP_SECONDS:
                    continue
                other = min(track.face.box.w, track.face.box.h)
                if max(side, other) > JUMP_MAX_SCALE * max(min(side, other), 1e-6):
                    continue
                (x0, y0), (x1, y1) = track.face.box.center, face.box.center
                if math.hypot(x1 - x0, y1 - y0) > JUMP_MAX_SIDES * max(side, other):
                    continue
                corr = resemblance(looks[i], ref)
                if corr is not None and corr >= JUMP_MIN_CORRELATION:
                    candidates.append((corr, i, track.id))
        out, taken, claimed = [], set(), set()
        for _corr, i, tid in sorted(candidates, reverse=True):
            if i not in taken and tid not in claimed:
                out.append((i, tid))
                taken.add(i)
                claimed.add(tid)
        return out

    def follow(self, track: Track, face: Face, timestamp: float) -> None:
        """Record where ``track``'s face is now (found by following it, not by detection)."""
        dt = timestamp - track.last_seen
        if dt > 0:
            (x0, y0), (x1, y1) = track.face.box.center, face.box.center
            track.velocity = ((x1 - x0) / dt, (y1 - y0) / dt)
        track.face = face
        track.last_seen = timestamp
        track.sightings += 1

    def forget(self) -> None:
        """End every track (a cut: whoever is seen next is a new face)."""
        self.tracks.clear()

    def keep_alive(self, track_ids: list[int], timestamp: float) -> None:
        """Mark tracks as seen at ``timestamp``, still (their frame was reused unchanged)."""
        for tid in track_ids:
            track = self.tracks.get(tid)
            if track is not None:
                track.last_seen = timestamp
                track.velocity = (0.0, 0.0)

    def embedding_reason(
        self, track: Track, timestamp: float, signature: np.ndarray | None = None
    ) -> str | None:
        """Return why ``track`` needs a fresh embedding, or None.

        Returns
        -------
        {"new", "changed", "stale"} or None
            ``"new"``: the track has no embedding; ``"changed"``: given the face's current
            :func:`appearance_signature`, it no longer looks like it did at the last
            embedding; ``"stale"``: the embedding is older than the refresh time (in live
            mode, only when the face changed a little or its name is a borderline call
            (:data:`BORDERLINE_MARGIN`), or after ``max_refresh_s``).
        """
        if not track.embeddings:
            return "new"
        age = timestamp - track.last_embedded
        corr = None
        if signature is not None and track.signature is not None:
            corr = resemblance(signature, track.signature)
        if corr is not None and corr < SIGNATURE_MIN_CORRELATION:
            return "changed"
        if age < self.refresh_seconds:
            return None
        longest = self.live.settings.max_refresh_s if self.live is not None else 0.0
        if longest <= self.refresh_seconds or age >= longest:
            return "stale"
        if corr is None or corr < SIGNATURE_STABLE_CORRELATION:
            return "stale"
        borderline = any(abs(m.distance - m.threshold) < BORDERLINE_MARGIN for m in track.matches)
        return "stale" if borderline else None

    def needs_embedding(
        self, track: Track, timestamp: float, signature: np.ndarray | None = None
    ) -> bool:
        """Return True when ``track`` needs a fresh embedding (see :meth:`embedding_reason`)."""
        return self.embedding_reason(track, timestamp, signature) is not None

    def add_embedding(
        self,
        track: Track,
        embedding: np.ndarray,
        timestamp: float,
        signature: np.ndarray | None = None,
    ) -> None:
        """Record a fresh embedding (and the face's appearance signature) for ``track``.

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
        track.signature = signature
        track.match_key = None  # matches are recomputed with the new embedding


def _overlap(box: Box, track: Track, timestamp: float) -> float:
    """Return the IoU of ``box`` with the track's box, as it was or moved by its velocity."""
    last = track.face.box
    dt = timestamp - track.last_seen
    vx, vy = track.velocity
    if dt <= 0 or (vx == 0 and vy == 0):
        return box.iou(last)
    moved = Box(last.x + vx * dt, last.y + vy * dt, last.w, last.h)
    return max(box.iou(last), box.iou(moved))


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
    accepted = winner is not None and is_match(distance, latest.threshold)
    return Match(latest.name, distance, latest.threshold, accepted, latest.person_id)
