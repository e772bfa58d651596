"""Reading photos from disk into BGR uint8 arrays, with clear errors for anything unusable."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from faceapp.core.errors import ImageError

#: Largest image accepted, in pixels (width x height); bigger files are refused.
MAX_PIXELS = 100_000_000

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".pgm", ".ppm")


def _to_rgb8(img: object) -> np.ndarray:
    from PIL import Image

    assert isinstance(img, Image.Image)
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        hi = arr.max()
        scale = 255.0 / (65535.0 if hi > 255 else max(hi, 1.0))
        gray = np.clip(arr * scale, 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        gray = ((arr - lo) / max(hi - lo, 1e-12) * 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        return np.asarray(canvas.convert("RGB"))
    return np.asarray(img.convert("RGB"))


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Decode encoded image bytes into a BGR uint8 array, honouring EXIF orientation.

    Grayscale, 16-bit, palette, RGBA (composited on white) and CMYK images are converted.

    Parameters
    ----------
    data : bytes
        The file's contents.
    name : str
        Used in error messages.

    Returns
    -------
    ndarray, shape (h, w, 3), uint8, BGR channel order

    Raises
    ------
    ImageError
        Empty, not an image, truncated or corrupt, or larger than :data:`MAX_PIXELS`.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageError(f"{name}: the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageError(
                    f"{name}: {w}x{h} pixels is too large (limit {MAX_PIXELS // 1_000_000} MP)"
                )
            img.load()
            rgb = _to_rgb8(ImageOps.exif_transpose(img) or img)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image file (or a format faceapp cannot read)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{name}: the image is too large") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{name}: the image is truncated or corrupt ({exc})") from None
    if rgb.ndim != 3 or min(rgb.shape[:2]) < 1:
        raise ImageError(f"{name}: the image has no pixels")
    return np.ascontiguousarray(rgb[..., ::-1])


def load_image(path: str | Path) -> np.ndarray:
    """Read a photo from disk as a BGR uint8 array (see :func:`decode_image`).

    Raises
    ------
    ImageError
        Missing path, a folder, unreadable, or any failure of :func:`decode_image`.
    """
    p = Path(path)
    if not p.exists():
        raise ImageError(f"{p}: no such file")
    if p.is_dir():
        raise ImageError(f"{p}: is a folder, not an image")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ImageError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    return decode_image(data, str(p))


def encode_jpeg(bgr: np.ndarray, quality: int = 90) -> bytes:
    """Return JPEG bytes of a BGR uint8 image (used for gallery thumbnails)."""
    import cv2

    ok, buf = cv2.imencode(".jpg", bgr, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    if not ok:
        raise ImageError("could not encode the thumbnail as JPEG")
    return bytes(buf.tobytes())


def as_bgr(frame: np.ndarray) -> np.ndarray:
    """Return ``frame`` as a 3-channel BGR uint8 array (gray and BGRA are converted)."""
    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim == 3 and frame.shape[2] == 1:
        return np.repeat(frame, 3, axis=2)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return np.ascontiguousarray(frame[:, :, :3])
    if frame.ndim == 3 and frame.shape[2] == 3:
        return np.ascontiguousarray(frame)
    raise ValueError(f"expected an (h, w), (h, w, 3) or (h, w, 4) image, got shape {frame.shape}")
