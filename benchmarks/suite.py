"""``faceapp bench``: detector, embedder, pipeline, 1:K search, live mode, with peers, in one run.

Usage::

    python -m benchmarks.suite [--quick] [--json]     # from the source checkout
    faceapp bench [--quick] [--json]                   # the same, started by the CLI

Each section below is one function returning a dictionary; :func:`run_benchmark` runs
them in order and lifts their medians to the top level of one flat result.  Everything
timed is the product's own code: :func:`faceapp.core.detection.create_detector`,
:func:`faceapp.core.embedding.create_embedder`, :class:`faceapp.core.pipeline.FacePipeline`
reading an mp4 through :class:`faceapp.core.sources.VideoCaptureSource`, and
:func:`faceapp.core.matching.identify`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks import detector_bench
from benchmarks.data import LFW_DIR, require_lfw
from benchmarks.frames import FRAME_H, FRAME_W, make_video
from benchmarks.timing import FLOAT32_FLOOR_MS, stats, time_call, timed

TIMINGS = ("realtime", "offline", "virtual")

# --------------------------------------------------------------------------- embedding


def bench_embedding(repeats: int) -> dict[str, Any]:
    """Time FaceNet at batch 16 and batch 1: the network alone, and as the app runs it.

    ``embed_ms_*`` time one forward pass per face (flip fusion off); ``embed_app_ms_*``
    time :meth:`FaceNetEmbedder.embed` with flip fusion, the app's default (two passes).
    """
    from faceapp.core.embedding import create_embedder

    crops = np.random.default_rng(0).integers(0, 255, (16, 160, 160, 3), dtype=np.uint8)
    out: dict[str, Any] = {}
    for prefix, flip in (("embed", False), ("embed_app", True)):
        emb = create_embedder(flip=flip)
        emb.prepare()
        for n in (1, 16):
            emb.embed(crops[:n])  # warm-up
        batch = [t / 16 for t in timed(lambda e=emb: e.embed(crops), repeats)]
        out[f"{prefix}_ms_per_face_batch16"] = stats(batch)
        out[f"{prefix}_ms_single"] = stats(timed(lambda e=emb: e.embed(crops[:1]), repeats * 2))
    out["float32_floor_ms"] = round(FLOAT32_FLOOR_MS, 2)
    out["floor_fraction_batch16"] = round(
        FLOAT32_FLOOR_MS / out["embed_ms_per_face_batch16"]["median"], 3
    )
    return out


# --------------------------------------------------------------------------- pipeline


def bench_pipeline(frames: list[np.ndarray], fps: float) -> dict[str, Any]:
    """Run the tracked pipeline over a real-face video read back from an mp4 file."""
    from faceapp.core.matching import GalleryIndex
    from faceapp.core.pipeline import FacePipeline, MatchSettings
    from faceapp.core.sources import VideoCaptureSource, iterate
    from faceapp.core.tracking import FaceTracker

    rng = np.random.default_rng(1)
    gallery = GalleryIndex.from_samples(
        [(i, f"person {i}", v) for i, v in enumerate(rng.normal(size=(100, 128)))]
    )
    pipeline = FacePipeline(tracker=FaceTracker())
    pipeline.prepare()
    pipeline.process(frames[0], gallery, MatchSettings(), 0, 0.0)  # warm-up
    pipeline.tracker = FaceTracker()

    def play(path: Path) -> tuple[list[float], int]:
        latencies, faces = [], 0
        for frame in iterate(VideoCaptureSource(path)):
            result = pipeline.process(
                frame.image, gallery, MatchSettings(), frame.index, frame.timestamp
            )
            latencies.append(result.latency_ms)
            faces += len(result.faces)
        return latencies, faces

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "faces.mp4"
        writer = cv2.VideoWriter(
            str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (FRAME_W, FRAME_H)
        )
        for f in frames:
            writer.write(f)
        writer.release()
        run = time_call(lambda: play(path))
    latencies, faces = run.result
    return {
        "pipeline_fps": round(len(latencies) / (run.ms / 1000.0), 2),
        "pipeline_latency_ms": stats(latencies),
        "pipeline_frames": len(latencies),
        "pipeline_faces_per_frame": round(faces / max(len(latencies), 1), 2),
    }


# --------------------------------------------------------------------------- 1:K search


def bench_search(sizes: tuple[int, ...], repeats: int) -> dict[str, Any]:
    """Time one 1:K identification against galleries of random unit vectors."""
    from faceapp.core.matching import GalleryIndex, identify, l2_normalize

    rng = np.random.default_rng(2)
    out: dict[str, Any] = {}
    for n in sizes:
        emb = l2_normalize(rng.standard_normal((n, 128), dtype=np.float32))
        owners = np.arange(n, dtype=np.int64)  # worst case: one sample, one person each
        index = GalleryIndex(tuple(range(n)), tuple(f"p{i}" for i in range(n)), emb, owners)
        probe = l2_normalize(emb[n // 2] + 0.05 * rng.standard_normal(128).astype(np.float32))
        identify(probe, index)
        label = f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000}m"
        out[f"search_ms_{label}"] = stats(
            timed(lambda index=index, probe=probe: identify(probe, index), repeats)
        )
        del emb, index
    return out


# --------------------------------------------------------------------------- peers


def bench_face_recognition(frames: list[np.ndarray]) -> dict[str, Any] | None:
    """Time the face_recognition package (dlib) per frame, when it is installed."""
    if importlib.util.find_spec("face_recognition") is None:
        return None
    import face_recognition

    def run(frame: np.ndarray) -> None:
        rgb = np.ascontiguousarray(frame[..., ::-1])
        face_recognition.face_encodings(rgb, face_recognition.face_locations(rgb))

    return {
        "face_recognition_ms_per_frame": stats([time_call(lambda f=f: run(f)).ms for f in frames])
    }


# --------------------------------------------------------------------------- live mode

#: The live-mode figures lifted to the top level of ``faceapp bench``'s result, from the
#: camera-like clip delivered in real time (``benchmarks.live``'s names on the right).
LIVE_FIGURES = {
    "live_cpu_per_video_second": "cpu_per_video_second",
    "live_peak_rss_mb": "peak_rss_mb",
    "live_latency_ms_median": "latency_ms_median",
    "live_latency_ms_p95": "latency_ms_p95",
    "live_agreement": "agreement",
    "live_wrong_names": "wrong_names",
    "live_time_to_name_ms_max": "time_to_name_ms_max",
}


def bench_live(
    lfw_dir: Path, quick: bool, progress: Callable[[str], Any] | None = None
) -> dict[str, Any]:
    """Run the live-mode benchmark (:mod:`benchmarks.live`) in the app's default live mode.

    Quick: the short camera-like clip (15 s), in real time and on the virtual clock
    (:mod:`benchmarks.live_virtual`: the real-time rule timed by the recognition thread's
    CPU time, which a busy machine does not change).  Otherwise both videos (the LFW
    video and the 30 s camera-like clip), also offline (every frame as fast as possible:
    the CPU it takes to keep up, and per-frame CPU time as latency).

    Returns
    -------
    dict
        ``{video: {timing: figures}}`` and the machine's load average at the start and
        the end; figures as :func:`benchmarks.live_figures.compare` returns them.

    Raises
    ------
    FileNotFoundError
        When the 5-celebrity photos (the camera-like clip) are missing.
    """
    from benchmarks import live

    load0 = [round(x, 2) for x in os.getloadavg()]
    result = live.run(
        lfw_dir,
        quick=quick,
        modes=("after",),
        videos=("camera",) if quick else ("lfw", "camera"),
        timings=("realtime", "virtual") if quick else ("realtime", "offline", "virtual"),
        progress=progress,
    )
    out: dict[str, Any] = {"load_average_start": load0}
    for name in ("lfw", "camera"):
        if name in result:
            out[name] = {t: result[name][t]["after"] for t in TIMINGS if t in result[name]}
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def live_summary(figures: dict[str, Any]) -> dict[str, Any]:
    """Return the top-level live figures of :func:`bench_live`'s result.

    Those of :data:`LIVE_FIGURES` from the camera-like clip in real time, and its
    agreement and longest time to name a face on the virtual clock (``*_virtual``).
    """
    camera = figures["camera"]
    out = {key: camera["realtime"][name] for key, name in LIVE_FIGURES.items()}
    out["live_agreement_virtual"] = camera["virtual"]["agreement"]
    out["live_time_to_name_ms_max_virtual"] = camera["virtual"]["time_to_name_ms_max"]
    return out


# --------------------------------------------------------------------------- the run


def run_benchmark(
    quick: bool = False,
    progress: Callable[[str], Any] | None = None,
    lfw_dir: Path = LFW_DIR,
) -> dict[str, Any]:
    """Run every section and return one flat dictionary (medians at the top level).

    Raises
    ------
    FileNotFoundError
        When LFW (the source of the test frames) is not at ``lfw_dir``.
    """
    say = progress or (lambda _msg: None)
    lfw_dir = require_lfw(lfw_dir)
    repeats = 3 if quick else 10
    result: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}}

    say("detector: faceapp vs the mtcnn package on the same frames ...")
    result.update(detector_bench.run(lfw_dir, 10 if quick else 30, 1 if quick else 2))

    say("embedding ...")
    emb = bench_embedding(repeats)
    result["embedding"] = emb
    for key in ("embed", "embed_app"):
        result[f"{key}_ms_per_face_batch16"] = emb[f"{key}_ms_per_face_batch16"]["median"]
        result[f"{key}_ms_single"] = emb[f"{key}_ms_single"]["median"]

    say("end-to-end pipeline on a video of real faces ...")
    frames = make_video(lfw_dir, seconds=4.0 if quick else 8.0, fps=25.0)
    pipe = bench_pipeline(frames, 25.0)
    result["pipeline"] = pipe
    result["pipeline_fps"] = pipe["pipeline_fps"]
    result["pipeline_latency_ms"] = pipe["pipeline_latency_ms"]["median"]

    say("1:K search ...")
    search = bench_search((1_000, 100_000, 1_000_000), repeats)
    result["search"] = search
    result["search_ms_1m"] = search["search_ms_1m"]["median"]

    say("live mode: CPU, memory, latency and labels against an every-frame reference ...")
    try:
        live_figures = bench_live(lfw_dir, quick)
    except FileNotFoundError as exc:
        result["live"] = f"not run: {exc}"
    else:
        result["live"] = live_figures
        result.update(live_summary(live_figures))

    peer = bench_face_recognition(frames[:10])
    result["face_recognition"] = peer if peer is not None else "not installed"
    for key, value in result.items():
        if key != "machine":
            say(f"{key}: {value}")
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the suite; print progress and figures, or (``--json``) one JSON line.

    Returns 2 with a one-line message when LFW is missing.
    """
    parser = argparse.ArgumentParser(prog="faceapp bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames and repeats")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        result = run_benchmark(quick=args.quick, progress=None if args.json else print)
    except FileNotFoundError as exc:
        print(f"faceapp: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
