"""EnrolDialog: enrol the face in view after a quality check; guided (several poses) or single."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import (
    QRectF,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent, QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.pipeline import largest_face
from faceapp.core.quality import QualityReport
from faceapp.core.sources import Frame
from faceapp.core.types import Face, FrameResult
from faceapp.gui.capture_worker import qimage_from_bgr
from faceapp.gui.context import AppContext
from faceapp.gui.images import fitted
from faceapp.gui.loop_worker import CallWorker
from faceapp.gui.prompts import complete_names
from faceapp.gui.safe_text import hint_label, make_plain
from faceapp.gui.widgets.guided_panel import GuidedPanel
from faceapp.session.capture_check import check_capture
from faceapp.session.enrol_text import (
    CHECKING_TEXT,
    UNCHECKED_TEXT,
    enrol_button,
    faces_text,
    name_hint,
    resolved_name,
)
from faceapp.session.sample_quality import quality_html

Snapshot = tuple[Frame, FrameResult]

#: Largest side of the preview picture, in pixels.
PREVIEW_PX = 420

#: How often guided capture looks for a newer processed frame, in milliseconds.
POLL_MS = 150


class EnrolDialog(QDialog):
    """Enrols the largest face of the live stream: guided (several samples) or single.

    In guided mode (the default) the dialog keeps taking the newest processed frame,
    checks its largest face, shows the checklist live and lets :class:`GuidedPanel`
    take samples by itself (3 to 5, in different poses); Save stores what was taken,
    at any point.  In single mode it offers one frame; Retake takes a newer one.

    Parameters
    ----------
    ctx : AppContext
        For the names of the people already enrolled (completion).
    snapshot : callable
        Returns the newest processed ``(Frame, FrameResult)`` or None; called at
        start and by the Retake button (e.g. ``RecognitionWorker.last_processed``).
    suggested_name : str
        Pre-filled name.
    guided : bool, optional
        Start in guided mode (the user can switch); by default the mode the user chose
        last (``Settings.guided_capture``), which a switch here changes.
    clock : callable
        Seconds on a clock that does not go back, for spacing guided samples in time.

    Notes
    -----
    The check runs off the GUI thread (:func:`~faceapp.session.capture_check.check_capture`):
    the quality and, for a good face, the finished sample, which the report carries.
    Enrol stays disabled until the report arrives (``report_ready``); it then emits
    :attr:`enrol_requested` and closes, and the caller hands the sample on to be
    screened and stored.
    """

    #: Emitted with the name, the frame (read-only BGR ndarray), the chosen Face and its
    #: :class:`QualityReport` (made on that face in that frame; enrolment reuses it).
    enrol_requested = Signal(str, object, object, object)
    #: Emitted with the name and the guided samples: a list of ``(frame, Face, report)``.
    enrol_batch_requested = Signal(str, list)
    #: Emitted on the GUI thread when the quality report of the offered face is shown.
    report_ready = Signal()

    def __init__(
        self,
        ctx: AppContext,
        snapshot: Callable[[], Snapshot | None],
        suggested_name: str = "",
        parent: QWidget | None = None,
        guided: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._snapshot = snapshot
        self._frame: Frame | None = None
        self._face: Face | None = None
        self._report: QualityReport | None = None
        self._checking = False
        # The quality check (OpenCV) runs off the GUI thread; the ticket of the check
        # whose report is awaited (a Retake makes older reports stale).
        self._check_ticket = 0
        self._checks = CallWorker("faceapp-quality-check")
        self._checks.done.connect(self._on_quality_checked)
        self._checks.failed.connect(self._on_quality_failed)
        self._faces: list[Face] = []
        self.setWindowTitle("Enrol the face in view")
        self.setObjectName("enrolDialog")

        self.preview = QLabel()
        self.preview.setObjectName("preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 240)
        self.faces_label = QLabel()
        self.faces_label.setWordWrap(True)
        self.quality_label = QLabel()
        self.quality_label.setTextFormat(Qt.TextFormat.RichText)
        self.quality_label.setWordWrap(True)
        self.quality_label.setMinimumWidth(320)
        self.name_edit = QLineEdit(suggested_name)
        self.name_edit.setPlaceholderText("Name of the person")
        self.name_edit.setClearButtonEnabled(True)
        complete_names(self.name_edit, [p.name for p in ctx.people()])
        self.name_hint = hint_label()
        make_plain(self.faces_label)

        self.retake_button = QPushButton("Retake")
        self.retake_button.setToolTip("Use the newest frame instead")
        self.retake_button.setAutoDefault(False)  # Enter enrols; it never retakes
        self.buttons = QDialogButtonBox()
        self.enrol_button = self.buttons.addButton("Enrol", QDialogButtonBox.ButtonRole.AcceptRole)
        self.enrol_button.setObjectName("primary")
        self.enrol_button.setToolTip("Guided mode: stop and save the samples taken so far")
        self.buttons.addButton(self.retake_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.guided_radio = QRadioButton("Guided: takes 3–5 samples by itself")
        self.guided_radio.setToolTip("Samples are taken when the checklist passes, in 3 poses")
        self.single_radio = QRadioButton("Single photo")
        modes = QButtonGroup(self)
        modes.addButton(self.guided_radio)
        modes.addButton(self.single_radio)
        if guided is None:
            guided = ctx.settings.guided_capture
        (self.guided_radio if guided else self.single_radio).setChecked(True)
        self.guided_panel = GuidedPanel(clock, parent=self)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._on_poll_timeout)

        side = QVBoxLayout()
        side.addWidget(self.faces_label)
        side.addWidget(self.quality_label, 1)
        side.addWidget(QLabel("Name"))
        side.addWidget(self.name_edit)
        side.addWidget(self.name_hint)
        top = QHBoxLayout()
        top.addWidget(self.preview, 1)
        top.addLayout(side)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.guided_radio)
        mode_row.addWidget(self.single_radio)
        mode_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(mode_row)
        layout.addLayout(top, 1)
        layout.addWidget(self.guided_panel)
        layout.addWidget(self.buttons)
        # Enter saves (or does nothing while Save is disabled).  Made the default once
        # the button is in the dialog: before, Qt would pick the first button it finds.
        self.enrol_button.setDefault(True)
        self.name_edit.setFocus()  # the name is the one thing to type
        self.name_edit.selectAll()

        self.buttons.accepted.connect(self._on_accepted)
        self.buttons.rejected.connect(self.reject)
        self.retake_button.clicked.connect(lambda: self.take())
        self.name_edit.textChanged.connect(lambda _text: self._update_state())
        self.guided_radio.toggled.connect(self._on_guided_toggled)
        self.guided_radio.clicked.connect(self._on_mode_chosen)
        self.single_radio.clicked.connect(self._on_mode_chosen)
        self.guided_panel.shots_changed.connect(self._update_state)
        self.take()
        self._on_guided_toggled(self.guided_radio.isChecked())

    # -- state ---------------------------------------------------------------------------

    @property
    def report(self) -> QualityReport | None:
        """Quality of the offered face, or None when there is none."""
        return self._report

    @property
    def face(self) -> Face | None:
        """The face offered for enrolment."""
        return self._face

    @property
    def guided(self) -> bool:
        """True in guided mode (samples are taken by themselves)."""
        return self.guided_radio.isChecked()

    @property
    def checking(self) -> bool:
        """True while the quality of the offered face is being checked."""
        return self._checking

    def take(self) -> None:
        """Take the newest processed frame and offer its largest face.

        The check starts off the GUI thread; ``report_ready`` follows.
        """
        snap = self._snapshot()
        self._check_ticket = 0
        self._frame, self._face, self._report, self._faces = None, None, None, []
        self._checking = False
        if snap is None:
            self.faces_label.setText(faces_text(None, self.guided))
            self.preview.setText("No picture")
        else:
            frame, result = snap
            self._faces = [fr.face for fr in result.faces]
            self._frame = frame
            self._face = largest_face(self._faces)
            self.faces_label.setText(faces_text(len(self._faces), self.guided))
            if self._face is not None:
                self._checking = True
                face = self._face
                pipeline = self._ctx.pipeline
                self._check_ticket = self._checks.submit(
                    lambda: check_capture(pipeline, frame.image, face), "checking the face quality"
                )
            self.preview.setPixmap(self._preview_pixmap(frame, self._faces))
        self.quality_label.setText(CHECKING_TEXT if self._checking else "")
        self._update_state()

    @Slot(int, str)
    def _on_quality_failed(self, ticket: int, _message: str) -> None:
        self._on_quality_checked(ticket, None)  # logged by the worker; no report to show

    @Slot(int, object)
    def _on_quality_checked(self, ticket: int, report: QualityReport | None) -> None:
        if ticket != self._check_ticket or self._frame is None:
            return  # a Retake came meanwhile
        self._checking = False
        self._report = report
        if report is None:
            self.quality_label.setText(UNCHECKED_TEXT)
        else:
            self.quality_label.setText(quality_html(report))
            if self.guided and self._face is not None:
                self.guided_panel.offer(self._frame.image, self._face, report)
                if self.guided_panel.done:
                    self._poll.stop()
        self.preview.setPixmap(self._preview_pixmap(self._frame, self._faces))
        self._update_state()
        self.report_ready.emit()

    def _preview_pixmap(self, frame: Frame, faces: list[Face]) -> QPixmap:
        image: QImage = qimage_from_bgr(frame.image)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = max(2.0, image.width() / 200)
        for f in faces:
            r = QRectF(f.box.x, f.box.y, f.box.w, f.box.h)
            if f is self._face:
                ok = self._report is not None and self._report.ok
                p.setPen(QPen(QColor("#2ecc71" if ok else "#ffb454"), width * 1.5))
            else:
                p.fillRect(r, QColor(0, 0, 0, 150))
                p.setPen(QPen(QColor(160, 160, 160, 160), width, Qt.PenStyle.DashLine))
            p.drawRect(r)
        p.end()
        return fitted(QPixmap.fromImage(image), PREVIEW_PX)

    def resolved_name(self) -> str | None:
        """Return the name to enrol under (an existing person's spelling if it matches), or None."""
        return resolved_name(self.name_edit.text(), self._ctx.person_named)

    def _update_state(self) -> None:
        named = self.resolved_name() is not None
        self.name_hint.setText(
            name_hint(self.name_edit.text(), self._ctx.person_named, self.guided)
        )
        face_ok = self._report is not None and self._report.ok
        text, enabled = enrol_button(self.guided, len(self.guided_panel.shots), face_ok, named)
        self.enrol_button.setText(text)
        self.enrol_button.setEnabled(enabled)

    # -- slots ---------------------------------------------------------------------------

    @Slot(bool)
    def _on_guided_toggled(self, guided: bool) -> None:
        self.guided_panel.setVisible(guided)
        self.retake_button.setVisible(not guided)
        if guided and not self.guided_panel.done:
            self._poll.start()
        else:
            self._poll.stop()
        self._update_state()

    @Slot()
    def _on_mode_chosen(self) -> None:
        """Remember the mode the user picked: the next dialog starts in it."""
        if self.guided != self._ctx.settings.guided_capture:
            self._ctx.update_settings(guided_capture=self.guided)

    @Slot()
    def _on_poll_timeout(self) -> None:
        """Guided mode: check the newest processed frame once the previous one is done."""
        if self._checking or self.guided_panel.done:
            return
        snap = self._snapshot()
        if snap is not None and snap[0] is not self._frame:
            self.take()

    def done(self, result: int) -> None:
        """Stop looking at frames, then close with ``result``."""
        self._poll.stop()
        self._checks.stop()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        """Stop the quality checks also when the dialog is closed without an answer."""
        self._poll.stop()
        self._checks.stop()
        super().closeEvent(event)

    @Slot()
    def _on_accepted(self) -> None:
        name = self.resolved_name()
        if self.guided:
            shots = self.guided_panel.shots
            if name is not None and shots:
                self.enrol_batch_requested.emit(name, shots)
                self.accept()
            return
        if name is None or self._frame is None or self._face is None:
            return
        if self._report is None or not self._report.ok:
            return
        self.enrol_requested.emit(name, self._frame.image, self._face, self._report)
        self.accept()
