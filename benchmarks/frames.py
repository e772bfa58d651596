"""Synthetic 640x480 scenes: LFW portraits on a blurred LFW background, still or drifting."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

FRAME_W = 640
FRAME_H = 480


def lfw_images(lfw_dir: Path) -> list[Path]:
    """Return every LFW JPEG under ``lfw_dir`` (``<Name>/<Name>_NNNN.jpg``), sorted."""
    files = sorted(Path(lfw_dir).glob("*/*.jpg"))
    if not files:
        raise FileNotFoundError(f"no LFW images under {lfw_dir}")
    return files


def _read(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f"cannot read {path}")
    return img


def _background(img: np.ndarray) -> np.ndarray:
    """Return ``img`` enlarged to the frame size and blurred until no face is left in it."""
    big = cv2.resize(img, (FRAME_W, FRAME_H), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(big, (0, 0), sigmaX=25.0)


def _overlaps(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    ax, ay, asz = a
    bx, by, bsz = b
    return ax < bx + bsz and bx < ax + asz and ay < by + bsz and by < ay + asz


def _place(
    rng: np.random.Generator, size: int, placed: list[tuple[int, int, int]]
) -> tuple[int, int, int] | None:
    """Return a free ``(x, y, size)`` spot, shrinking the portrait when none is found."""
    while size >= 100:
        for _attempt in range(30):
            x = int(rng.integers(0, FRAME_W - size + 1))
            y = int(rng.integers(0, FRAME_H - size + 1))
            if not any(_overlaps((x, y, size), p) for p in placed):
                return x, y, size
        size = int(size * 0.85)
    return None


def make_scenes(
    lfw_dir: Path,
    scenes: int,
    frames_per_scene: int = 1,
    scale: tuple[float, float] = (0.6, 1.6),
    drift: float = 0.0,
    seed: int = 0,
) -> list[np.ndarray]:
    """Build BGR 640x480 uint8 frames, ``frames_per_scene`` for each of ``scenes`` scenes.

    Each scene has another LFW image, enlarged and heavily blurred, as its background and
    1 to 3 LFW portraits (250x250 in LFW) scaled by a random factor in ``scale`` and
    placed where they do not overlap (shrunk when they do not fit).  Within a scene each
    portrait moves in a straight line at up to ``drift`` pixels per frame along each axis,
    stopping at the frame's edge, so a tracker sees tracks start, move and end.

    Parameters
    ----------
    lfw_dir : Path
        The LFW folder, ``<lfw_dir>/<Name>/<Name>_NNNN.jpg``.
    scenes : int
        Number of scenes.
    frames_per_scene : int
        1 for still frames (the detector benchmark), more for a video.
    scale : tuple of float
        Range of the portraits' scale factor.
    drift : float
        Largest speed in pixels per frame; 0 keeps the portraits still.
    seed : int
        Seed of the random choices; the same arguments give the same frames.

    Returns
    -------
    list of ndarray, each of shape (480, 640, 3), uint8, BGR
    """
    files = lfw_images(lfw_dir)
    rng = np.random.default_rng(seed)
    motion = np.random.default_rng([seed, 1])  # separate, so placement is the same at any drift
    frames: list[np.ndarray] = []
    for _ in range(scenes):
        background = _background(_read(files[int(rng.integers(len(files)))]))
        people: list[tuple[np.ndarray, int, int, float, float]] = []
        placed: list[tuple[int, int, int]] = []
        for _ in range(int(rng.integers(1, 4))):
            portrait = _read(files[int(rng.integers(len(files)))])
            spot = _place(rng, int(round(portrait.shape[0] * rng.uniform(*scale))), placed)
            if spot is None:
                continue
            x, y, size = spot
            placed.append(spot)
            vx, vy = motion.uniform(-drift, drift, size=2) if drift else (0.0, 0.0)
            img = cv2.resize(portrait, (size, size), interpolation=cv2.INTER_AREA)
            people.append((img, x, y, float(vx), float(vy)))
        for t in range(frames_per_scene):
            frame = background.copy()
            for img, x0, y0, vx, vy in people:
                s = img.shape[0]
                x = int(np.clip(x0 + vx * t, 0, FRAME_W - s))
                y = int(np.clip(y0 + vy * t, 0, FRAME_H - s))
                frame[y : y + s, x : x + s] = img
            frames.append(frame)
    return frames


def make_frames(lfw_dir: Path, n: int, seed: int = 0) -> list[np.ndarray]:
    """Return ``n`` still frames with 1 to 3 portraits each (:func:`make_scenes`)."""
    return make_scenes(lfw_dir, n, seed=seed)


def make_video(
    lfw_dir: Path, seconds: float = 8.0, fps: float = 25.0, seed: int = 0
) -> list[np.ndarray]:
    """Return a video of portraits 150-200 px wide drifting, new people every 2 s."""
    scene = int(2 * fps)
    frames = make_scenes(
        lfw_dir, -(-int(seconds * fps) // scene), scene, scale=(0.6, 0.8), drift=1.5, seed=seed
    )
    return frames[: int(seconds * fps)]
