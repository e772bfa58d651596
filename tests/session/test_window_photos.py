"""session.window_photos: a folder run's table rows by photo position (no Qt)."""

from __future__ import annotations

from faceapp.core.types import FrameResult
from faceapp.session.window_photos import FolderRows


def _rows(tmp_path) -> FolderRows:
    return FolderRows(tmp_path, [tmp_path / "a.jpg", tmp_path / "sub" / "b.png"])


def test_files_are_named_inside_the_folder_and_out_of_range_is_none(tmp_path) -> None:
    rows = _rows(tmp_path)
    assert rows.file(0) == "a.jpg" and rows.file(1) == "sub/b.png"
    assert rows.file(-1) is None and rows.file(2) is None
    assert [(r.position, r.file, r.error) for r in rows.rows()] == [
        (0, "a.jpg", ""),
        (1, "sub/b.png", ""),
    ]
    assert FolderRows(tmp_path, []).rows() == []


def test_each_event_makes_its_row_or_none(tmp_path) -> None:
    rows = _rows(tmp_path)
    bad = rows.unreadable(1, str(tmp_path / "sub" / "b.png"), "not an image")
    assert (bad.position, bad.file, bad.error) == (1, "sub/b.png", "unreadable: not an image")
    failed = rows.error_row(0, "the model failed")
    assert failed is not None and (failed.file, failed.error) == ("a.jpg", "the model failed")
    assert rows.error_row(5, "x") is None
    seen = rows.result_row(FrameResult(index=1, timestamp=1.0, faces=()))
    assert seen is not None and (seen.position, seen.file) == (1, "sub/b.png")
    assert rows.result_row(FrameResult(index=7, timestamp=7.0, faces=())) is None
