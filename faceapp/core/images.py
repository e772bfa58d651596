"""Reading photos from disk into BGR uint8 arrays, with clear errors for anything unusable."""

from __future__ import annotations

import errno
import io
import os
import stat
import warnings
from pathlib import Path

import numpy as np

from faceapp.core.errors import ImageError

#: Largest image accepted, in pixels (width x height); bigger files are refused.  Pillow's own
#: decompression-bomb limit is set to the same figure, so this is the limit that applies.
MAX_PIXELS = 100_000_000

#: Largest file read, in bytes: 4 bytes per pixel at :data:`MAX_PIXELS` plus 1 MiB of headers
#: and metadata.  Any 8-bit RGB, RGBA or CMYK image within the pixel limit fits even stored
#: uncompressed (BMP, TIFF, PPM); only uncompressed 16-bit colour images close to the pixel
#: limit are refused by this cap rather than by their pixel count.
MAX_FILE_BYTES = 4 * MAX_PIXELS + (1 << 20)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".pgm", ".ppm")

_READ_CHUNK = 1 << 20


def _to_bgr8(img: object) -> np.ndarray:
    """Convert a loaded Pillow image of any mode to a writable BGR uint8 array."""
    from PIL import Image

    assert isinstance(img, Image.Image)
    if img.mode.startswith("I;16") or img.mode == "I":
        arr = np.asarray(img, dtype=np.float32)
        hi = arr.max()
        scale = 255.0 / (65535.0 if hi > 255 else max(hi, 1.0))
        return _gray_to_bgr(np.clip(arr * scale, 0, 255).astype(np.uint8))
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        return _gray_to_bgr(((arr - lo) / max(hi - lo, 1e-12) * 255).astype(np.uint8))
    if img.mode in ("1", "L"):
        gray = np.asarray(img if img.mode == "L" else img.convert("L"))
        img.close()  # frees the decoded pixels before the three-channel copy is made
        return _gray_to_bgr(gray)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        del rgba
        rgb = canvas.convert("RGB")
    else:
        rgb = img if img.mode == "RGB" else img.convert("RGB")
    arr = np.asarray(rgb)
    rgb.close()
    img.close()  # as above: only the array is kept while the BGR copy is made
    return np.ascontiguousarray(arr[..., ::-1])


def _gray_to_bgr(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., None], 3, axis=2)


def display_name(path: str | Path) -> str:
    """Return ``path`` as text safe to put in a one-line message.

    A path containing newlines, other control or invisible format characters, or bytes that
    are not valid in the file-system encoding is shown as a quoted Python string literal
    with those characters escaped; other paths are returned unchanged.
    """
    text = str(path)
    return text if text.isprintable() else repr(text)


def image_files(folder: str | Path) -> list[Path]:
    """Return the photos under ``folder`` and its sub-folders, sorted by path.

    A photo is any entry that is not a folder and whose name ends in one of
    :data:`IMAGE_SUFFIXES` (in any case); whether it can be read is left to
    :func:`load_image`, so a broken link or a damaged file is listed and then reported.
    Hidden files and folders (names starting with ".") are left out, and links to
    folders are not followed (a link loop cannot trap the walk).

    Raises
    ------
    OSError
        When ``folder`` itself cannot be listed; sub-folders that cannot be listed are
        left out.
    """
    root = Path(folder)
    with os.scandir(root):
        pass
    found: list[Path] = []
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(
            Path(top, f)
            for f in files
            if not f.startswith(".") and f.lower().endswith(IMAGE_SUFFIXES)
        )
    return sorted(found)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


def _png_pixel_bytes(width: int, height: int, depth: int, colour: int, interlaced: bool) -> int:
    """Return how many bytes a PNG's decompressed image data holds (filter bytes included)."""
    bits = depth * _PNG_CHANNELS.get(colour, 4)
    passes = _ADAM7 if interlaced else ((0, 0, 1, 1),)
    total = 0
    for x0, y0, dx, dy in passes:
        w, h = max(0, -(-(width - x0) // dx)), max(0, -(-(height - y0) // dy))
        if w and h:
            total += h * (1 + -(-w * bits // 8))
    return total


def _png_is_incomplete(data: bytes) -> bool:
    """Return True when a PNG's image data holds fewer rows than its header says.

    Pillow fills the missing rows with black when the compressed stream ends early, so this
    is checked separately: the ``IDAT`` chunks are inflated in bounded steps (at most 1 MiB
    at a time, and never past the expected size) and the bytes counted.
    """
    import struct
    import zlib

    if len(data) < 33 or data[12:16] != b"IHDR":
        return False  # Pillow has already refused such a file
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    expected = _png_pixel_bytes(width, height, depth, colour, interlace == 1)
    inflater = zlib.decompressobj()
    got, pos = 0, 8
    while pos + 8 <= len(data) and got < expected and not inflater.eof:
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            pending = data[pos + 8 : pos + 8 + length]
            while pending and got < expected and not inflater.eof:
                try:
                    got += len(inflater.decompress(pending, min(1 << 20, expected - got)))
                except zlib.error:
                    return True
                pending = inflater.unconsumed_tail
        elif kind == b"IEND":
            break
        pos += 12 + length
    return got < expected


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Decode encoded image bytes into a BGR uint8 array, honouring EXIF orientation.

    Grayscale, 16-bit, palette, RGBA (composited on white) and CMYK images are converted;
    of an animated image (GIF, WebP, APNG) the first frame is used.  A PNG whose pixel data
    is complete but whose closing ``IEND`` chunk is missing is accepted (as web browsers do);
    one with fewer pixel rows than its header states is refused as truncated, even when its
    compressed data ends cleanly (Pillow alone would fill the missing rows with black).

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
        Empty, not an image, truncated or corrupt, or larger than :data:`MAX_PIXELS`
        (decided from the header, before any pixel is decoded).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageError(f"{name}: the file is empty")
    # Pillow warns above this many pixels and refuses above twice as many; with the warning
    # ignored here, the check below applies exactly MAX_PIXELS, with the image's size in the
    # message.  The error (more than 2 x MAX_PIXELS) is still raised by Image.open.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    limit = f"limit {MAX_PIXELS // 1_000_000} MP"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        w, h = img.size
        if w * h > MAX_PIXELS:
            raise ImageError(f"{name}: {w}x{h} pixels is too large ({limit})")
        if img.format == "PNG" and _png_is_incomplete(data):
            raise ImageError(f"{name}: the image is truncated or corrupt (pixel rows are missing)")
        img.load()
        ImageOps.exif_transpose(img, in_place=True)
        bgr = _to_bgr8(img)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image file (or a format faceapp cannot read)") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{name}: the image is too large ({limit})") from None
    except MemoryError:
        raise ImageError(f"{name}: not enough memory to decode this image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(
            f"{name}: the image is truncated or corrupt ({_one_line(str(exc))})"
        ) from None
    if bgr.ndim != 3 or min(bgr.shape[:2]) < 1:
        raise ImageError(f"{name}: the image has no pixels")
    return bgr


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_regular(name: str, mode: int, size: int) -> None:
    if stat.S_ISDIR(mode):
        raise ImageError(f"{name}: is a folder, not an image")
    if not stat.S_ISREG(mode):
        kind = next((what for test, what in _NOT_REGULAR if test(mode)), "a special file")
        raise ImageError(f"{name}: is {kind}, not a regular file; photos are read from files only")
    if size > MAX_FILE_BYTES:
        raise ImageError(
            f"{name}: the file is {size:,} bytes, too large for a photo "
            f"(limit {MAX_FILE_BYTES:,} bytes)"
        )


def _os_error(name: str, exc: OSError) -> ImageError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return ImageError(f"{name}: no such file")
    if exc.errno == errno.ELOOP:
        return ImageError(f"{name}: cannot be read (a loop of symbolic links)")
    return ImageError(f"{name}: cannot be read ({_one_line(exc.strerror or str(exc))})")


def read_image_file(path: str | Path) -> bytes:
    """Return the bytes of the regular file ``path``, reading at most :data:`MAX_FILE_BYTES`.

    The path is checked with ``stat`` before it is opened, so a FIFO, a device (such as
    ``/dev/zero``), a socket or a folder is refused without being opened; the file is then
    opened non-blocking and checked again, in case it was replaced in between.

    Raises
    ------
    ImageError
        Missing, not a regular file, larger than :data:`MAX_FILE_BYTES`, or unreadable.
    """
    name = display_name(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _os_error(name, exc) from None
    except ValueError:  # an embedded NUL character
        raise ImageError(f"{name}: not a valid path") from None
    _check_regular(name, st.st_mode, st.st_size)
    flags = os.O_RDONLY
    for extra in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, extra, 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _os_error(name, exc) from None
    try:
        st = os.fstat(fd)
        _check_regular(name, st.st_mode, st.st_size)
        chunks, total = [], 0
        while total <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(_READ_CHUNK, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise _os_error(name, exc) from None
    finally:
        os.close(fd)
    if total > MAX_FILE_BYTES:  # the file grew while it was read
        _check_regular(name, stat.S_IFREG, total)
    return b"".join(chunks)


def load_image(path: str | Path) -> np.ndarray:
    """Read a photo from disk as a BGR uint8 array.

    The file is read with :func:`read_image_file` (regular files only, at most
    :data:`MAX_FILE_BYTES`) and decoded with :func:`decode_image`.

    Raises
    ------
    ImageError
        Missing path, a folder, a FIFO or device, too large, unreadable, or any failure of
        :func:`decode_image`; the message names the path.
    """
    return decode_image(read_image_file(path), display_name(path))


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
