"""The live benchmark's videos: the bench's LFW video and a camera-like clip, as MJPG files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.frames import FRAME_H, FRAME_W, lfw_images

FPS = 30.0
#: LFW people enrolled who never appear in the videos (a gallery is never just the cast).
DISTRACTORS = 40


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
