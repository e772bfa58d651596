"""The packaged app as a user gets it: read-only, another user, a bare environment, a real X server.

Runs only when ``FACEAPP_BUNDLE`` names a built bundle (``make package-check``).  Figures
(sizes, start-up times, peak memory, the highest GLIBC symbol) go to the report, not into
assertions, except where the issue sets a limit on a property of the files themselves.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.package.bundle_helpers import BUNDLE, REPORT, Runner

pytestmark = pytest.mark.skipif(
    not BUNDLE, reason="set FACEAPP_BUNDLE to a built bundle (make package-check)"
)

REPO = Path(__file__).resolve().parents[2]
SYSTEM_LIBS = [
    line.strip()
    for line in (REPO / "packaging" / "system-libs.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]
#: Ubuntu 22.04's C library.
GLIBC_LIMIT = (2, 35)
#: Size limits, in bytes: what the bundle measures plus a margin, so that an accidental
#: inclusion (a second copy of Qt, TensorFlow) fails here.  Issue 8 set 600 MB / 250 MB;
#: the Unicode name rules (ICU, 40 MB, issue 17) and grouping unknown faces
#: (scikit-learn with scipy, 91 MB, issue 19) took the bundle to 641 MB / 288 MB.
MAX_ON_DISK = 680 * 10**6
MAX_ARCHIVE = 300 * 10**6
#: Modules that only development or conversion needs.
FORBIDDEN_MODULES = (
    "tensorflow", "keras", "h5py", "pytest", "_pytest", "pygments", "rich", "setuptools",
    "pkg_resources", "pip",
)  # fmt: skip
#: Every stderr line of a GUI run must be one of faceapp's own INFO log lines.
GUI_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ INFO faceapp[\w.]*: ")
PEOPLE = ("ben_afflek", "elton_john", "jerry_seinfeld", "madonna", "mindy_kaling")


def _elf_files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    out.append(path)
    return out


def _tree_digest(root: Path) -> dict[str, str]:
    """Return ``{relative path: content hash or link target, with the mode}`` of a folder."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = f"dir:{path.stat().st_mode:o}"
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[rel] = f"{digest}:{path.stat().st_mode:o}"
    return out


def _du(root: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in [root, *root.rglob("*")])


def _home_with_gallery(runner: Runner, gallery: Path, name: str) -> Path:
    """Return a new HOME of the user holding a copy of ``gallery`` where the app keeps it.

    The folders and the file get the modes the app gives them (private to the user).
    """
    home = runner.new_dir(name)
    data = home / ".local" / "share" / "faceapp"
    data.mkdir(parents=True, mode=0o700)
    shutil.copy(gallery, data / "gallery.sqlite3")
    os.chmod(data / "gallery.sqlite3", 0o600)
    for path in (home / ".local", home / ".local" / "share", data, data / "gallery.sqlite3"):
        os.chown(path, runner.uid, runner.gid)
    return home


@pytest.fixture(scope="session")
def photos(runner: Runner, celebrity_dir: Path) -> Path:
    """A copy of the 5-celebrity photos that the unprivileged user can read."""
    target = runner.scratch / "photos"
    shutil.copytree(celebrity_dir, target)
    for path in [target, *target.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return target


@pytest.fixture(scope="session")
def gallery(runner: Runner, photos: Path) -> Path:
    """A gallery with the five people, enrolled by the bundle as the user (4 photos each)."""
    home = runner.new_dir("enrol")
    for person in PEOPLE:
        train = sorted((photos / "train" / person).glob("*.jpg"))[:4]
        rc, out, err, _ = runner.run(["enroll", person, *map(str, train), "--largest"], home)
        assert rc == 0, f"enroll {person}: {err or out}"
        assert err == "", f"enroll {person} wrote to stderr: {err}"
    path = home / ".local" / "share" / "faceapp" / "gallery.sqlite3"
    assert path.is_file(), "the gallery was not written to the user's data folder"
    return path


def test_only_runtime_code_and_the_package_data_inside(bundle: Path):
    internal = bundle / "_internal"
    files = {str(p.relative_to(internal)) for p in internal.rglob("*")}
    for needed in (
        "faceapp/core/lfw_operating_points.json",
        "resources/style.qss",
        "resources/faceapp.svg",
        "resources/faceapp.desktop",
        "weights/SHA256SUMS",
        "weights/BUILTIN-SHA256SUMS",
        "mtcnn/assets/weights/pnet.lz4",
        "mtcnn/assets/weights/rnet.lz4",
        "mtcnn/assets/weights/onet.lz4",
        "licenses/README.md",
        "licenses/LGPL-3.0.txt",
        "licenses/Apache-2.0.txt",
        "licenses/opencv-python-headless/LICENSE.txt",
        "licenses/mtcnn/LICENSE",
    ):
        assert needed in files, f"{needed} is missing from the bundle"
    assert list(internal.glob("weights/facenet-*.tflite")), "no converted FaceNet model"
    assert not list(internal.rglob("*.h5")), "the Keras weights are shipped"
    demo = internal / "weights" / "5-celebrity-faces"
    shipped = {p.relative_to(demo).parts[:2] for p in demo.rglob("*.jpg")}
    assert shipped == {(split, person) for split in ("train", "val") for person in PEOPLE}
    REPORT["demo_photos"] = {
        "files": sum(1 for _ in demo.rglob("*.jpg")),
        "mb": round(sum(p.stat().st_size for p in demo.rglob("*.jpg")) / 1e6, 2),
    }
    top = {p.name.split(".")[0].split("-")[0] for p in internal.iterdir()}
    assert not top & set(FORBIDDEN_MODULES), f"bundled: {sorted(top & set(FORBIDDEN_MODULES))}"
    viewer = os.environ.get("PYI_ARCHIVE_VIEWER")
    if viewer and Path(viewer).is_file():
        listing = subprocess.run(
            [viewer, "--list", "--recursive", "--brief", str(bundle / "faceapp")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        modules = {line.strip().split(".")[0] for line in listing.splitlines()}
        assert "faceapp" in modules, "the archive listing shows no faceapp module"
        assert not modules & set(FORBIDDEN_MODULES), sorted(modules & set(FORBIDDEN_MODULES))


def test_every_library_resolves_inside_the_bundle_or_to_the_system(bundle: Path):
    """ldd over every ELF file: nothing missing; direct needs outside are all system libraries."""
    internal = bundle / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    missing, foreign, outside = [], [], set()
    for elf in _elf_files(bundle):
        rel = str(elf.relative_to(bundle))
        ldd = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env).stdout
        resolved = {}
        for line in ldd.splitlines():
            if "not found" in line:
                missing.append(f"{rel}: {line.strip()}")
            m = re.match(r"\s*(\S+) => (\S+) \(0x", line)
            if m:
                resolved[m.group(1)] = Path(m.group(2)).resolve()
        dump = subprocess.run(["objdump", "-p", str(elf)], capture_output=True, text=True).stdout
        for name in re.findall(r"^\s*NEEDED\s+(\S+)", dump, re.M):
            where = resolved.get(name)
            if where is None or bundle.resolve() in where.parents:
                continue
            outside.add(name)
            if not any(fnmatch.fnmatch(name, pattern) for pattern in SYSTEM_LIBS):
                foreign.append(f"{rel} needs {name} from {where}")
    REPORT["ldd_system_libraries"] = sorted(outside)
    assert not missing, "unresolved libraries:\n" + "\n".join(missing[:20])
    assert not foreign, "needs libraries that are neither bundled nor system ones:\n" + "\n".join(
        foreign[:20]
    )


def test_no_bundled_library_needs_a_newer_glibc_than_ubuntu_22_04(bundle: Path):
    worst: tuple[tuple[int, ...], str] = ((0,), "")
    too_new = []
    for elf in _elf_files(bundle):
        dump = subprocess.run(["objdump", "-T", str(elf)], capture_output=True, text=True).stdout
        versions = [tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_([0-9.]+)", dump)]
        if not versions:
            continue
        top = max(versions)
        rel = str(elf.relative_to(bundle))
        worst = max(worst, (top, rel))
        if top > GLIBC_LIMIT:
            too_new.append(f"{rel}: GLIBC_{'.'.join(map(str, top))}")
    REPORT["glibc_highest"] = {"version": ".".join(map(str, worst[0])), "file": worst[1]}
    assert not too_new, "needs a GLIBC above 2.35:\n" + "\n".join(too_new)


def test_size_on_disk_and_download(bundle: Path):
    on_disk = _du(bundle)
    REPORT["size_on_disk_mb"] = round(on_disk / 1e6, 1)
    assert on_disk <= MAX_ON_DISK, f"{on_disk / 1e6:.0f} MB on disk"
    archive = os.environ.get("FACEAPP_BUNDLE_ARCHIVE")
    if archive and Path(archive).is_file():
        size = Path(archive).stat().st_size
        REPORT["archive"] = {"file": Path(archive).name, "mb": round(size / 1e6, 1)}
        assert size <= MAX_ARCHIVE, f"{Path(archive).name} is {size / 1e6:.0f} MB"


def test_read_only_bundle_identifies_as_another_user(runner: Runner, photos: Path, gallery: Path):
    before = _tree_digest(runner.root)
    home = _home_with_gallery(runner, gallery, "identify")
    val = sorted((photos / "val").glob("*/*.jpg"))
    rc, out, err, _ = runner.run(["identify", *map(str, val), "--json"], home, timeout=180)
    assert rc == 0, err
    assert err == "", f"identify wrote to stderr: {err}"
    doc = json.loads(out.strip().splitlines()[-1])
    named: dict[str, set[str]] = {}
    for entry in doc:
        person = Path(entry["image"]).parent.name
        for face in entry["faces"]:
            if face["name"]:
                named.setdefault(person, set()).add(face["name"])
    wrong = {p: names - {p} for p, names in named.items() if names - {p}}
    assert not wrong, f"wrong names: {wrong}"
    assert set(named) == set(PEOPLE), f"never named: {set(PEOPLE) - set(named)}"

    # One photo, a fresh process: what a user waits for, and its peak memory (figures only).
    one = [str(runner.exe), "identify", str(sorted((photos / "val" / "madonna").glob("*.jpg"))[0])]
    timer = Path("/usr/bin/time")
    if timer.is_file():
        report = runner.new_dir("time") / "time.txt"
        one = [str(timer), "-v", "-o", str(report), *one]
    start = time.monotonic()
    proc = runner.popen(one, home)
    out_one, err_one = proc.communicate(timeout=120)
    REPORT["identify_one_photo_s"] = round(time.monotonic() - start, 2)
    assert proc.returncode == 0 and err_one == "" and "madonna" in out_one, err_one
    if timer.is_file():
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report.read_text())
        REPORT["identify_one_photo_peak_rss_mb"] = round(int(peak.group(1)) / 1024, 1)

    rc, out, err, _ = runner.run(["weights", "check", "--json"], home)
    assert rc == 0 and err == "", err
    check = json.loads(out.strip().splitlines()[-1])
    assert check["built_in"] and check["installed"]
    assert set(check["files"].values()) == {"ok"} and len(check["files"]) == 5
    assert check["files"]["weights/5-celebrity-faces"] == "ok"
    rc, out, err, _ = runner.run(["weights", "fetch"], home)
    assert rc == 0 and err == "", err
    assert "ships everything built in" in out and "nothing to fetch" not in out

    assert _tree_digest(runner.root) == before, "files in the bundle changed"
    written = {str(p.relative_to(home)) for p in home.rglob("*") if p.is_file()}
    assert written <= {".local/share/faceapp/gallery.sqlite3"} | {
        w for w in written if w.startswith(".cache/faceapp/")
    }, written


def test_install_desktop_writes_a_valid_launcher_for_the_bundle(runner: Runner):
    home = runner.new_dir("desktop")
    rc, out, err, _ = runner.run(["install-desktop", "--json"], home)
    assert rc == 0 and err == "", err
    entry = home / ".local" / "share" / "applications" / "faceapp.desktop"
    icon = home / ".local" / "share" / "icons" / "hicolor" / "scalable" / "apps" / "faceapp.svg"
    assert icon.is_file() and icon.read_bytes().startswith(b"<svg")
    text = entry.read_text()
    assert f"Exec={runner.exe}\n" in text, text
    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.fail("desktop-file-validate is missing: apt-get install desktop-file-utils")
    result = subprocess.run([validate, str(entry)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)


def _x_window(display: str) -> str | None:
    """Return the id of a viewable top-level faceapp window on ``display``, if any."""
    tree = subprocess.run(
        ["xwininfo", "-root", "-children", "-display", display], capture_output=True, text=True
    ).stdout
    for line in tree.splitlines():
        m = re.match(r"\s*(0x[0-9a-f]+) .*\(\"faceapp\" \"faceapp\"\)", line)
        if m:
            info = subprocess.run(
                ["xwininfo", "-id", m.group(1), "-display", display],
                capture_output=True,
                text=True,
            ).stdout
            if "Map State: IsViewable" in info:
                return m.group(1)
    return None


def _gui_run(runner: Runner, display: str, home: Path, video: Path, out: Path) -> dict:
    """Run the GUI on the X server; return what the test checks and the figures."""
    events = out / "events.jsonl"
    shot = out / "window.png"
    args = [
        str(runner.exe), "gui", "--source", str(video), "--exit-after", "12",
        "--screenshot", str(shot), "--events", str(events),
    ]  # fmt: skip
    start = time.monotonic()
    proc = runner.popen(args, home, DISPLAY=display)
    window_s = first_name_s = None
    while proc.poll() is None and time.monotonic() - start < 60:
        now = time.monotonic() - start
        if window_s is None and _x_window(display):
            window_s = now
        if first_name_s is None and events.is_file():
            for line in events.read_text().splitlines():
                if any(f.get("name") for f in json.loads(line)["faces"]):
                    first_name_s = now
                    break
        if window_s is not None and first_name_s is not None:
            break
        time.sleep(0.05)
    out_text, err_text = proc.communicate(timeout=60)
    # The file is opened at start: without it the app stopped before, and stderr says why.
    assert events.is_file(), f"exit status {proc.returncode}; stderr:\n{err_text[-3000:]}"
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    return {
        "rc": proc.returncode,
        "stderr": err_text,
        "window_s": window_s,
        "first_name_s": first_name_s,
        "names": sorted({f["name"] for e in lines for f in e["faces"] if f.get("name")}),
        "screenshot": shot,
    }


def test_gui_shows_named_faces_on_an_x_server(runner: Runner, xvfb: str, photos: Path, gallery):
    import sys

    sys.path.insert(0, str(REPO))
    from tests.gui.make_video import interleaved_photos, make_video

    video = runner.scratch / "clip.avi"
    make_video(video, interleaved_photos(photos / "val")[:10], seconds_per_photo=1.5)
    os.chmod(video, 0o644)
    before = _tree_digest(runner.root)
    home = _home_with_gallery(runner, gallery, "gui")

    runs = {}
    for label in ("first_start", "later_start"):
        out = runner.new_dir(label)
        runs[label] = result = _gui_run(runner, xvfb, home, video, out)
        REPORT[f"gui_{label}"] = {
            "window_visible_s": _rounded(result["window_s"]),
            "first_name_s": _rounded(result["first_name_s"]),
            "names": result["names"],
        }
        assert result["rc"] == 0, f"{label}: exit {result['rc']}\n{result['stderr'][-2000:]}"
        noise = [ln for ln in result["stderr"].splitlines() if not GUI_LOG_LINE.match(ln)]
        assert not noise, f"{label}: stderr beyond faceapp's log:\n" + "\n".join(noise[:20])
        assert result["window_s"] is not None, f"{label}: no faceapp window on the X server"
        assert result["names"], f"{label}: no face was named"
        assert result["screenshot"].is_file() and result["screenshot"].stat().st_size > 20_000

    target = os.environ.get("FACEAPP_BUNDLE_SCREENSHOT")
    if target:
        shutil.copy(runs["later_start"]["screenshot"], target)
    assert _tree_digest(runner.root) == before, "files in the bundle changed"


def test_bundle_embeddings_match_tensorflow_on_the_original_weights(gallery: Path):
    """The bundle (LiteRT, converted model) against TensorFlow running the Keras weights."""
    pytest.importorskip("tensorflow")
    import numpy as np

    from faceapp import paths
    from faceapp.core.embedding import create_embedder
    from faceapp.core.images import load_image
    from faceapp.core.pipeline import FacePipeline
    from faceapp.enrolment import prepare_sample
    from faceapp.storage.gallery import GalleryStore

    if not paths.facenet_weights_path().is_file():
        pytest.skip("the FaceNet .h5 is not fetched")
    pipeline = FacePipeline(embedder=create_embedder(engine="graph"))
    pipeline.prepare()
    cosines = []
    store = GalleryStore(gallery)
    for person in PEOPLE:
        for sample in store.samples(person):
            frame = load_image(Path(sample.source))
            dev = prepare_sample(pipeline, frame, sample.source, largest=True).embedding
            cosines.append(float(np.dot(dev, sample.embedding)))
    REPORT["embedding_cosine_vs_tensorflow"] = {"min": round(min(cosines), 7), "n": len(cosines)}
    assert len(cosines) == 4 * len(PEOPLE)
    assert min(cosines) >= 0.9999


def _gui_first_day(runner: Runner, display: str, home: Path, *args: str) -> tuple[str, Path]:
    """Run the GUI with ``args`` on the X server; return its stderr and its output folder."""
    out = runner.new_dir("first-day-out")
    argv = [str(runner.exe), "gui", "--exit-after", "12", "--screenshot", str(out / "shot.png")]
    argv += [a.replace("{out}", str(out)) for a in args]
    proc = runner.popen(argv, home, DISPLAY=display)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"gui {' '.join(args)}: exit {proc.returncode}\n{err[-2000:]}"
    noise = [ln for ln in err.splitlines() if not GUI_LOG_LINE.match(ln)]
    assert not noise, "stderr beyond faceapp's INFO log:\n" + "\n".join(noise[:20])
    return err, out


def test_first_day_without_a_camera(runner: Runner, xvfb: str):
    """No camera, nothing chosen: the card, no 'weights fetch' advice, a demo that works."""
    if list(Path("/dev").glob("video*")):
        pytest.skip("a camera is attached to this machine")
    before = _tree_digest(runner.root)
    home = runner.new_dir("first-day")

    # The first start: the card, and no banner telling to run a command.
    err, out = _gui_first_day(runner, xvfb, home)
    assert "no camera: showing the 'No camera found' card" in err, err[-2000:]
    assert "weights fetch" not in err and "error banner" not in err, err[-2000:]
    assert "info banner: The gallery is empty. Enrol the five demo people" in err
    shot = out / "shot.png"
    assert shot.is_file() and shot.stat().st_size > 20_000
    target = os.environ.get("FACEAPP_FIRST_START_SCREENSHOT")
    if target:
        shutil.copy(shot, target)

    # Enrol the demo people (the menu action, from the option), then the Demo source.
    err, out = _gui_first_day(
        runner, xvfb, home, "--enrol-demo", "--source", "demo", "--events", "{out}/events.jsonl"
    )
    assert "weights fetch" not in err and "error banner" not in err, err[-2000:]
    rc, listing, list_err, _ = runner.run(["gallery", "list", "--json"], home)
    assert rc == 0 and list_err == "", list_err
    people = json.loads(listing.strip().splitlines()[-1])
    demo_names = {p.replace("_", " ").title() for p in PEOPLE}
    assert {p["name"] for p in people} == demo_names, people
    lines = (out / "events.jsonl").read_text().splitlines()
    named = {f["name"] for line in lines for f in json.loads(line)["faces"] if f.get("name")}
    REPORT["first_day_demo"] = {"frames": len(lines), "named": sorted(named)}
    assert lines, "the demo source delivered no frame"
    assert named and named <= demo_names, named
    assert _tree_digest(runner.root) == before, "files in the bundle changed"
