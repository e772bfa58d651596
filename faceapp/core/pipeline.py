"""FacePipeline: frame in, FrameResult out; shared by the GUI, the command line and benchmarks."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from faceapp.core.detection import FaceDetector, TrackingDetector, create_detector
from faceapp.core.embedding import FaceEmbedder, SinglePassEmbedder, create_embedder
from faceapp.core.embedding.align import DEFAULT_METHOD, AlignMethod, align_face
from faceapp.core.frame_changes import thumbnail
from faceapp.core.live import (
    LIVE_SCORE_FLOOR,
    LiveScheduler,
    reportable,
    unoccluded,
    worth_naming,
)
from faceapp.core.matching import (
    DEFAULT_STRANGER_RATE,
    GalleryIndex,
    Mode,
    default_threshold,
    identify,
    verify,
)
from faceapp.core.tracking import IOU_MATCH, FaceTracker, Track, appearance_signature, vote
from faceapp.core.types import Box, Face, FaceResult, FrameResult, Match

log = logging.getLogger(__name__)

#: Frames whose longer side exceeds this are detected on a downscaled copy (in pixels);
#: the crops are still taken from the full-resolution frame.
DETECT_MAX_SIDE = 1280


@dataclass(frozen=True)
class MatchSettings:
    """How faces are matched; an immutable value handed to the worker thread.

    Parameters
    ----------
    threshold : float or None
        A pinned distance threshold (lower is stricter), or None for the mode's
        default: in recognition the automatic threshold that follows the gallery at
        ``stranger_rate``, in verification the 1:1 default
        (:func:`faceapp.core.matching.default_threshold`).
    mode : {"recognition", "verification"}
        1:K identification, or 1:1 against ``claim``.
    claim : str or None
        Claimed identity in verification mode.
    stranger_rate : float
        Recognition's automatic threshold: the fraction of strangers that may be named.
    """

    threshold: float | None = None
    mode: Mode = "recognition"
    claim: str | None = None
    stranger_rate: float = DEFAULT_STRANGER_RATE


class FacePipeline:
    """Detect, align, embed and match faces.

    Parameters
    ----------
    detector : FaceDetector, optional
        Defaults to :func:`faceapp.core.detection.create_detector`.
    embedder : FaceEmbedder, optional
        Defaults to :func:`faceapp.core.embedding.create_embedder`.
    align : {"similarity", "box"}
        Crop method (see :mod:`faceapp.core.embedding.align`).
    tracker : FaceTracker, optional
        For video: faces are followed across frames, embedded when a track is new or
        its embedding is stale, and named by a vote over the track's recent matches.
        With the tracker's live mode (its default, see :mod:`faceapp.core.live`) the
        full detector runs only every few frames or when something changed, the faces
        are followed cheaply in between, unchanged frames reuse the last result, and
        only faces above the live size are reported, and of those only faces above the
        live score floor or recognised as someone enrolled.  Without a tracker
        every face of every frame is detected and embedded (still photos).
    score_floor : float
        Outside live mode (still photos, and video followed without live mode): the
        lowest detection score of a face reported whoever it is; a face under it is
        reported only when it is recognised as someone enrolled, and in video a face
        once reported stays while it is followed.  Default: live mode's own floor,
        :data:`~faceapp.core.live.LIVE_SCORE_FLOOR`, so that a phantom is not reported
        in a photo while live mode leaves it out.  0 reports every detection.

    Notes
    -----
    Not thread-safe by itself: use one pipeline per worker thread, or serialise calls.
    """

    def __init__(
        self,
        detector: FaceDetector | None = None,
        embedder: FaceEmbedder | None = None,
        align: AlignMethod = DEFAULT_METHOD,
        tracker: FaceTracker | None = None,
        score_floor: float = LIVE_SCORE_FLOOR,
    ) -> None:
        self.detector = detector if detector is not None else create_detector()
        self.embedder = embedder if embedder is not None else create_embedder()
        self.align = align
        self.tracker = tracker
        self.score_floor = score_floor

    def prepare(self) -> None:
        """Load both models (slow: seconds); call once, off the GUI thread."""
        self.detector.prepare()
        self.embedder.prepare()

    def detect(self, frame: np.ndarray, min_face_size: float | None = None) -> list[Face]:
        """Return the faces in a BGR frame, downscaling very large frames for detection.

        Parameters
        ----------
        frame : ndarray
            BGR uint8, ``(h, w, 3)``.
        min_face_size : float, optional
            Start the detector's search at faces of this many pixels, when it can
            (:class:`~faceapp.core.detection.TrackingDetector`); smaller faces may still
            be returned.  Default: the detector's own setting.
        """
        h, w = frame.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
        small = frame
        if scale < 1.0:
            import cv2

            small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if min_face_size is not None and isinstance(self.detector, TrackingDetector):
            faces = self.detector.detect(small, min_face_size=max(12.0, min_face_size * scale))
        else:
            faces = self.detector.detect(small)
        return faces if scale >= 1.0 else [_rescale(f, 1.0 / scale) for f in faces]

    def crops(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Return aligned RGB crops, shape ``(n, size, size, 3)`` uint8."""
        size = self.embedder.input_size
        if not faces:
            return np.zeros((0, size, size, 3), np.uint8)
        return np.stack([align_face(frame, f, size, self.align) for f in faces])

    def embed(self, frame: np.ndarray, faces: list[Face], fused: bool = True) -> np.ndarray:
        """Return ``(n, dim)`` unit embeddings of ``faces`` found in ``frame``.

        ``fused=False`` embeds each crop once, without its mirror image, when the embedder
        can (:class:`~faceapp.core.embedding.SinglePassEmbedder`): half the work.
        """
        if not faces:
            return np.zeros((0, self.embedder.dim), np.float32)
        crops = self.crops(frame, faces)
        if not fused and isinstance(self.embedder, SinglePassEmbedder):
            return self.embedder.embed_once(crops)
        return self.embedder.embed(crops)

    def match(
        self, embeddings: np.ndarray, gallery: GalleryIndex, settings: MatchSettings
    ) -> list[Match]:
        """Match embeddings against the gallery as ``settings`` say."""
        if len(embeddings) == 0:
            return []
        if settings.mode == "verification":
            if settings.claim is None or settings.claim not in gallery.names:
                t = settings.threshold
                t = default_threshold("verification") if t is None else t
                return [Match(settings.claim, float("inf"), t, False) for _ in embeddings]
            return [verify(e, gallery, settings.claim, settings.threshold) for e in embeddings]
        return identify(embeddings, gallery, settings.threshold, settings.stranger_rate)

    def process(
        self,
        frame: np.ndarray,
        gallery: GalleryIndex,
        settings: MatchSettings | None = None,
        index: int = 0,
        timestamp: float = 0.0,
    ) -> FrameResult:
        """Run the whole pipeline on one BGR frame.

        Returns
        -------
        FrameResult
            Faces sorted by detector score, each with its match.
        """
        settings = settings or MatchSettings()
        start = time.perf_counter()
        if self.tracker is None:
            faces = self.detect(frame)
            matches = self.match(self.embed(frame, faces), gallery, settings)
            found = [FaceResult(f, m) for f, m in zip(faces, matches, strict=True)]
            results = tuple(r for r in found if sure_or_known(r, self.score_floor))
        elif self.tracker.live is None:
            faces = self.detect(frame)
            looks = [appearance_signature(frame, f) for f in faces]
            tracks = self.tracker.update(faces, timestamp, looks)
            named = self._named(frame, faces, tracks, gallery, settings, timestamp, looks)
            for result, track in zip(named, tracks, strict=True):
                track.confirmed = track.confirmed or sure_or_known(result, self.score_floor)
            results = tuple(r for r, t in zip(named, tracks, strict=True) if t.confirmed)
        else:
            results = self._live(frame, self.tracker.live, gallery, settings, timestamp)
        latency = (time.perf_counter() - start) * 1000.0
        return FrameResult(index, timestamp, results, latency)

    def _live(
        self,
        frame: np.ndarray,
        live: LiveScheduler,
        gallery: GalleryIndex,
        settings: MatchSettings,
        timestamp: float,
    ) -> tuple[FaceResult, ...]:
        """Process one frame in live mode: reuse, follow, or detect (see faceapp.core.live)."""
        tracker = self.tracker
        assert tracker is not None
        key = (id(gallery), settings)
        thumb = thumbnail(frame)
        shown = [r.track_id for r in live.last_results if r.track_id is not None]
        if live.reusable(thumb, key):
            live.counts["reused"] += 1
            live.reused(thumb)
            tracker.keep_alive(shown, timestamp)
            return live.last_results
        previous = [tracker.tracks[t] for t in shown if t in tracker.tracks]
        boxes = [t.face.box for t in previous]
        reason = live.detection_reason(
            thumb, frame.shape, boxes, timestamp, isinstance(self.detector, TrackingDetector)
        )
        faces: list[Face] | None = None
        looks: list[np.ndarray] | None = None
        measured: list[int] = []
        if reason == "cut":
            tracker.forget()
            previous, boxes = [], []
        predicted = (
            reason is None
            and all(_drifting(t, timestamp) for t in previous)
            and live.predicts(timestamp, frame.shape, boxes)
        )
        if predicted:
            faces = [_moved(t, timestamp) for t in previous]
            live.counts["predicted"] += 1
        elif reason is None:
            faces, measured, reason = self._follow(frame, thumb, previous, live, timestamp)
            live.last_measured = timestamp
        if faces is not None:
            live.counts["followed"] += 1
            tracks = previous
            # A predicted box is no sighting: the tracks keep their last measured place
            # and velocity, which the next measurement is compared with.
            if not predicted:
                for track, face in zip(tracks, faces, strict=True):
                    tracker.follow(track, face, timestamp)
        else:
            live.counts["detected"] += 1
            live.counts[f"detect:{reason}"] += 1
            s = live.settings
            faces, sure = [], []
            for f in unoccluded(self.detect(frame, s.min_face_px)):
                if reportable(f, s, any(f.box.iou(b) >= IOU_MATCH for b in boxes)):
                    faces.append(f)
                    sure.append(True)
                elif worth_naming(f, s):  # shown only if it turns out to be someone enrolled
                    faces.append(f)
                    sure.append(False)
            known = set(tracker.tracks)
            looks = [appearance_signature(frame, f) for f in faces]
            tracks = tracker.update(faces, timestamp, looks)
            for track, certain in zip(tracks, sure, strict=True):
                track.confirmed = track.confirmed or certain
            found = {t.id for t in tracks}
            changed = bool(found - known) or any(t.id not in found for t in previous)
            live.detected(thumb, timestamp, changed)
            measured = sorted(found)
        named = self._named(frame, faces, tracks, gallery, settings, timestamp, looks)
        for result, track in zip(named, tracks, strict=True):
            track.confirmed = track.confirmed or result.known
        results = tuple(r for r, t in zip(named, tracks, strict=True) if t.confirmed)
        live.processed(thumb, key, results)
        live.measured(thumb, measured, [r.track_id for r in results if r.track_id is not None])
        return results

    def _follow(
        self,
        frame: np.ndarray,
        thumb: np.ndarray,
        tracks: list[Track],
        live: LiveScheduler,
        timestamp: float,
    ) -> tuple[list[Face] | None, list[int], str]:
        """Follow each shown face; return the faces and the ids of those measured anew.

        A face whose box looks as it did at its last measurement keeps its box; the
        others are refined by the detector's last stage where their motion puts them
        now.  Returns None and the reason when a face is lost (its score fell under the
        live floor or it shrank under the live size) or moved fast (by more than
        ``large_motion`` of its side): the full detector runs instead.
        """
        detector = self.detector
        assert isinstance(detector, TrackingDetector)
        moving = [t for t in tracks if not live.still(thumb, frame.shape, t.id, t.face.box)]
        boxes = []
        for t in moving:
            dt = max(0.0, timestamp - t.last_seen)
            b = t.face.box
            boxes.append(Box(b.x + t.velocity[0] * dt, b.y + t.velocity[1] * dt, b.w, b.h))
        refined = dict(zip((t.id for t in moving), detector.refine(frame, boxes), strict=True))
        s = live.settings
        for t in moving:
            face = refined[t.id]
            if not reportable(face, s, shown=True):
                log.debug("lost track %d (score %.3f, box %s)", t.id, face.score, face.box)
                return None, [], "lost"
            (x0, y0), (x1, y1) = t.face.box.center, face.box.center
            side = max(min(t.face.box.w, t.face.box.h), 1.0)
            if max(abs(x1 - x0), abs(y1 - y0)) > s.large_motion * side:
                log.debug("track %d moved fast (%.0f, %.0f px)", t.id, x1 - x0, y1 - y0)
                return None, [], "motion"
        return [refined.get(t.id, t.face) for t in tracks], sorted(refined), ""

    def _named(
        self,
        frame: np.ndarray,
        faces: list[Face],
        tracks: list[Track],
        gallery: GalleryIndex,
        settings: MatchSettings,
        timestamp: float,
        looks: list[np.ndarray] | None = None,
    ) -> tuple[FaceResult, ...]:
        """Embed the tracks that need it, then name every face by its track's vote.

        ``looks`` are the faces' :func:`appearance_signature` when already computed.
        """
        tracker = self.tracker
        assert tracker is not None
        if looks is None:
            looks = [appearance_signature(frame, f) for f in faces]
        reasons = [tracker.embedding_reason(t, timestamp, looks[i]) for i, t in enumerate(tracks)]
        stale = [i for i, r in enumerate(reasons) if r is not None and r != "stale"]
        limit = tracker.live.settings.refreshes_per_frame if tracker.live else len(tracks)
        aged = sorted(
            (i for i, r in enumerate(reasons) if r == "stale"),
            key=lambda i: tracks[i].last_embedded,
        )
        stale = sorted(stale + aged[:limit])
        if stale:
            fused = tracker.live.settings.flip_fusion if tracker.live else True
            fresh = self.embed(frame, [faces[i] for i in stale], fused)
            for i, emb in zip(stale, fresh, strict=True):
                tracker.add_embedding(tracks[i], emb, timestamp, looks[i])
        results = []
        key = (id(gallery), settings)
        for face, track in zip(faces, tracks, strict=True):
            if track.match_key != key:
                track.matches = self.match(np.stack(track.embeddings), gallery, settings)
                track.match_key = key
            results.append(FaceResult(face, vote(track.matches), track.id))
        return tuple(results)


def sure_or_known(result: FaceResult, floor: float = LIVE_SCORE_FLOOR) -> bool:
    """Return True when a face outside live mode is reported: sure enough, or someone enrolled.

    The one detection-score floor of photos and video (:data:`LIVE_SCORE_FLOOR`, the
    floor of live mode, where ``benchmarks/live_calibration.py phantoms`` left no
    phantom: hair, a fist, a tie scored 0.874-0.973); a face under it is reported only
    when it is recognised as someone enrolled: a phantom is not anybody.

    Parameters
    ----------
    result : FaceResult
        A detected face and its match.
    floor : float
        The detection score, in ``[0, 1]``, from which any face is reported.
    """
    return result.face.score >= floor or result.known


#: A face is predicted, not measured, only while it moves by less than this fraction of its
#: side between its last measurement and now: a slow drift, which its velocity foretells
#: well.  Faster faces are measured.
PREDICT_MAX_MOTION = 0.05


def _drifting(track: Track, timestamp: float) -> bool:
    """Return True when the track's velocity is known and moves it only a little by now."""
    if track.sightings < 2:
        return False
    dt = max(0.0, timestamp - track.last_seen)
    side = max(min(track.face.box.w, track.face.box.h), 1.0)
    return math.hypot(*track.velocity) * dt <= PREDICT_MAX_MOTION * side


def _moved(track: Track, timestamp: float) -> Face:
    """Return the track's face moved by its velocity to where it should be at ``timestamp``."""
    dt = max(0.0, timestamp - track.last_seen)
    dx, dy = track.velocity[0] * dt, track.velocity[1] * dt
    f = track.face
    b = f.box
    pts = tuple((x + dx, y + dy) for x, y in f.landmarks)
    return Face(Box(b.x + dx, b.y + dy, b.w, b.h), pts, f.score)  # type: ignore[arg-type]


def _rescale(face: Face, k: float) -> Face:
    b = face.box
    pts = tuple((x * k, y * k) for x, y in face.landmarks)
    return Face(Box(b.x * k, b.y * k, b.w * k, b.h * k), pts, face.score)  # type: ignore[arg-type]


def largest_face(faces: list[Face]) -> Face | None:
    """Return the face with the largest box area, or None."""
    return max(faces, key=lambda f: f.box.area, default=None)


def central_face(faces: list[Face], width: int, height: int) -> Face | None:
    """Return the face that is large and near the image centre (for pre-cropped datasets).

    Scores each face by its box area minus twice the squared distance of its centre
    from the image centre.
    """
    cx, cy = width / 2.0, height / 2.0

    def score(f: Face) -> float:
        fx, fy = f.box.center
        return f.box.area - 2.0 * ((fx - cx) ** 2 + (fy - cy) ** 2)

    return max(faces, key=score, default=None)
