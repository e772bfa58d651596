"""session.window_start: options, logging and display before Qt starts (no Qt)."""

from __future__ import annotations

import argparse

import pytest

from faceapp.session import window_start
from faceapp.session.window_options import build_parser


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


def test_a_gallery_or_events_file_that_cannot_be_opened_is_a_start_error(tmp_path) -> None:
    bad = tmp_path / "notes.sqlite3"
    bad.write_text("my shopping list")
    args = build_parser().parse_args(["--gallery", str(bad)])
    with pytest.raises(window_start.StartError, match="^The gallery cannot be opened: "):
        window_start.open_start_files(args, {})
    assert bad.read_text() == "my shopping list"
    good = str(tmp_path / "gallery.sqlite3")
    args = build_parser().parse_args(["--gallery", good, "--events", str(tmp_path)])
    with pytest.raises(window_start.StartError, match="^The events file .* cannot be opened"):
        window_start.open_start_files(args, {})


def test_the_gallery_and_the_events_file_open(tmp_path) -> None:
    argv = ["--gallery", str(tmp_path / "g.sqlite3"), "--events", str(tmp_path / "e.jsonl")]
    store, events = window_start.open_start_files(build_parser().parse_args(argv), {})
    assert events is not None and store.people() == []
    events.close()
    _store, events = window_start.open_start_files(build_parser().parse_args(argv[:2]), {})
    assert events is None
