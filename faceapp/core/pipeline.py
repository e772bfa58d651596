"""FacePipeline: frame in, FrameResult out; shared by the GUI, the command line and benchmarks."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from faceapp.core.detection import FaceDetector, create_detector
from faceapp.core.embedding import FaceEmbedder, create_embedder
from faceapp.core.embedding.align import DEFAULT_METHOD, AlignMethod, align_face
from faceapp.core.matching import DEFAULT_THRESHOLD, GalleryIndex, Mode, identify, verify
from faceapp.core.tracking import FaceTracker, appearance_signature, vote
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
    threshold : float
        Distance threshold (lower is stricter).
    mode : {"recognition", "verification"}
        1:K identification, or 1:1 against ``claim``.
    claim : str or None
        Claimed identity in verification mode.
    """

    threshold: float = DEFAULT_THRESHOLD
    mode: Mode = "recognition"
    claim: str | None = None


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
        Without a tracker every face of every frame is embedded (still photos).

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
    ) -> None:
        self.detector = detector if detector is not None else create_detector()
        self.embedder = embedder if embedder is not None else create_embedder()
        self.align = align
        self.tracker = tracker

    def prepare(self) -> None:
        """Load both models (slow: seconds); call once, off the GUI thread."""
        self.detector.prepare()
        self.embedder.prepare()

    def detect(self, frame: np.ndarray) -> list[Face]:
        """Return the faces in a BGR frame, downscaling very large frames for detection."""
        h, w = frame.shape[:2]
        scale = DETECT_MAX_SIDE / max(h, w)
        if scale >= 1.0:
            return self.detector.detect(frame)
        import cv2

        small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return [_rescale(f, 1.0 / scale) for f in self.detector.detect(small)]

    def crops(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Return aligned RGB crops, shape ``(n, size, size, 3)`` uint8."""
        size = self.embedder.input_size
        if not faces:
            return np.zeros((0, size, size, 3), np.uint8)
        return np.stack([align_face(frame, f, size, self.align) for f in faces])

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Return ``(n, dim)`` unit embeddings of ``faces`` found in ``frame``."""
        if not faces:
            return np.zeros((0, self.embedder.dim), np.float32)
        return self.embedder.embed(self.crops(frame, faces))

    def match(
        self, embeddings: np.ndarray, gallery: GalleryIndex, settings: MatchSettings
    ) -> list[Match]:
        """Match embeddings against the gallery as ``settings`` say."""
        if len(embeddings) == 0:
            return []
        if settings.mode == "verification":
            if settings.claim is None or settings.claim not in gallery.names:
                return [
                    Match(settings.claim, float("inf"), settings.threshold, False)
                    for _ in embeddings
                ]
            return [verify(e, gallery, settings.claim, settings.threshold) for e in embeddings]
        return identify(embeddings, gallery, settings.threshold)

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
        faces = self.detect(frame)
        if self.tracker is None:
            matches = self.match(self.embed(frame, faces), gallery, settings)
            results = tuple(FaceResult(f, m) for f, m in zip(faces, matches, strict=True))
        else:
            results = self._tracked(frame, faces, gallery, settings, timestamp)
        latency = (time.perf_counter() - start) * 1000.0
        return FrameResult(index, timestamp, results, latency)

    def _tracked(
        self,
        frame: np.ndarray,
        faces: list[Face],
        gallery: GalleryIndex,
        settings: MatchSettings,
        timestamp: float,
    ) -> tuple[FaceResult, ...]:
        tracker = self.tracker
        assert tracker is not None
        tracks = tracker.update(faces, timestamp)
        looks = [appearance_signature(frame, f) for f in faces]
        stale = [i for i, t in enumerate(tracks) if tracker.needs_embedding(t, timestamp, looks[i])]
        if stale:
            fresh = self.embed(frame, [faces[i] for i in stale])
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
