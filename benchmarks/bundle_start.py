"""Start-up of the packaged app on an X server: launch to window, and to the first name shown.

Usage: python -m benchmarks.bundle_start [--bundle dist/faceapp] [--runs 5]

Enrols the five 5-celebrity people with the bundle itself, writes a clip of their ``val``
photos, then starts ``faceapp gui --source clip`` on Xvfb (or $DISPLAY with --use-display)
``runs`` times with a fresh HOME ("first start": no settings, no cache) and ``runs`` times
with the same HOME again ("later start").  The window counts as visible when ``xwininfo``
sees a viewable faceapp top-level window; a name counts when the ``--events`` log has a
named face.  Prints one JSON document with the median and the best of each, and the load
average (the machine is shared: read the figures with it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEOPLE = ("ben_afflek", "elton_john", "jerry_seinfeld", "madonna", "mindy_kaling")


def _window_visible(display: str) -> bool:
    tree = subprocess.run(
        ["xwininfo", "-root", "-children", "-display", display], capture_output=True, text=True
    ).stdout
    for wid in re.findall(r"^\s*(0x[0-9a-f]+) .*\(\"faceapp\" \"faceapp\"\)", tree, re.M):
        info = subprocess.run(
            ["xwininfo", "-id", wid, "-display", display], capture_output=True, text=True
        ).stdout
        if "Map State: IsViewable" in info:
            return True
    return False


def _clip(photos: list[Path], path: Path, seconds_each: float = 1.5, fps: float = 25.0) -> Path:
    import cv2
    import numpy as np

    size = (640, 480)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for photo in photos:
        img = cv2.imread(str(photo))
        scale = min(size[0] / img.shape[1], size[1] / img.shape[0])
        small = cv2.resize(img, (int(img.shape[1] * scale), int(img.shape[0] * scale)))
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        y, x = (size[1] - small.shape[0]) // 2, (size[0] - small.shape[1]) // 2
        frame[y : y + small.shape[0], x : x + small.shape[1]] = small
        for _ in range(round(seconds_each * fps)):
            writer.write(frame)
    writer.release()
    return path


def _one_run(exe: Path, display: str, home: Path, clip: Path, work: Path) -> dict[str, float]:
    events = work / f"events-{time.monotonic_ns()}.jsonl"
    argv = [str(exe), "gui", "--source", str(clip), "--exit-after", "8", "--events", str(events)]
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "DISPLAY": display}
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, float] = {}
    while proc.poll() is None and len(out) < 2 and time.monotonic() - start < 60:
        now = time.monotonic() - start
        if "window_s" not in out and _window_visible(display):
            out["window_s"] = now
        if "first_name_s" not in out and events.is_file():
            for line in events.read_text().splitlines():
                if any(face.get("name") for face in json.loads(line)["faces"]):
                    out["first_name_s"] = now
                    break
        time.sleep(0.02)
    proc.wait(timeout=60)
    return out


def _summary(runs: list[dict[str, float]]) -> dict[str, dict[str, float | None]]:
    result = {}
    for key in ("window_s", "first_name_s"):
        values = [r[key] for r in runs if key in r]
        result[key] = {
            "median": round(statistics.median(values), 2) if values else None,
            "best": round(min(values), 2) if values else None,
            "n": len(values),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=Path("dist/faceapp"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--use-display", action="store_true", help="use $DISPLAY, not Xvfb")
    args = parser.parse_args(argv)

    from faceapp import paths

    exe = args.bundle.resolve() / "faceapp"
    celeb = paths.celebrity_dir()
    if not exe.is_file() or not (celeb / "val").is_dir():
        sys.exit(f"need a built bundle ({exe}) and the 5-celebrity photos ({celeb})")
    work = Path(tempfile.mkdtemp(prefix="faceapp-bundle-start-"))
    xvfb = None
    try:
        display = os.environ.get("DISPLAY", "") if args.use_display else ""
        if not display:
            number = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
            xvfb = subprocess.Popen(
                ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            display = f":{number}"
            while not Path(f"/tmp/.X11-unix/X{number}").exists():
                time.sleep(0.05)
        enrol_home = work / "enrol"
        enrol_home.mkdir()
        for person in PEOPLE:
            train = sorted((celeb / "train" / person).glob("*.jpg"))[:4]
            subprocess.run(
                [str(exe), "enroll", person, *map(str, train), "--largest"],
                env={"HOME": str(enrol_home), "PATH": "/usr/bin:/bin"},
                check=True,
                capture_output=True,
            )
        gallery = enrol_home / ".local" / "share" / "faceapp" / "gallery.sqlite3"
        by_person = [sorted((celeb / "val" / p).glob("*.jpg")) for p in PEOPLE]
        order = [shots[i] for i in range(2) for shots in by_person if i < len(shots)]
        clip = _clip(order, work / "clip.avi")

        first, later, load = [], [], [os.getloadavg()[0]]
        for i in range(args.runs):
            home = work / f"home-{i}"
            data = home / ".local" / "share" / "faceapp"
            data.mkdir(parents=True, mode=0o700)  # as private as the app keeps it
            shutil.copy(gallery, data / "gallery.sqlite3")
            os.chmod(data / "gallery.sqlite3", 0o600)
            first.append(_one_run(exe, display, home, clip, work))
            later.append(_one_run(exe, display, home, clip, work))
        load.append(os.getloadavg()[0])
        doc = {
            "bundle": str(args.bundle),
            "runs": args.runs,
            "first_start": _summary(first),
            "later_start": _summary(later),
            "load_average_1min": [round(v, 2) for v in load],
            "cpus": os.cpu_count(),
        }
        print(json.dumps(doc))
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
