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
skipping change (:mod:`benchmarks.live_figures`).  Videos
(:mod:`benchmarks.live_videos`): the LFW video of ``faceapp bench``
(:func:`benchmarks.frames.make_video` at 30 fps, new people every 2 s) and a
camera-like clip of the 5-celebrity ``val`` photos (each slides in, is held by a
slightly shaking hand, then stands still; sensor noise throughout).  Timings: real
time (above), offline (every frame in order, as fast as possible) and virtual (the
real-time rule on a clock of the recognition thread's CPU time,
:mod:`benchmarks.live_virtual`).

``python -m benchmarks.live [--quick] [--modes before,after] [--videos lfw,camera]
[--timings realtime,offline,virtual] [--keep DIR]``; :func:`run` is what ``faceapp bench``
calls.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.data import LFW_DIR
from benchmarks.live_common import (
    cpu_seconds,
    faces,
    load_gallery,
    run_record,
    tracker,
    warm_pipeline,
)
from benchmarks.live_figures import compare
from benchmarks.live_videos import FPS, camera_video, distractors, lfw_video

REPO = Path(__file__).resolve().parents[1]

MODES = ("before", "after")
TIMINGS = ("realtime", "offline", "virtual")


# -- the child processes


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


def _reference(video: Path, gallery: Path) -> dict[str, Any]:
    """Process every frame, offline."""
    from faceapp.core.pipeline import FacePipeline, MatchSettings
    from faceapp.core.sources import VideoCaptureSource, iterate

    pipe = FacePipeline(tracker=tracker("reference"))
    pipe.prepare()
    index, settings = load_gallery(gallery), MatchSettings()
    frames = [
        {
            "i": f.index,
            "faces": faces(pipe.process(f.image, index, settings, f.index, f.timestamp)),
        }
        for f in iterate(VideoCaptureSource(video))
    ]
    return {"frames": frames}


def _realtime(video: Path, gallery: Path, mode: str) -> dict[str, Any]:
    """Deliver the video at its frame rate and recognise the newest frame: the window's loop.

    The app's own :class:`~faceapp.session.live.CaptureLoop` (a plain thread, files
    paced at their frame rate) feeds the app's :class:`~faceapp.session.live.RecognitionLoop`
    (its one-slot mailbox, run here), as the window's workers drive them.
    """
    from faceapp.core.sources import VideoCaptureSource
    from faceapp.session.live import CaptureLoop, RecognitionLoop, run_source

    pipe, index, settings = warm_pipeline(video, gallery, mode)
    arrivals: dict[int, float] = {}
    records: list[dict[str, Any]] = []

    def on_result(_ticket: int, result: Any, _judgement: Any) -> None:
        records.append(
            {
                "i": result.index,
                "arrival": arrivals[result.index],
                "done": time.perf_counter(),
                "faces": faces(result),
            }
        )

    loop = RecognitionLoop(
        pipe, index, settings, on_result=on_result, trackers=lambda _m, _l: tracker(mode)
    )
    loop.clear_frames(tracking=True)

    def arrive(frame: Any) -> None:
        arrivals[frame.index] = time.perf_counter()
        loop.submit_frame(frame)

    capture = CaptureLoop(VideoCaptureSource(video), arrive)
    load0 = os.getloadavg()[0]
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    run_source(capture, loop)
    wall = time.perf_counter() - wall0
    cpu = cpu_seconds() - cpu0
    return {
        "mode": mode,
        "cpu_per_video_second": round(cpu / wall, 3),
        "wall_s": round(wall, 2),
        **run_record(pipe, load0, {str(k): v for k, v in arrivals.items()}, records),
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
            (pipe.embedder, "embed_once", "embed"),
        ):
            if hasattr(obj, name):
                setattr(obj, name, self._wrap(getattr(obj, name), label))

    def _wrap(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        def measured(*args: Any, **kwargs: Any) -> Any:
            c0 = cpu_seconds()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += cpu_seconds() - c0
                self.calls[label] += len(args[0]) if label == "embed" else 1

        return measured


def _offline(video: Path, gallery: Path, mode: str) -> dict[str, Any]:
    """Process every frame in order as fast as possible: the CPU it takes to keep up.

    Frames are stamped as if each arrived at its media time and was processed at once, so
    a frame's latency is its own processing time (no waiting behind another frame).
    """
    from faceapp.core.sources import VideoCaptureSource, iterate

    pipe, index, settings = warm_pipeline(video, gallery, mode)
    meter = _Meter(pipe)
    records = []
    arrivals: dict[str, float] = {}
    load0 = os.getloadavg()[0]
    cpu0 = cpu_seconds()
    for frame in iterate(VideoCaptureSource(video)):  # decoding counts, as in the app
        t0, c0 = time.perf_counter(), cpu_seconds()
        result = pipe.process(frame.image, index, settings, frame.index, frame.timestamp)
        took, cpu_ms = time.perf_counter() - t0, 1000.0 * (cpu_seconds() - c0)
        ts = frame.timestamp
        arrivals[str(frame.index)] = ts
        records.append(
            {
                "i": frame.index,
                "arrival": ts,
                "done": ts + took,
                "cpu_ms": cpu_ms,
                "faces": faces(result),
            }
        )
    cpu = cpu_seconds() - cpu0
    duration = len(records) / FPS
    split = {k: round(v / duration, 3) for k, v in meter.seconds.items()}
    split["other"] = round(cpu / duration - sum(split.values()), 3)
    return {
        "mode": mode,
        "cpu_per_video_second": round(cpu / duration, 3),
        **run_record(pipe, load0, arrivals, records),
        "cpu_split_per_video_second": split,
        "calls": dict(meter.calls),
    }


def _child(task: str, args: dict[str, Any]) -> None:
    from faceapp.core.runtime import opencv_single_threaded

    opencv_single_threaded()  # as the window runs
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
