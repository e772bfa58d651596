"""Synthetic 640x480 test frames: LFW portraits pasted onto a blurred LFW background."""

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


def make_frames(lfw_dir: Path, n: int, seed: int = 0) -> list[np.ndarray]:
    """Build ``n`` BGR 640x480 uint8 frames, each holding 1 to 3 LFW portraits.

    Each frame's background is another LFW image, enlarged and heavily blurred. The
    portraits (250x250 in LFW) are scaled by a random factor in ``[0.6, 1.6]`` and
    pasted where they do not overlap each other (shrinking them when they do not fit).

    Parameters
    ----------
    lfw_dir : Path
        The LFW folder, ``<lfw_dir>/<Name>/<Name>_NNNN.jpg``.
    n : int
        Number of frames.
    seed : int
        Seed of the random choices; the same seed gives the same frames.

    Returns
    -------
    list of ndarray, each of shape (480, 640, 3), uint8, BGR
    """
    files = lfw_images(lfw_dir)
    rng = np.random.default_rng(seed)
    frames: list[np.ndarray] = []
    for _ in range(n):
        frame = _background(_read(files[int(rng.integers(len(files)))]))
        placed: list[tuple[int, int, int]] = []
        for _ in range(int(rng.integers(1, 4))):
            portrait = _read(files[int(rng.integers(len(files)))])
            size = int(round(portrait.shape[0] * rng.uniform(0.6, 1.6)))
            spot: tuple[int, int, int] | None = None
            while spot is None and size >= 100:
                for _attempt in range(30):
                    x = int(rng.integers(0, FRAME_W - size + 1))
                    y = int(rng.integers(0, FRAME_H - size + 1))
                    if not any(_overlaps((x, y, size), p) for p in placed):
                        spot = (x, y, size)
                        break
                else:
                    size = int(size * 0.85)
            if spot is None:
                continue
            x, y, size = spot
            frame[y : y + size, x : x + size] = cv2.resize(
                portrait, (size, size), interpolation=cv2.INTER_AREA
            )
            placed.append(spot)
        frames.append(frame)
    return frames
