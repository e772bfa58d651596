"""The smallest live face: a spin box in the threshold panel, applied by the worker at once."""

from __future__ import annotations

from faceapp.core.types import FrameResult
from faceapp.settings import DEFAULT_MIN_FACE_PX
from tests.gui.gui_helpers import ListSource, Recorder, fake_pipeline, grey_frames, make_ctx


def test_the_spin_box_sets_the_smallest_face_the_live_worker_reports(
    qtbot, store, make_window
) -> None:
    # 160x120 frames; the fake detector's face is 80x60 px: shown at 40 px, not at 64.
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=30.0))
    spin = window.threshold_panel.min_face.spin
    assert spin.value() == DEFAULT_MIN_FACE_PX == ctx.settings.min_face_px
    results = Recorder(window.worker.result_ready)

    def faces_after(n: int) -> int:
        start = len(results.calls)
        qtbot.waitUntil(lambda: len(results.calls) >= start + n, timeout=10_000)
        result: FrameResult = results.calls[-1][1]
        return len(result.faces)

    assert faces_after(3) == 1
    with qtbot.waitSignal(ctx.settings_changed):
        spin.setValue(64)
    assert ctx.settings.min_face_px == 64
    assert faces_after(3) == 0
    ctx.update_settings(min_face_px=44)
    assert spin.value() == 44
    assert faces_after(3) == 1
