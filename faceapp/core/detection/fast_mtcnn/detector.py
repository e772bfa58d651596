"""FastMtcnnDetector: the ``mtcnn`` package's cascade and weights, run on OpenCV's DNN engine."""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

import numpy as np

from faceapp.core.detection.fast_mtcnn.boxes import (
    area_resize_from_integral,
    crop_patches,
    face_probability,
    nms_keep,
    pnet_candidates,
    refine_boxes,
    scale_pyramid,
    sort_best_first,
    square_boxes,
)
from faceapp.core.detection.fast_mtcnn.networks import (
    ONET_SIZE,
    RNET_SIZE,
    WEIGHT_SHAPES,
    load_package_weights,
    onet_onnx,
    pnet_onnx,
    rnet_onnx,
    space_to_depth,
    tf_rnet,
)
from faceapp.core.images import as_bgr
from faceapp.core.runtime import opencv_single_threaded, usable_cpus
from faceapp.core.types import Box, Face, Point

log = logging.getLogger(__name__)

#: IoU thresholds of the package's non-maximum suppressions: P-Net within one pyramid
#: level, P-Net across levels, R-Net, and O-Net (the last one divides by the smaller area).
NMS_PNET_LEVEL = 0.5
NMS_PNET_ALL = 0.7
NMS_RNET = 0.7
NMS_ONET = 0.7

#: Most P-Net input shapes whose compiled networks are kept (one per pyramid level).
_PNET_CACHE_SIZE = 48

#: Pyramid levels at most this fraction of the frame's height are averaged from the
#: integral image (cheaper than ``cv2.resize`` there; the same values).
_INTEGRAL_MAX_SCALE = 0.2

#: Smallest R-Net and O-Net batches worth splitting over two threads.
_RNET_MIN_SPLIT = 16
_ONET_MIN_SPLIT = 4

_T = TypeVar("_T")

#: What runs R-Net: OpenCV like the other two networks, or TensorFlow (faster for large
#: candidate batches, but it loads TensorFlow into the process).
RnetEngine = Literal["opencv", "tensorflow"]


def balance(costs: list[int], groups: int) -> list[list[int]]:
    """Split item indices into ``groups`` lists of similar total cost (largest first)."""
    parts: list[list[int]] = [[] for _ in range(groups)]
    loads = [0] * groups
    for i in sorted(range(len(costs)), key=lambda k: -costs[k]):
        g = loads.index(min(loads))
        parts[g].append(i)
        loads[g] += costs[i]
    return [p for p in parts if p]


class FastMtcnnDetector:
    """MTCNN with the ``mtcnn`` package's weights and maths, run on OpenCV's DNN engine.

    Finds the same faces as
    :class:`~faceapp.core.detection.mtcnn_package.MtcnnPackageDetector` (boxes and
    landmarks agree to a fraction of a pixel before the package rounds them) several
    times faster: the three networks are compiled once by ``cv2.dnn`` (one P-Net per
    pyramid-level shape, its first layer rewritten to work on 2x2 pixel blocks), the
    pyramid levels and the crops are split over two threads, and the box maths is NumPy.
    The weights are read from the package's files; neither the package nor TensorFlow
    is imported (unless ``rnet_engine="tensorflow"``).

    Parameters
    ----------
    min_face_size : int
        Smallest face side, in pixels, the image pyramid looks for. The cost of a frame
        falls roughly with the square of this value.
    thresholds : tuple of three floats
        Score thresholds, in ``[0, 1]``, of the P-, R- and O-Net stages.
    scale_factor : float
        Ratio, in ``(0, 1)``, between successive pyramid levels.
    rnet_engine : {"opencv", "tensorflow"}
        What runs R-Net over the candidates (see :data:`RnetEngine`).

    Notes
    -----
    Thread-safe: calls are serialised with a lock. With two or more CPUs, each call also
    uses one helper thread owned by the detector, and :meth:`prepare` makes OpenCV run
    in the calling threads, process-wide (:func:`~faceapp.core.runtime.opencv_single_threaded`).

    Pyramid levels with a side under 11 pixels are skipped. The package instead fails on
    them and reports no face at all, which on a 640x480 frame happens for any
    ``min_face_size`` of 24 or more; this detector keeps finding faces there. Below
    ``min_face_size=12`` the first levels enlarge the frame, where OpenCV's area
    interpolation and TensorFlow's differ slightly.
    """

    def __init__(
        self,
        min_face_size: int = 20,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.8),
        scale_factor: float = 0.709,
        rnet_engine: RnetEngine = "opencv",
    ) -> None:
        if min_face_size <= 0:
            raise ValueError("min_face_size must be positive")
        if not 0.0 < scale_factor < 1.0:
            raise ValueError("scale_factor must be between 0 and 1")
        if rnet_engine not in ("opencv", "tensorflow"):
            raise ValueError(f"unknown R-Net engine {rnet_engine!r}: 'opencv' or 'tensorflow'")
        self.rnet_engine = rnet_engine
        self.min_face_size = min_face_size
        self.thresholds = thresholds
        self.scale_factor = scale_factor
        self._weights: dict[str, list[np.ndarray]] = {}
        # Two instances each of R-Net and O-Net, so that halves of a batch run at once.
        self._rnets: list[Any] = []
        self._rnet_tf: Callable[[np.ndarray], np.ndarray] | None = None
        self._onets: list[Any] = []
        self._pnets: OrderedDict[tuple[int, int], Any] = OrderedDict()
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Read the package's weights and compile R-Net and O-Net (P-Nets come per shape).

        Raises
        ------
        ModelError
            When the ``mtcnn`` package or its weight files are missing or unreadable, or
            ``rnet_engine="tensorflow"`` and TensorFlow cannot be loaded.
        """
        with self._lock:
            self._prepare_locked()

    def _prepare_locked(self) -> None:
        if self._onets:
            return
        import cv2

        weights = {name: load_package_weights(name) for name in WEIGHT_SHAPES}
        rnet = np.frombuffer(rnet_onnx(weights["rnet"]), np.uint8)
        onet = np.frombuffer(onet_onnx(weights["onet"]), np.uint8)
        self._rnets = [cv2.dnn.readNetFromONNX(rnet) for _ in range(2)]
        if self.rnet_engine == "tensorflow":
            self._rnet_tf = tf_rnet(weights["rnet"])
        self._weights = weights
        if usable_cpus() >= 2:
            # The two threads share the cores between them; OpenCV's own pool on top of
            # two concurrent net.forward() calls oversubscribes them, and once hung there.
            opencv_single_threaded()
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fast-mtcnn")
        self._onets = [cv2.dnn.readNetFromONNX(onet) for _ in range(2)]
        log.debug("fast MTCNN ready (%s)", "two threads" if self._pool else "one thread")

    def _pnet(self, height: int, width: int) -> Any:
        key = (height, width)
        net = self._pnets.get(key)
        if net is None:
            import cv2

            net = cv2.dnn.readNetFromONNX(
                np.frombuffer(pnet_onnx(self._weights["pnet"], height, width), np.uint8)
            )
            self._pnets[key] = net
            if len(self._pnets) > _PNET_CACHE_SIZE:
                self._pnets.popitem(last=False)
        else:
            self._pnets.move_to_end(key)
        return net

    def detect(self, frame: np.ndarray, min_face_size: float | None = None) -> list[Face]:
        """Return the faces in a frame, highest score first.

        Parameters
        ----------
        frame : ndarray
            BGR uint8 of shape (h, w, 3); grayscale (h, w) and BGRA (h, w, 4) are
            converted.
        min_face_size : float, optional
            Where the image pyramid starts for this call, in pixels (default: the
            detector's ``min_face_size``).  Live mode starts it at the smallest face it
            reports, which makes a frame several times cheaper.

        Returns
        -------
        list of Face
            Boxes and landmarks in the frame's pixel coordinates; boxes are clipped to the
            frame (landmarks are not), as the package does. Empty for frames smaller
            than 12 pixels.

        Raises
        ------
        ValueError
            When ``frame`` is not an image of one of those shapes, or ``min_face_size``
            is not positive.
        """
        image = as_bgr(np.asarray(frame))
        smallest = self.min_face_size if min_face_size is None else float(min_face_size)
        if not smallest > 0:
            raise ValueError("min_face_size must be positive")
        with self._lock:
            self._prepare_locked()
            return self._detect_locked(image, smallest)

    def refine(self, frame: np.ndarray, boxes: Sequence[Box]) -> list[Face]:
        """Run only the last stage (O-Net) on given boxes: follow known faces cheaply.

        O-Net looks at the square of each box's shorter side about its centre (the
        cascade's final boxes are taller than the squares its O-Net stage sees; a square of
        the longer side scores real faces lower) and gives its face score, refined box and
        landmarks there.
        On a face that moved by a fraction of its size since ``boxes`` were found this
        costs well under a millisecond per face, against tens for :meth:`detect`.

        Parameters
        ----------
        frame : ndarray
            As for :meth:`detect`.
        boxes : sequence of Box
            Where the faces are expected, in the frame's pixels (e.g. their boxes in the
            previous frame).

        Returns
        -------
        list of Face
            One per box, in order, whatever its score (no threshold, no suppression):
            the caller decides what a low score means.  Boxes are clipped to the frame
            as in :meth:`detect`.
        """
        image = as_bgr(np.asarray(frame))
        if not len(boxes):
            return []
        square = np.array(
            [
                [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, 0.0]
                for b in boxes
                for (cx, cy), side in [(b.center, min(b.w, b.h))]
            ],
            dtype=np.float64,
        )
        height, width = image.shape[:2]
        planes, sub_width, crop_boxes = _local_planes(image, square)
        with self._lock:
            self._prepare_locked()
            final, landmarks = self._onet_outputs(planes, sub_width, square, crop_boxes)
        return [
            _to_face(row, pts, width, height) for row, pts in zip(final, landmarks, strict=True)
        ]

    def _detect_locked(self, frame: np.ndarray, min_face_size: float) -> list[Face]:
        height, width = frame.shape[:2]
        image = frame.astype(np.float32)
        boxes = self._stage_pnet(frame, image, min_face_size)
        if not len(boxes):
            return []
        planes = np.ascontiguousarray(image.transpose(2, 0, 1)).reshape(3, -1)
        boxes = self._stage_rnet(planes, width, boxes)
        if not len(boxes):
            return []
        boxes, landmarks = self._stage_onet(planes, width, boxes)
        faces = [_to_face(row, pts, width, height) for row, pts in zip(boxes, landmarks)]
        faces.sort(key=lambda f: f.score, reverse=True)
        return faces

    def _in_parallel(self, tasks: list[Callable[[], _T]]) -> list[_T]:
        """Run the tasks, the first on the helper thread when there is one; keep their order."""
        if self._pool is None or len(tasks) < 2:
            return [task() for task in tasks]
        future = self._pool.submit(tasks[0])
        rest = [task() for task in tasks[1:]]
        return [future.result(), *rest]

    def _stage_pnet(self, frame: np.ndarray, image: np.ndarray, min_face_size: float) -> np.ndarray:
        """Return square candidate boxes (n, 5: x1, y1, x2, y2, score) from the pyramid."""
        import cv2

        height, width = image.shape[:2]
        levels = scale_pyramid(height, width, min_face_size, self.scale_factor)
        if not levels:
            return np.zeros((0, 5))
        nets = [self._pnet(h, w) for _, h, w in levels]
        # Small levels are cheaper to average from the integral image than to resize.
        integral = cv2.integral(frame) if levels[-1][1] <= height * _INTEGRAL_MAX_SCALE else None
        threshold = self.thresholds[0]

        def run(indices: list[int]) -> list[tuple[int, np.ndarray]]:
            found = []
            for i in indices:
                scale, h, w = levels[i]
                if integral is not None and h <= height * _INTEGRAL_MAX_SCALE:
                    level = area_resize_from_integral(integral, h, w)
                else:
                    level = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
                nets[i].setInput(space_to_depth(level))
                cand = pnet_candidates(nets[i].forward()[0], scale, threshold)
                found.append((i, cand[nms_keep(cand, NMS_PNET_LEVEL)]))
            return found

        groups = balance([h * w for _, h, w in levels], 2 if self._pool else 1)
        results = self._in_parallel([functools.partial(run, g) for g in groups])
        per_level = [cand for _, cand in sorted(r for part in results for r in part)]
        boxes = np.concatenate(per_level)
        if not len(boxes):
            return boxes
        boxes = boxes[sort_best_first(boxes[:, 4])]
        boxes = boxes[nms_keep(boxes, NMS_PNET_ALL)]
        return square_boxes(boxes)

    def _run_batched(
        self,
        nets: list[Any],
        planes: np.ndarray,
        width: int,
        boxes: np.ndarray,
        size: int,
        min_split: int,
    ) -> np.ndarray:
        """Return a network's outputs for the crops of ``boxes``, in two halves at once."""

        def run(net: Any, part: np.ndarray) -> np.ndarray:
            net.setInput(crop_patches(planes, width, part, size))
            return np.array(net.forward())

        if self._pool is None or len(boxes) < min_split:
            return run(nets[0], boxes)
        half = (len(boxes) + 1) // 2
        first, second = self._in_parallel(
            [lambda: run(nets[0], boxes[:half]), lambda: run(nets[1], boxes[half:])]
        )
        return np.concatenate([first, second])

    def _stage_rnet(self, planes: np.ndarray, width: int, boxes: np.ndarray) -> np.ndarray:
        """Return R-Net's refined square boxes (n, 5) from P-Net's candidates."""
        if self._rnet_tf is not None:
            parts = [boxes]
            if self._pool is not None and len(boxes) >= _RNET_MIN_SPLIT:
                parts = np.array_split(boxes, 2)
            crops = self._in_parallel(
                [functools.partial(crop_patches, planes, width, part, RNET_SIZE) for part in parts]
            )
            out = self._rnet_tf(np.concatenate(crops))
        else:
            out = self._run_batched(self._rnets, planes, width, boxes, RNET_SIZE, _RNET_MIN_SPLIT)
        scores = face_probability(out[:, 4:6])
        refined = np.concatenate([refine_boxes(boxes, out[:, :4]), scores[:, None]], axis=1)
        refined = refined[scores > self.thresholds[1]]
        refined = refined[sort_best_first(refined[:, 4])]
        refined = refined[nms_keep(refined, NMS_RNET)]
        return square_boxes(refined)

    def _stage_onet(
        self, planes: np.ndarray, width: int, boxes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return O-Net's final boxes (n, 5) and landmarks (n, 10: five x, then five y)."""
        final, landmarks = self._onet_outputs(planes, width, boxes)
        scores = final[:, 4]
        keep = scores > self.thresholds[2]
        final, landmarks = final[keep], landmarks[keep]
        order = sort_best_first(final[:, 4])
        final, landmarks = final[order], landmarks[order]
        keep_idx = nms_keep(final, NMS_ONET, method="min")
        return final[keep_idx], landmarks[keep_idx]

    def _onet_outputs(
        self,
        planes: np.ndarray,
        width: int,
        boxes: np.ndarray,
        crop_boxes: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return O-Net's refined boxes with scores (n, 5) and landmarks (n, 10) for all boxes.

        ``crop_boxes``: where the boxes are in ``planes`` when these hold only part of the
        frame (see :func:`_local_planes`); the outputs are in frame pixels all the same.
        """
        crops = boxes if crop_boxes is None else crop_boxes
        out = self._run_batched(self._onets, planes, width, crops, ONET_SIZE, _ONET_MIN_SPLIT)
        scores = face_probability(out[:, 14:16])
        w = boxes[:, 2:3] - boxes[:, 0:1] + 1
        h = boxes[:, 3:4] - boxes[:, 1:2] + 1
        landmarks = np.concatenate(
            [w * out[:, 4:9] + boxes[:, 0:1] - 1, h * out[:, 9:14] + boxes[:, 1:2] - 1], axis=1
        )
        final = np.concatenate([refine_boxes(boxes, out[:, :4]), scores[:, None]], axis=1)
        return final, landmarks


def _local_planes(image: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """Return the planes of the part of ``image`` under ``boxes``, its width, and the boxes there.

    :func:`~.boxes.crop_patches` samples a box spanning ``lo..hi`` of an image ``E`` pixels
    wide at ``lo * (E - 1) / E`` onwards, in steps scaled by the same factor.  The boxes
    returned for the part (``E'`` wide, starting at ``off``) are moved and scaled so that
    the samples fall on the same image pixels, so the patches equal those cut from the
    whole frame, at the cost of converting only the part.  Samples outside the part are
    outside the frame too (the part reaches the frame's edge wherever a box does).
    """
    height, width = image.shape[:2]
    spans = []
    for lo_col, hi_col, extent in ((0, 2, width), (1, 3, height)):
        c = (extent - 1) / extent
        lo = max(0, int(np.floor(boxes[:, lo_col].min() * c)) - 1)
        hi = min(extent, int(np.ceil(boxes[:, hi_col].max() * c)) + 2)
        spans.append((lo, hi, c))
    (x0, x1, cx), (y0, y1, cy) = spans
    if x1 - x0 < 2 or y1 - y0 < 2:  # all boxes off the frame: use the whole frame
        x0, x1, y0, y1 = 0, width, 0, height
    part = image[y0:y1, x0:x1]
    planes = np.ascontiguousarray(part.transpose(2, 0, 1)).reshape(3, -1).astype(np.float32)
    local = boxes.copy()
    for lo_col, hi_col, off, c, extent in ((0, 2, x0, cx, x1 - x0), (1, 3, y0, cy, y1 - y0)):
        c_part = (extent - 1) / extent
        start = (boxes[:, lo_col] * c - off) / c_part
        local[:, hi_col] = start + (boxes[:, hi_col] - boxes[:, lo_col]) * c / c_part
        local[:, lo_col] = start
    return planes, x1 - x0, local


def _to_face(row: np.ndarray, pts: np.ndarray, width: int, height: int) -> Face:
    """Return a Face from one O-Net output row (box clipped to the frame) and its landmarks."""
    x1, y1, x2, y2, score = (float(v) for v in row[:5])
    x1, x2 = min(max(x1, 0.0), width - 1.0), min(max(x2, 0.0), width - 1.0)
    y1, y2 = min(max(y1, 0.0), height - 1.0), min(max(y2, 0.0), height - 1.0)
    points: list[Point] = [(float(pts[i]), float(pts[i + 5])) for i in range(5)]
    return Face(
        Box(x1, y1, x2 - x1, y2 - y1),
        (points[0], points[1], points[2], points[3], points[4]),
        score,
    )
