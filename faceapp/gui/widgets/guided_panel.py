"""GuidedPanel: the guided mode of the capture dialog (progress, next pose, taken samples)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.guided_capture import Decision, GuidedCapture
from faceapp.core.quality import QualityReport
from faceapp.core.types import Face
from faceapp.gui.images import fitted, qimage_from_bgr
from faceapp.gui.safe_text import hint_label
from faceapp.session.enrol_capture import GuidedShots
from faceapp.session.enrol_text import progress_text, shot_caption, shot_tip, thumbnail_box

#: Side of a taken sample's thumbnail, in pixels.
THUMB_PX = 64


def face_pixmap(image: np.ndarray, face: Face, side: int = THUMB_PX) -> QPixmap:
    """Return a square thumbnail of ``face`` cut from a BGR ``image`` (the box plus a margin)."""
    cut = thumbnail_box(face.box, image.shape[1], image.shape[0])
    if cut is None:
        return QPixmap()
    x0, y0, x1, y1 = cut
    return fitted(QPixmap.fromImage(qimage_from_bgr(image[y0:y1, x0:x1])), side)


class GuidedPanel(QWidget):
    """Takes samples by itself from the frames it is offered, and shows how far it got.

    The capture dialog offers each checked frame with :meth:`offer`; the panel's
    :class:`~faceapp.session.enrol_capture.GuidedShots` decides whether to take it and
    keeps the frames taken (:attr:`taken`); the panel shows the progress ("2 of 5 — now
    turn your head slightly to your left"), a progress bar and a thumbnail of each sample.

    Parameters
    ----------
    clock : callable, optional
        Returns seconds on a clock that does not go back (``time.monotonic``); tests
        pass their own.
    capture : GuidedCapture, optional
        The decision rules; a default one (3 to 5 samples) when None.
    """

    #: Emitted on the GUI thread after a sample was taken or the samples were cleared.
    shots_changed = Signal()

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        capture: GuidedCapture | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        #: The samples taken (:attr:`GuidedShots.shots`: each frame, face and the report
        #: :meth:`offer` got for it, which enrolment stores instead of checking again).
        self.taken = GuidedShots(clock, capture)
        #: The decision rules (``capture.done`` once the target number is taken).
        self.capture = self.taken.capture
        self.progress_label = QLabel()
        self.progress_label.setObjectName("guidedProgress")
        self.progress_label.setWordWrap(True)
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.progress_label.font()
        font.setBold(True)
        self.progress_label.setFont(font)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, self.capture.target)
        self.progress_bar.setTextVisible(False)  # the label above says it in words
        self.hint_label = hint_label()
        self.thumbs: list[QLabel] = []
        self.captions: list[QLabel] = []
        row = QHBoxLayout()
        row.setSpacing(6)
        for k in range(self.capture.target):
            thumb = QLabel()
            thumb.setFixedSize(THUMB_PX + 4, THUMB_PX + 4)
            thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
            thumb.setFrameShape(QFrame.Shape.StyledPanel)
            caption = QLabel(f"{k + 1}")
            caption.setObjectName("hint")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addWidget(thumb)
            cell.addWidget(caption)
            self.thumbs.append(thumb)
            self.captions.append(caption)
            row.addLayout(cell)
        row.addStretch(1)
        self.restart_button = QPushButton("Start over")
        self.restart_button.setToolTip("Forget the samples taken and start again")
        # Never the dialog's default button: Enter must not throw the samples away.
        self.restart_button.setAutoDefault(False)
        self.restart_button.clicked.connect(self._on_restart_clicked)
        row.addWidget(self.restart_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress_bar)
        layout.addLayout(row)
        layout.addWidget(self.hint_label)
        self._refresh()

    def offer(self, image: np.ndarray, face: Face, report: QualityReport) -> Decision:
        """Take ``face`` of ``image`` as a sample when the rules allow; return the decision.

        Parameters
        ----------
        image : ndarray
            The BGR frame (read-only; kept, not copied, when taken).
        face : Face
            The face whose quality ``report`` describes.
        report : QualityReport
        """
        decision = self.taken.offer(image, face, report)
        if decision.taken:
            k = len(self.capture.shots) - 1
            shot = self.capture.shots[k]
            self.thumbs[k].setPixmap(face_pixmap(image, face))
            self.thumbs[k].setToolTip(shot_tip(k, shot))
            self.captions[k].setText(shot_caption(k, shot))
            self.shots_changed.emit()
        self.hint_label.setText(self.taken.hint(decision))
        self._refresh()
        return decision

    def _refresh(self) -> None:
        n = len(self.capture.shots)
        self.progress_label.setText(progress_text(self.capture))
        self.progress_bar.setValue(n)
        self.restart_button.setEnabled(n > 0)

    @Slot()
    def _on_restart_clicked(self) -> None:
        self.taken.reset()
        for k, (thumb, caption) in enumerate(zip(self.thumbs, self.captions)):
            thumb.clear()
            thumb.setToolTip("")
            caption.setText(f"{k + 1}")
        self.hint_label.setText("")
        self._refresh()
        self.shots_changed.emit()
