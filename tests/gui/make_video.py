"""Write a short video of the real 5-celebrity ``val`` photos (used by tests; also a script)."""

from __future__ import annotations

import argparse
import logging
import sys
from itertools import zip_longest
from pathlib import Path

log = logging.getLogger(__name__)

FRAME_SIZE = (640, 480)


def interleaved_photos(root: Path, limit: int | None = None) -> list[Path]:
    """Return the photos under ``root/<person>/`` taking one person after another.

    The first photo of every person comes first, then the second of every person, and
    so on, so that a short clip already shows everybody.
    """
    people = sorted(p for p in root.iterdir() if p.is_dir())
    per_person = [sorted(p.glob("*.jpg")) for p in people]
    order = [p for group in zip_longest(*per_person) for p in group if p is not None]
    return order[:limit] if limit else order


def make_video(
    path: Path,
    photos: list[Path] | None = None,
    seconds_per_photo: float = 2.0,
    fps: float = 25.0,
    size: tuple[int, int] = FRAME_SIZE,
) -> Path:
    """Write a video holding each photo, letterboxed to ``size``, for ``seconds_per_photo``.

    Parameters
    ----------
    path : Path
        Output file; ``.avi`` is written with MJPG, anything else with mp4v.
    photos : list of Path, optional
        Defaults to every 5-celebrity ``val`` photo, interleaved by person.
    seconds_per_photo, fps : float
        Timing of the video.
    size : (width, height)

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    FileNotFoundError
        When there are no photos.
    OSError
        When the video cannot be written.
    """
    import cv2

    from faceapp import paths
    from faceapp.core.images import load_image
    from faceapp.core.sources import letterbox

    if photos is None:
        root = paths.celebrity_dir() / "val"
        photos = interleaved_photos(root) if root.is_dir() else []
    if not photos:
        raise FileNotFoundError("no photos to make a video of (run 'faceapp weights fetch')")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    codec = "MJPG" if path.suffix.lower() == ".avi" else "mp4v"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot write {path} with codec {codec}")
    hold = max(1, round(seconds_per_photo * fps))
    try:
        for photo in photos:
            frame = letterbox(load_image(photo), size)
            for _ in range(hold):
                writer.write(frame)
    finally:
        writer.release()
    log.info("wrote %s: %d photos x %d frames at %.0f fps", path, len(photos), hold, fps)
    return path


def main(argv: list[str] | None = None) -> int:
    """Write the video named on the command line.

    Usage: ``python tests/gui/make_video.py OUT.mp4 [--seconds 2] [--fps 25]``.
    """
    p = argparse.ArgumentParser(description=(__doc__ or "").strip())
    p.add_argument("out", type=Path)
    p.add_argument("--seconds", type=float, default=2.0, help="seconds each photo is held")
    p.add_argument("--fps", type=float, default=25.0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    make_video(args.out, seconds_per_photo=args.seconds, fps=args.fps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
