"""Every benchmark entry point runs at a tiny size and gives its figures, none checked for speed.

Each runs as ``python -m benchmarks.<name>`` does (its ``__main__`` block, its argv), but
in this process: a child would spend most of its time importing TensorFlow again.  A
benchmark that needs LFW is skipped with the reason when ``../shared/data/lfw`` (or
``FACEAPP_LFW_DIR``) is absent; one that loads the face models is marked ``model``.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import runpy
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from benchmarks.data import LFW_DIR
from faceapp import paths

REPO = Path(__file__).resolve().parents[1]

needs_lfw = pytest.mark.skipif(
    not (LFW_DIR / "pairs.txt").is_file(),
    reason=f"LFW is absent at {LFW_DIR} (only the project's shared data has it)",
)
needs_celebrities = pytest.mark.skipif(
    not (paths.celebrity_dir() / "train").is_dir(),
    reason="the 5-celebrity photos are not fetched (run 'faceapp weights fetch')",
)


@contextlib.contextmanager
def _qt_application_kept() -> Iterator[None]:
    """Put back the process-wide state a window benchmark sets up as the app does.

    ``create_application`` styles and names the one QApplication of the process, and
    ``settle_heap`` freezes the heap out of garbage collection; the tests that run after
    it in the same process (another order, another worker) would otherwise draw with
    faceapp's style sheet.
    """
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    saved = (
        (app.styleSheet(), app.applicationName(), app.organizationName())
        if isinstance(app, QApplication)
        else ("", "", "")
    )
    try:
        yield
    finally:
        gc.unfreeze()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setStyleSheet(saved[0])
            app.setApplicationName(saved[1])
            app.setOrganizationName(saved[2])


def bench_output(module: str, *argv: str) -> str:
    """Run ``python -m benchmarks.<module> argv`` in this process; return its stdout.

    The module runs as ``__main__`` from the checkout, with ``sys.argv`` as the shell would
    give it; a non-zero exit fails the test.
    """
    out = io.StringIO()
    with (
        _qt_application_kept(),
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(out),
    ):
        patch.chdir(REPO)
        patch.setattr(sys, "argv", [f"benchmarks/{module}.py", *argv])
        # As ``python -m`` would: a fresh module, not one another test imported already.
        patch.delitem(sys.modules, f"benchmarks.{module}", raising=False)
        try:
            runpy.run_module(f"benchmarks.{module}", run_name="__main__", alter_sys=True)
        except SystemExit as stop:
            assert stop.code in (0, None), f"benchmarks.{module} exited with {stop.code!r}"
    return out.getvalue()


def bench(module: str, *argv: str) -> dict:
    """Run a benchmark that prints one JSON document; return it."""
    return json.loads(bench_output(module, *argv))


def bench_lines(module: str, *argv: str) -> list[dict]:
    """Run a benchmark that prints JSON lines (among other lines); return the documents."""
    lines = bench_output(module, *argv).splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def synthetic_embeddings(path: Path, people: int = 30, photos: int = 6) -> Path:
    """Write an ``eval-lfw --save-distances`` file: 128-d clusters, LFW-style image names."""
    rng = np.random.default_rng(0)
    images, rows = [], []
    centres = rng.normal(size=(people, 128))
    for k in range(people):
        name = f"Person_{k:03d}"
        for i in range(1 + (photos - 1) * (k % 3 != 2)):  # every third person: one photo
            images.append(f"{name}/{name}_{i + 1:04d}.jpg")
            rows.append(centres[k] + 0.6 * rng.normal(size=128))
    emb = np.asarray(rows, np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    np.savez(path, images=np.array(images), embeddings=emb, distances=np.zeros(1))
    return path


def tiny_pairs(path: Path) -> Path:
    """Write a 2-fold pairs file of LFW people with two photos or more (3 + 3 per fold)."""
    numbers = {}
    for folder in sorted(d for d in LFW_DIR.iterdir() if d.is_dir()):
        found = sorted(int(p.stem.rsplit("_", 1)[1]) for p in folder.glob(f"{folder.name}_*.jpg"))
        if len(found) > 1:
            numbers[folder.name] = found
        if len(numbers) == 12:
            break
    people = list(numbers)
    lines = ["2 3"]
    for fold in range(2):
        group = people[fold * 6 : fold * 6 + 6]
        lines += [f"{name}\t{numbers[name][0]}\t{numbers[name][1]}" for name in group[:3]]
        lines += [
            f"{a}\t{numbers[a][0]}\t{b}\t{numbers[b][0]}" for a, b in zip(group[:3], group[3:])
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


# -- no model, no LFW ------------------------------------------------------------------------


def test_gui_stall_runs_with_a_thousand_people() -> None:
    argv = ["--people", "1000", "--thumbs", "10", "--load-s", "1", "--idle-s", "0.2"]
    report = bench("gui_stall", *argv)
    assert report["gallery"]["people"] == 1000
    assert report["gallery"]["samples"] == 1100  # every tenth person has two samples
    for phase in ("open", "idle", "enrol", "rename", "scroll", "filter", "slider"):
        assert report[phase]["done"] is True, (phase, report[phase])
        stall = report[phase].get("max_stall_ms_worst", report[phase].get("max_stall_ms"))
        assert stall >= 0, phase
    assert len(report["close_during_load"]["close_s_each"]) == 1


def test_hostile_archives_builds_and_imports_both_files() -> None:
    rows = bench_lines("hostile_archives", "--lying-mb", "0.2", "--padded-faces", "20")
    assert [r["file"] for r in rows] == ["lying member list", "padded JPEGs"]


def test_aggregation_study_on_synthetic_embeddings(tmp_path: Path) -> None:
    npz = synthetic_embeddings(tmp_path / "run.npz")
    rows = bench_lines("aggregation_study", str(npz), "--enrol", "2")
    assert len(rows) == 1 and rows[0]["enrolled_each"] == 2 and rows[0]["people"] == 20


def test_open_set_rules_on_synthetic_embeddings(tmp_path: Path) -> None:
    npz = synthetic_embeddings(tmp_path / "run.npz")
    rows = bench_lines("open_set_rules", str(npz), "--seeds", "1")
    assert rows and all(isinstance(r, dict) for r in rows)


@needs_celebrities
def test_lfw_yaw_labels_on_a_tiny_folder(tmp_path: Path) -> None:
    pytest.importorskip("mediapipe", reason="mediapipe is not installed (the liveness study's)")
    person = tmp_path / "lfw" / "Ben_Afflek"
    person.mkdir(parents=True)
    for photo in sorted((paths.celebrity_dir() / "train" / "ben_afflek").glob("*.jpg"))[:4]:
        shutil.copy(photo, person / photo.name)
    out = bench_output("lfw_yaw_labels", str(tmp_path / "lfw"))
    assert len([line for line in out.splitlines() if not line.startswith("#")]) == 4


# -- the face models, the 5-celebrity photos ------------------------------------------------


@pytest.mark.model
@needs_celebrities
def test_enrolment_check_study_on_three_photos_each() -> None:
    doc = bench("enrolment_check_study", "--photos", "3")
    # Five people, photo [1] of each enrolled: the two others each checked as all five.
    assert doc["own_person_checks"] == 10 and doc["other_person_checks"] == 40


@pytest.mark.model
@needs_celebrities
def test_photo_floor_on_one_photo_each() -> None:
    doc = bench("photo_floor", "--photos", "1")
    assert doc["photos"] == 10  # five people, one photo of each in train and in val
    # As with every photo, some faces are under the floor (both first Elton John photos),
    # so the part that looks them up and reports them runs too.
    assert doc["under_floor"] == len(doc["under_floor_detections"]) > 0


@pytest.mark.model
@needs_celebrities
def test_embed_paths_on_two_photos() -> None:
    argv = ["--photos", "2", "--repeats", "1", "--cache", "--engines", "tflite"]
    doc = bench_lines("embed_paths", *argv)[-1]
    assert doc["repeats"] == 1 and list(doc["engines"]) == ["graph", "tflite"]


# -- the face models and LFW ---------------------------------------------------------------


@pytest.mark.model
@pytest.mark.lfw
@needs_lfw
def test_detector_bench_on_two_frames() -> None:
    doc = bench("detector_bench", "--frames", "2", "--repeats", "1", "--json")
    assert doc["detector_timing"]["frames"] == 2


@pytest.mark.model
@pytest.mark.lfw
@needs_lfw
def test_align_study_on_a_tiny_pairs_file(tmp_path: Path) -> None:
    pairs = tiny_pairs(tmp_path / "pairs.txt")
    argv = ["--pairs", str(pairs), "--cache", str(tmp_path / "faces.json"), "--detector", "mtcnn"]
    rows = bench_lines("align_study", *argv, "similarity")
    assert [(r["variant"], r["flip"]) for r in rows] == [
        ("similarity", "no"),
        ("similarity", "yes"),
    ]


@pytest.mark.model
@pytest.mark.lfw
@needs_lfw
def test_live_calibration_sizes_on_two_pairs() -> None:
    assert bench("live_calibration", "sizes", "--pairs", "2")


@pytest.mark.model
@pytest.mark.lfw
@needs_lfw
@needs_celebrities
def test_live_calibration_phantoms_on_two_photos(tmp_path: Path) -> None:
    assert bench("live_calibration", "phantoms", "--photos", "2")


@pytest.mark.model
@pytest.mark.lfw
@needs_lfw
@needs_celebrities
def test_live_on_the_camera_clip_in_virtual_time() -> None:
    argv = ["--quick", "--modes", "after", "--videos", "camera", "--timings", "virtual"]
    assert bench("live", *argv)


@pytest.mark.model
@pytest.mark.lfw
@needs_lfw
@needs_celebrities
def test_gui_live_for_a_few_seconds() -> None:
    doc = bench("gui_live", "--seconds", "6")
    assert doc["exit_code"] == 0


@pytest.mark.model
@pytest.mark.lfw
@needs_lfw
@needs_celebrities
def test_suite_quick() -> None:
    doc = bench("suite", "--quick", "--json")
    assert doc


@pytest.mark.model
@pytest.mark.lfw
@needs_lfw
def test_liveness_on_one_real_sequence() -> None:
    # --limit bounds the real sequences only: the replay part has no tiny size yet.
    assert bench("liveness", "--part", "real", "--limit", "1")["real"]["sequences"] == 1


@pytest.mark.model
@pytest.mark.lfw
@needs_lfw
def test_liveness_attacks_on_one_person() -> None:
    assert bench_lines("liveness_attacks", "--people", "1", "--kinds", "fold-20")


# -- the packaged app ----------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("FACEAPP_BUNDLE") or not shutil.which("Xvfb"),
    reason="set FACEAPP_BUNDLE to a built bundle (make package-check); needs Xvfb",
)
@needs_celebrities
def test_bundle_start_once() -> None:
    doc = bench("bundle_start", "--bundle", os.environ["FACEAPP_BUNDLE"], "--runs", "1")
    assert doc["runs"] == 1 and doc["first_start"] and doc["later_start"]
