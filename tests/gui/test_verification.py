"""Verification, consistent: one verdict, one distance, one record (panel, boxes, history)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import QScrollArea

from faceapp.core.liveness.gate import LivenessGate
from faceapp.core.sources import Frame, ImageFolderSource
from faceapp.session.history_tap import HistoryTap
from faceapp.session.verdict import NO_MATCH, PENDING, distance_text
from faceapp.storage.history import History

from .gui_helpers import (
    REFERENCE,
    CentreDetector,
    GreyEmbedder,
    ListSource,
    Recorder,
    fake_pipeline,
    judged,
    make_ctx,
)
from .test_liveness import PoseDetector, _result, posed_frames


def _ctx(store, detector, **settings):
    store.add_samples("Ann", [(REFERENCE, None, "ann.jpg")])
    pipeline = fake_pipeline(detector, GreyEmbedder())
    return make_ctx(store, pipeline, mode="verification", claim="Ann", **settings)


def test_a_face_that_does_not_match_is_rejected_at_once_and_its_box_says_the_same(
    qtbot, make_window, store
):
    ctx = _ctx(store, PoseDetector())
    # Dark frames: 0.92 from Ann's sample, beyond the threshold; the face looks straight.
    frames = posed_frames([0.0] * 10, brightness=20)
    window = make_window(ctx, ListSource(frames, fps=30.0))
    panel = window.mode_panel
    qtbot.waitUntil(lambda: panel.verdict_label.text() == "REJECT", timeout=30_000)
    state = ctx.challenge_state()
    assert state is not None and state.failed and state.matched is False
    assert state.elapsed < state.time_limit  # not after the 6 s of the head-turn check
    assert "did not match Ann" in panel.detail_label.text()
    # The box of the face shows the verdict's decision and distance.
    v = ctx.verdict()
    qtbot.waitUntil(lambda: bool(window.video_view.shown_faces()), timeout=10_000)
    (box,) = window.video_view.shown_faces()
    assert box.kind == NO_MATCH and box.text.startswith("✗ not Ann")
    shown = distance_text(v.distance, v.threshold)
    assert shown in box.text and shown in panel.detail_label.text()


def test_the_tap_judges_each_result_with_the_challenge_state_of_that_result(store):
    ann = store.add_person("Ann").id
    gate = LivenessGate()
    gate.configure("Ann", enabled=True)
    got: list = []
    tap = HistoryTap(got.extend)
    tap.set_source(1, "camera 0", still=False)
    image = np.zeros((120, 160, 3), np.uint8)
    # A smooth real turn at 30 fps: straight, to the left, then to the right.
    yaws = [0.0] * 10 + [-2.0 * k for k in range(1, 19)] + [-36 + 2.0 * k for k in range(1, 37)]
    passed_at = None
    for i, yaw in enumerate(yaws):
        t = i / 30
        r = _result(t, yaw)
        r = type(r)(
            r.index,
            r.timestamp,
            tuple(
                type(f)(f.face, type(f.match)("Ann", 0.3, 1.0, True, ann), f.track_id)
                for f in r.faces
            ),
        )
        tap(judged(gate, 1, Frame(image, r.index, t), r, "verification"))
        if passed_at is None and gate.state is not None and gate.state.passed:
            passed_at = r.timestamp
    assert passed_at is not None
    accepted = [e for e in got if e.decision == "accepted"]
    assert len(accepted) == 1
    assert accepted[0].position == pytest.approx(passed_at)  # not the result after it


def _bright_folder(folder: Path, n: int = 3) -> Path:
    folder.mkdir()
    for i in range(n):
        cv2.imwrite(str(folder / f"{i:03d}.png"), np.full((120, 160, 3), 200, np.uint8))
    return folder


def test_a_photo_folder_under_the_head_turn_check_never_shows_or_records_an_accept(
    qtbot, make_window, store, tmp_path
):
    ctx = _ctx(store, CentreDetector())
    assert ctx.settings.liveness
    folder = _bright_folder(tmp_path / "photos")
    window = make_window(ctx, ImageFolderSource(folder, fps=5.0, loop=False))
    results = Recorder(ctx.result_ready)
    qtbot.waitUntil(lambda: len(results.calls) >= 3, timeout=30_000)
    qtbot.waitUntil(lambda: bool(window.video_view.shown_faces()), timeout=10_000)
    assert window.mode_panel.verdict_label.text() == "Needs a camera or a video"
    kinds = {f.kind for f in window.video_view.shown_faces()}
    assert kinds == {PENDING}, window.video_view.shown_faces()
    assert "needs a camera" in window.video_view.shown_faces()[0].text
    window.shutdown()
    assert History(store).events(decision="accepted") == []


def test_a_claim_of_nobody_enrolled_says_so_in_the_panel(qtbot, make_window, store):
    ctx = _ctx(store, CentreDetector(), liveness=False)
    ctx.update_settings(claim="Zed")
    window = make_window(ctx, ListSource(posed_frames([0.0] * 5), fps=30.0))
    panel = window.mode_panel
    qtbot.waitUntil(lambda: ctx.people_loaded, timeout=10_000)
    qtbot.waitUntil(lambda: "Nobody called Zed is enrolled" in panel.detail_label.text())
    assert panel.verdict_label.text() == "Nobody to verify"


def test_no_verdict_outlives_the_video(qtbot, make_window, store):
    ctx = _ctx(store, PoseDetector(), liveness=False)
    window = make_window(ctx, ListSource(posed_frames([0.0] * 30), fps=30.0, count=30))
    panel = window.mode_panel
    qtbot.waitUntil(lambda: panel.verdict_label.text() == "ACCEPT", timeout=30_000)
    qtbot.waitUntil(lambda: window.capture_worker is None, timeout=30_000)  # ended
    qtbot.waitUntil(lambda: panel.verdict_label.text() != "ACCEPT", timeout=5_000)
    assert window.video_view.shown_faces() == ()


def test_one_format_for_distances_and_thresholds():
    assert distance_text(0.87371, 0.8737) == "0.8737"  # compared with a between-steps value
    assert distance_text(0.8737, 0.8737) == "0.8737"
    assert distance_text(0.87371, 0.87) == "0.87"
    assert distance_text(None) == "—" and distance_text(float("inf"), 0.8) == "—"


@pytest.mark.parametrize("size", [(1024, 700), (1240, 800), (1920, 1080)])
def test_a_long_verdict_wraps_and_keeps_the_side_panel_in_the_window(
    qtbot, make_window, store, size
):
    ctx = _ctx(store, CentreDetector())
    long_name = "Maximiliane Wilhelmina von Hohenzollern-Sigmaringen Long"
    ctx.update_settings(claim=long_name)  # nobody: the longest verdict text there is
    window = make_window(ctx, ListSource(posed_frames([0.0] * 3), fps=30.0))
    window.resize(*size)
    panel = window.mode_panel
    qtbot.waitUntil(lambda: long_name in panel.detail_label.text(), timeout=10_000)
    # The whole verdict comes in sight, not scrolled off or cut by the gallery below it.
    # The side column caps the scroll area on each layout request: a loaded machine may
    # still be working through them, so the layout is given time to settle.
    scroll = panel.parentWidget()
    while not isinstance(scroll, QScrollArea):
        scroll = scroll.parentWidget()
    viewport = scroll.viewport()
    label = panel.detail_label

    def wrapped_in_sight() -> bool:
        window.grab()  # lay out and paint as on screen
        top = label.mapTo(viewport, label.rect().topLeft())
        bottom = label.mapTo(viewport, label.rect().bottomRight())
        wrapped = label.height() > label.fontMetrics().height()
        return wrapped and viewport.rect().contains(top) and viewport.rect().contains(bottom)

    qtbot.waitUntil(wrapped_in_sight, timeout=5_000)

    def inside(widget) -> bool:
        top_left = widget.mapTo(window, widget.rect().topLeft())
        bottom_right = widget.mapTo(window, widget.rect().bottomRight())
        return window.rect().contains(top_left) and window.rect().contains(bottom_right)

    thresholds = window.threshold_panel
    for w in (panel, panel.detail_label, panel.verification_button, thresholds.slider):
        assert w.isVisible() and inside(w), (w, w.geometry())
    side = panel.parentWidget()
    while side is not None and side.objectName() != "sidePanel":
        side = side.parentWidget()
    assert side is not None
    assert panel.width() <= side.width()  # the text wrapped instead of widening the panel
    assert panel.detail_label.width() <= panel.width()
