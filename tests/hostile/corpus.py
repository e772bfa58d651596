"""A hostile-input corpus, generated on the fly: files no photo reader should trust."""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from faceapp.core.images import MAX_FILE_BYTES, display_name

#: What a command must answer for a case: refused before any face detection (exit 2), decoded
#: but holding no face, or decoded and holding the face of the person the photo shows.
REFUSED, NO_FACE, FACE = "refused", "no face", "face"


@dataclass(frozen=True)
class Case:
    """One corpus entry: ``path`` as typed on the command line, and what it must produce."""

    label: str
    path: str
    expect: str
    person: str | None = None

    @property
    def shown(self) -> str:
        """How a one-line message names this file."""
        return display_name(self.path)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """Return one PNG chunk (length, type, data, CRC)."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(
    width: int, height: int, value: int = 128, *, rows: int | None = None, iend: bool = True
) -> bytes:
    """Return a valid 8-bit grayscale PNG of one ``value``, compressed row by row.

    The pixels are never held in memory, so a 100-megapixel PNG costs about 100 KB and a
    second to make.  ``rows`` writes only that many rows of pixel data (a PNG whose data is
    cut short); ``iend=False`` leaves out the closing IEND chunk.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\x00" + bytes([value]) * width
    idat = b"".join(packer.compress(row) for _ in range(height if rows is None else rows))
    idat += packer.flush()
    parts = [b"\x89PNG\r\n\x1a\n", png_chunk(b"IHDR", ihdr), png_chunk(b"IDAT", idat)]
    if iend:
        parts.append(png_chunk(b"IEND", b""))
    return b"".join(parts)


def split_png(data: bytes) -> list[tuple[bytes, bytes]]:
    """Return the ``(type, data)`` chunks of a PNG file."""
    chunks, pos = [], 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def without_iend(png: bytes) -> bytes:
    """Return a PNG file with its IEND chunk removed (everything else byte for byte)."""
    assert png.endswith(png_chunk(b"IEND", b""))
    return png[: -len(png_chunk(b"IEND", b""))]


def jpeg_claiming(width: int, height: int) -> bytes:
    """Return a small real JPEG whose frame header (SOF0) claims ``width`` x ``height``."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 150)).save(buf, format="JPEG", quality=80)
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_claiming(width: int, height: int) -> bytes:
    """Return a small GIF whose screen and image descriptors claim ``width`` x ``height``."""
    buf = io.BytesIO()
    Image.new("P", (16, 16), 3).save(buf, format="GIF")
    data = bytearray(buf.getvalue())
    data[6:10] = struct.pack("<HH", width, height)
    desc = data.index(b"\x2c", 13)
    data[desc + 5 : desc + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def bmp_claiming(width: int, height: int) -> bytes:
    """Return a 24-bit BMP header claiming ``width`` x ``height`` followed by 1 KB of pixels."""
    pixels = bytes(1024)
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def jpeg_of(photo: Image.Image, **save: object) -> bytes:
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", **save)
    return buf.getvalue()


def build_refused(folder: Path, face_photo: Path) -> list[Case]:
    """Write the files that must be refused before any face detection; return their cases.

    Every one of them must give exit status 2 and one line naming the file, without loading
    the model and without changing the gallery.
    """
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def put(label: str, name: str, data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        cases.append(Case(label, str(path), REFUSED))

    real = face_photo.read_bytes()
    rng = np.random.default_rng(8)
    put("truncated JPEG (a third of a real photo)", "truncated.jpg", real[: len(real) // 3])
    put("JPEG cut inside its header", "header-only.jpg", real[:300])
    put("random bytes named .jpg", "random.jpg", rng.integers(0, 256, 8192, np.uint8).tobytes())
    put("0-byte file", "empty.jpg", b"")
    put("text file named .jpg", "notes.jpg", b"this is a shopping list, not a photo\n" * 20)
    put("SVG named .png", "vector.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    put("PNG header claiming 65535x65535", "huge-header.png", png_bytes(65535, 65535, rows=4))
    put("PNG just over the pixel limit (10001x10000)", "over-limit.png", png_bytes(10001, 10000))
    put("JPEG frame header claiming 65500x65500", "huge.jpg", jpeg_claiming(65500, 65500))
    put("GIF claiming 65535x65535", "huge.gif", gif_claiming(65535, 65535))
    put("BMP claiming 50000x50000", "huge.bmp", bmp_claiming(50000, 50000))
    small = png_bytes(320, 240)
    put("PNG cut inside its pixel data", "cut-idat.png", small[: len(small) // 2])
    bad_crc = bytearray(small)
    bad_crc[29] ^= 0xFF  # the IHDR chunk's CRC
    put("PNG with a damaged header checksum", "bad-crc.png", bytes(bad_crc))
    put("PNG with zero width", "zero-width.png", png_bytes(0, 10))
    put("file name with a newline", "two\nlines.jpg", b"garbage" * 10)
    put("file name with a right-to-left override", "photo\u202egpj.exe", b"MZ" + bytes(200))
    put("file name that is not valid UTF-8", os.fsdecode(b"bad-\xff.jpg"), b"\xff\xd8\xff" * 9)

    sparse = folder / "sparse-huge.jpg"
    with open(sparse, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # no disk space used: refused by its size, unread
    cases.append(Case("file larger than the byte cap (sparse)", str(sparse), REFUSED))

    (folder / "album.jpg").mkdir()
    cases.append(Case("folder named .jpg", str(folder / "album.jpg"), REFUSED))
    cases.append(Case("missing file", str(folder / "nowhere.jpg"), REFUSED))
    cases.append(Case("path through a regular file", str(folder / "notes.jpg" / "x.jpg"), REFUSED))
    os.symlink("loop-b.jpg", folder / "loop-a.jpg")
    os.symlink("loop-a.jpg", folder / "loop-b.jpg")
    cases.append(Case("symlink loop", str(folder / "loop-a.jpg"), REFUSED))
    os.symlink("gone.jpg", folder / "dangling.jpg")
    cases.append(Case("dangling symlink", str(folder / "dangling.jpg"), REFUSED))
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.jpg")
        cases.append(
            Case("FIFO named .jpg (nobody writes to it)", str(folder / "pipe.jpg"), REFUSED)
        )
        os.symlink("pipe.jpg", folder / "to-pipe.jpg")
        cases.append(Case("symlink to a FIFO", str(folder / "to-pipe.jpg"), REFUSED))
    for device in ("/dev/zero", "/dev/urandom", "/dev/null"):
        if os.path.exists(device):
            cases.append(Case(f"{device} (endless or empty device)", device, REFUSED))
    return cases


def face_crop_without_face(photo: Image.Image) -> Image.Image:
    """Return the bottom third of a real portrait (clothes, background), enlarged: no face."""
    w, h = photo.size
    return photo.crop((0, h * 2 // 3, w, h)).resize((w * 2, (h - h * 2 // 3) * 2))


def build_decodable(folder: Path, face_photo: Path, person: str) -> list[Case]:
    """Write unusual but valid files, made from one real photo of ``person``; return cases.

    Those holding the face must be recognised as ``person``; the one cropped below the face
    must give the documented "no face" answer.
    """
    folder.mkdir(parents=True, exist_ok=True)
    photo = Image.open(face_photo).convert("RGB")
    cases: list[Case] = []

    def put(label: str, name: str, data: bytes, expect: str = FACE) -> None:
        path = folder / name
        path.write_bytes(data)
        cases.append(Case(label, str(path), expect, person if expect == FACE else None))

    def encoded(img: Image.Image, fmt: str, **kw: object) -> bytes:
        buf = io.BytesIO()
        img.save(buf, format=fmt, **kw)
        return buf.getvalue()

    png = encoded(photo, "PNG")
    put("PNG without its IEND chunk", "no-iend.png", without_iend(png))
    gray16 = (np.asarray(photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    put("16-bit grayscale PNG", "gray16.png", encoded(Image.fromarray(gray16), "PNG"))
    put("8-bit grayscale JPEG", "gray.jpg", encoded(photo.convert("L"), "JPEG", quality=92))
    put("CMYK JPEG", "cmyk.jpg", encoded(photo.convert("CMYK"), "JPEG", quality=92))
    put("palette PNG", "palette.png", encoded(photo.convert("P", palette=1, colors=256), "PNG"))
    rgba = photo.convert("RGBA")
    put("RGBA PNG", "rgba.png", encoded(rgba, "PNG"))
    other = Image.new("RGB", photo.size, (30, 200, 30))
    put(
        "animated GIF (face in the first frame)",
        "animated.gif",
        encoded(photo, "GIF", save_all=True, append_images=[other], duration=200, loop=0),
    )
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    put(
        "JPEG stored sideways with EXIF orientation",
        "exif-rotated.jpg",
        encoded(photo.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=exif.tobytes()),
    )
    put("WebP", "photo.webp", encoded(photo, "WEBP", quality=90))
    put("TIFF", "photo.tiff", encoded(photo, "TIFF"))
    put("BMP named .jpg", "really-a-bmp.jpg", encoded(photo, "BMP"))
    put(
        "photo without a face (a real portrait cropped below the chin)",
        "no-face.jpg",
        encoded(face_crop_without_face(photo), "JPEG", quality=92),
        NO_FACE,
    )
    return cases


def interlaced_png(gray: np.ndarray) -> bytes:
    """Return an Adam7-interlaced 8-bit grayscale PNG of ``gray`` (Pillow cannot write one)."""
    height, width = gray.shape
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 1)
    raw = bytearray()
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4)):
        for row in gray[y0::dy, x0::dx]:
            if row.size:
                raw += b"\x00" + row.tobytes()
    for x0, y0, dx, dy in ((1, 0, 2, 2), (0, 1, 1, 2)):
        for row in gray[y0::dy, x0::dx]:
            if row.size:
                raw += b"\x00" + row.tobytes()
    idat = zlib.compress(bytes(raw), 9)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            png_chunk(b"IHDR", ihdr),
            png_chunk(b"IDAT", idat),
            png_chunk(b"IEND", b""),
        ]
    )
