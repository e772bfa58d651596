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

import hashlib
import math
from collections import OrderedDict
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


# --- attacks the first check was not tuned to (issue 17) -------------------------------

#: Fold angles (degrees away from flat: each half of the print bent back by half of it)
#: of the folded-print attack.
FOLD_ANGLES = (20.0, 40.0, 60.0)
#: Seconds each photo is held in the photo-swap attack.
SWAP_HOLDS = (0.5, 1.0, 2.0)


def _half_sheet(
    card: np.ndarray, out: np.ndarray, corners_3d: np.ndarray, src: np.ndarray
) -> np.ndarray:
    """Warp the part ``src`` (4 corners, card pixels) of ``card`` onto the projected corners."""
    image_pts = FOCAL * corners_3d[:, :2] / corners_3d[:, 2:3] + np.array(SIZE) / 2
    m = cv2.getPerspectiveTransform(src.astype(np.float32), image_pts.astype(np.float32))
    cv2.warpPerspective(
        card, m, SIZE, dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT
    )
    return out


def folded_print_frames(
    photo: np.ndarray,
    nose_x: float,
    fold: float,
    *,
    turn: float = 45.0,
    seconds: float = 7.0,
    seed: int = 0,
    width_mm: float = 190.0,
    distance_mm: float = 340.0,
) -> list[np.ndarray]:
    """Return frames of a print folded along the vertical line through the nose, turned.

    The photo is printed (with a white margin), folded along the vertical line through
    ``nose_x`` so that each half is bent back by ``fold / 2`` degrees (a ridge towards
    the camera, as a nose is: ``fold`` is the angle between the halves' normals, 0 flat),
    then held facing the camera for 1 s and turned about the vertical axis by
    ``±turn`` degrees, back and forth, as a head would be, 34 cm from the same pinhole
    camera as :func:`replay_frames`.  Each half is rendered as its own plane; the half
    further from the camera is drawn first.

    Parameters
    ----------
    photo : ndarray
        BGR photo of the person.
    nose_x : float
        Column of the nose tip in ``photo`` (pixels), from a detector's landmarks.
    fold : float
        Degrees between the two halves' normals (0: flat; 60: the halves meet at 120°).
    """
    rng = np.random.default_rng(seed)
    background = _background(rng)
    card = _print_of(photo, tiny=False)
    margin = max(photo.shape[:2]) // 12
    h, w = card.shape[:2]
    k = width_mm / w  # millimetres per card pixel
    ridge = (nose_x + margin) * k  # fold line, millimetres from the card's left edge
    half_h = h * k / 2
    bend = math.radians(fold / 2)
    frames = []
    for i in range(int(seconds * FPS)):
        t = i / FPS
        yaw = 0.0 if t < 1.0 else turn * math.sin(2 * math.pi * (t - 1.0) / 3.0)
        rot = _rotation(yaw, 3 * math.sin(1.3 * t), 2 * math.sin(0.8 * t))
        out = background.copy()
        halves = []
        for side, (u0, u1) in (("left", (0.0, ridge)), ("right", (ridge, w * k))):
            pts = []
            for u in (u0, u1):
                d = u - ridge  # signed distance from the fold line, millimetres
                pts.append((d * math.cos(bend), abs(d) * math.sin(bend)))
            (xa, za), (xb, zb) = pts
            corners = np.array(
                [[xa, -half_h, za], [xb, -half_h, zb], [xb, half_h, zb], [xa, half_h, za]]
            )
            world = corners @ rot.T + [0.0, 0.0, distance_mm]
            px0, px1 = u0 / k, u1 / k
            src = np.array([[px0, 0], [px1, 0], [px1, h], [px0, h]])
            halves.append((float(world[:, 2].mean()), world, src, side))
        for _, world, src, _side in sorted(halves, key=lambda x: -x[0]):
            c0, c1 = int(round(src[0, 0])), int(round(src[1, 0]))
            if c1 - c0 >= 1:
                part = np.ascontiguousarray(card[:, c0:c1])
                _half_sheet(part, out, world, src - [c0, 0])
        frames.append(out)
    return frames


def _jitter(image: np.ndarray, t: float, rng_phase: float) -> np.ndarray:
    """The photo moved a little as a hand holding it does (shift of a few pixels, 1-2°)."""
    h, w = image.shape[:2]
    angle = 1.5 * math.sin(2.1 * t + rng_phase)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0 + 0.02 * math.sin(1.3 * t))
    m[:, 2] += (6 * math.sin(1.7 * t + rng_phase), 4 * math.sin(2.3 * t))
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def photo_swap_frames(
    photos: Sequence[np.ndarray],
    hold: float,
    *,
    hand_held: bool = False,
    fps: float = FPS,
    tail: float = 1.0,
    size: tuple[int, int] | None = None,
) -> list[np.ndarray]:
    """Return frames of still photos cut together, each held ``hold`` seconds.

    ``photos`` are shown in the order given (for the attack: the person facing the
    camera, turned to their left, turned to their right), the last one held ``tail``
    seconds longer.  ``hand_held`` moves each photo a little, as a hand holding it does.
    Photos of other sizes are letterboxed to ``size`` (default: the first photo's).
    """
    from faceapp.core.sources import letterbox

    if not photos:
        raise ValueError("photo_swap_frames needs photos")
    size = size or (photos[0].shape[1], photos[0].shape[0])
    frames: list[np.ndarray] = []
    for j, photo in enumerate(photos):
        picture = photo if (photo.shape[1], photo.shape[0]) == size else letterbox(photo, size)
        n = max(1, round((hold + (tail if j == len(photos) - 1 else 0.0)) * fps))
        for _ in range(n):
            t = len(frames) / fps
            frames.append(_jitter(picture, t, 0.7 * j) if hand_held else picture)
    return frames


def relief_turn_frames(
    photo: np.ndarray,
    landmarks: Sequence[tuple[float, float]],
    *,
    peak: float = 30.0,
    degrees_per_second: float = 60.0,
    fps: float = FPS,
    nose_depth: float = 0.55,
    drop_every: int = 0,
    repeats: int = 2,
) -> tuple[list[np.ndarray], list[float]]:
    """Return frames (and their timestamps) of a real photo's face turned as a 3-D relief.

    A stand-in for a video of a real head turning, which nothing here has: the photo's
    face is lifted onto a smooth head-shaped surface (an ellipsoid over the face, the
    nose standing ``nose_depth`` eye-distances in front of the eyes), then turned about
    the vertical axis continuously: 0.7 s facing the camera, then ``repeats`` times to
    ``peak`` degrees one way, back, to ``peak`` the other way and back, at
    ``degrees_per_second``, seen by an
    orthographic camera in the photo's own frame.  It turns continuously, as a head does;
    its shape is an assumption, not a measurement (see ``docs/liveness.md``).

    Parameters
    ----------
    photo : ndarray
        BGR photo of a face roughly facing the camera.
    landmarks : five (x, y) points
        The face's landmarks in ``photo`` (:class:`~faceapp.core.types.Face` order).
    drop_every : int
        When > 0, keep only every ``drop_every``-th frame (a camera delivering fewer
        frames): the timestamps keep the real time of each kept frame.

    Returns
    -------
    frames, times : list of ndarray, list of float
        The frames of one pose are one read-only array, rendered once and kept for the
        next calls on the same photo (the last :data:`_RELIEF_VIEWS_KEPT` poses).
    """
    p = np.asarray(landmarks, np.float64)
    eye = float(np.linalg.norm(p[1] - p[0]))
    cx = float((p[0, 0] + p[1, 0]) / 2)
    cy = float((p[0, 1] + p[4, 1] + p[3, 1] + p[1, 1]) / 4)
    h, w = photo.shape[:2]
    ax, ay = 1.25 * eye, 1.7 * eye  # the head's half width and half height, pixels
    nose = p[2]

    def depth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r2 = ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2
        dome = 0.9 * eye * np.sqrt(np.clip(1 - r2, 0, None))
        near = ((x - nose[0]) ** 2 + (y - nose[1]) ** 2) / (2 * (0.22 * eye) ** 2)
        bump = nose_depth * eye * np.exp(-near)
        return dome + bump

    # A grid over the head; the dome falls to zero at its edge, so the picture beyond
    # stays where it is.
    xs = np.linspace(cx - 1.4 * ax, cx + 1.4 * ax, 41)
    ys = np.linspace(cy - 1.2 * ay, cy + 1.2 * ay, 41)
    gx, gy = np.meshgrid(xs, ys)
    gz = depth(gx, gy)
    # Yaw path: frontal, to +peak, back, to -peak, back.
    legs = [(0.0, peak), (peak, 0.0), (0.0, -peak), (-peak, 0.0)] * repeats
    yaws = [0.0] * max(1, round(0.7 * fps))
    for a, b in legs:
        n = max(1, round(abs(b - a) / degrees_per_second * fps))
        yaws.extend(a + (b - a) * (j + 1) / n for j in range(n))
    yaws.extend([0.0] * round(0.5 * fps))
    photo_key = image_key(photo)
    frames, times = [], []
    for i, yaw in enumerate(yaws):
        if drop_every > 0 and i % drop_every:
            continue
        # The same pose of the same face is rendered once (a turn passes each pose
        # several times, and the tests turn one face in several ways).
        key = (photo_key, tuple(map(tuple, p.tolist())), nose_depth, yaw)
        out = _RELIEF_VIEWS.get(key)
        if out is None:
            out = _relief_view(photo, gx, gy, gz, cx, yaw)
            _RELIEF_VIEWS[key] = out
            if len(_RELIEF_VIEWS) > _RELIEF_VIEWS_KEPT:
                _RELIEF_VIEWS.popitem(last=False)
        else:
            _RELIEF_VIEWS.move_to_end(key)
        frames.append(out)
        times.append(i / fps)
    return frames, times


#: Rendered relief views, by (photo digest, landmarks, nose depth, yaw); the oldest go.
_RELIEF_VIEWS: OrderedDict[tuple, np.ndarray] = OrderedDict()
_RELIEF_VIEWS_KEPT = 64


def image_key(image: np.ndarray) -> tuple:
    """A key for an image's content: its shape, type and a hash of its pixels."""
    data = np.ascontiguousarray(image)
    return (data.shape, data.dtype.str, hashlib.blake2b(data.data, digest_size=16).digest())


def _relief_view(
    photo: np.ndarray, gx: np.ndarray, gy: np.ndarray, gz: np.ndarray, cx: float, yaw: float
) -> np.ndarray:
    """The photo with its relief (grid ``gx, gy`` at depth ``gz``) turned by ``yaw`` (read-only)."""
    r = math.radians(yaw)
    # Positive yaw: the person turns to their left, the nose to the image's right.
    u = cx + (gx - cx) * math.cos(r) + gz * math.sin(r)
    v = gy
    zz = gz * math.cos(r) - (gx - cx) * math.sin(r)
    out = photo.copy()
    rows, cols = gx.shape
    cells = []
    for j in range(rows - 1):
        for i2 in range(cols - 1):
            cells.append((float(zz[j : j + 2, i2 : i2 + 2].mean()), j, i2))
    for _, j, i2 in sorted(cells):  # far cells first
        for tri in (((0, 0), (0, 1), (1, 0)), ((1, 1), (1, 0), (0, 1))):
            src = np.float32([[gx[j + a, i2 + b], gy[j + a, i2 + b]] for a, b in tri])
            dst = np.float32([[u[j + a, i2 + b], v[j + a, i2 + b]] for a, b in tri])
            _triangle(photo, out, src, dst)
    out.flags.writeable = False  # shared by every frame of this pose
    return out


def _triangle(src_img: np.ndarray, dst_img: np.ndarray, src: np.ndarray, dst: np.ndarray) -> None:
    """Copy the triangle ``src`` of ``src_img`` onto the triangle ``dst`` of ``dst_img``."""
    x, y, w, h = cv2.boundingRect(dst)
    H, W = dst_img.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x1 <= x0 or y1 <= y0:
        return
    m = cv2.getAffineTransform(src, dst - np.float32([x0, y0]))
    patch = cv2.warpAffine(
        src_img, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(mask, np.int32(np.round(dst - [x0, y0])), 1, lineType=cv2.LINE_8)
    region = dst_img[y0:y1, x0:x1]
    region[mask > 0] = patch[mask > 0]
