"""The window's photo-results CSV: no cell a spreadsheet runs as a formula, a private file written
whole (issue 17: names and file names were written raw)."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import numpy as np

from faceapp.core.types import Box, Face, FaceResult, Match
from faceapp.session.photo_results import (
    COLUMNS,
    PhotoRow,
    csv_name,
    export_rows,
    face_title,
    folder_title,
    photo_status,
    photos_done,
    read_csv,
    write_csv,
)


def test_names_file_names_and_errors_cannot_start_a_formula(tmp_path: Path) -> None:
    rows = [
        PhotoRow(0, '=HYPERLINK("http://evil","click").jpg', 1, ("+SUM(A1)",), (0.5,)),
        PhotoRow(1, "@SUM(A1).jpg", 2, ("@cmd", "Madonna"), (0.4, 0.9)),
        PhotoRow(2, "\tx.jpg", 1, ("\rname",), (None,)),
        PhotoRow(3, " \uff1d1.jpg", 1, ("\u200b=2",), (1.2,)),
        PhotoRow(4, "broken.jpg", error="-1 not a photo"),
        PhotoRow(5, "plain.jpg", 1, ("Madonna",), (0.3,)),
    ]
    out = tmp_path / "results.csv"
    assert write_csv(out, rows) == 6
    with open(out, encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    assert tuple(table[0]) == COLUMNS
    for cells in table[1:5]:
        assert cells[0].startswith("'") and cells[2].startswith("'"), cells
    assert table[5] == ["broken.jpg", "", "'-1 not a photo", ""]
    assert table[6] == ["plain.jpg", "1", "Madonna", "0.300"]
    assert read_csv(out)[3] == ("' \uff1d1.jpg", "1", "'\u200b=2", "1.200")


def test_the_file_is_private_and_replaces_an_old_one_whole(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    out.write_text("old")
    out.chmod(0o644)
    write_csv(out, [PhotoRow(0, "a.jpg", 0)])
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert read_csv(out) == [("a.jpg", "0", "", "")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "link.csv"
    link.symlink_to(victim)
    write_csv(link, [PhotoRow(0, "a.jpg", 0)])
    assert victim.read_text() == "keep me" and not link.is_symlink()


def test_the_runs_titles_file_name_and_status_lines() -> None:
    assert folder_title("/photos/party") == "Photo results — party"
    assert folder_title("/") == "Photo results — /"
    assert (csv_name("/photos/party"), csv_name("/")) == ("party-results.csv", "photos-results.csv")
    assert photo_status(0, 3, "/photos/party/a.jpg") == "Photo 1 of 3: a.jpg"
    assert photos_done(1) == "The photo is done: Photo results (Ctrl+R)"
    assert photos_done(4).startswith("All 4 photos are done")


def test_an_export_says_in_one_line_why_it_failed(tmp_path: Path) -> None:
    rows = [PhotoRow(0, "a.jpg", 1, ("Madonna",), (0.3,))]
    assert export_rows(tmp_path / "out.csv", rows) is None
    assert read_csv(tmp_path / "out.csv")[0][0] == "a.jpg"
    failure = export_rows(tmp_path / "missing" / "out.csv", rows)
    assert failure is not None and failure.startswith("Could not write out.csv: ")
    assert "\n" not in failure and "Traceback" not in failure


def test_each_face_of_a_photo_has_a_numbered_title() -> None:
    face = Face(Box(0, 0, 100, 100), np.zeros((5, 2), np.float32), 0.99)
    named = FaceResult(face, Match("Madonna", 0.5, 1.1, True))
    assert face_title(0, named) == "Face 1: Madonna"
    assert face_title(2, FaceResult(face)) == "Face 3: Unknown"
