"""Bad and unusual image files: the valid ones load, the invalid ones give a one-line ImageError."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faceapp.core.images import (
    MAX_FILE_BYTES,
    MAX_PIXELS,
    ImageError,
    decode_image,
    load_image,
    read_image_file,
)
from tests.hostile.corpus import interlaced_png, png_bytes, without_iend


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
    # A PNG header claiming 40000 x 40000 pixels over 4 rows of data: refused from the header
    # alone (Pillow's bomb error, past twice the limit), so the missing rows never matter.
    with pytest.raises(ImageError, match=r"^huge.png: the image is too large \(limit 100 MP\)$"):
        decode_image(png_bytes(40000, 40000, rows=4), "huge.png")


def test_error_messages_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage")
    with pytest.raises(ImageError) as info:
        load_image(tmp_path / "bad.jpg")
    assert "\n" not in str(info.value)


# --- hostile input: only regular files, a bounded read, the stated pixel limit ---------------


def _returns_within(call, seconds: float, unblock=None):
    """Run ``call()`` in a thread; return its exception (or None), failing if it hangs."""
    outcome: dict[str, BaseException | None] = {}

    def target() -> None:
        try:
            call()
            outcome["exc"] = None
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["exc"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    hung = thread.is_alive()
    if hung and unblock is not None:
        unblock()  # let the stuck reader go before failing
    assert not hung, f"still blocked after {seconds} s"
    return outcome["exc"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)

    def unblock() -> None:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)

    exc = _returns_within(lambda: load_image(fifo), 20, unblock)
    assert isinstance(exc, ImageError)
    assert (
        str(exc)
        == f"{fifo}: is a named pipe (FIFO), not a regular file; photos are read from files only"
    )
    os.symlink(fifo, tmp_path / "link.jpg")  # a link to it is no better
    with pytest.raises(ImageError, match="named pipe"):
        load_image(tmp_path / "link.jpg")


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_devices_are_refused_before_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(
        os, "open", lambda p, *a, **k: (opened.append(str(p)), real_open(p, *a, **k))[1]
    )
    for device in ("/dev/null", "/dev/zero"):
        if Path(device).exists():
            with pytest.raises(
                ImageError, match=f"^{device}: is a character device, not a regular"
            ):
                read_image_file(device)
    assert opened == []


def test_file_larger_than_the_cap_is_refused_unread(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.jpg"
    with open(sparse, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk space, and it must not be read
    with pytest.raises(
        ImageError, match=r"huge\.jpg: the file is 401,048,577 bytes, too large for a photo"
    ):
        load_image(sparse)
    # The cap is what the pixel limit needs: 4 bytes a pixel (RGBA, CMYK) plus 1 MiB.
    assert MAX_FILE_BYTES == 4 * MAX_PIXELS + 2**20


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="needs Linux /proc")
def test_read_is_capped_even_when_stat_says_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    # /proc files report a size of 0 but have content: only the cap stops the read.
    import faceapp.core.images as images

    assert os.stat("/proc/self/maps").st_size == 0
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 64)
    with pytest.raises(ImageError, match="too large for a photo"):
        read_image_file("/proc/self/maps")


def test_symlink_loop_and_path_through_a_file(tmp_path: Path) -> None:
    os.symlink("b.jpg", tmp_path / "a.jpg")
    os.symlink("a.jpg", tmp_path / "b.jpg")
    with pytest.raises(ImageError, match=r"a\.jpg: cannot be read \(a loop of symbolic links\)"):
        load_image(tmp_path / "a.jpg")
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "file" / "x.jpg")


def test_unprintable_file_names_stay_on_one_line(tmp_path: Path) -> None:
    for name in ("two\nlines.jpg", "evil\u202egpj.exe", os.fsdecode(b"bad-\xff.jpg")):
        path = tmp_path / name
        path.write_bytes(b"not a photo")
        with pytest.raises(ImageError) as info:
            load_image(path)
        message = str(info.value)
        assert message.isprintable() and message.startswith(repr(str(path)) + ": not an image")


def test_pillow_limit_is_the_stated_limit() -> None:
    from PIL import Image

    decode_image(png_bytes(8, 8), "tiny.png")
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS == 100_000_000


def test_image_just_under_the_pixel_limit_loads(tmp_path: Path) -> None:
    # 9999 x 10000 = 99.99 MP: above Pillow's default bomb warning (89.5 MP), below ours.
    # A one-value grayscale PNG is 118 KB on disk; decoding it peaks at about 0.5 GB.
    path = tmp_path / "under.png"
    path.write_bytes(png_bytes(9999, 10000, value=77))
    bgr = load_image(path)
    assert bgr.shape == (10000, 9999, 3)
    assert bgr[0, 0].tolist() == [77, 77, 77] and bgr[-1, -1].tolist() == [77, 77, 77]


def test_image_just_over_the_pixel_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "over.png"
    path.write_bytes(png_bytes(10001, 10000))  # 100.01 MP, a complete and valid PNG
    with pytest.raises(ImageError) as info:
        load_image(path)
    assert str(info.value) == f"{path}: 10001x10000 pixels is too large (limit 100 MP)"


def test_png_without_iend_is_accepted_with_all_its_pixels(photo: Image.Image) -> None:
    # Decision: the IEND chunk only marks the end of the file; when every row of pixel data is
    # there the image is complete, and it loads as browsers show it (documented in docs/input.md).
    buf = io.BytesIO()
    photo.save(buf, format="PNG")
    whole = decode_image(buf.getvalue(), "whole.png")
    assert np.array_equal(decode_image(without_iend(buf.getvalue()), "no-iend.png"), whole)


def test_png_with_pixel_rows_missing_is_refused() -> None:
    # 40 of 64 rows in a compressed stream that ends cleanly: Pillow alone fills the other
    # 24 rows with black and reports no error; with or without IEND, faceapp refuses it.
    for iend in (False, True):
        with pytest.raises(ImageError, match=r"^cut.png: the image is truncated or corrupt"):
            decode_image(png_bytes(64, 64, rows=40, iend=iend), "cut.png")
    full = png_bytes(64, 64)
    with pytest.raises(ImageError, match="truncated or corrupt"):
        decode_image(full[: len(full) // 2], "cut.png")
    assert decode_image(png_bytes(64, 64, iend=False), "whole.png").shape == (64, 64, 3)


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (9, 9), (5, 17), (40, 33)])
def test_interlaced_png_is_complete_and_checked(size: tuple[int, int]) -> None:
    gray = np.random.default_rng(sum(size)).integers(0, 256, size, dtype=np.uint8)
    data = interlaced_png(gray)
    assert Image.open(io.BytesIO(data)).info.get("interlace") == 1
    assert np.array_equal(decode_image(data, "adam7.png")[..., 0], gray)
    if gray.size < 64:
        return  # a few bytes of pixels may all sit in the first half of the stream
    idat_size = len(data) - 8 - 25 - 12 - 12  # signature, IHDR, IDAT framing, IEND
    with pytest.raises(ImageError, match="truncated or corrupt"):
        decode_image(data[: 8 + 25 + 8 + idat_size // 2], "adam7.png")  # half the pixel data


def test_animated_gif_gives_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (32, 24), c) for c in ((250, 0, 0), (0, 0, 250))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(path).n_frames == 2
    bgr = load_image(path)
    assert bgr.shape == (24, 32, 3) and bgr[5, 5].tolist() == [0, 0, 250]
