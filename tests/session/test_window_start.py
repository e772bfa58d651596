"""session.window_start: options, logging and display before Qt starts (no Qt)."""

from __future__ import annotations

import argparse

import pytest

from faceapp.session import window_start


def test_help_and_bad_options_return_an_exit_status(capsys) -> None:
    assert window_start.prepare_start(["--help"]) == 0
    assert "--exit-after" in capsys.readouterr().out
    assert window_start.prepare_start(["--mode", "sideways"]) == 2


@pytest.mark.parametrize("platform", ["offscreen", None])
def test_without_a_display_only_an_unattended_run_starts(monkeypatch, capsys, platform) -> None:
    monkeypatch.setattr(window_start, "has_display", lambda: platform is None)
    monkeypatch.setenv("QT_QPA_PLATFORM", "")  # so that the test leaves it as it was
    monkeypatch.delenv("QT_QPA_PLATFORM")
    args = window_start.prepare_start(["--exit-after", "1"])
    assert isinstance(args, argparse.Namespace) and args.exit_after == 1.0
    assert window_start.os.environ.get("QT_QPA_PLATFORM") == platform


def test_an_interactive_start_without_a_display_says_why_and_exits_2(monkeypatch, capsys) -> None:
    monkeypatch.setattr(window_start, "has_display", lambda: False)
    assert window_start.prepare_start(["--source", "demo"]) == 2
    assert capsys.readouterr().err == window_start.NO_DISPLAY
