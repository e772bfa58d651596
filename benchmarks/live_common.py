"""What every timing of the live benchmark shares: the gallery, trackers, records, meters."""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path
from typing import Any

import numpy as np


def load_gallery(path: Path) -> Any:
    from faceapp.core.matching import GalleryIndex

    data = np.load(path)
    ids: dict[str, int] = {}
    samples = []
    for name, v in zip(data["names"].tolist(), data["embeddings"], strict=True):
        samples.append((ids.setdefault(name, len(ids) + 1), name, v))
    return GalleryIndex.from_samples(samples)


def tracker(mode: str) -> Any:
    from faceapp.core.live import EVERY_FRAME
    from faceapp.core.tracking import FaceTracker

    if mode == "before":
        return FaceTracker(live=None)
    if mode == "reference":
        return FaceTracker(live=EVERY_FRAME)
    return FaceTracker()


def faces(result: Any) -> list[list[Any]]:
    return [
        [
            *(round(v, 1) for v in (f.face.box.x, f.face.box.y, f.face.box.w, f.face.box.h)),
            f.label,
            f.track_id,
        ]
        for f in result.faces
    ]


def peak_rss_mb() -> float:
    """Return the peak resident memory of this process in MB.

    Read from ``VmHWM``: after ``exec`` Linux's ``ru_maxrss`` still holds the peak of the
    process that forked it (here the parent that built the videos).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_record(
    pipe: Any, load0: float, arrivals: dict[str, float], records: list[dict[str, Any]]
) -> dict[str, Any]:
    """Return what every timing's record holds besides its mode and CPU figures.

    The peak RSS, whether TensorFlow was imported, the load average at the start
    (``load0``) and now, the arrivals and per-frame records, and the live-mode work counts.
    """
    live = pipe.tracker.live
    return {
        "peak_rss_mb": peak_rss_mb(),
        "tensorflow_imported": "tensorflow" in sys.modules,
        "load_average": [round(x, 2) for x in (load0, os.getloadavg()[0])],
        "arrivals": arrivals,
        "frames": records,
        "work": dict(live.counts) if live is not None else {"detected": len(records)},
    }


def warm_pipeline(video: Path, gallery: Path, mode: str) -> tuple[Any, Any, Any]:
    """Return a prepared pipeline that has processed the video's first frame (not counted).

    Also the gallery's index and the default match settings; the tracker is new, so the
    warm-up leaves no track behind.
    """
    from faceapp.core.pipeline import FacePipeline, MatchSettings
    from faceapp.core.sources import VideoCaptureSource, iterate

    pipe = FacePipeline()
    pipe.prepare()
    index, settings = load_gallery(gallery), MatchSettings()
    first = next(iterate(VideoCaptureSource(video)))
    pipe.tracker = tracker(mode)
    pipe.process(first.image, index, settings, 0, 0.0)  # warm-up, not counted
    pipe.tracker = tracker(mode)
    return pipe, index, settings
