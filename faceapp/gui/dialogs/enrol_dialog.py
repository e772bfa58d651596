"""EnrolDialog: enrol the face in view after a quality check; guided (several poses) or single."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
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

from faceapp.core.quality import QualityReport
from faceapp.gui.context import AppContext
from faceapp.gui.images import boxed_pixmap
from faceapp.gui.loop_worker import CallWorker
from faceapp.gui.prompts import complete_names
from faceapp.gui.safe_text import hint_label, make_plain
from faceapp.gui.widgets.guided_panel import GuidedPanel
from faceapp.session.capture_check import check_capture
from faceapp.session.enrol_capture import CaptureOffer, Snapshot
from faceapp.session.enrol_text import (
    CHECKING_TEXT,
    UNCHECKED_TEXT,
    enrol_button,
    faces_text,
    name_hint,
    resolved_name,
)
from faceapp.session.sample_quality import quality_html

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
        #: The frame offered, its face and report; the check runs off the GUI thread (OpenCV).
        self.offer = CaptureOffer()
        self._checks = CallWorker("faceapp-quality-check")
        self._checks.done.connect(self._on_quality_checked)
        self._checks.failed.connect(lambda ticket, _message: self._on_quality_checked(ticket, None))
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
    def guided(self) -> bool:
        """True in guided mode (samples are taken by themselves)."""
        return self.guided_radio.isChecked()

    def take(self) -> None:
        """Take the newest processed frame and offer its largest face.

        The check starts off the GUI thread; ``report_ready`` follows.
        """
        offer, pipeline = self.offer, self._ctx.pipeline
        face = offer.take(self._snapshot())
        self.faces_label.setText(faces_text(offer.n_faces, self.guided))
        if offer.frame is None:
            self.preview.setText("No picture")
        else:
            if face is not None:
                image = offer.frame.image
                offer.checking_as(
                    self._checks.submit(
                        lambda: check_capture(pipeline, image, face), "checking the face quality"
                    )
                )
            self._show_preview()
        self.quality_label.setText(CHECKING_TEXT if offer.checking else "")
        self._update_state()

    @Slot(int, object)
    def _on_quality_checked(self, ticket: int, report: QualityReport | None) -> None:
        """Show the report of check ``ticket`` (None: it failed, logged by the worker)."""
        offer = self.offer
        if not offer.checked(ticket, report) or offer.frame is None:
            return  # a Retake came meanwhile
        if report is None:
            self.quality_label.setText(UNCHECKED_TEXT)
        else:
            self.quality_label.setText(quality_html(report))
            if self.guided and offer.face is not None:
                self.guided_panel.offer(offer.frame.image, offer.face, report)
                if self.guided_panel.capture.done:
                    self._poll.stop()
        self._show_preview()
        self._update_state()
        self.report_ready.emit()

    def _show_preview(self) -> None:
        if self.offer.frame is not None:
            image = self.offer.frame.image
            self.preview.setPixmap(boxed_pixmap(image, self.offer.boxes(), PREVIEW_PX))

    def _update_state(self) -> None:
        typed, person_named = self.name_edit.text(), self._ctx.person_named
        named = resolved_name(typed, person_named) is not None
        self.name_hint.setText(name_hint(typed, person_named, self.guided))
        shots = len(self.guided_panel.taken.shots)
        text, enabled = enrol_button(self.guided, shots, self.offer.face_ok, named)
        self.enrol_button.setText(text)
        self.enrol_button.setEnabled(enabled)

    # -- slots ---------------------------------------------------------------------------

    @Slot(bool)
    def _on_guided_toggled(self, guided: bool) -> None:
        self.guided_panel.setVisible(guided)
        self.retake_button.setVisible(not guided)
        if guided and not self.guided_panel.capture.done:
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
        idle = not self.offer.checking and not self.guided_panel.capture.done
        if idle and self.offer.is_newer(self._snapshot()):
            self.take()

    def done(self, result: int) -> None:
        """Stop looking at frames, then close with ``result``."""
        self._poll.stop()
        self._checks.stop()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        """Stop the checks also when a dialog never shown is closed (no ``done`` then)."""
        self._poll.stop()
        self._checks.stop()
        super().closeEvent(event)

    @Slot()
    def _on_accepted(self) -> None:
        name = resolved_name(self.name_edit.text(), self._ctx.person_named)
        if self.guided:
            shots = self.guided_panel.taken.shots
            if name is not None and shots:
                self.enrol_batch_requested.emit(name, shots)
                self.accept()
            return
        request = self.offer.request(name)
        if request is not None:
            self.enrol_requested.emit(*request)
            self.accept()
