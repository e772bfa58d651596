"""The GUI in live recognition: average CPU and peak memory of ``faceapp gui`` on a video.

Builds the camera-like clip of :mod:`benchmarks.live` (the 5-celebrity ``val`` photos
sliding in, held by a shaking hand, then still; 30 fps Motion-JPEG), looped to cover the
run, enrols the people's ``train`` photos in a fresh gallery with ``faceapp enroll``, then
runs::

    /usr/bin/time -v python -m faceapp gui --source CLIP --gallery G --exit-after 45

with its own preferences and data folders (the user's are not touched) and reports, as
JSON: the CPU of the whole run as ``/usr/bin/time`` measures it (user + system over
elapsed; one core = 100 %), the CPU of the steady part only (sampled from ``/proc``
after the models are loaded), the peak resident memory of the GUI process, and the
machine's load average before and after.  ``QT_QPA_PLATFORM`` is kept when set (give
``offscreen`` on a machine without a display).

``python -m benchmarks.gui_live [--seconds 45] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.data import LFW_DIR
from benchmarks.live import REPO
from benchmarks.live_videos import FPS, _interleaved, _write, camera_frames

TIME = Path("/usr/bin/time")
#: The models are loaded and the first frames processed by then (seconds after start).
STEADY_FROM_S = 15.0


def looped_clip(celebrity: Path, lfw_dir: Path, path: Path, seconds: float) -> int:
    """Write the camera-like clip of all ``val`` photos, repeated to last ``seconds``.

    Returns the number of frames.
    """
    import cv2

    from benchmarks.frames import FRAME_H, FRAME_W, lfw_images

    files = lfw_images(lfw_dir)
    backdrop = cv2.GaussianBlur(
        cv2.resize(cv2.imread(str(files[len(files) // 3])), (FRAME_W, FRAME_H)), (0, 0), 25
    )
    photos = _interleaved(celebrity / "val")[:10]
    repeats = max(1, int(-(-seconds // (3 * len(photos)))))  # 3 s per photo
    frames = itertools.chain.from_iterable(camera_frames(photos, backdrop) for _ in range(repeats))
    return _write(path, frames, FPS)


def enrol(celebrity: Path, gallery: Path, env: dict[str, str]) -> dict[str, int]:
    """Enrol each person's ``train`` photos into ``gallery`` with ``faceapp enroll --largest``.

    A photo ``faceapp enroll`` refuses (no face, unlike the person...) is left out and
    the others are enrolled again.  Returns the number of photos enrolled per person.

    Raises
    ------
    RuntimeError
        When no photo of a person can be enrolled.
    """
    counts = {}
    for person in sorted(p for p in (celebrity / "train").iterdir() if p.is_dir()):
        photos = [str(p) for p in sorted(person.glob("*.jpg"))]
        while photos:
            cmd = [sys.executable, "-m", "faceapp", "enroll", person.name, *photos, "--largest"]
            done = subprocess.run(
                [*cmd, "--gallery", str(gallery)], env=env, cwd=REPO, capture_output=True, text=True
            )
            if done.returncode == 0:
                break
            refused = [p for p in photos if p in done.stderr]
            if not refused:
                raise RuntimeError(f"enrolling {person.name} failed: {done.stderr.strip()}")
            photos = [p for p in photos if p not in refused]
        if not photos:
            raise RuntimeError(f"no photo of {person.name} could be enrolled")
        counts[person.name] = len(photos)
    return counts


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def _child_of(pid: int) -> int | None:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    return int(kids[0]) if kids else None


def parse_time_v(text: str) -> dict[str, float]:
    """Return the figures of ``/usr/bin/time -v``'s report that this benchmark uses."""
    wanted = {
        "user_s": r"User time \(seconds\): ([\d.]+)",
        "system_s": r"System time \(seconds\): ([\d.]+)",
        "cpu_percent_time": r"Percent of CPU this job got: (\d+)%",
        "max_rss_kb": r"Maximum resident set size \(kbytes\): (\d+)",
        "elapsed": r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)",
    }
    out: dict[str, float] = {}
    for key, pattern in wanted.items():
        m = re.search(pattern, text)
        if m is None:
            continue
        raw = m.group(1)
        if key == "elapsed":
            seconds = 0.0
            for part in raw.split(":"):
                seconds = seconds * 60 + float(part)
            out["elapsed_s"] = seconds
        else:
            out[key] = float(raw)
    return out


def run(seconds: float = 45.0, keep: Path | None = None, lfw_dir: Path = LFW_DIR) -> dict[str, Any]:
    """Build the clip and the gallery, run the GUI under ``/usr/bin/time -v``; return figures.

    Raises
    ------
    FileNotFoundError
        When ``/usr/bin/time``, LFW or the 5-celebrity photos are missing.
    """
    from faceapp import paths

    celebrity = paths.celebrity_dir()
    if not TIME.is_file():
        raise FileNotFoundError(f"{TIME} is missing (apt-get install -y time)")
    if not (lfw_dir / "pairs.txt").is_file() or not (celebrity / "val").is_dir():
        raise FileNotFoundError(f"needs LFW at {lfw_dir} and the photos in {celebrity}")
    with tempfile.TemporaryDirectory(prefix="faceapp-gui-live-") as tmp:
        folder = Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
            "FACEAPP_DATA_DIR": str(folder / "data"),
            "XDG_CONFIG_HOME": str(folder / "config"),
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        clip, gallery = folder / "camera-looped.avi", folder / "gallery.sqlite3"
        frames = looped_clip(celebrity, lfw_dir, clip, seconds + 5.0)
        enrolled = enrol(celebrity, gallery, env) if not gallery.exists() else None
        cmd = [str(TIME), "-v", sys.executable, "-m", "faceapp", "gui", "--source", str(clip)]
        cmd += ["--gallery", str(gallery), "--exit-after", str(seconds)]
        load0 = [round(x, 2) for x in os.getloadavg()]
        report = folder / "time-v.txt"
        with report.open("w") as err:
            proc = subprocess.Popen(cmd, env=env, cwd=REPO, stderr=err, stdout=subprocess.DEVNULL)
            start = time.monotonic()
            gui_pid, samples = None, []
            while proc.poll() is None:
                gui_pid = gui_pid or _child_of(proc.pid)
                ticks = _cpu_ticks(gui_pid) if gui_pid else None
                if ticks is not None:
                    samples.append((time.monotonic() - start, ticks))
                time.sleep(0.5)
        text = report.read_text()
    figures = parse_time_v(text)
    hz = os.sysconf("SC_CLK_TCK")
    steady = [(t, c) for t, c in samples if t >= STEADY_FROM_S]
    steady_cpu = None
    if len(steady) >= 2 and steady[-1][0] > steady[0][0]:
        steady_cpu = (steady[-1][1] - steady[0][1]) / hz / (steady[-1][0] - steady[0][0])
    cpu_total = figures.get("user_s", 0.0) + figures.get("system_s", 0.0)
    elapsed = figures.get("elapsed_s", 0.0)
    return {
        "command": " ".join(cmd),
        "exit_code": proc.returncode,
        "clip_frames": frames,
        "enrolled_photos": enrolled,
        "clip_fps": FPS,
        "elapsed_s": elapsed,
        "cpu_percent_average": round(100 * cpu_total / elapsed, 1) if elapsed else None,
        "cpu_percent_time_v": figures.get("cpu_percent_time"),
        "cpu_percent_steady": round(100 * steady_cpu, 1) if steady_cpu is not None else None,
        "steady_window_s": [STEADY_FROM_S, round(steady[-1][0], 1)] if steady else None,
        "peak_rss_mb": round(figures["max_rss_kb"] / 1024, 1) if "max_rss_kb" in figures else None,
        "load_average_start": load0,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "qt_platform": os.environ.get("QT_QPA_PLATFORM", "(default)"),
        "time_v_tail": text.strip().splitlines()[-25:] if proc.returncode else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: run once and print the figures as JSON."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--seconds", type=float, default=45.0, help="--exit-after for the GUI")
    p.add_argument("--keep", type=Path, help="keep the clip, the gallery and the report here")
    p.add_argument("--lfw", type=Path, default=LFW_DIR)
    args = p.parse_args(argv)
    try:
        result = run(args.seconds, args.keep, args.lfw)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"gui_live: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1))
    return 0 if result["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
