"""Live mode: which faces are worth reporting, when to run the full detector, what to skip."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from faceapp.core.frame_changes import cell_changes, new_changes
from faceapp.core.types import Box, Face, FaceResult

#: Smallest face live mode reports, in pixels (shorter side of the detector's box); the
#: detector's image pyramid starts there.  Set by the smallest face still named: at 32 px
#: the median same-person LFW distance is 0.65 (0.60 at full size, 0.72 at 24 px;
#: ``benchmarks/live_calibration.py sizes``).  Trade-offs: ``docs/performance.md``.
LIVE_MIN_FACE_PX = 32.0

#: Lowest detection score of a face live mode starts showing; a face under it is shown
#: only when recognised as someone enrolled, and once shown it stays while above
#: :data:`KEEP_SCORE_FLOOR`.  Set by the phantom audit (``benchmarks/phantom_audit.json``,
#: ``benchmarks/live_calibration.py phantoms``): the lowest score that leaves no phantom,
#: keeping 98.6 % of the photos' subjects (0.9 leaves three phantoms).
LIVE_SCORE_FLOOR = 0.95

#: A face already shown stays shown while its score is at least this (the detector's own
#: last-stage threshold) and its size at least :data:`KEEP_SIZE_FRACTION` of the minimum:
#: hysteresis, so that a real face whose score dips for a frame does not blink.
KEEP_SCORE_FLOOR = 0.8
KEEP_SIZE_FRACTION = 0.85

#: A detection whose box lies this much (a fraction of its own area) or more inside the box
#: of a better-scored one is not reported: a face half hidden behind another, whose crop
#: is largely the other face and would be named as that person.  The lowest fraction that
#: drops none of the 3,081 true faces of ``benchmarks/live_calibration.py phantoms`` (at
#: 0.3 a real face would go).
OCCLUDED_FRACTION = 0.4

#: Run the full detector at least this often (seconds) while the tracked faces are
#: stable, and this soon after a detection that changed something.
MAX_DETECT_INTERVAL_S = 0.2
MIN_DETECT_INTERVAL_S = 0.1

#: Between detections, measure the followed faces on at most 15 frames per second: a
#: face drifting 1.5 px per frame (the LFW video) or a head held still moves under 2 px
#: in between, and the box moved by the face's velocity is as good; measuring every frame
#: of a 30 fps video cost 0.13 s of CPU per second of it.
FOLLOW_INTERVAL_S = 1.0 / 15.0

#: A frame is "the same" as the last processed one when no cell of its thumbnail (see
#: :mod:`faceapp.core.frame_changes`) differs from it by more than this mean absolute grey
#: level: a still image, or a static scene with sensor noise.
STATIC_CHANGE = 2.0

#: A cell outside the tracked faces whose mean grey level changed by more than this since
#: the previous frame means something new may be there: detect at once.
REGION_CHANGE = 12.0

#: A frame in which at least this fraction of the cells changed by more than
#: :data:`REGION_CHANGE` since the previous one (camera shake corrected) is a cut: every
#: track ends, so that no face inherits the name of whoever stood in its place.  Cuts
#: change 96-100 % of the cells, a photo sliding into view at most 51 %.
CUT_FRACTION = 0.8

#: While the faces are stable, the periodic detection is skipped (up to
#: :attr:`LiveSettings.quiet_detect_interval_s`) when no cell outside the followed faces
#: changed by more than this since the last detection: nothing new can be in view there.
QUIET_CHANGE = 6.0

#: A followed face whose box moved by more than this fraction of its side since the
#: previous frame is moving fast: the full detector runs on that frame.
LARGE_MOTION = 0.2


@dataclass(frozen=True)
class LiveSettings:
    """How live mode trades work for latency; an immutable value.

    Parameters
    ----------
    min_face_px : float
        Smallest reported face, pixels (shorter side of the box); the detector's pyramid
        starts there.  Smaller values find faces further from the camera at a higher
        cost per detection (roughly with the inverse square of this value).
    score_floor : float
        Smallest detection score, in ``[0, 1]``, of a face that is not shown yet (a face
        under it is shown when recognised as someone enrolled, see :func:`worth_naming`).
    keep_floor : float
        Smallest score of a face already shown (see :data:`KEEP_SCORE_FLOOR`).
    min_detect_interval_s, max_detect_interval_s : float
        Bounds of the interval between full detections, seconds: the interval is the
        maximum while the faces are stable and the minimum after a detection that found
        a new face or missed a known one.  0 runs the detector on every frame.
    quiet_detect_interval_s : float
        While the faces are stable and the picture outside them has not changed since
        the last detection (:data:`QUIET_CHANGE`), the detector waits up to this long.
    follow : bool
        Between full detections, follow the known faces with the detector's last stage on
        their previous boxes (when the detector offers it, see
        :class:`~faceapp.core.detection.TrackingDetector`).
    follow_interval_s : float
        While following, the faces are measured by the detector's last stage at most this
        often, seconds; the frames in between move each box by its face's velocity.  0
        measures every frame.
    skip_static : bool
        Reuse the last result when the frame hardly changed (:data:`STATIC_CHANGE`).
    region_change : float
        See :data:`REGION_CHANGE`.
    large_motion : float
        See :data:`LARGE_MOTION`.
    flip_fusion : bool
        Embed the faces followed with flip fusion (each crop and its mirror image, as
        photos and enrolment are), or once, half the work, when the embedder can (see
        :class:`~faceapp.core.embedding.SinglePassEmbedder`).  On LFW one pass scores
        0.9925 against 0.9930; on both benchmark videos every frame's labels were the same
        either way (360 and 900 frames, offline).
    max_refresh_s : float
        A tracked face that still looks as it did is re-embedded after this many seconds
        at the latest (it is re-embedded sooner when its look changes, see
        :class:`~faceapp.core.tracking.FaceTracker`).
    refreshes_per_frame : int
        At most this many age-based re-embeddings per frame (new faces and faces whose
        look changed are always embedded at once), so that refreshes spread over frames.
    """

    min_face_px: float = LIVE_MIN_FACE_PX
    score_floor: float = LIVE_SCORE_FLOOR
    keep_floor: float = KEEP_SCORE_FLOOR
    min_detect_interval_s: float = MIN_DETECT_INTERVAL_S
    max_detect_interval_s: float = MAX_DETECT_INTERVAL_S
    quiet_detect_interval_s: float = 1.0
    follow: bool = True
    follow_interval_s: float = FOLLOW_INTERVAL_S
    skip_static: bool = True
    region_change: float = REGION_CHANGE
    large_motion: float = LARGE_MOTION
    flip_fusion: bool = False
    max_refresh_s: float = 2.0
    refreshes_per_frame: int = 1

    def __post_init__(self) -> None:
        if not self.follow_interval_s >= 0:
            raise ValueError("follow_interval_s must be at least 0")
        if not self.min_face_px > 0:
            raise ValueError("min_face_px must be positive")
        if not 0.0 <= self.keep_floor <= self.score_floor <= 1.0:
            raise ValueError("need 0 <= keep_floor <= score_floor <= 1")
        if not (
            0.0
            <= self.min_detect_interval_s
            <= self.max_detect_interval_s
            <= self.quiet_detect_interval_s
        ):
            raise ValueError("need 0 <= min <= max <= quiet detection intervals")


#: Every frame through the full detector with today's embedding rules (flip fusion
#: included); nothing skipped:
#: the reference that live mode's labels are compared with (the reporting rules, size and
#: score floor, are those of live mode).
EVERY_FRAME = LiveSettings(
    min_detect_interval_s=0.0,
    max_detect_interval_s=0.0,
    quiet_detect_interval_s=0.0,
    follow=False,
    follow_interval_s=0.0,
    skip_static=False,
    flip_fusion=True,
    max_refresh_s=0.0,
    refreshes_per_frame=1_000_000,
)


def reportable(face: Face, settings: LiveSettings, shown: bool = False) -> bool:
    """Return True when ``face`` is big and sure enough for live mode to show it.

    Parameters
    ----------
    face : Face
    settings : LiveSettings
    shown : bool
        The face continues one shown on the previous frame: the lower ``keep_floor``
        and :data:`KEEP_SIZE_FRACTION` of the minimum size apply.
    """
    if shown:
        floor, size = settings.keep_floor, settings.min_face_px * KEEP_SIZE_FRACTION
    else:
        floor, size = settings.score_floor, settings.min_face_px
    return face.score >= floor and min(face.box.w, face.box.h) >= size


def worth_naming(face: Face, settings: LiveSettings) -> bool:
    """Return True when a face under the score floor is still worth comparing with the gallery.

    Such a face (big enough, scoring at least ``keep_floor``) is shown only when it is
    recognised as someone enrolled: a phantom is not anybody.
    """
    return face.score >= settings.keep_floor and min(face.box.w, face.box.h) >= (
        settings.min_face_px
    )


def unoccluded(faces: Sequence[Face], fraction: float = OCCLUDED_FRACTION) -> list[Face]:
    """Return ``faces`` without those lying mostly inside a better-scored one's box.

    Parameters
    ----------
    faces : sequence of Face
    fraction : float
        A face goes when this fraction of its box, or more, lies inside the box of a face
        with a higher score (see :data:`OCCLUDED_FRACTION`).

    Returns
    -------
    list of Face
        The remaining faces, in their given order.
    """
    ranked = sorted(range(len(faces)), key=lambda i: -faces[i].score)
    dropped: set[int] = set()
    for k, i in enumerate(ranked):
        box = faces[i].box
        for j in ranked[:k]:
            inside = box.area > 0 and box.intersection(faces[j].box) >= fraction * box.area
            if j not in dropped and inside:
                dropped.add(i)
                break
    return [f for i, f in enumerate(faces) if i not in dropped]


#: How far around a followed face (in face widths to each side, face heights above and
#: below) changes are put down to that face, when checking for a new one at once, and
#: to that person (head and shoulders moving), before a periodic detection.
FACE_MARGINS = (0.25, 0.25, 0.25)
PERSON_MARGINS = (1.0, 1.0, 3.0)


def _covered(
    shape: tuple[int, ...],
    frame_shape: tuple[int, ...],
    boxes: Sequence[Box],
    margins: tuple[float, float, float] = FACE_MARGINS,
) -> np.ndarray:
    """Return a mask of the cells touched by ``boxes`` grown by ``margins``."""
    rows, cols = shape
    mask = np.zeros(shape, bool)
    fy = rows / frame_shape[0]
    fx = cols / frame_shape[1]
    side, above, below = margins
    for b in boxes:
        x0 = max(0, int((b.x - side * b.w) * fx))
        y0 = max(0, int((b.y - above * b.h) * fy))
        x1 = min(cols, int(math.ceil((b.x2 + side * b.w) * fx)))
        y1 = min(rows, int(math.ceil((b.y2 + below * b.h) * fy)))
        mask[y0:y1, x0:x1] = True
    return mask


class LiveScheduler:
    """Per-stream state of live mode: decides, frame by frame, how much work a frame needs.

    Owned by a :class:`~faceapp.core.tracking.FaceTracker` (one per video stream) and
    driven by :meth:`FacePipeline.process <faceapp.core.pipeline.FacePipeline.process>`.
    A frame is either reused (nothing changed), followed (the known faces are refined
    where they were, cheap) or detected (the full detector).

    Parameters
    ----------
    settings : LiveSettings

    Attributes
    ----------
    counts : collections.Counter
        How many frames were ``"reused"``, ``"followed"`` (of them ``"predicted"``: the
        boxes moved by their velocity, not measured) and ``"detected"``, and why
        the detector ran (``"detect:first"``, ``"detect:due"``, ``"detect:region"``,
        ``"detect:lost"``, ``"detect:motion"``, ``"detect:cut"``; a cut ends every track).

    Notes
    -----
    Not thread-safe: one scheduler per worker thread, like the tracker.
    """

    def __init__(self, settings: LiveSettings) -> None:
        self.settings = settings
        self.counts: Counter[str] = Counter()
        self.interval = settings.min_detect_interval_s
        self.last_detection = -math.inf
        self.last_measured = -math.inf
        self.last_results: tuple[FaceResult, ...] = ()
        self._prev_thumb: np.ndarray | None = None
        self._kept_thumb: np.ndarray | None = None
        self._kept_key: object = None
        self._detect_thumb: np.ndarray | None = None
        self._measured: dict[int, np.ndarray] = {}
        self._changes: np.ndarray | None = None

    def reusable(self, thumb: np.ndarray, key: object) -> bool:
        """Return True when the last result still holds: same matching, frame hardly changed."""
        if not self.settings.skip_static or self._kept_thumb is None or key != self._kept_key:
            return False
        changes = cell_changes(thumb, self._kept_thumb)
        return changes is not None and float(changes.max()) <= STATIC_CHANGE

    def detection_reason(
        self,
        thumb: np.ndarray,
        frame_shape: tuple[int, ...],
        boxes: Sequence[Box],
        timestamp: float,
        can_follow: bool,
    ) -> str | None:
        """Return why the full detector must run on this frame, or None to follow the faces.

        Parameters
        ----------
        thumb : ndarray
            :func:`thumbnail` of the frame.
        frame_shape : tuple
            The frame's shape.
        boxes : sequence of Box
            The faces reported on the previous frame.
        timestamp : float
            Seconds.
        can_follow : bool
            Whether the detector can follow faces at all.
        """
        s = self.settings
        prev = self._prev_thumb
        self._changes = None
        if prev is None:
            return "first"
        self._changes = cell_changes(thumb, prev)
        changes = new_changes(prev, thumb, self._changes)
        if changes is None:
            return "region"
        if float((changes > s.region_change).mean()) >= CUT_FRACTION:
            return "cut"
        if not can_follow or not s.follow:
            return "every"
        outside = ~_covered(changes.shape, frame_shape, boxes)
        if outside.any() and float(changes[outside].max()) > s.region_change:
            return "region"
        elapsed = timestamp - self.last_detection
        if elapsed < self.interval and elapsed >= 0:
            return None
        if (
            elapsed < 0
            or elapsed >= s.quiet_detect_interval_s
            or self.interval < (s.max_detect_interval_s)
        ):
            return "due"
        # Nothing can have come into view where the picture did not change since the
        # last detection: away from the people followed, compare with that frame.
        since = None if self._detect_thumb is None else new_changes(self._detect_thumb, thumb)
        beyond = ~_covered(changes.shape, frame_shape, boxes, PERSON_MARGINS)
        if since is None or (beyond.any() and float(since[beyond].max()) > QUIET_CHANGE):
            return "due"
        self.counts["quiet"] += 1
        return None

    def still(
        self, thumb: np.ndarray, frame_shape: tuple[int, ...], track_id: int, box: Box
    ) -> bool:
        """Return True when a face's box looks as it did when the face was last measured.

        Then its box and landmarks still hold and following it needs no work.  The
        change is the mean absolute grey-level difference over the box in the thumbnails
        (at most :data:`STATIC_CHANGE`).
        """
        ref = self._measured.get(track_id)
        if ref is None or ref.shape != thumb.shape:
            return False
        fy, fx = thumb.shape[0] / frame_shape[0], thumb.shape[1] / frame_shape[1]
        x0, y0 = max(0, int(box.x * fx)), max(0, int(box.y * fy))
        x1 = min(thumb.shape[1], max(x0 + 1, int(math.ceil(box.x2 * fx))))
        y1 = min(thumb.shape[0], max(y0 + 1, int(math.ceil(box.y2 * fy))))
        if x1 <= x0 or y1 <= y0:
            return False
        change = np.abs(thumb[y0:y1, x0:x1] - ref[y0:y1, x0:x1]).mean()
        return bool(change <= STATIC_CHANGE)

    def measured(self, thumb: np.ndarray, measured: list[int], shown: list[int]) -> None:
        """Record which faces were measured on this frame; forget faces no longer shown."""
        kept = {tid: self._measured[tid] for tid in shown if tid in self._measured}
        kept.update((tid, thumb) for tid in measured)
        self._measured = kept

    def predicts(
        self, timestamp: float, frame_shape: tuple[int, ...], boxes: Sequence[Box]
    ) -> bool:
        """Return True when the followed faces need not be measured on this frame.

        They were measured less than :attr:`LiveSettings.follow_interval_s` ago, and the
        picture around them did not change by more than ``region_change`` since the
        previous frame, camera shake included (a face that left or moved fast is measured
        at once).  Their boxes are moved by their velocity instead.  Call after
        :meth:`detection_reason` returned None for this frame.
        """
        elapsed = timestamp - self.last_measured
        changes = self._changes
        if not 0 <= elapsed < self.settings.follow_interval_s or changes is None:
            return False
        around = _covered(changes.shape, frame_shape, boxes)
        return not around.any() or float(changes[around].max()) <= self.settings.region_change

    def detected(self, thumb: np.ndarray, timestamp: float, changed: bool) -> None:
        """Record a full detection; ``changed`` when it found a new face or missed a shown one."""
        self.last_detection = timestamp
        self.last_measured = timestamp
        self._detect_thumb = thumb
        s = self.settings
        self.interval = s.min_detect_interval_s if changed else s.max_detect_interval_s

    def processed(self, thumb: np.ndarray, key: object, results: tuple[FaceResult, ...]) -> None:
        """Remember a processed frame: the reference for reuse and for region changes."""
        self._prev_thumb = thumb
        self._kept_thumb = thumb
        self._kept_key = key
        self.last_results = results

    def reused(self, thumb: np.ndarray) -> None:
        """Remember a reused frame (only as the previous frame for region changes)."""
        self._prev_thumb = thumb
