"""The capture route, from the capture dialog to the SQLite row: at most 3 thread crossings."""

from __future__ import annotations

import sys
import threading

import pytest

import faceapp.core.enrolment_check as enrolment_check
import faceapp.core.quality as quality
import faceapp.enrolment as enrolment
from faceapp.core.sources import ImageFolderSource

from .gui_helpers import Recorder, letterboxed_folder, make_ctx

pytestmark = pytest.mark.model


def _crossings(steps: list[tuple[str, str]]) -> int:
    """Count the hand-overs between threads along ``[(step, thread name)]``."""
    return sum(a[1] != b[1] for a, b in zip(steps, steps[1:]))


@pytest.fixture
def route(monkeypatch):
    """Record ``(step, thread)`` of each step a capture takes: check, sample, screen, write."""
    steps: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(step: str) -> None:
        with lock:
            steps.append((step, threading.current_thread().name))

    def recorded(step, function):
        def wrapper(*args, **kwargs):
            record(step)
            return function(*args, **kwargs)

        return wrapper

    import faceapp.gui.main_window  # noqa: F401 - the window's modules take their references now

    # The quality check, wherever a module took its own reference to it.
    assess = quality.assess_face
    for module in list(sys.modules.values()):
        if (module.__name__ or "").startswith("faceapp") and (
            getattr(module, "assess_face", None) is assess
        ):
            monkeypatch.setattr(module, "assess_face", recorded("quality check", assess))
    # The sample: the embedding and thumbnail of the chosen face.
    monkeypatch.setattr(enrolment, "sample_of", recorded("sample", enrolment.sample_of))
    # The wrong-person screening: screen_embeddings checks each sample.
    check = enrolment_check.check_enrolment
    monkeypatch.setattr(enrolment_check, "check_enrolment", recorded("screening", check))
    return steps, record


@pytest.mark.parametrize("name", ["Jerry Seinfeld", "Madonna"])
def test_a_capture_reaches_its_row_in_three_thread_crossings(
    qtbot, make_window, demo_store, real_pipeline, val_photos, tmp_path, monkeypatch, route, name
):
    """Single capture: check round trip (2 crossings), then Enrol → gallery thread (1)."""
    steps, record = route
    folder = letterboxed_folder(tmp_path / "one", [val_photos["jerry_seinfeld"][2]])
    ctx = make_ctx(demo_store, real_pipeline)
    window = make_window(ctx, ImageFolderSource(folder, fps=3.0, loop=True))
    results = Recorder(ctx.result_ready)
    results.wait(qtbot, lambda args: len(args[0].faces) == 1, timeout=60_000)
    add = demo_store.add_samples

    def write(*args, **kwargs):
        record("write")
        return add(*args, **kwargs)

    monkeypatch.setattr(demo_store, "add_samples", write)
    before = demo_store.find_person(name).n_samples

    record("capture pressed")
    dialog = window.capture(name, guided=False)
    dialog.report_ready.connect(lambda: record("report shown"))
    qtbot.waitUntil(lambda: dialog.offer.report is not None and dialog.enrol_button.isEnabled())
    record("enrol pressed")
    if name == "Jerry Seinfeld":
        with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000) as enrolled:
            dialog.enrol_button.click()
        assert enrolled.args[1] == [name]
        assert demo_store.find_person(name).n_samples == before + 1
        route_steps = [s for s, _ in steps]
        assert route_steps[-1] == "write"
    else:  # someone else's face: refused, nothing written before the user decides
        dialog.enrol_button.click()
        qtbot.waitUntil(lambda: bool(window.enrolment.warnings), timeout=30_000)
        assert demo_store.find_person(name).n_samples == before
        assert "write" not in [s for s, _ in steps]
        (warning,) = window.enrolment.warnings.values()
        with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000) as enrolled:
            warning.skip_button.click()
        assert enrolled.args[1] == []
    assert [s for s, _ in steps].count("quality check") == 1  # measured once
    assert [s for s, _ in steps].count("sample") == 1  # embedded once
    gui = threading.main_thread().name
    assert steps[0][1] == gui and ("enrol pressed", gui) in steps
    to_press = steps[: steps.index(("enrol pressed", gui)) + 1]
    assert _crossings(to_press) == 2, steps  # the check's round trip
    if name == "Jerry Seinfeld":
        assert _crossings(steps) <= 3, steps
