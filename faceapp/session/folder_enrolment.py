"""A folder of people in the window: its job's items, its gallery write, what is reported."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceapp.bulk_enrolment import (
    BulkEnrolment,
    BulkSummary,
    PeopleFolder,
    PersonResult,
    PhotoResult,
    demo_people,
    refused,
)
from faceapp.core.enrolment_check import EnrolmentVerdict, check_enrolment
from faceapp.core.matching import GalleryIndex
from faceapp.enrolment import PreparedSample
from faceapp.session.live import EnrolItem, EnrolOutcome
from faceapp.storage.gallery import GalleryStore

#: Most error lines listed in a report of an enrolment.
MAX_ERRORS_SHOWN = 12


def capped(lines: Sequence[str], most: int = MAX_ERRORS_SHOWN) -> list[str]:
    """Return the first ``most`` of ``lines``, and a last line counting the others."""
    shown = list(lines[:most])
    if len(lines) > most:
        shown.append(f"… and {len(lines) - most} more")
    return shown


@dataclass(frozen=True)
class FolderReport:
    """The closing report of a folder of people.

    ``summary`` and ``people`` are None and () when nothing was done (no photos,
    unreadable, a failed write); ``lines`` say what was skipped or refused.
    """

    title: str
    text: str
    lines: tuple[str, ...] = ()
    summary: BulkSummary | None = None
    people: tuple[PersonResult, ...] = ()

    @property
    def warns(self) -> bool:
        """True when the report is a warning: something skipped or refused, or nothing done."""
        return bool(self.lines) or self.summary is None


@dataclass(frozen=True)
class FolderRun:
    """A folder of people while its photos are embedded: what was found, the job's items."""

    scan: PeopleFolder
    items: tuple[EnrolItem, ...]
    started: float

    @property
    def label(self) -> str:
        """The progress dialog's label."""
        n_people = sum(p.problem is None for p in self.scan.people)
        return f"Enrolling {n_people} people from {self.scan.root.name}…"


def folder_run(
    folder: Path, scan: object, error: str | None, started: float
) -> FolderRun | FolderReport:
    """Return the run of a listed folder, or the report of why nothing can be enrolled.

    ``scan`` and ``error`` are what listing ``folder`` in the gallery thread gave.
    """
    if error is not None or not isinstance(scan, PeopleFolder):
        return FolderReport("Nothing enrolled", f"{folder} cannot be read: {error}")
    if not scan.n_photos:
        return FolderReport(
            "Nothing enrolled",
            f"No photos found in {folder}: it needs one sub-folder of photos per "
            "person, or photos named after their person (Ada_Lovelace.jpg).",
        )
    items = tuple(
        EnrolItem(person.name, str(photo), path=photo)
        for person in scan.people
        if person.problem is None
        for photo in person.photos
    )
    return FolderRun(scan, items, started)


def store_job(
    run: FolderRun, outcome: EnrolOutcome, threshold: float | None, stranger_rate: float
) -> Callable[[GalleryStore], tuple[tuple[PersonResult, ...], BulkSummary]]:
    """Return the gallery job that checks and stores the embedded photos of ``run``.

    As ``faceapp enroll --folders`` does (:class:`~faceapp.bulk_enrolment.BulkEnrolment`):
    one write per person; photos the wrong-person check refuses are reported, not asked
    about.  The job returns ``(people, summary)``.
    """
    failed = dict(zip(outcome.failed, outcome.errors))
    samples = iter(outcome.samples)
    attempts: dict[str, list[PreparedSample | PhotoResult]] = defaultdict(list)
    for k, item in enumerate(run.items):
        if k in failed:
            attempts[item.name].append(refused(item.source, failed[k]))
        else:
            attempts[item.name].append(next(samples)[1])
    work = {name: tuple(a) for name, a in attempts.items()}
    scan = run.scan

    def check(embedding: np.ndarray, index: GalleryIndex, name: str) -> EnrolmentVerdict:
        return check_enrolment(embedding, index, name, threshold, stranger_rate)

    def job(store: GalleryStore) -> tuple[tuple[PersonResult, ...], BulkSummary]:
        batch = BulkEnrolment(store, check, ignored=scan.ignored, started=run.started)
        for person in scan.people:
            if person.problem is not None:
                batch.skip(person)
            else:
                batch.enrol(person.name, work.get(person.name, ()))
        return tuple(batch.people), batch.summary()

    return job


def stored_report(result: object, error: str | None) -> FolderReport:
    """Return the report of a folder's gallery job (its result or its error)."""
    if error is not None or not isinstance(result, tuple):
        return FolderReport("Enrolment failed", f"The gallery could not be written: {error}")
    people, summary = result
    lines = [f"{p.name}: {p.problem}; skipped" for p in people if p.problem is not None]
    lines += [r.line for p in people for r in p.photos if r.message is not None]
    return FolderReport(
        "People enrolled from the folder", summary.line, tuple(lines), summary, people
    )


#: What the window offers once, when the gallery is empty and the demo photos are there.
DEMO_OFFER = (
    "The gallery is empty. Enrol the five demo people (one photo each) to try"
    " recognition on the demo?"
)


def demo_items() -> list[EnrolItem]:
    """Return one enrolment item per demo person's photo (none when the photos are missing)."""
    return [EnrolItem(name, str(path), path=path) for name, path in demo_people()]


def demo_offer_due(offered: bool, anyone: bool) -> bool:
    """Return True when the demo people are to be offered.

    Never offered before (``offered``), nobody enrolled (``anyone``), and the demo
    photos present.
    """
    return not offered and not anyone and bool(demo_people())


def photos_label(name: str, photos: int) -> str:
    """Return the progress label of enrolling one face of each of ``photos`` photos."""
    return f"Enrolling {photos} photo(s) of {name}…"


def picked_label(name: str, photo: Path) -> str:
    """Return the progress label of enrolling the face picked in a photo of several."""
    return f"Enrolling a face of {photo.name} as {name}…"


def demo_label(people: int) -> str:
    """Return the progress label of enrolling the demo people."""
    return f"Enrolling the {people} demo people…"


def skipped_text(outcome: EnrolOutcome) -> str:
    """Return the first line of the report of photos not enrolled (the reasons follow)."""
    return f"{len(outcome.samples)} photo(s) enrolled, {len(outcome.errors)} skipped:"
