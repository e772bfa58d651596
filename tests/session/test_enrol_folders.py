"""A folder of people step by step without Qt: listed, embedded, stored or cancelled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from faceapp.session.enrol_folders import FolderEnrolments
from faceapp.session.folder_enrolment import FolderReport
from faceapp.session.live import EnrolItem, EnrolOutcome


class FakeGallery:
    """Records the gallery jobs; the test runs them and reports them."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable, bool]] = []

    def submit_job(self, job: Callable, write: bool, errors: tuple = ()) -> int:
        self.jobs.append((job, write))
        return 100 + len(self.jobs)


class Front:
    """The front end's side: submitted jobs, busy labels and reports, in order."""

    def __init__(self, tmp_path: Path) -> None:
        self.gallery = FakeGallery()
        self.submitted: list[tuple[list[EnrolItem], str]] = []
        self.events: list[object] = []
        self.folders = FolderEnrolments(
            self.gallery,  # type: ignore[arg-type]
            self.submit,
            lambda: (0.9, 0.01),
            self.events.append,
            self.events.append,
            lambda: self.events.append("cancelled"),
        )

    def submit(self, items: list[EnrolItem], label: str) -> int:
        self.submitted.append((items, label))
        return 7

    def list_folder(self, folder: Path) -> None:
        """Start ``folder`` and report its listing, run for real."""
        self.folders.start(folder, started=0.0)
        job, write = self.gallery.jobs[-1]
        assert not write
        self.folders.gallery_finished(100 + len(self.gallery.jobs), job(None), None)


def _people(tmp_path: Path) -> Path:
    folder = tmp_path / "people"
    (folder / "Ada Lovelace").mkdir(parents=True)
    (folder / "Ada Lovelace" / "1.jpg").write_bytes(b"x")
    (folder / "Alan_Turing.jpg").write_bytes(b"x")
    return folder


def test_a_folder_is_listed_embedded_then_stored(tmp_path: Path) -> None:
    front = Front(tmp_path)
    front.list_folder(_people(tmp_path))
    assert front.events == ["Looking for people in people…", None]
    [(items, label)] = front.submitted
    assert sorted(i.name for i in items) == ["Ada Lovelace", "Alan Turing"]
    assert label == "Enrolling 2 people from people…"
    front.folders.job_finished(3, EnrolOutcome(3, (), ()))  # not a folder's job
    assert len(front.gallery.jobs) == 1
    no_faces = EnrolOutcome(7, (), ("no face", "no face"), failed=(0, 1))
    front.folders.job_finished(7, no_faces)
    assert front.events[-1] == "Storing the people of people…"
    assert front.gallery.jobs[-1][1]  # the store is a write
    front.folders.gallery_finished(999, None, None)  # somebody else's job
    front.folders.gallery_finished(102, None, OSError("disk full"))
    report = front.events[-1]
    assert front.events[-2] is None  # the busy box closes first
    assert isinstance(report, FolderReport) and report.title == "Enrolment failed"
    assert report.text.endswith("disk full")


def test_an_empty_folder_is_reported_without_a_job(tmp_path: Path) -> None:
    front = Front(tmp_path)
    front.list_folder(tmp_path)
    assert front.submitted == []
    report = front.events[-1]
    assert isinstance(report, FolderReport) and report.text.startswith("No photos found in")


def test_a_cancelled_folder_stores_nothing(tmp_path: Path) -> None:
    front = Front(tmp_path)
    front.list_folder(_people(tmp_path))
    front.folders.job_finished(7, EnrolOutcome(7, (), (), cancelled=True))
    assert front.events[-1] == "cancelled" and len(front.gallery.jobs) == 1
    front.folders.job_finished(7, EnrolOutcome(7, (), ("no face",) * 2, failed=(0, 1)))
    assert len(front.gallery.jobs) == 1  # reported once only


def test_the_demo_offer_is_looked_at_once_per_run() -> None:
    from faceapp.bulk_enrolment import demo_people
    from faceapp.session.enrol_folders import DemoOffer, demo_missing_text

    present = bool(demo_people())
    offer = DemoOffer()
    assert offer.due(False, False) == present  # only with the demo photos there
    assert not offer.due(False, False)  # asked again in the same run
    assert not DemoOffer().due(True, False) and not DemoOffer().due(False, True)
    assert demo_missing_text().startswith("The demo photos are missing: ")
