"""The Help menu's texts without Qt: About's header, a notice's item and text, a shortcut row."""

from __future__ import annotations

from pathlib import Path

from faceapp.session.help_text import (
    HOW_TO_HTML,
    about_html,
    notice_item,
    notice_text,
    shortcut_row,
)
from faceapp.session.licences import LicenceNotice, model_identity


def test_about_names_the_version_escaped_and_the_model_hash() -> None:
    header = about_html("1.2<b>")
    assert "faceapp 1.2&lt;b&gt;" in header and model_identity() in header
    assert "Enrol people" in HOW_TO_HTML


def test_a_notice_is_listed_with_its_licence_short_name(tmp_path: Path) -> None:
    notice = LicenceNotice("Qt 6", "LGPL-3.0 (LICENSE.txt)", None)
    assert notice_item(notice) == ("Qt 6\nLGPL-3.0", "Qt 6\nLGPL-3.0 (LICENSE.txt)")
    assert notice_item(LicenceNotice("Foo", "", None))[0] == "Foo"
    assert notice_text(notice) == ""


def test_a_notice_text_is_read_or_says_why_not(tmp_path: Path) -> None:
    (tmp_path / "MIT.txt").write_text("MIT text")
    assert notice_text(LicenceNotice("Foo", "MIT", tmp_path / "MIT.txt")) == "MIT text"
    missing = tmp_path / "gone.txt"
    assert notice_text(LicenceNotice("Foo", "MIT", missing)).startswith(f"Cannot read {missing}")


def test_a_shortcut_row_names_the_action_without_mnemonic_or_ellipsis() -> None:
    assert shortcut_row(None, "&Capture face…", ["Ctrl+E"]) == ("Capture face", "Ctrl+E")
    assert shortcut_row("Delete person", "&Delete", ["Del", "Backspace"]) == (
        "Delete person",
        "Del, Backspace",
    )
