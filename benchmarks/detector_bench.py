"""Detector benchmark: faceapp's fast MTCNN against the ``mtcnn`` package on the same frames.

Usage::

    python -m benchmarks.detector_bench [--frames N] [--repeats R] [--json]

Both detectors run on the same synthetic 640x480 frames (LFW portraits on a blurred
background, see :mod:`benchmarks.frames`), interleaved frame by frame and alternating
which goes first, after a warm-up, so that load from other processes hits both alike.
Equivalence is scored against the package: each of its faces is paired with the
best-overlapping face of ours (one to one).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.data import LFW_DIR
from benchmarks.frames import make_frames
from benchmarks.timing import stats, time_call
from faceapp.core.types import Face

#: A face of ours "matches" one of the package's when their boxes overlap this much.
MATCH_IOU = 0.9

log = logging.getLogger("detector_bench")


def pair_faces(reference: list[Face], ours: list[Face]) -> list[float]:
    """Return, for each reference face, the IoU of the face of ours paired with it (0 if none).

    Pairs are formed greedily by decreasing IoU, each face used at most once.
    """
    if not reference:
        return []
    iou = np.array([[r.box.iou(o.box) for o in ours] for r in reference]).reshape(
        len(reference), len(ours)
    )
    best = [0.0] * len(reference)
    while iou.size and iou.max() > 0:
        i, j = np.unravel_index(int(np.argmax(iou)), iou.shape)
        best[i] = float(iou[i, j])
        iou[i, :] = -1.0
        iou[:, j] = -1.0
    return best


def run(lfw_dir: Path = LFW_DIR, n_frames: int = 30, repeats: int = 2) -> dict[str, Any]:
    """Time both detectors on ``n_frames`` frames and compare what they find.

    Parameters
    ----------
    lfw_dir : Path
        LFW folder the frames are built from.
    n_frames : int
        Number of 640x480 frames.
    repeats : int
        Timed passes over all frames (after one untimed warm-up frame per detector).

    Returns
    -------
    dict
        ``detector_ms`` and ``mtcnn_package_ms`` (median wall time per frame),
        ``detector_speedup_vs_mtcnn`` (ratio of the medians), ``iou_mean`` (mean IoU of
        the package's faces with their partners among ours), ``match_rate`` (fraction of
        the package's faces matched with IoU >= 0.9), ``count_agreement`` (fraction of
        frames where both find as many faces), plus min/median/max timings under
        ``detector_timing``.
    """
    from faceapp.core.detection import create_detector

    frames = make_frames(lfw_dir, n_frames)
    detectors = {"ours": create_detector("mtcnn"), "package": create_detector("mtcnn-package")}
    for detector in detectors.values():
        detector.prepare()
        detector.detect(frames[0])
    times: dict[str, list[float]] = {name: [] for name in detectors}
    found: dict[str, list[list[Face]]] = {name: [[] for _ in frames] for name in detectors}
    for rep in range(max(1, repeats)):
        for i, frame in enumerate(frames):
            order = ["ours", "package"] if (i + rep) % 2 == 0 else ["package", "ours"]
            for name in order:
                call = time_call(lambda d=detectors[name], f=frame: d.detect(f))
                times[name].append(call.ms)
                found[name][i] = call.result
    ious = [
        iou for ref, ours in zip(found["package"], found["ours"]) for iou in pair_faces(ref, ours)
    ]
    same_count = [len(a) == len(b) for a, b in zip(found["package"], found["ours"])]
    ours_ms, package_ms = stats(times["ours"]), stats(times["package"])
    return {
        "detector_ms": ours_ms["median"],
        "mtcnn_package_ms": package_ms["median"],
        "detector_speedup_vs_mtcnn": round(package_ms["median"] / ours_ms["median"], 2),
        "iou_mean": round(float(np.mean(ious)), 4) if ious else 1.0,
        "match_rate": round(float(np.mean([v >= MATCH_IOU for v in ious])), 4) if ious else 1.0,
        "count_agreement": round(float(np.mean(same_count)), 4),
        "detector_timing": {
            "frames": len(frames),
            "repeats": repeats,
            "faces_package": sum(len(f) for f in found["package"]),
            "faces_ours": sum(len(f) for f in found["ours"]),
            "ours_ms": ours_ms,
            "mtcnn_package_ms": package_ms,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30, help="number of 640x480 frames")
    parser.add_argument("--repeats", type=int, default=2, help="timed passes over the frames")
    parser.add_argument("--lfw", type=Path, default=LFW_DIR, help="LFW folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    result = run(args.lfw, args.frames, args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    timing = result["detector_timing"]
    for label, key in (("faceapp fast MTCNN", "ours_ms"), ("mtcnn package", "mtcnn_package_ms")):
        s = timing[key]
        print(
            f"{label:20s} min {s['min']:7.1f}  median {s['median']:7.1f}  max {s['max']:7.1f}"
            " ms/frame"
        )
    print(f"speedup (median package / median ours): {result['detector_speedup_vs_mtcnn']:.2f}x")
    print(
        f"faces: package {timing['faces_package']}, ours {timing['faces_ours']}; "
        f"same count in {result['count_agreement']:.0%} of {timing['frames']} frames"
    )
    print(
        f"package faces matched (IoU >= {MATCH_IOU}): {result['match_rate']:.1%}, "
        f"mean IoU {result['iou_mean']:.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
