"""session.window_options: the `faceapp gui` options, the locale and display checks (no Qt)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from faceapp.session import window_options as wo
from faceapp.session.live import ModelState
from faceapp.settings import Settings


def test_the_options_set_this_runs_mode_and_claim_on_top_of_the_saved() -> None:
    parser = wo.build_parser()
    saved = Settings(claim="Ann")
    assert wo.settings_from_options(saved, parser.parse_args([])) is saved
    args = parser.parse_args(["--mode", "verification", "--claim", "Bob"])
    started = wo.settings_from_options(saved, args)
    assert (started.mode, started.claim) == ("verification", "Bob")


def test_gallery_is_a_path_or_a_shared_address() -> None:
    parser = wo.build_parser()
    assert parser.parse_args(["--gallery", "club.sqlite3"]).gallery == Path("club.sqlite3")
    assert parser.parse_args(["--gallery", "service=club"]).gallery == "service=club"


def test_a_bad_mode_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        wo.build_parser().parse_args(["--mode", "sideways"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"LC_CTYPE": "C.UTF-8"}),
        ({"LANG": "en_GB.UTF-8"}, {"LANG": "en_GB.UTF-8"}),
        ({"LC_ALL": "C"}, {"LC_ALL": "C.UTF-8"}),
        ({"LC_CTYPE": "de_DE.utf8"}, {"LC_CTYPE": "de_DE.utf8"}),
    ],
)
def test_qt_gets_a_utf8_character_type(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: dict[str, str]
) -> None:
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    wo.ensure_utf8_locale()
    for var, value in expected.items():
        assert wo.os.environ[var] == value


def test_a_linux_desktop_without_display_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wo.sys, "platform", "linux")
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    assert not wo.has_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert wo.has_display()


def test_the_heap_is_settled_only_once_the_model_is_ready() -> None:
    before = gc.get_freeze_count()
    try:
        wo.settle_heap(ModelState.LOADING)
        assert gc.get_freeze_count() == before
        wo.settle_heap(ModelState.READY)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_settling_the_heap_runs_no_full_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full collection of a 100,000-person window's heap stalls its GUI thread ~35 ms."""
    collections: list[tuple] = []
    monkeypatch.setattr(wo.gc, "collect", lambda *a: collections.append(a) or 0)
    before = gc.get_freeze_count()
    try:
        wo.settle_heap(ModelState.READY)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
    assert collections == []


def test_uncaught_errors_are_logged_and_shown_and_ctrl_c_passes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys
    import threading

    passed: list[type] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: passed.append(t))
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    shown: list[str] = []
    wo.install_error_hooks(lambda t, e: shown.append(f"{t.__name__}: {e}"))
    try:
        raise ValueError("the gallery went away")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert shown == ["ValueError: the gallery went away"] and passed == [KeyboardInterrupt]
    assert "the gallery went away" in caplog.text

    def fail() -> None:
        raise RuntimeError("in a thread")

    thread = threading.Thread(target=fail, name="worker-x")
    thread.start()
    thread.join()
    assert "unexpected error in thread worker-x" in caplog.text and len(shown) == 1
