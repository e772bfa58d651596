"""Liveness test media made at test time: replays of still photos, and head-turn sequences.

Replays: a still photo printed on paper (or shown on a screen) held in front of a
640x480 camera and moved the way an attacker would: slid, rotated, brought closer,
tilted towards a perspective view, blurred, seen through a moiré pattern, or sent
through JPEG at quality 5.  The paper is a real plane in 3-D seen by a pinhole camera,
so the perspective is what a print tilted in front of a webcam gives.

Head-turn sequences: real photos of one person in different poses, ordered by yaw into
"face the camera, turn to your left, back, turn to your right" and timed as a head
turning at constant speed.  They are sequences of real photos, not videos.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

#: Frame size and rate of the generated videos.
SIZE = (640, 480)
FPS = 15.0
#: Focal length of the simulated webcam, in pixels (about 60 degrees across 640 pixels).
FOCAL = 560.0

#: Every kind of replay :func:`replay_frames` makes.
REPLAY_KINDS = (
    "slide",
    "rotate",
    "zoom",
    "tilt-sideways",
    "tilt-up-down",
    "hand-held",
    "blur",
    "moire",
    "jpeg-q5",
    "tiny-48px",
)


def _background(rng: np.random.Generator) -> np.ndarray:
    """A blurred random room-like background."""
    small = rng.integers(60, 180, size=(12, 16, 1), dtype=np.uint8) + rng.integers(
        0, 30, size=(12, 16, 3), dtype=np.uint8
    )
    return cv2.resize(small, SIZE, interpolation=cv2.INTER_CUBIC)


def _print_of(photo: np.ndarray, tiny: bool) -> np.ndarray:
    """The photo on white paper with a margin (a 48x48 copy blown up when ``tiny``)."""
    if tiny:
        h, w = photo.shape[:2]
        k = 48 / max(h, w)
        small = cv2.resize(photo, (max(1, round(w * k)), max(1, round(h * k))), cv2.INTER_AREA)
        photo = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    m = max(photo.shape[:2]) // 12
    return cv2.copyMakeBorder(photo, m, m, m, m, cv2.BORDER_CONSTANT, value=(235, 235, 235))


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    a, b, g = np.radians([yaw, pitch, roll])
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    rz = np.array([[math.cos(g), -math.sin(g), 0], [math.sin(g), math.cos(g), 0], [0, 0, 1]])
    return rz @ rx @ ry


def _place(
    card: np.ndarray,
    background: np.ndarray,
    *,
    width_mm: float,
    distance_mm: float,
    shift_mm: tuple[float, float] = (0.0, 0.0),
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
) -> np.ndarray:
    """Render ``card`` as a flat sheet in 3-D, turned and moved, onto ``background``."""
    h, w = card.shape[:2]
    half_w, half_h = width_mm / 2, width_mm * h / w / 2
    corners = np.array(
        [[-half_w, -half_h, 0], [half_w, -half_h, 0], [half_w, half_h, 0], [-half_w, half_h, 0]]
    )
    world = corners @ _rotation(yaw, pitch, roll).T + [shift_mm[0], shift_mm[1], distance_mm]
    image_pts = FOCAL * world[:, :2] / world[:, 2:3] + np.array(SIZE) / 2
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(src, image_pts.astype(np.float32))
    out = background.copy()
    cv2.warpPerspective(
        card, m, SIZE, dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT
    )
    return out


def _moire(frame: np.ndarray, t: float) -> np.ndarray:
    """Overlay the fine interference stripes a camera sees when filming a screen."""
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = 0.3 + 0.1 * math.sin(t)
    stripes = np.sin((xx * math.cos(angle) + yy * math.sin(angle)) * (2 * math.pi / 3.1))
    beat = np.sin((xx * math.cos(angle + 0.05) - yy * math.sin(angle + 0.05)) * (2 * math.pi / 3.3))
    mod = 1.0 + 0.18 * stripes * beat
    return np.clip(frame.astype(np.float32) * mod[..., None], 0, 255).astype(np.uint8)


def _jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


#: How each kind moves the sheet over time ``t`` (seconds): keyword arguments of _place.
_MOTIONS: dict[str, Callable[[float], dict[str, object]]] = {
    "slide": lambda t: {"shift_mm": (60 * math.sin(1.3 * t), 35 * math.sin(2.1 * t))},
    "rotate": lambda t: {"roll": 30 * math.sin(1.5 * t)},
    "zoom": lambda t: {"distance_mm": 420 + 160 * math.sin(1.2 * t)},
    "tilt-sideways": lambda t: {"yaw": 55 * math.sin(1.6 * t), "distance_mm": 340},
    "tilt-up-down": lambda t: {"pitch": 45 * math.sin(1.6 * t), "distance_mm": 340},
    "hand-held": lambda t: {
        "yaw": 40 * math.sin(1.7 * t),
        "pitch": 20 * math.sin(2.3 * t + 1),
        "roll": 15 * math.sin(1.1 * t),
        "shift_mm": (30 * math.sin(0.9 * t), 20 * math.sin(1.4 * t)),
        "distance_mm": 360 + 60 * math.sin(0.7 * t),
    },
}


@dataclass(frozen=True)
class Replay:
    """One generated replay: what it shows and its frames (BGR, :data:`SIZE`, :data:`FPS`)."""

    kind: str
    frames: list[np.ndarray]


def replay_frames(photo: np.ndarray, kind: str, seconds: float = 7.0, seed: int = 0) -> Replay:
    """Return a replay of a still ``photo`` (BGR) held in front of the camera.

    Parameters
    ----------
    kind : str
        One of :data:`REPLAY_KINDS`.  The degradations (blur, moire, jpeg-q5, tiny-48px)
        also tilt the sheet sideways and back, the move that looks most like a head turn.
    seconds : float
        Length; longer than the challenge's time limit, so the replay gets every chance.
    """
    if kind not in REPLAY_KINDS:
        raise ValueError(f"unknown replay kind {kind!r}")
    rng = np.random.default_rng(seed)
    background = _background(rng)
    card = _print_of(photo, tiny=kind == "tiny-48px")
    motion = _MOTIONS.get(kind, _MOTIONS["tilt-sideways"])
    frames = []
    for i in range(int(seconds * FPS)):
        t = i / FPS
        kwargs: dict[str, object] = {"width_mm": 190.0, "distance_mm": 340.0}
        kwargs.update(motion(t))
        frame = _place(card, background, **kwargs)  # type: ignore[arg-type]
        if kind == "blur":
            frame = cv2.GaussianBlur(frame, (0, 0), 2.5)
        elif kind == "moire":
            frame = _moire(frame, t)
        elif kind == "jpeg-q5":
            frame = _jpeg(frame, 5)
        frames.append(frame)
    return Replay(kind, frames)


def turn_sequence(
    photos: Sequence[tuple[np.ndarray, float]],
    size: tuple[int, int] | None = None,
    degrees_per_second: float = 60.0,
    fps: float = FPS,
    dwell: float = 0.3,
) -> list[np.ndarray]:
    """Return frames of a head turn built from real photos of one person at different yaws.

    The photo closest to frontal comes first (held half a second), then the photos
    turned to the person's left in increasing yaw, back through them, then the photos
    turned to the right in increasing turn, each held for as long as a head turning at
    ``degrees_per_second`` takes to get from the previous pose to it (at least a frame);
    the two furthest turns are held for at least ``dwell`` seconds, as a head pauses
    before it turns back.

    Parameters
    ----------
    photos : sequence of (BGR image, yaw in degrees)
        Yaw positive when the person faces towards their left (the image's right).
    size : (width, height), optional
        Letterbox every photo to this size; default: the first photo's size.
    """
    from faceapp.core.sources import letterbox

    if not photos:
        raise ValueError("turn_sequence needs photos")
    order = sorted(photos, key=lambda p: abs(p[1]))
    start = order[0]
    lefts = sorted((p for p in order[1:] if p[1] >= 0), key=lambda p: p[1])
    rights = sorted((p for p in order[1:] if p[1] < 0), key=lambda p: -p[1])
    path = [start, *lefts, *reversed(lefts[:-1]), start, *rights]
    extremes = {id(p) for p in (lefts[-1:] + rights[-1:])}
    size = size or (start[0].shape[1], start[0].shape[0])
    frames: list[np.ndarray] = []
    previous = start[1]
    for k, (image, yaw) in enumerate(path):
        seconds = 0.5 if k == 0 else abs(yaw - previous) / degrees_per_second
        if id(path[k]) in extremes:
            seconds = max(seconds, dwell)
        picture = image if (image.shape[1], image.shape[0]) == size else letterbox(image, size)
        frames.extend([picture] * max(1, round(seconds * fps)))
        previous = yaw
    frames.extend([frames[-1]] * 3)
    return frames


def write_video(frames: Sequence[np.ndarray], path: Path, fps: float = FPS) -> Path:
    """Write BGR frames as a Motion-JPEG .avi (OpenCV writes it everywhere); return the path."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path


def recentre(
    image: np.ndarray,
    box: tuple[float, float, float, float],
    target: tuple[float, float, float, float],
    size: tuple[int, int],
) -> np.ndarray:
    """Scale and shift ``image`` so the face ``box`` (x, y, w, h) lands on ``target``.

    Used to hold a face in one place across photos taken at different distances and
    framings, as a head in front of a webcam stays in place while it turns.  A scale and
    a shift change no ratio between landmarks, so they do not change what the liveness
    check measures.
    """
    x, y, w, h = box
    tx, ty, tw, th = target
    k = tw / max(w, 1e-6)
    m = np.array([[k, 0, tx + tw / 2 - k * (x + w / 2)], [0, k, ty + th / 2 - k * (y + h / 2)]])
    return cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def held_in_place(
    photos: Sequence[tuple[np.ndarray, float]], detect: Callable[[np.ndarray], list]
) -> list[tuple[np.ndarray, float]]:
    """Return the photos scaled and shifted so their central face sits where the first one's does.

    LFW photos are framed alike but not identically; a head turning in front of a webcam
    stays in place, and the tracker follows a face that stays in place.  ``detect``
    returns the :class:`~faceapp.core.types.Face` list of a BGR image; a photo without a
    face is left as it is.
    """
    from faceapp.core.pipeline import central_face

    out: list[tuple[np.ndarray, float]] = []
    target = None
    for image, yaw in photos:
        h, w = image.shape[:2]
        face = central_face(detect(image), w, h)
        if face is None:
            out.append((image, yaw))
            continue
        box = (face.box.x, face.box.y, face.box.w, face.box.h)
        target = target or box
        out.append((recentre(image, box, target, (w, h)), yaw))
    return out
