"""FolderEnrolments: folders of people listed, embedded and stored, step by step (Qt-free)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from faceapp import paths
from faceapp.bulk_enrolment import scan_people_folder
from faceapp.session.folder_enrolment import (
    FolderReport,
    FolderRun,
    demo_offer_due,
    folder_run,
    store_job,
    stored_report,
)
from faceapp.session.gallery import GalleryQueue
from faceapp.session.live import EnrolItem, EnrolOutcome
from faceapp.session.runner import ignore

log = logging.getLogger(__name__)


def demo_missing_text() -> str:
    """Return what the window says when the demo people cannot be enrolled (no photos)."""
    return f"The demo photos are missing: {paths.missing_files_advice()}."


class DemoOffer:
    """Whether to offer the demo people: looked at once per run, offered once ever."""

    def __init__(self) -> None:
        self._looked = False

    def due(self, offered: bool, anyone: bool) -> bool:
        """Return True the first time it is asked, when the offer is due.

        ``offered``: offered in an earlier run; ``anyone``: somebody is enrolled (see
        :func:`~faceapp.session.folder_enrolment.demo_offer_due`).
        """
        if self._looked:
            return False
        self._looked = True
        return demo_offer_due(offered, anyone)


class FolderEnrolments:
    """Runs folders of people the way of ``faceapp enroll --folders``, one step at a time.

    A folder is listed in the gallery thread, its photos are embedded by a job the
    front end submits (``submit``, which shows the job's progress), and the samples are
    checked and stored in the gallery thread, one write per person.  The front end
    passes on what its threads report: :meth:`gallery_finished` for every gallery job
    and :meth:`job_finished` for every finished recognition job.

    Parameters
    ----------
    gallery : GalleryQueue
        Lists the folders and writes their people.
    submit : callable(list of EnrolItem, str) -> int
        Queues an embedding job of the items with a progress label; returns its id.
    rules : callable() -> (threshold, stranger_rate)
        Recognition's current rules, for the wrong-person check.
    on_busy : callable(str or None)
        A step that shows no progress starts (its label) or ends (None).
    on_report : callable(FolderReport)
        A folder is done (or nothing could be done): its closing report.
    on_cancelled : callable()
        A folder's embedding was cancelled: nothing is stored.
    """

    def __init__(
        self,
        gallery: GalleryQueue,
        submit: Callable[[list[EnrolItem], str], int],
        rules: Callable[[], tuple[float | None, float]],
        on_busy: Callable[[str | None], None] = ignore,
        on_report: Callable[[FolderReport], None] = ignore,
        on_cancelled: Callable[[], None] = ignore,
    ) -> None:
        self._gallery = gallery
        self._submit = submit
        self._rules = rules
        self.on_busy = on_busy
        self.on_report = on_report
        self.on_cancelled = on_cancelled
        self._runs: dict[int, FolderRun] = {}  # recognition job id -> folder of people
        self._steps: dict[int, Callable[[object, str | None], None]] = {}

    def start(self, folder: Path, started: float | None = None) -> None:
        """List ``folder`` in the gallery thread; its people are enrolled from there."""
        folder = Path(folder)
        began = time.monotonic() if started is None else started
        self.on_busy(f"Looking for people in {folder.name}…")
        ticket = self._gallery.submit_job(lambda _store: scan_people_folder(folder), write=False)
        self._steps[ticket] = lambda result, error: self._scanned(folder, began, result, error)

    def gallery_finished(self, ticket: int, result: object, error: object) -> None:
        """Take in a finished gallery job (any job: the others are not ours)."""
        step = self._steps.pop(ticket, None)
        if step is not None:
            step(result, None if error is None else str(error))

    def job_finished(self, job_id: int, outcome: EnrolOutcome) -> None:
        """Take in a finished recognition job: store a folder's photos once embedded."""
        run = self._runs.pop(job_id, None)
        if run is None:
            return
        if outcome.cancelled:
            log.info("enrolment job %d cancelled; nothing stored", job_id)
            self.on_cancelled()
            return
        threshold, rate = self._rules()
        self.on_busy(f"Storing the people of {run.scan.root.name}…")
        job = store_job(run, outcome, threshold, rate)
        ticket = self._gallery.submit_job(job, True, (ValueError, KeyError, TypeError))
        self._steps[ticket] = lambda result, error: self._done(stored_report(result, error))

    def _scanned(self, folder: Path, started: float, scan: object, error: str | None) -> None:
        run = folder_run(folder, scan, error, started)
        if isinstance(run, FolderReport):
            self._done(run)
            return
        self.on_busy(None)
        self._runs[self._submit(list(run.items), run.label)] = run

    def _done(self, report: FolderReport) -> None:
        self.on_busy(None)
        log.info("%s: %s", report.title, report.text)
        self.on_report(report)
