"""The licence notices and the model's identity of the About dialog, without Qt."""

from __future__ import annotations

from pathlib import Path

from faceapp.session.licences import LicenceNotice, licence_notices, model_identity


def test_the_readme_table_and_the_bundled_folders_are_listed(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        "# Notices\n\n| component | licence |\n|---|---|\n"
        "| `FaceNet` weights | MIT (`facenet-MIT.txt`) |\n"
        "| **numpy** | BSD-3-Clause |\n"
        "| TensorFlow | Apache-2.0 |\n",
        encoding="utf-8",
    )
    (tmp_path / "facenet-MIT.txt").write_text("MIT text", encoding="utf-8")
    (tmp_path / "Apache-2.0.txt").write_text("Apache text", encoding="utf-8")
    bundled = tmp_path / "pyside6"
    bundled.mkdir()
    (bundled / "METADATA.txt").write_text("PySide6 6.7\nLicense: LGPL-3.0\n", encoding="utf-8")
    (bundled / "LICENSE").write_text("LGPL text", encoding="utf-8")
    assert licence_notices(tmp_path) == [
        LicenceNotice("FaceNet weights", "MIT (facenet-MIT.txt)", tmp_path / "facenet-MIT.txt"),
        LicenceNotice("numpy", "BSD-3-Clause", tmp_path / "README.md"),
        LicenceNotice("TensorFlow", "Apache-2.0", tmp_path / "Apache-2.0.txt"),
        LicenceNotice("PySide6 6.7", "LGPL-3.0", bundled / "LICENSE"),
    ]


def test_no_folder_no_notices_and_the_model_is_named(tmp_path: Path) -> None:
    assert licence_notices(tmp_path / "absent") == []
    assert model_identity()  # a SHA-256, or why it is unknown
