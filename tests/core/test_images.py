"""Bad and unusual image files: the valid ones load, the invalid ones give a one-line ImageError."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faceapp.core.images import ImageError, decode_image, load_image


def _save(img: Image.Image, path: Path, **kw) -> Path:
    img.save(path, **kw)
    return path


@pytest.fixture()
def photo(celebrity_dir: Path) -> Image.Image:
    first = sorted((celebrity_dir / "train" / "madonna").iterdir())[0]
    return Image.open(first).convert("RGB")


def test_rgb_jpeg_loads_as_bgr(tmp_path: Path) -> None:
    img = Image.new("RGB", (40, 30), (200, 10, 50))
    bgr = load_image(_save(img, tmp_path / "a.png"))
    assert bgr.shape == (30, 40, 3) and bgr.dtype == np.uint8
    assert tuple(bgr[0, 0]) == (50, 10, 200)


@pytest.mark.parametrize("mode", ["L", "RGBA", "CMYK", "P", "I;16", "LA"])
def test_other_modes_convert(tmp_path: Path, photo: Image.Image, mode: str) -> None:
    if mode == "I;16":
        arr = (np.asarray(photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
        img = Image.fromarray(arr)
        assert img.mode.startswith("I")
        path = _save(img, tmp_path / "x.png")
    else:
        img = photo.convert(mode)
        path = _save(img, tmp_path / ("x.jpg" if mode in ("L", "CMYK") else "x.png"))
    bgr = load_image(path)
    assert bgr.shape == (photo.height, photo.width, 3)
    assert bgr.dtype == np.uint8
    assert 40 < bgr.mean() < 220  # real content, not a blank or clipped image


def test_rgba_transparent_becomes_white(tmp_path: Path) -> None:
    img = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert load_image(_save(img, tmp_path / "t.png")).min() == 255


def test_exif_orientation_is_honoured(tmp_path: Path, photo: Image.Image) -> None:
    # Store the pixels rotated and tell readers, via EXIF, to rotate them back.
    rotated = photo.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = _save(rotated, tmp_path / "exif.jpg", exif=exif.tobytes(), quality=95)
    bgr = load_image(path)
    assert bgr.shape[:2] == (photo.height, photo.width)
    upright = np.asarray(photo)[..., ::-1].astype(float)
    assert np.abs(bgr.astype(float) - upright).mean() < 12


def test_truncated_jpeg(tmp_path: Path, photo: Image.Image) -> None:
    buf = io.BytesIO()
    photo.save(buf, format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(path)


def test_zero_byte_file(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(tmp_path / "empty.jpg")


def test_text_named_jpg(tmp_path: Path) -> None:
    (tmp_path / "notes.jpg").write_text("hello, I am not a photo\n")
    with pytest.raises(ImageError, match="not an image"):
        load_image(tmp_path / "notes.jpg")


def test_missing_path_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)


def test_absurdly_large_image_is_refused_without_decoding() -> None:
    # A PNG header claiming 40000 x 40000 pixels: refused from the header alone.
    buf = io.BytesIO()
    Image.new("1", (40000, 40000)).save(buf, format="PNG")
    with pytest.raises(ImageError, match="too large"):
        decode_image(buf.getvalue(), "huge.png")


def test_error_messages_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage")
    with pytest.raises(ImageError) as info:
        load_image(tmp_path / "bad.jpg")
    assert "\n" not in str(info.value)
