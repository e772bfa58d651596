"""Logic of the GUI layer that needs no model: settings, meters, events, labels, verdicts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from faceapp.core.matching import (
    DEFAULT_STRANGER_RATE,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    PAIR_THRESHOLD,
    default_threshold,
)
from faceapp.core.types import Box, Face, FaceResult, FrameResult, Match
from faceapp.session.events import EventLog, face_events
from faceapp.session.face_labels import face_label, shown_alone
from faceapp.session.meters import RateMeter
from faceapp.session.panel_text import in_view_text, main_face, verdict
from faceapp.session.threshold_text import describe_threshold, false_accept_text
from faceapp.session.verdict import MATCH, MAYBE, NO_MATCH
from faceapp.settings import Settings


def _fr(x=0.0, size=100.0, name=None, dist=0.5, threshold=1.1):
    lm = ((x + 30, 40), (x + 70, 40), (x + 50, 60), (x + 35, 80), (x + 65, 80))
    face = Face(Box(x, 0, size, size), lm, 0.99)
    m = Match(name, dist, threshold, name is not None and dist <= threshold)
    return FaceResult(face, m)


# -- settings ----------------------------------------------------------------------------


def test_settings_defaults_and_validation():
    s = Settings()
    assert s.threshold is None  # recognition's automatic threshold
    assert s.stranger_rate == DEFAULT_STRANGER_RATE
    assert s.mode == "recognition"
    bad = Settings(threshold=9.0, mode="nonsense", claim="  ", source="").validated()
    assert bad.threshold == MAX_THRESHOLD
    assert bad.mode == "recognition"
    assert bad.claim is None
    assert bad.source == "0"
    assert Settings(threshold=-1).validated().threshold == MIN_THRESHOLD
    assert Settings(threshold=float("nan")).validated().threshold is None
    assert Settings(stranger_rate=0.02).validated().stranger_rate == 0.03  # the nearest offered


def test_settings_from_strings_as_ini_files_store_them():
    s = Settings.from_dict(
        {"threshold": "0.85", "mode": "verification", "claim": "Ann", "demo_offered": "true"}
    )
    assert s == Settings(threshold=0.85, mode="verification", claim="Ann", demo_offered=True)
    junk = Settings.from_dict({"threshold": "abc", "demo_offered": "maybe", "unknown": 1})
    assert junk == Settings()


def test_each_mode_has_its_threshold_and_old_preference_files_still_load():
    old_file = Settings.from_dict({"threshold": "0.9", "mode": "verification"})
    assert old_file.threshold == 0.9 and old_file.verification_threshold is None
    assert old_file.threshold_for("recognition") == 0.9
    assert old_file.threshold_for("verification") == default_threshold("verification")
    chosen = Settings.from_dict({"verification_threshold": "0.75", "threshold": "1.1"})
    assert chosen.threshold_for("verification") == 0.75
    assert chosen.threshold_for("recognition") == 1.1
    assert Settings(verification_threshold=5.0).validated().verification_threshold == MAX_THRESHOLD
    assert Settings(verification_threshold=math.nan).validated().verification_threshold is None
    assert Settings.from_dict({"verification_threshold": "abc"}).verification_threshold is None
    assert Settings.threshold_field("verification") == "verification_threshold"
    assert Settings.threshold_field("recognition") == "threshold"


def test_preferences_round_trip_through_qsettings(tmp_path, qapp):
    from PySide6.QtCore import QSettings

    from faceapp.gui.preferences import load_settings, save_settings

    qs = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    assert load_settings(qs) == Settings()
    wanted = Settings(0.9, "verification", "Mindy Kaling", "demo", b"\x01\x02geo", True, 0.8)
    save_settings(qs, wanted)
    again = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    assert load_settings(again) == wanted
    save_settings(again, Settings())  # a claim of None removes the key
    assert load_settings(QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)) == (
        Settings()
    )


def test_preferences_are_written_once_a_drag_settles(tmp_path, qtbot):
    from PySide6.QtCore import QSettings

    from faceapp.gui.preferences import PreferencesSaver, load_settings

    path = tmp_path / "prefs.ini"
    saver = PreferencesSaver(QSettings(str(path), QSettings.Format.IniFormat), delay_ms=50)
    for step in range(40):  # a slider dragged over 40 steps
        saver.schedule(Settings(threshold=1.0 - step / 100))
    assert saver.writes == 0 and not path.exists()
    qtbot.waitUntil(lambda: saver.writes == 1)
    assert load_settings(QSettings(str(path), QSettings.Format.IniFormat)).threshold == 0.61
    saver.schedule(Settings(threshold=0.8))
    saver.flush()  # on exit: at once
    assert saver.writes == 2
    assert load_settings(QSettings(str(path), QSettings.Format.IniFormat)).threshold == 0.8
    saver.flush()
    assert saver.writes == 2  # nothing pending, nothing written


# -- meters and events ---------------------------------------------------------------------


def test_rate_meter_measures_a_steady_rate():
    m = RateMeter(window_s=2.0)
    for i in range(50):
        m.tick(10.0 + i * 0.04)  # 25 per second
    assert m.rate(now=12.0) == pytest.approx(25.0, rel=0.01)
    assert m.mean_rate() == pytest.approx(25.0, rel=0.01)
    assert m.rate(now=20.0) == 0.0  # nothing in the last window
    assert m.count == 50


def test_face_events_in_both_modes():
    result = FrameResult(3, 0.12, (_fr(name="Ann", dist=0.61), _fr(x=200, dist=1.4)), 12.0)
    rec = face_events(result, "recognition")
    assert rec[0] == {
        "box": [0.0, 0.0, 100.0, 100.0],
        "score": rec[0]["score"],
        "name": "Ann",
        "maybe": None,
        "distance": 0.61,
    }
    assert rec[0]["score"] == round(result.faces[0].face.score, 4)
    assert rec[1]["name"] is None
    assert "decision" not in rec[0]
    ver = face_events(result, "verification")
    assert [f["decision"] for f in ver] == ["accept", "reject"]
    empty = FrameResult(0, 0.0, (FaceResult(_fr().face, Match(None, math.inf, 1.1, False)),))
    assert face_events(empty, "recognition")[0]["distance"] is None


def test_event_log_appends_json_lines(tmp_path):
    path = tmp_path / "events.jsonl"
    log = EventLog(path)
    log.record(FrameResult(0, 0.0, (_fr(name="Ann"),), 5.0), "recognition")
    log.record(FrameResult(1, 0.04, (), 5.0), "recognition")
    log.close()
    log.record(FrameResult(2, 0.08, (), 5.0), "recognition")  # ignored after close
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [d["frame"] for d in lines] == [0, 1]
    assert lines[0]["faces"][0]["name"] == "Ann"
    assert lines[0]["t"] >= 0


# -- words on screen ----------------------------------------------------------------------


def test_threshold_words():
    assert describe_threshold(PAIR_THRESHOLD).startswith("Default")
    verification = default_threshold("verification")
    assert describe_threshold(verification, "verification").startswith("Default for verif")
    assert describe_threshold(PAIR_THRESHOLD, "verification").startswith("Looser: more claims")
    assert describe_threshold(PAIR_THRESHOLD - 0.1).startswith("Stricter")
    assert describe_threshold(MIN_THRESHOLD).startswith("Much stricter")
    assert describe_threshold(PAIR_THRESHOLD + 0.1).startswith("Looser")
    assert describe_threshold(MAX_THRESHOLD).startswith("Much looser")
    # A fixed recognition distance is compared with the gallery's automatic one.
    assert describe_threshold(0.80, "recognition", 0.87).startswith("Stricter than automatic")
    looser = describe_threshold(1.0, "recognition", 0.87)
    assert looser == "Looser than automatic: more faces named, more strangers given a name."
    assert describe_threshold(0.87, "recognition", 0.87).startswith("The automatic distance")


def test_false_accept_text_gives_the_lfw_counts():
    from faceapp.core.matching import lfw_operating_point

    point = lfw_operating_point(PAIR_THRESHOLD)
    text = false_accept_text(PAIR_THRESHOLD)
    assert f"{point.impostor_accepted:,} of 29.6\u00a0M different-person pairs" in text
    assert "about 1\u00a0in\u00a0" in text and f"{point.tar * 100:.1f}" in text
    assert "interpolated" in false_accept_text(PAIR_THRESHOLD + 0.005)
    # One LFW image pair of two names at distance 0.20 (a duplicate photo): 1 in 29.6 M.
    assert "(1 of 29.6\u00a0M different-person pairs)" in false_accept_text(MIN_THRESHOLD)
    assert "not measured" in false_accept_text(2.0)


def test_false_accept_text_when_no_impostor_pair_is_accepted(monkeypatch):
    from faceapp.core import matching

    none = matching.LfwOperatingPoint(0.2, 0.0, 0.001, 0, 29_640_749, 8, 8101, True)
    monkeypatch.setattr(matching, "lfw_operating_point", lambda t: none)
    assert "none of 29.6\u00a0M different-person pairs" in false_accept_text(0.2)


def test_face_labels():
    assert face_label(_fr(name="Ann", dist=0.5), "recognition") == ("Ann  0.50", True)
    assert face_label(_fr(dist=1.3), "recognition") == ("Unknown  1.30", False)
    assert face_label(_fr(name="Ann", dist=0.5), "verification") == ("✓ Ann  0.50", True)
    from faceapp.core.liveness import ChallengeState, Step

    running = ChallengeState(Step.TURN_LEFT, "Turn your head to your left", matched=True)
    assert face_label(_fr(name="Ann", dist=0.5), "verification", running) == (
        "? Ann  0.50 · head turn",
        False,
    )
    rejected = FaceResult(_fr().face, Match("Ann", 1.3, 1.1, False))
    assert face_label(rejected, "verification") == ("✗ not Ann  1.30", False)
    maybe = FaceResult(_fr().face, Match("Ann", 0.95, 0.84, False, 1, maybe=True))
    assert face_label(maybe, "recognition") == ("maybe Ann?  0.95", False)
    assert shown_alone(maybe, "recognition").kind == MAYBE
    assert shown_alone(maybe, "verification").kind == NO_MATCH  # a claim has no maybe
    assert shown_alone(_fr(dist=1.3), "recognition").kind == NO_MATCH
    assert shown_alone(_fr(name="Ann", dist=0.5), "recognition").kind == MATCH
    no_gallery = FaceResult(_fr().face, Match(None, math.inf, 1.1, False))
    assert face_label(no_gallery, "recognition") == ("Unknown", False)


def test_verdict_is_about_the_largest_face():
    small_yes = _fr(x=0, size=60, name="Ann", dist=0.4)
    big_no = FaceResult(_fr(x=200, size=150).face, Match("Ann", 1.4, 1.1, False))
    result = FrameResult(0, 0.0, (small_yes, big_no))
    assert main_face(result) is big_no
    s = Settings(mode="verification", claim="Ann")
    v = verdict(result, s)
    assert (v.state, v.title) == ("reject", "REJECT")
    assert "1.40 > 1.10" in v.detail
    assert verdict(FrameResult(0, 0.0, (small_yes,)), s).title == "ACCEPT"
    assert verdict(None, s).title == "No face"
    assert verdict(result, Settings(mode="verification")).state == "none"
    # A result computed for another claim is not shown as this claim's verdict.
    assert verdict(result, Settings(mode="verification", claim="Bob")).title == "…"


def test_in_view_text_lists_largest_first():
    result = FrameResult(0, 0.0, (_fr(size=50, dist=1.3), _fr(x=100, size=120, name="Ann")))
    assert in_view_text(result) == "In view: Ann (0.50), Unknown (1.30)"
    assert in_view_text(None) == "No face in view."


def test_photo_rows_count_names_and_maybes_from_the_results_not_the_labels():
    from faceapp.session.photo_results import row_from_result, summary

    face = _fr().face
    named = FaceResult(face, Match("Unknown", 0.5, 0.84, True, 7))  # someone called Unknown
    maybe = FaceResult(face, Match("Ann", 0.95, 0.84, False, 1, maybe=True))
    unknown = FaceResult(face, Match(None, 1.3, 0.84, False))
    row = row_from_result(0, "a.jpg", FrameResult(0, 0.0, (named, maybe, unknown)))
    assert row.names == ("Unknown", "maybe Ann?", "Unknown")
    assert (row.named, row.maybe) == (1, 1)
    assert row.cells()[2] == "Unknown; maybe Ann?; Unknown"
    assert summary([row]) == "1 of 1 photo processed · 3 faces · 1 named · 1 maybe"
    plain = row_from_result(1, "b.jpg", FrameResult(1, 0.0, (unknown,)))
    assert summary([plain]) == "1 of 1 photo processed · 1 faces · 0 named"


def test_qimage_owns_its_bytes(qapp):
    from faceapp.gui.images import qimage_from_bgr

    bgr = np.zeros((4, 6, 3), np.uint8)
    bgr[..., 2] = 255  # red in BGR
    image = qimage_from_bgr(bgr)
    bgr[...] = 0
    assert (image.width(), image.height()) == (6, 4)
    assert image.pixelColor(0, 0).red() == 255
    assert image.pixelColor(0, 0).blue() == 0


def test_demo_people_names_come_from_folders():
    from faceapp.bulk_enrolment import demo_people

    people = demo_people()
    if not people:
        pytest.skip("the 5-celebrity photos are absent")
    assert [n for n, _ in people] == [
        "Ben Afflek",
        "Elton John",
        "Jerry Seinfeld",
        "Madonna",
        "Mindy Kaling",
    ]
    assert all(p.is_file() for _, p in people)


# -- enrolment quality checklist ---------------------------------------------------------


def test_quality_checklist_shows_every_verdict_of_assess_face_including_roll(celebrity_dir):
    from faceapp.core.images import load_image
    from faceapp.core.quality import assess_face
    from faceapp.session.sample_quality import quality_html

    photo = sorted((celebrity_dir / "val" / "ben_afflek").glob("*.jpg"))[0]
    image = load_image(photo)
    h, w = image.shape[:2]
    side = min(h, w) * 0.6
    x, y = (w - side) / 2, (h - side) / 2
    # Eyes on a line tilted by about 40 degrees: only the roll check can object to it.
    lm = (
        (x + 0.3 * side, y + 0.30 * side),
        (x + 0.7 * side, y + 0.64 * side),
        (x + 0.5 * side, y + 0.47 * side),
        (x + 0.35 * side, y + 0.80 * side),
        (x + 0.65 * side, y + 0.80 * side),
    )
    report = assess_face(image, Face(Box(x, y, side, side), lm, 0.99))
    html = quality_html(report)
    assert [c.label for c in report.checks] == [
        "Size",
        "Sharpness",
        "Facing the camera",
        "Head upright",
    ]
    upright = report.checks[-1]
    assert not upright.ok and not report.ok
    assert f"✗</span> Head upright: {upright.measured}" in html
    assert html.count("✗") == sum(not c.ok for c in report.checks)


def test_defaults_are_not_stored_and_the_old_smallest_face_default_follows_today(tmp_path, qapp):
    from PySide6.QtCore import QSettings

    from faceapp.gui.preferences import load_settings, save_settings
    from faceapp.session.window_preferences import GROUP

    path = str(tmp_path / "prefs.ini")
    save_settings(QSettings(path, QSettings.Format.IniFormat), Settings(threshold=0.9))
    stored = QSettings(path, QSettings.Format.IniFormat)
    stored.beginGroup(GROUP)
    assert set(stored.childKeys()) == {"version", "threshold"}  # the rest are defaults
    stored.endGroup()
    # A file of the version before (no "version" key) stored every value, the old 40 px
    # default among them: it gets today's default; a size the user chose is kept.
    for chosen, expected in ((40, Settings().min_face_px), (48, 48)):
        old = QSettings(str(tmp_path / f"old{chosen}.ini"), QSettings.Format.IniFormat)
        old.beginGroup(GROUP)
        old.setValue("min_face_px", chosen)
        old.setValue("threshold", 0.95)
        old.endGroup()
        old.sync()
        loaded = load_settings(QSettings(old.fileName(), QSettings.Format.IniFormat))
        assert loaded.min_face_px == expected and loaded.threshold == 0.95
    # Written by this version, 40 px is the user's choice and stays.
    save_settings(QSettings(path, QSettings.Format.IniFormat), Settings(min_face_px=40))
    assert load_settings(QSettings(path, QSettings.Format.IniFormat)).min_face_px == 40


def test_an_old_files_pair_threshold_becomes_the_automatic_one(tmp_path, qapp):
    from PySide6.QtCore import QSettings

    from faceapp.gui.preferences import load_settings
    from faceapp.session.window_preferences import GROUP

    old = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    old.beginGroup(GROUP)
    old.setValue("threshold", PAIR_THRESHOLD)  # version 1 stored the default of its day
    old.endGroup()
    old.sync()
    loaded = load_settings(QSettings(old.fileName(), QSettings.Format.IniFormat))
    assert loaded.threshold is None and loaded.threshold_for("recognition") is None
