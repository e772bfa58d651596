"""session.window_preferences: where preferences live, old defaults, what is stored (no Qt)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faceapp.session import window_preferences as wp
from faceapp.settings import Settings


def test_the_files_are_looked_for_where_qt_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/cfg")
    monkeypatch.setenv("XDG_CONFIG_DIRS", "/a:relative:/b")
    files = wp.preferences_files("org", "app")
    assert files["user"] == [Path("/cfg/org/app.conf"), Path("/cfg/org.conf")]
    assert files["system"][0] == Path("/a/org/app.conf") and len(files["system"]) == 4


def test_only_an_existing_file_that_is_not_regular_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "file").touch()
    assert wp.exists_not_regular(fifo)
    assert not wp.exists_not_regular(tmp_path / "file")
    assert not wp.exists_not_regular(tmp_path / "absent")


def test_only_what_differs_from_the_defaults_is_stored() -> None:
    values = wp.values_to_store(Settings(claim="Ann"))
    assert values["claim"] == "Ann"
    assert all(v is None for k, v in values.items() if k != "claim")
    assert wp.settings_from_stored({k: v for k, v in values.items() if v is not None}) == Settings(
        claim="Ann"
    )


def test_an_unversioned_files_old_default_gives_way_to_todays() -> None:
    stored = {"min_face_px": "40", "claim": "Ann"}
    assert wp.settings_from_stored(stored, versioned=False).min_face_px == Settings().min_face_px
    assert wp.settings_from_stored(stored, versioned=True).min_face_px == 40


def test_the_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "prefs.conf"
    path.write_text("[preferences]\n")
    path.chmod(0o644)
    wp.make_private(path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_fifo_among_the_files_is_refused_for_its_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(wp.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "system"))
    assert wp.refused_files("org", "app") == {}
    (tmp_path / "org").mkdir()
    os.mkfifo(tmp_path / "org" / "app.conf")
    assert wp.refused_files("org", "app") == {"user": [tmp_path / "org" / "app.conf"]}
    assert "is not a regular file" in caplog.text
    monkeypatch.setattr(wp.sys, "platform", "darwin")
    assert wp.refused_files("org", "app") == {}
