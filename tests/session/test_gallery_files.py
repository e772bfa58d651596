"""session.gallery_files: recent galleries, what opens, the texts of gallery files (no Qt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from faceapp.session import gallery_files as gf
from faceapp.storage.archive import ExportSummary, ImportSummary
from faceapp.storage.gallery import GalleryStore


class Remembered(dict):
    """A QSettings stand-in: value, setValue, sync."""

    syncs = 0

    def value(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)

    def setValue(self, key: str, value: Any) -> None:  # noqa: N802 - QSettings' name
        self[key] = value

    def sync(self) -> None:
        self.syncs += 1


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FACEAPP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_recent_files_come_newest_first_once_each_and_at_most_six(tmp_path: Path) -> None:
    r = Remembered()
    files = [tmp_path / f"g{i}.sqlite3" for i in range(8)]
    for f in [*files, files[3]]:
        gf.remember_gallery(r, f)
    recent = gf.recent_galleries(r)
    assert recent[0] == files[3] and len(recent) == gf.MAX_RECENT
    assert len(set(recent)) == len(recent)
    assert r[gf.LAST_KEY] == str(files[3])


def test_a_single_stored_string_is_one_recent_file(tmp_path: Path) -> None:
    assert gf.recent_galleries(Remembered({gf.RECENT_KEY: str(tmp_path)})) == [tmp_path]


def test_an_address_with_a_password_is_never_remembered() -> None:
    r = Remembered()
    gf.remember_gallery(r, "postgresql://ann:secret@db/gallery")
    assert r == {}
    gf.remember_gallery(r, "service=club")
    assert gf.remembered_gallery(r) == "service=club"
    assert gf.recent_shared_galleries(r) == ["service=club"]
    r[gf.SHARED_KEY] = ["postgresql://ann:secret@db/gallery", "service=club"]
    assert gf.recent_shared_galleries(r) == ["service=club"]


def test_a_remembered_file_that_is_gone_is_forgotten(tmp_path: Path) -> None:
    gone = tmp_path / "gone.sqlite3"
    assert gf.remembered_gallery(Remembered({gf.LAST_KEY: str(gone)})) is None
    gone.touch()
    assert gf.remembered_gallery(Remembered({gf.LAST_KEY: str(gone)})) == gone


def test_startup_opens_the_chosen_else_the_last_else_the_default(
    tmp_path: Path, data_dir: Path
) -> None:
    r = Remembered()
    assert gf.startup_gallery(None, r).path == data_dir / "gallery.sqlite3"
    club = gf.open_store(tmp_path / "club.sqlite3", create=True).path
    gf.remember_gallery(r, club)
    assert gf.startup_gallery(None, r).path == club
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"not a gallery" * 100)
    gf.remember_gallery(r, bad)
    assert gf.startup_gallery(None, r).path == data_dir / "gallery.sqlite3"  # passed over


def test_trying_to_open_says_why_it_cannot(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"not a gallery" * 100)
    store, error = gf.try_open_store(bad, create=False)
    assert store is None and error
    store, error = gf.try_open_store(tmp_path / "new.sqlite3", create=True)
    assert store is not None and error == "" and store.path.is_file()


def test_recent_entries_disable_the_open_one_and_files_gone(tmp_path: Path, data_dir: Path) -> None:
    r = Remembered()
    here = gf.open_store(tmp_path / "here.sqlite3", create=True)
    gone = tmp_path / "R&D.sqlite3"
    gf.remember_gallery(r, gone)
    gf.remember_gallery(r, here.path)
    gf.remember_gallery(r, "service=club")
    entries = gf.recent_entries(r, here)
    assert [(e.location, e.enabled) for e in entries] == [
        (here.path, False),
        (gone, False),
        ("service=club", True),
    ]
    assert entries[1].text.startswith("R&&D.sqlite3")


def test_what_opens_and_what_is_refused(tmp_path: Path, data_dir: Path) -> None:
    current = tmp_path / "open.sqlite3"
    assert gf.open_problem(current, current) is None
    assert (
        gf.open_problem(tmp_path / "missing.db", current)
        == f"{tmp_path / 'missing.db'}: no such file"
    )
    assert gf.open_problem(data_dir / "gallery.sqlite3", current) == ""  # the default, no file
    assert gf.new_gallery_path(tmp_path / "club") == (tmp_path / "club.sqlite3", "")
    current.touch()
    path, problem = gf.new_gallery_path(current)
    assert path == current and "exists already" in problem


def test_the_start_folder_leaves_hidden_and_data_folders(tmp_path: Path, data_dir: Path) -> None:
    docs = tmp_path / "Documents"
    assert gf.start_folder(tmp_path / "g.sqlite3", docs) == tmp_path
    assert gf.start_folder(data_dir / "gallery.sqlite3", docs) == docs
    (tmp_path / ".hidden").mkdir()
    assert gf.start_folder(tmp_path / ".hidden" / "g.sqlite3", docs) == docs


def test_shared_addresses_are_checked_and_refusals_hide_passwords() -> None:
    assert gf.shared_gallery_problem("service=club") == ""
    assert gf.shared_gallery_problem("postgresql://a:pw@db/g") == gf.PASSWORD_ADVICE
    assert "postgresql://" in gf.shared_gallery_problem("club.sqlite3")
    text = gf.refusal_text("postgresql://a:pw@db/g", "refused", "here.sqlite3")
    assert "pw" not in text and text.endswith("here.sqlite3 stays open.")
    assert gf.refusal_text(Path("/x/a.db"), "no", "b.db").startswith("Cannot use a.db")


def test_the_labels_of_a_file(tmp_path: Path) -> None:
    title, status, full = gf.gallery_labels(tmp_path / "club.sqlite3")
    assert (title, status) == ("faceapp — club.sqlite3", "Gallery: club.sqlite3")
    assert full == str(tmp_path / "club.sqlite3")


def test_reports_count_people_and_samples() -> None:
    assert gf.conflict_heading("a.zip", 1, 3, 1) == (
        "a.zip holds 1 person with 3 samples. 1 of them is already enrolled in this gallery:"
    )
    export = gf.export_report(ExportSummary(Path("/x/a.zip"), 2, 1, 1))
    assert export.splitlines()[0] == "Exported 2 people with 1 sample to a.zip."
    assert "1 thumbnail(s)" in export
    summary = ImportSummary(
        added=("Ann",),
        merged=("Bob",),
        skipped=(),
        renamed=(("Cy", "Cy (2)"),),
        samples_added=4,
        samples_already_there=1,
    )
    assert gf.import_report(summary, "a.zip").splitlines() == [
        "Imported a.zip:",
        "1 person added",
        "1 person merged: Bob (1 sample already there)",
        "Cy imported as Cy (2)",
        "4 samples added",
    ]


class _Embedder:
    def weights_sha256(self) -> str:
        return "ab" * 32


class _Pipeline:
    """What the export and read jobs ask of the pipeline: the weights' fingerprint."""

    embedder = _Embedder()


def test_export_then_read_finds_who_is_enrolled(tmp_path: Path, data_dir: Path) -> None:
    import numpy as np

    store = gf.open_store(tmp_path / "g.sqlite3", create=True)
    store.add_samples("Ann", [(np.ones(128, np.float32) / np.sqrt(128), None, None)])
    summary = gf.export_job(tmp_path / "a.zip", _Pipeline(), True)(store)  # type: ignore[arg-type]
    assert summary.people == 1
    archive, clashes = gf.read_job(tmp_path / "a.zip", _Pipeline())(store)  # type: ignore[arg-type]
    assert clashes == ("Ann",) and len(archive.people) == 1
    other = GalleryStore(tmp_path / "other.sqlite3")
    assert gf.import_job(archive, "fail")(other).added == ("Ann",)


def test_an_export_named_without_suffix_gets_zip_and_replaces_nothing(tmp_path: Path) -> None:
    from datetime import date

    assert gf.export_name(date(2026, 3, 1)) == "faceapp-gallery-2026-03-01.zip"
    assert gf.export_target(tmp_path / "a.zip") == (tmp_path / "a.zip", True)
    assert gf.export_target(tmp_path / "a") == (tmp_path / "a.zip", False)


def test_failures_say_nothing_was_written() -> None:
    assert gf.failure_text("export", "disk full") == "Nothing exported: disk full"
    assert gf.failure_text("import", "bad").endswith("The gallery is unchanged.")


def test_reading_an_archive_of_nobody_fails_with_its_reason(tmp_path: Path, data_dir: Path) -> None:
    from faceapp.storage.archive import ArchiveError

    store = gf.open_store(tmp_path / "g.sqlite3", create=True)
    gf.export_job(tmp_path / "empty.zip", _Pipeline(), True)(store)  # type: ignore[arg-type]
    with pytest.raises(ArchiveError, match=r"^empty\.zip holds nobody$"):
        gf.read_job(tmp_path / "empty.zip", _Pipeline())(store)  # type: ignore[arg-type]


def test_file_work_awaits_one_open_and_each_job_by_ticket() -> None:
    work = gf.FileWork()
    assert not work.busy()
    work.start_open(3, "service=club")
    assert work.busy()
    assert work.end_open(2) is None and work.busy()  # an older open's end is ignored
    assert work.end_open(3) == "service=club" and not work.busy()
    assert work.end_open(3) is None  # ended once only
    ends: list[str] = []
    work.start_job(7, lambda result, error: ends.append("seven"))
    work.start_job(8, lambda result, error: ends.append("eight"))
    assert work.busy() and work.end_job(5) is None
    done = work.end_job(7)
    assert done is not None and work.jobs_running()
    done(None, None)
    assert work.end_job(7) is None and ends == ["seven"]
    assert work.end_job(8) is not None and not work.jobs_running() and not work.busy()


def test_the_import_question_lists_names_in_order_and_names_an_example() -> None:
    heading, names, choices = gf.import_question("a.zip", ["bob", "Ann", "Émile"], 4, 9)
    assert heading.startswith("a.zip holds 4 people with 9 samples. 3 of them are already")
    assert names == ["Ann", "bob", "Émile"]
    assert [policy for policy, _ in choices] == ["merge", "skip", "rename"]
    assert choices[2][1] == "Rename: import them as new people, e.g. “Ann (2)”"
    assert gf.import_question("a.zip", [], 1, 1)[2][2][1].endswith("e.g. “Name (2)”")
