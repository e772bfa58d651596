"""EnrolmentRunner: enrolment jobs on the recognition worker, their progress, and storing them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from faceapp.core.quality import QualityReport
from faceapp.core.types import Face
from faceapp.gui.context import AppContext
from faceapp.gui.dialogs.face_picker import FacePicker
from faceapp.gui.dialogs.wrong_person_dialog import WrongPersonDialog
from faceapp.gui.loop_worker import CallWorker
from faceapp.gui.prompts import busy, tell
from faceapp.gui.safe_text import html_literal, plain_label
from faceapp.gui.widgets.banner import Banner
from faceapp.gui.worker import RecognitionWorker
from faceapp.session.capture_check import Shot, capture_items, checked_samples, faces_in_photo
from faceapp.session.enrol_folders import DemoOffer, FolderEnrolments, demo_missing_text
from faceapp.session.enrol_jobs import EnrolJobs, Screened, Stored
from faceapp.session.flagged import flagged_of
from faceapp.session.folder_enrolment import (
    DEMO_OFFER,
    FolderReport,
    capped,
    demo_items,
    demo_label,
    photos_label,
    picked_label,
    skipped_text,
)
from faceapp.session.live import EnrolItem, EnrolOutcome


class EnrolmentRunner(QObject):
    """Turns enrolment requests into session jobs; asks about refused samples; reports.

    The jobs are the session's (:class:`~faceapp.session.enrol_jobs.EnrolJobs`): the
    samples are made and screened by the wrong-person check in the recognition thread
    and, when none is refused, handed from there to the gallery thread, which writes
    them.  This object lives on the GUI thread: it shows a cancellable progress dialog
    for jobs of several photos, lists refused samples (that look like someone else, or
    not like the target) in one :class:`WrongPersonDialog` and stores them only when the
    user adds them anyway (the open dialogs are in :attr:`warnings`), and reports
    unusable photos and failed writes.

    A folder of people (:meth:`enrol_folder`) goes the way of ``faceapp enroll
    --folders``, step by step in :attr:`folders`
    (:class:`~faceapp.session.enrol_folders.FolderEnrolments`); photos the wrong-person
    check refuses are reported in the closing summary, not asked about.

    Parameters
    ----------
    ctx : AppContext
    worker : RecognitionWorker
    parent : QWidget
        Parent of the progress dialog and the reports.
    """

    #: Emitted on the GUI thread after a job's samples were stored (or not): the
    #: outcome and the names that received samples (in the order of the outcome).
    enrolled = Signal(object, list)
    #: Emitted on the GUI thread when a folder of people is done: its
    #: :class:`~faceapp.bulk_enrolment.BulkSummary` and a tuple of
    #: :class:`~faceapp.bulk_enrolment.PersonResult`; None and () when nothing was
    #: done (no photos, cancelled, failed).
    folder_enrolled = Signal(object, object)
    #: A session job was screened (recognition thread): its :class:`Screened`.
    _screened = Signal(object)

    def __init__(self, ctx: AppContext, worker: RecognitionWorker, parent: QWidget) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._worker = worker
        self._parent = parent
        self._progress: dict[int, QProgressDialog] = {}
        self._demo = DemoOffer()
        #: Open wrong-person warnings by job id (nothing of the job is stored meanwhile).
        self.warnings: dict[int, WrongPersonDialog] = {}
        self._busy: QProgressDialog | None = None
        #: The summary box of the last folder of people (tests read its text).
        self.last_summary: QMessageBox | None = None
        #: The last "which face?" question of Add photos… (tests answer it).
        self.last_picker: FacePicker | None = None
        self._detector = CallWorker("faceapp-add-photo")
        self._detector.done.connect(self._on_photo_detected)
        # A photo that cannot be looked at is enrolled anyway: the job says why it fails.
        self._detector.failed.connect(lambda ticket, _message: self._on_photo_detected(ticket))
        self._photos: dict[int, tuple[str, Path]] = {}
        #: The session's enrolment jobs: made, screened and stored off this thread.
        self.jobs = EnrolJobs(worker.loop, ctx.gallery, self._screened.emit, self._finish)
        self._screened.connect(self._on_screened)
        #: Folders of people: listed, embedded (with a progress box) and stored.
        self.folders = FolderEnrolments(
            ctx.gallery,
            lambda items, label: self._start(items, label, worker.loop.submit_job),
            lambda: (ctx.settings.threshold, ctx.settings.stranger_rate),
            self._show_busy,
            self._folder_done,
            lambda: self.folder_enrolled.emit(None, ()),
        )
        self.jobs.follow(ctx.settings)
        worker.job_progress.connect(self._on_job_progress)
        worker.job_finished.connect(self._on_job_finished)  # folders of people
        ctx.edit_finished.connect(self.jobs.edit_finished)
        ctx.settings_changed.connect(self.jobs.follow)
        ctx.gallery_job_finished.connect(self.folders.gallery_finished)

    def enrol_capture(
        self, name: str, image: np.ndarray, face: Face, report: QualityReport | None = None
    ) -> int:
        """Enrol ``face`` of a captured frame under ``name``; returns the job id.

        ``report`` is the quality check of this face in this frame (the dialog's), stored
        with the sample instead of checking again.  When it carries the finished sample
        (:class:`~faceapp.session.capture_check.CheckedFace`), the sample goes straight
        to the gallery thread, screened there; otherwise the recognition thread makes it.
        """
        return self.enrol_captures(name, [(image, face, report)])

    def enrol_captures(self, name: str, shots: list[Shot]) -> int:
        """Enrol several captured faces (``(frame, face, report)``) under ``name`` in one job."""
        samples = checked_samples([report for _, _, report in shots])
        if samples is not None:
            return self.jobs.store_checked(name, samples)
        return self.jobs.submit(capture_items(name, shots))

    def enrol_files(self, name: str, files: list[Path]) -> int:
        """Enrol one face from each photo file under ``name``, with a progress dialog."""
        items = [EnrolItem(name, str(f), path=Path(f)) for f in files]
        return self._start(items, photos_label(name, len(items)))

    def add_photos(self, name: str, files: list[Path]) -> int | None:
        """Enrol photos chosen with *Add photos…*; one photo of several faces asks which.

        Several files go to :meth:`enrol_files` (the largest face of each).  One file is
        looked at first, off the GUI thread: when it holds several faces a
        :class:`FacePicker` asks which face is ``name`` (:attr:`last_picker`), and that
        face is enrolled.  Returns the job id, or None while the photo is looked at.
        """
        if len(files) != 1:
            return self.enrol_files(name, files)
        path = Path(files[0])
        pipeline = self._ctx.pipeline
        ticket = self._detector.submit(
            lambda: faces_in_photo(pipeline, path), "finding the faces of a photo"
        )
        self._photos[ticket] = (name, path)
        return None

    @Slot(int, object)
    def _on_photo_detected(
        self, ticket: int, value: tuple[np.ndarray, list[Face]] | None = None
    ) -> None:
        """Enrol a looked-at photo; ask which face first when it holds several."""
        name, path = self._photos.pop(ticket, ("", Path()))
        if not name:
            return
        if value is None or len(value[1]) <= 1:
            self.enrol_files(name, [path])  # no choice to make; the job reports "no face"
            return
        image, faces = value
        picker = FacePicker(image, faces, name, self._parent)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.accepted.connect(lambda: self._enrol_picked(name, path, image, picker.chosen()))
        self.last_picker = picker
        picker.open()

    def _enrol_picked(self, name: str, path: Path, image: np.ndarray, face: Face | None) -> int:
        item = EnrolItem(name, str(path), image=image, face=face)
        return self._start([item], picked_label(name, path))

    def enrol_demo_people(self) -> int | None:
        """Enrol each demo person from one photo; None when the demo photos are absent."""
        items = demo_items()
        if not items:
            QMessageBox.information(self._parent, "Demo people", demo_missing_text())
            return None
        return self._start(items, demo_label(len(items)))

    def enrol_folder(self, folder: Path) -> None:
        """Enrol everybody in ``folder``, as ``faceapp enroll --folders`` does.

        One sub-folder of photos per person, or photos named after their person (see
        :mod:`faceapp.bulk_enrolment`).  A progress dialog follows the photos (cancel
        stores nothing); a summary box closes the run and ``folder_enrolled`` is emitted.
        """
        self.folders.start(folder)

    def _folder_done(self, report: FolderReport) -> None:
        """Show the closing box of a folder of people and emit ``folder_enrolled``."""
        icon = QMessageBox.Icon.Warning if report.warns else QMessageBox.Icon.Information
        self.last_summary = tell(
            self._parent, icon, report.title, report.text, capped(report.lines)
        )
        self.folder_enrolled.emit(report.summary, report.people)

    def _show_busy(self, label: str | None) -> None:
        """Show a busy box saying ``label`` instead of the one shown; None: show none."""
        if self._busy is not None:
            self._busy.close()
            self._busy.deleteLater()
            self._busy = None
        if label is not None:
            self._busy = busy(self._parent, label, "Enrolment")

    def offer_demo(self, banner: Banner, then: Callable[[], None]) -> None:
        """Offer on ``banner`` to enrol the demo people when the gallery is empty.

        Checked once per run and offered once ever (``settings.demo_offered``); ``then``
        runs after the user accepted (the window switches to the demo source).
        """
        ctx = self._ctx
        if not self._demo.due(ctx.settings.demo_offered, bool(ctx.people())):
            return
        ctx.update_settings(demo_offered=True)

        def accept() -> None:
            self.enrol_demo_people()
            then()

        banner.show_message(
            "info", DEMO_OFFER, [("Enrol demo people", accept), ("Not now", lambda: None)]
        )

    def _start(
        self,
        items: list[EnrolItem],
        label: str,
        submit: Callable[[list[EnrolItem]], int] | None = None,
    ) -> int:
        """Submit ``items`` (as a screened job unless ``submit`` is given) with a progress box."""
        job_id = (submit or self.jobs.submit)(items)
        dialog = QProgressDialog("", "Cancel", 0, len(items), self._parent)
        dialog.setLabel(plain_label(label))  # the label quotes a name: never markup
        dialog.setWindowTitle("Enrolment")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(0)
        dialog.canceled.connect(lambda j=job_id: self._worker.loop.cancel_job(j))
        self._progress[job_id] = dialog
        dialog.show()
        return job_id

    @Slot(int, int, int)
    def _on_job_progress(self, job_id: int, done: int, total: int) -> None:
        dialog = self._progress.get(job_id)
        if dialog is not None and not dialog.wasCanceled():
            dialog.setValue(done)

    def _close_progress(self, job_id: int) -> None:
        dialog = self._progress.pop(job_id, None)
        if dialog is not None:
            dialog.canceled.disconnect()
            dialog.close()
            dialog.deleteLater()

    @Slot(int, object)
    def _on_job_finished(self, job_id: int, outcome: EnrolOutcome) -> None:
        """Close a job's progress; a folder of people is stored from here."""
        self._close_progress(job_id)
        self.folders.job_finished(job_id, outcome)

    @Slot(object)
    def _on_screened(self, screened: Screened) -> None:
        """Close a screened job's progress; ask about its refused samples, if any."""
        self._close_progress(screened.job_id)
        if screened.outcome.cancelled:
            self.enrolled.emit(screened.outcome, [])
        elif screened.flagged:
            self._ask(screened)

    def _ask(self, screened: Screened) -> None:
        """Show one warning for the job's refused samples; store what the user keeps."""
        job_id, total = screened.job_id, len(screened.outcome.samples)
        target, items = flagged_of(screened)
        dialog = WrongPersonDialog(target, items, total, self._parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.warnings[job_id] = dialog

        def decided() -> None:
            self.warnings.pop(job_id, None)
            self.jobs.decide(screened, dialog.chosen())

        dialog.finished.connect(decided)
        dialog.open()

    def _finish(self, stored: Stored) -> None:
        """Report a stored job's failed writes and skipped photos (GUI thread)."""
        outcome = stored.outcome
        for message in stored.failed:
            QMessageBox.warning(self._parent, "Enrolment failed", html_literal(message))
        if outcome.errors:
            title, lines = "Some photos were not enrolled", capped(outcome.errors)
            tell(self._parent, QMessageBox.Icon.Warning, title, skipped_text(outcome), lines)
        self.enrolled.emit(outcome, stored.names)
