"""``faceapp bench``: detector, embedder, pipeline and 1:K search, with peers, in one run."""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.frames import FRAME_H, FRAME_W, lfw_images
from benchmarks.timing import stats, timed

REPO = Path(__file__).resolve().parents[1]
LFW_DIR = Path(os.environ.get("FACEAPP_LFW_DIR", REPO.parent / "shared" / "data" / "lfw"))

#: Floor for one FaceNet forward pass in float32 on this class of machine (from the issue):
#: 2.83 GFLOP per face at 157 GFLOP/s peak (two AVX2 cores at 2.45 GHz).
FACENET_GFLOP = 2.83
PEAK_GFLOPS = 157.0


def make_video_frames(
    lfw_dir: Path, seconds: float = 8.0, fps: float = 25.0, seed: int = 0
) -> list[np.ndarray]:
    """Return a 640x480 "video": 1-3 LFW portraits drifting over a blurred background.

    Every two seconds a new set of people walks in, so the tracker sees tracks start,
    move and end, as with a real camera.
    """
    rng = np.random.default_rng(seed)
    files = lfw_images(lfw_dir)
    frames: list[np.ndarray] = []
    n = int(seconds * fps)
    scene_len = int(2 * fps)
    for start in range(0, n, scene_len):
        bg = cv2.GaussianBlur(
            cv2.resize(cv2.imread(str(files[rng.integers(len(files))])), (FRAME_W, FRAME_H)),
            (0, 0),
            25,
        )
        k = int(rng.integers(1, 4))
        people = []
        for j in range(k):
            img = cv2.imread(str(files[rng.integers(len(files))]))
            size = int(rng.integers(150, 200))
            img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
            x0 = 10 + j * (FRAME_W - 20) // k
            y0 = int(rng.integers(10, FRAME_H - size - 10))
            vx, vy = rng.uniform(-1.5, 1.5, size=2)
            people.append((img, x0, y0, vx, vy))
        for t in range(min(scene_len, n - start)):
            frame = bg.copy()
            for img, x0, y0, vx, vy in people:
                s = img.shape[0]
                x = int(np.clip(x0 + vx * t, 0, FRAME_W - s))
                y = int(np.clip(y0 + vy * t, 0, FRAME_H - s))
                frame[y : y + s, x : x + s] = img
            frames.append(frame)
    return frames


def bench_embedding(repeats: int) -> dict[str, Any]:
    """Time the FaceNet embedder (network only, no flip) at batch 16 and batch 1."""
    from faceapp.core.embedding.facenet import FaceNetEmbedder

    emb = FaceNetEmbedder(flip=False)
    emb.prepare()
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 255, (16, 160, 160, 3), dtype=np.uint8)
    for n in (1, 16):
        emb.embed(crops[:n])  # warm-up
    batch = [t / 16 for t in timed(lambda: emb.embed(crops), repeats)]
    single = timed(lambda: emb.embed(crops[:1]), repeats * 2)
    floor = FACENET_GFLOP / PEAK_GFLOPS * 1000.0
    med16 = float(np.median(batch))
    return {
        "embed_ms_per_face_batch16": stats(batch),
        "embed_ms_single": stats(single),
        "float32_floor_ms": round(floor, 2),
        "floor_fraction_batch16": round(floor / med16, 3),
    }


def bench_pipeline(frames: list[np.ndarray], fps: float) -> dict[str, Any]:
    """Run the tracked pipeline over a real-face video read back from an mp4 file."""
    from faceapp.core.matching import GalleryIndex
    from faceapp.core.pipeline import FacePipeline, MatchSettings
    from faceapp.core.sources import VideoCaptureSource, iterate
    from faceapp.core.tracking import FaceTracker

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "faces.mp4"
        writer = cv2.VideoWriter(
            str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (FRAME_W, FRAME_H)
        )
        for f in frames:
            writer.write(f)
        writer.release()
        pipeline = FacePipeline(tracker=FaceTracker())
        pipeline.prepare()
        rng = np.random.default_rng(1)
        gallery = GalleryIndex.from_samples(
            [
                (i, f"person {i}", v)
                for i, v in enumerate(rng.normal(size=(100, 128)).astype(np.float32))
            ]
        )
        pipeline.process(frames[0], gallery, MatchSettings(), 0, 0.0)  # warm-up
        pipeline.tracker = FaceTracker()
        latencies, faces = [], 0
        t0 = time.perf_counter()
        for frame in iterate(VideoCaptureSource(path)):
            result = pipeline.process(
                frame.image, gallery, MatchSettings(), frame.index, frame.timestamp
            )
            latencies.append(result.latency_ms)
            faces += len(result.faces)
        total = time.perf_counter() - t0
    return {
        "pipeline_fps": round(len(latencies) / total, 2),
        "pipeline_latency_ms": stats(latencies),
        "pipeline_frames": len(latencies),
        "pipeline_faces_per_frame": round(faces / max(len(latencies), 1), 2),
    }


def bench_search(sizes: tuple[int, ...], repeats: int) -> dict[str, Any]:
    """Time one 1:K identification against galleries of random unit vectors."""
    from faceapp.core.matching import GalleryIndex, identify, l2_normalize

    rng = np.random.default_rng(2)
    out: dict[str, Any] = {}
    for n in sizes:
        emb = l2_normalize(rng.standard_normal((n, 128), dtype=np.float32))
        owners = np.arange(n, dtype=np.int64)  # worst case: one sample, one person each
        people = n
        index = GalleryIndex(
            tuple(range(people)), tuple(f"p{i}" for i in range(people)), emb, owners
        )
        probe = l2_normalize(emb[n // 2] + 0.05 * rng.standard_normal(128).astype(np.float32))
        identify(probe, index)
        label = f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000}m"
        out[f"search_ms_{label}"] = stats(
            timed(lambda index=index, probe=probe: identify(probe, index), repeats)
        )
        del emb, index
    return out


def bench_face_recognition(frames: list[np.ndarray]) -> dict[str, Any] | None:
    """Time the face_recognition package (dlib) per frame, when it is installed."""
    if importlib.util.find_spec("face_recognition") is None:
        return None
    import face_recognition

    def run(frame: np.ndarray) -> None:
        rgb = np.ascontiguousarray(frame[..., ::-1])
        face_recognition.face_encodings(rgb, face_recognition.face_locations(rgb))

    times = [timed(lambda f=f: run(f), 1)[0] for f in frames]
    return {"face_recognition_ms_per_frame": stats(times)}


def run_benchmark(
    quick: bool = False, progress: Callable[[str], Any] | None = None
) -> dict[str, Any]:
    """Run every benchmark and return one flat dictionary (medians at the top level)."""
    from benchmarks import detector_bench

    say = progress or (lambda _msg: None)
    if not (LFW_DIR / "pairs.txt").is_file():
        raise FileNotFoundError(f"the benchmarks need LFW at {LFW_DIR} (or set FACEAPP_LFW_DIR)")
    repeats = 3 if quick else 10
    result: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}}

    say("detector: faceapp vs the mtcnn package on the same frames ...")
    det = detector_bench.run(LFW_DIR, 10 if quick else 30, 1 if quick else 2)
    result.update(det)

    say("embedding ...")
    emb = bench_embedding(repeats)
    result["embedding"] = emb
    result["embed_ms_per_face_batch16"] = emb["embed_ms_per_face_batch16"]["median"]
    result["embed_ms_single"] = emb["embed_ms_single"]["median"]

    say("end-to-end pipeline on a video of real faces ...")
    frames = make_video_frames(LFW_DIR, seconds=4.0 if quick else 8.0)
    pipe = bench_pipeline(frames, 25.0)
    result["pipeline"] = pipe
    result["pipeline_fps"] = pipe["pipeline_fps"]
    result["pipeline_latency_ms"] = pipe["pipeline_latency_ms"]["median"]

    say("1:K search ...")
    search = bench_search((1_000, 100_000, 1_000_000), repeats)
    result["search"] = search
    result["search_ms_1m"] = search["search_ms_1m"]["median"]

    peer = bench_face_recognition(frames[:10])
    result["face_recognition"] = peer if peer is not None else "not installed"
    for key, value in result.items():
        if key not in ("machine",):
            say(f"{key}: {value}")
    return result
