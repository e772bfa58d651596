"""Live-mode benchmark: CPU, memory, latency and label agreement of real-time recognition.

Each configuration runs in its own process on a video delivered in real time (frames
arrive at the source's rate, read from a Motion-JPEG file (what most webcams send; an
mp4's group-of-pictures flicker is not camera-like) by the app's ``VideoCaptureSource`` on a
capture thread; the recognition loop takes the newest frame, as the GUI worker does),
so the process's CPU time and peak resident memory are read from the OS for that
configuration alone.  Configurations:

``before``
    The pipeline as it was before live mode: a tracker without live mode (the full
    detector from 20 px on every processed frame, embeddings refreshed every 0.5 s,
    every detection reported).
``after``
    The app's default: a tracker in live mode (:mod:`faceapp.core.live`).

The labels are compared with a reference run that processes every frame offline (the
full detector on every frame, embeddings refreshed every 0.5 s, live mode's reporting
floor and minimum size), so the figure shows what detecting less, following and
skipping change.  Videos: the LFW video of ``faceapp bench``
(:func:`benchmarks.suite.make_video_frames` at 30 fps, new people every 2 s) and a
camera-like clip of the 5-celebrity ``val`` photos (each slides in, is held by a
slightly shaking hand, then stands still; sensor noise throughout).

``python -m benchmarks.live [--quick] [--json]``; :func:`run` is what ``faceapp bench``
calls.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.data import LFW_DIR
from benchmarks.frames import FRAME_H, FRAME_W, lfw_images

REPO = Path(__file__).resolve().parents[1]

FPS = 30.0
#: Boxes of the same face in a run and in the reference overlap at least this much.
SAME_FACE_IOU = 0.3
#: LFW people enrolled who never appear in the videos (a gallery is never just the cast).
DISTRACTORS = 40

MODES = ("before", "after")
TIMINGS = ("realtime", "offline")


# -- the videos -------------------------------------------------------------------------


def _suite_cast(lfw_dir: Path, seconds: float, fps: float, seed: int = 0) -> list[list[Path]]:
    """Return the LFW files pasted in each scene of :func:`benchmarks.frames.make_video`.

    Replays the random draws of :func:`benchmarks.frames.make_scenes` (same seed, same
    order) without building the frames.
    """
    from benchmarks.frames import _place, _read

    files = lfw_images(lfw_dir)
    rng = np.random.default_rng(seed)
    scene_len = int(2 * fps)
    scenes = []
    for _scene in range(-(-int(seconds * fps) // scene_len)):
        rng.integers(len(files))  # background
        placed: list[tuple[int, int, int]] = []
        cast = []
        for _j in range(int(rng.integers(1, 4))):
            f = files[int(rng.integers(len(files)))]
            spot = _place(rng, int(round(_read(f).shape[0] * rng.uniform(0.6, 0.8))), placed)
            if spot is not None:
                placed.append(spot)
                cast.append(f)
        scenes.append(cast)
    return scenes


def _write(path: Path, frames: Any, fps: float) -> int:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (FRAME_W, FRAME_H))
    if not writer.isOpened():
        raise OSError(f"cannot write {path}")
    count = 0
    for frame in frames:
        writer.write(frame)
        count += 1
    writer.release()
    return count


def lfw_video(lfw_dir: Path, path: Path, seconds: float) -> dict[str, Any]:
    """Write the bench's LFW video at 30 fps; return its gallery (other photos of its cast)."""
    from benchmarks.frames import make_video

    frames = make_video(lfw_dir, seconds=seconds, fps=FPS)
    count = _write(path, frames, FPS)
    del frames
    cast = [f for scene in _suite_cast(lfw_dir, seconds, FPS) for f in scene]
    samples: list[tuple[str, str]] = []
    for f in cast:
        person = f.parent.name
        others = sorted(p for p in f.parent.glob("*.jpg") if p != f)[:2]
        samples += [(person, str(p)) for p in others]
    return {"frames": count, "samples": samples, "cast": sorted({f.parent.name for f in cast})}


def _interleaved(root: Path) -> list[Path]:
    per_person = [sorted(p.glob("*.jpg")) for p in sorted(root.iterdir()) if p.is_dir()]
    width = max(len(p) for p in per_person)
    return [p[i] for i in range(width) for p in per_person if i < len(p)]


def camera_frames(photos: list[Path], backdrop: np.ndarray, seed: int = 0) -> Any:
    """Yield a camera-like 30 fps clip: per photo 0.4 s sliding in, 1.6 s handheld, 1 s still.

    Each photo is scaled to 260-360 px high and shown over a blurred backdrop; a handheld
    camera moves the whole picture by a few pixels along a smooth random path; sensor
    noise (sigma 2 grey levels) is added to every frame.
    """
    rng = np.random.default_rng(seed)
    for photo in photos:
        img = cv2.imread(str(photo))
        h = int(rng.integers(260, 361))
        img = cv2.resize(img, (round(img.shape[1] * h / img.shape[0]), h), cv2.INTER_AREA)
        w = img.shape[1]
        x_end = int(rng.integers(20, max(21, FRAME_W - w - 20)))
        y0 = int(rng.integers(10, FRAME_H - h - 10))
        phase = rng.uniform(0, 2 * np.pi, 4)
        for t in range(int(3 * FPS)):
            s = t / FPS
            if s < 0.4:
                x = FRAME_W + (x_end - FRAME_W) * (s / 0.4)
                dx = dy = 0.0
            else:
                x = x_end
                hold = min(s, 2.0)  # the hand stops at 2 s: a tripod from there on
                dx = 3.0 * np.sin(2.1 * hold + phase[0]) + 1.5 * np.sin(5.3 * hold + phase[1])
                dy = 2.0 * np.sin(1.7 * hold + phase[2]) + 1.0 * np.sin(4.1 * hold + phase[3])
            frame = backdrop.copy()
            xi = int(round(x))
            x0, x1 = max(xi, 0), min(xi + w, FRAME_W)
            if x1 > x0:
                frame[y0 : y0 + h, x0:x1] = img[:, x0 - xi : x1 - xi]
            m = np.float32([[1, 0, dx], [0, 1, dy]])
            frame = cv2.warpAffine(frame, m, (FRAME_W, FRAME_H), borderMode=cv2.BORDER_REFLECT)
            noise = rng.normal(0.0, 2.0, frame.shape)
            yield np.clip(frame + noise, 0, 255).astype(np.uint8)


def camera_video(celebrity_dir: Path, lfw_dir: Path, path: Path, photos: int) -> dict[str, Any]:
    """Write the camera-like clip; return its gallery (the people's ``train`` photos)."""
    files = lfw_images(lfw_dir)
    backdrop = cv2.GaussianBlur(
        cv2.resize(cv2.imread(str(files[len(files) // 3])), (FRAME_W, FRAME_H)), (0, 0), 25
    )
    chosen = _interleaved(celebrity_dir / "val")[:photos]
    count = _write(path, camera_frames(chosen, backdrop), FPS)
    samples = [
        (d.name, str(p))
        for d in sorted((celebrity_dir / "train").iterdir())
        if d.is_dir()
        for p in sorted(d.glob("*.jpg"))
    ]
    return {"frames": count, "samples": samples, "cast": sorted({p.parent.name for p in chosen})}


def distractors(lfw_dir: Path, exclude: set[str], n: int = DISTRACTORS) -> list[tuple[str, str]]:
    """Return ``n`` LFW people (one photo each) who are not in ``exclude``."""
    people = sorted(d for d in lfw_dir.iterdir() if d.is_dir() and d.name not in exclude)
    rng = np.random.default_rng(7)
    picks = rng.choice(len(people), size=min(n, len(people)), replace=False)
    return [(people[i].name, str(sorted(people[i].glob("*.jpg"))[0])) for i in sorted(picks)]


# -- the child processes ----------------------------------------------------------------


def _gallery(samples: list[tuple[str, str]], out: Path) -> None:
    """Embed each sample's most central face and save ``names`` and ``embeddings``."""
    from faceapp.core.images import load_image
    from faceapp.core.pipeline import FacePipeline, central_face

    pipe = FacePipeline()
    pipe.prepare()
    names, vectors = [], []
    for name, path in samples:
        img = load_image(path)
        face = central_face(pipe.detect(img), img.shape[1], img.shape[0])
        if face is not None:
            names.append(name)
            vectors.append(pipe.embed(img, [face])[0])
    np.savez(out, names=np.array(names), embeddings=np.stack(vectors))


def _load_gallery(path: Path) -> Any:
    from faceapp.core.matching import GalleryIndex

    data = np.load(path)
    ids: dict[str, int] = {}
    samples = []
    for name, v in zip(data["names"].tolist(), data["embeddings"], strict=True):
        samples.append((ids.setdefault(name, len(ids) + 1), name, v))
    return GalleryIndex.from_samples(samples)


def _tracker(mode: str) -> Any:
    from faceapp.core.live import EVERY_FRAME
    from faceapp.core.tracking import FaceTracker

    if mode == "before":
        return FaceTracker(live=None)
    if mode == "reference":
        return FaceTracker(live=EVERY_FRAME)
    return FaceTracker()


def _faces(result: Any) -> list[list[Any]]:
    return [
        [
            *(round(v, 1) for v in (f.face.box.x, f.face.box.y, f.face.box.w, f.face.box.h)),
            f.label,
            f.track_id,
        ]
        for f in result.faces
    ]


def _reference(video: Path, gallery: Path) -> dict[str, Any]:
    """Process every frame, offline."""
    from faceapp.core.pipeline import FacePipeline, MatchSettings
    from faceapp.core.sources import VideoCaptureSource, iterate

    pipe = FacePipeline(tracker=_tracker("reference"))
    pipe.prepare()
    index, settings = _load_gallery(gallery), MatchSettings()
    frames = [
        {
            "i": f.index,
            "faces": _faces(pipe.process(f.image, index, settings, f.index, f.timestamp)),
        }
        for f in iterate(VideoCaptureSource(video))
    ]
    return {"frames": frames}


def _peak_rss_mb() -> float:
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


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _warm_pipeline(video: Path, gallery: Path, mode: str) -> tuple[Any, Any, Any]:
    """Return a prepared pipeline that has processed the video's first frame (not counted).

    Also the gallery's index and the default match settings; the tracker is new, so the
    warm-up leaves no track behind.
    """
    from faceapp.core.pipeline import FacePipeline, MatchSettings
    from faceapp.core.sources import VideoCaptureSource, iterate

    pipe = FacePipeline()
    pipe.prepare()
    index, settings = _load_gallery(gallery), MatchSettings()
    first = next(iterate(VideoCaptureSource(video)))
    pipe.tracker = _tracker(mode)
    pipe.process(first.image, index, settings, 0, 0.0)  # warm-up, not counted
    pipe.tracker = _tracker(mode)
    return pipe, index, settings


def _realtime(video: Path, gallery: Path, mode: str) -> dict[str, Any]:
    """Deliver the video at its frame rate and recognise the newest frame, as the GUI does."""
    from faceapp.core.sources import VideoCaptureSource

    pipe, index, settings = _warm_pipeline(video, gallery, mode)

    cond = threading.Condition()
    mailbox: list[Any] = []
    arrivals: dict[int, float] = {}
    done = threading.Event()

    def capture() -> None:
        source = VideoCaptureSource(video)
        source.open()
        start = time.perf_counter()
        try:
            while True:
                frame = source.read()
                if frame is None:
                    break
                delay = start + frame.timestamp - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                with cond:
                    arrivals[frame.index] = time.perf_counter()
                    mailbox[:] = [frame]
                    cond.notify()
        finally:
            source.close()
            with cond:
                done.set()
                cond.notify()

    records = []
    load0 = os.getloadavg()[0]
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    thread = threading.Thread(target=capture, name="capture")
    thread.start()
    while True:
        with cond:
            while not mailbox and not done.is_set():
                cond.wait()
            if not mailbox:
                break
            frame = mailbox.pop()
            arrived = arrivals[frame.index]
        result = pipe.process(frame.image, index, settings, frame.index, frame.timestamp)
        records.append(
            {
                "i": frame.index,
                "arrival": arrived,
                "done": time.perf_counter(),
                "faces": _faces(result),
            }
        )
    thread.join()
    wall = time.perf_counter() - wall0
    cpu = _cpu_seconds() - cpu0
    live = pipe.tracker.live
    return {
        "mode": mode,
        "cpu_per_video_second": round(cpu / wall, 3),
        "wall_s": round(wall, 2),
        "peak_rss_mb": _peak_rss_mb(),
        "tensorflow_imported": "tensorflow" in sys.modules,
        "load_average": [round(x, 2) for x in (load0, os.getloadavg()[0])],
        "arrivals": {str(k): v for k, v in arrivals.items()},
        "frames": records,
        "work": dict(live.counts) if live is not None else {"detected": len(records)},
    }


class _Meter:
    """Process CPU seconds spent in the detector's and the embedder's calls (offline runs)."""

    def __init__(self, pipe: Any) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        for obj, name, label in (
            (pipe.detector, "detect", "detect"),
            (pipe.detector, "refine", "refine"),
            (pipe.embedder, "embed", "embed"),
        ):
            if hasattr(obj, name):
                setattr(obj, name, self._wrap(getattr(obj, name), label))

    def _wrap(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        def measured(*args: Any, **kwargs: Any) -> Any:
            c0 = _cpu_seconds()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += _cpu_seconds() - c0
                self.calls[label] += len(args[0]) if label == "embed" else 1

        return measured


def _offline(video: Path, gallery: Path, mode: str) -> dict[str, Any]:
    """Process every frame in order as fast as possible: the CPU it takes to keep up.

    Frames are stamped as if each arrived at its media time and was processed at once, so
    a frame's latency is its own processing time (no waiting behind another frame).
    """
    from faceapp.core.sources import VideoCaptureSource, iterate

    pipe, index, settings = _warm_pipeline(video, gallery, mode)
    meter = _Meter(pipe)
    records = []
    arrivals: dict[str, float] = {}
    load0 = os.getloadavg()[0]
    cpu0 = _cpu_seconds()
    for frame in iterate(VideoCaptureSource(video)):  # decoding counts, as in the app
        t0, c0 = time.perf_counter(), _cpu_seconds()
        result = pipe.process(frame.image, index, settings, frame.index, frame.timestamp)
        took, cpu_ms = time.perf_counter() - t0, 1000.0 * (_cpu_seconds() - c0)
        ts = frame.timestamp
        arrivals[str(frame.index)] = ts
        records.append(
            {
                "i": frame.index,
                "arrival": ts,
                "done": ts + took,
                "cpu_ms": cpu_ms,
                "faces": _faces(result),
            }
        )
    cpu = _cpu_seconds() - cpu0
    duration = len(records) / FPS
    split = {k: round(v / duration, 3) for k, v in meter.seconds.items()}
    split["other"] = round(cpu / duration - sum(split.values()), 3)
    live = pipe.tracker.live
    return {
        "mode": mode,
        "cpu_per_video_second": round(cpu / duration, 3),
        "peak_rss_mb": _peak_rss_mb(),
        "tensorflow_imported": "tensorflow" in sys.modules,
        "load_average": [round(x, 2) for x in (load0, os.getloadavg()[0])],
        "arrivals": arrivals,
        "frames": records,
        "work": dict(live.counts) if live is not None else {"detected": len(records)},
        "cpu_split_per_video_second": split,
        "calls": dict(meter.calls),
    }


def _child(task: str, args: dict[str, Any]) -> None:
    out = Path(args["out"])
    if task == "gallery":
        _gallery([tuple(s) for s in args["samples"]], out)
        return
    if task == "reference":
        result = _reference(Path(args["video"]), Path(args["gallery"]))
    elif task == "offline":
        result = _offline(Path(args["video"]), Path(args["gallery"]), args["mode"])
    elif task == "virtual":
        from benchmarks.live_virtual import virtual

        result = virtual(Path(args["video"]), Path(args["gallery"]), args["mode"])
    else:
        result = _realtime(Path(args["video"]), Path(args["gallery"]), args["mode"])
    out.write_text(json.dumps(result))


def _spawn(task: str, **args: Any) -> None:
    cmd = [sys.executable, "-m", "benchmarks.live", "--child", task, json.dumps(args, default=str)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    subprocess.run(cmd, check=True, cwd=REPO, env=env)


# -- the figures ------------------------------------------------------------------------


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _pair(ref: list[list[Any]], run: list[list[Any]]) -> dict[int, int]:
    """Return reference face -> run face, greedily by IoU (at least :data:`SAME_FACE_IOU`)."""
    pairs = sorted(
        ((_iou(a, b), i, j) for i, a in enumerate(ref) for j, b in enumerate(run)), reverse=True
    )
    out: dict[int, int] = {}
    used: set[int] = set()
    for iou, i, j in pairs:
        if iou < SAME_FACE_IOU:
            break
        if i not in out and j not in used:
            out[i] = j
            used.add(j)
    return out


def compare(reference: dict[str, Any], run: dict[str, Any], fps: float = FPS) -> dict[str, Any]:
    """Return the label agreement, latency and naming-time figures of a real-time run.

    The label a run shows at a frame is that of the newest result for a frame at or
    before it (a dropped frame keeps showing the previous result, as the GUI does).
    Faces are paired by box overlap.  A wrong name is a name other than the one the
    reference gives; a name where the reference says "Unknown" (or the reverse) is
    counted apart.  The time to name a face runs from the arrival of the frame where
    it first appears (or, when the reference too names it only later, where the
    reference names it) to the end of the processing of the first frame the run shows
    that name.
    """
    processed = {r["i"]: r for r in run["frames"]}
    arrivals = {int(k): v for k, v in run["arrivals"].items()}
    shown: dict[str, Any] | None = None
    tally: Counter[str] = Counter()
    first_seen: dict[int, int] = {}
    named_at: dict[int, float] = {}
    named_cpu: dict[int, float] = {}
    ref_named: dict[int, int] = {}
    cpu_ms = {r["i"]: r["cpu_ms"] for r in run["frames"] if "cpu_ms" in r}
    for ref in reference["frames"]:
        i = ref["i"]
        shown = processed.get(i, shown)
        run_faces = shown["faces"] if shown is not None else []
        pairs = _pair(ref["faces"], run_faces)
        for k, face in enumerate(ref["faces"]):
            label, track = face[4], face[5]
            tally["face_frames"] += 1
            first_seen.setdefault(track, i)
            if label != "Unknown":
                ref_named.setdefault(track, i)
            j = pairs.get(k)
            if j is None:
                tally["missing"] += 1
                continue
            got = run_faces[j][4]
            if got == label:
                tally["agree"] += 1
                if label != "Unknown" and i in processed and track not in named_at:
                    named_at[track] = processed[i]["done"] - arrivals[first_seen[track]]
                    if i in cpu_ms:
                        named_cpu[track] = (
                            processed[i]["arrival"] - arrivals[first_seen[track]] + cpu_ms[i] / 1e3
                        )
            elif got == "Unknown":
                tally["unknown_for_name"] += 1
            elif label == "Unknown":
                tally["name_for_unknown"] += 1
            else:
                tally["wrong_name"] += 1
        tally["extra"] += len(run_faces) - len(pairs)
    latencies = [1000.0 * (r["done"] - r["arrival"]) for r in run["frames"]]
    # A face the reference itself names only later (a first embedding on the wrong side of
    # the threshold) is timed from the frame the reference names it.
    later = {t for t, f in ref_named.items() if f != first_seen[t]}
    for table in (named_at, named_cpu):
        for t in later & set(table):
            table[t] -= arrivals[ref_named[t]] - arrivals[first_seen[t]]
    names = list(named_at.values())
    known_tracks = {f[5] for r in reference["frames"] for f in r["faces"] if f[4] != "Unknown"}
    n_frames = len(reference["frames"])
    out = {
        "cpu_per_video_second": run["cpu_per_video_second"],
        "peak_rss_mb": run["peak_rss_mb"],
        "tensorflow_imported": run["tensorflow_imported"],
        "machine_load_average": run["load_average"],
        "latency_ms_median": round(float(np.median(latencies)), 1),
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1),
        "frames": n_frames,
        "frames_processed": len(run["frames"]),
        "agreement": round(tally["agree"] / max(tally["face_frames"], 1), 4),
        "face_frames": tally["face_frames"],
        "wrong_names": tally["wrong_name"],
        "name_where_reference_unknown": tally["name_for_unknown"],
        "unknown_where_reference_named": tally["unknown_for_name"],
        "missing": tally["missing"],
        "extra_faces": tally["extra"],
        "faces_to_name": len(known_tracks),
        "faces_named": len(names),
        "faces_the_reference_names_late": len(later),
        "time_to_name_ms_median": round(1000 * float(np.median(names)), 1) if names else None,
        "time_to_name_ms_max": round(1000 * float(np.max(names)), 1) if names else None,
        "work": run["work"],
        "video_seconds": round(n_frames / fps, 2),
    }
    if cpu_ms:
        # Load-independent stand-ins for the wall-clock figures: the process CPU time of a
        # frame bounds its processing time on an idle machine from above.
        cpu = list(cpu_ms.values())
        out["latency_cpu_ms_median"] = round(float(np.median(cpu)), 1)
        out["latency_cpu_ms_p95"] = round(float(np.percentile(cpu, 95)), 1)
        named = list(named_cpu.values())
        out["time_to_name_cpu_ms_max"] = round(1000 * max(named), 1) if named else None
        out["cpu_split_per_video_second"] = run.get("cpu_split_per_video_second")
        out["calls"] = run.get("calls")
    return out


def run(
    lfw_dir: Path = LFW_DIR,
    quick: bool = False,
    modes: tuple[str, ...] = MODES,
    videos: tuple[str, ...] = ("lfw", "camera"),
    timings: tuple[str, ...] = TIMINGS,
    progress: Callable[[str], Any] | None = None,
    keep: Path | None = None,
) -> dict[str, Any]:
    """Run the live benchmark and return ``{video: {timing: {mode: figures}}}``.

    Parameters
    ----------
    lfw_dir : Path
        LFW (for the LFW video, the backdrops and the distractors).
    quick : bool
        Shorter videos (6 s and 5 photos instead of 12 s and 10 photos).
    modes : tuple of {"before", "after"}
    videos : tuple of {"lfw", "camera"}
    timings : tuple of {"realtime", "offline"}
        ``"realtime"``: frames delivered at 30 fps, the newest one processed (what the
        app does; its figures depend on how busy the machine is).  ``"offline"``: every
        frame processed in order as fast as possible; its CPU figure is the CPU it takes
        to keep up with the video, and a frame's latency is its own processing time.
        ``"virtual"`` (:mod:`benchmarks.live_virtual`): the real-time rule on a clock of
        the recognition thread's CPU time, which other processes do not slow down.
    progress : callable, optional
        Called with one line of text per step.
    keep : Path, optional
        Keep the videos and the per-frame results in this folder.

    Raises
    ------
    FileNotFoundError
        When LFW or the 5-celebrity photos are missing.
    """
    from faceapp import paths

    say = progress or (lambda _msg: None)
    celebrity = paths.celebrity_dir()
    if not (lfw_dir / "pairs.txt").is_file():
        raise FileNotFoundError(f"the live benchmark needs LFW at {lfw_dir}")
    if not (celebrity / "val").is_dir():
        raise FileNotFoundError(f"the live benchmark needs the 5-celebrity photos in {celebrity}")
    out: dict[str, Any] = {"fps": FPS, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="faceapp-live-") as tmp:
        folder = Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for name in videos:
            video = folder / f"{name}.avi"
            say(f"live: writing the {name} video ...")
            if name == "lfw":
                meta = lfw_video(lfw_dir, video, 6.0 if quick else 12.0)
            else:
                meta = camera_video(celebrity, lfw_dir, video, 5 if quick else 10)
            samples = meta["samples"] + distractors(lfw_dir, set(meta["cast"]))
            gallery = folder / f"{name}-gallery.npz"
            say(f"live: enrolling {len(samples)} photos ...")
            _spawn("gallery", samples=samples, out=gallery)
            say(f"live: {name}: reference run over every frame ...")
            ref_file = folder / f"{name}-reference.json"
            _spawn("reference", video=video, gallery=gallery, out=ref_file)
            reference = json.loads(ref_file.read_text())
            figures: dict[str, Any] = {"frames": meta["frames"], "cast": len(meta["cast"])}
            for timing in timings:
                figures[timing] = {}
                for mode in modes:
                    say(f"live: {name}: {mode}, {timing} ...")
                    run_file = folder / f"{name}-{mode}-{timing}.json"
                    _spawn(timing, video=video, gallery=gallery, mode=mode, out=run_file)
                    result = compare(reference, json.loads(run_file.read_text()))
                    figures[timing][mode] = result
                    say(f"live: {name}: {mode}, {timing}: {result}")
            out[name] = figures
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark and print its figures."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--videos", default="lfw,camera")
    p.add_argument("--timings", default=",".join(TIMINGS))
    p.add_argument("--keep", type=Path, help="keep the videos and per-frame results here")
    p.add_argument("--lfw", type=Path, default=LFW_DIR)
    p.add_argument("--child", nargs=2, metavar=("TASK", "ARGS"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args.child[0], json.loads(args.child[1]))
        return 0
    result = run(
        args.lfw,
        quick=args.quick,
        modes=tuple(args.modes.split(",")),
        videos=tuple(args.videos.split(",")),
        timings=tuple(args.timings.split(",")),
        keep=args.keep,
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
