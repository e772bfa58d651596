"""WrongPersonDialog: asks before samples that look like someone else are added to a person."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.images import display_name
from faceapp.gui.images import fitted
from faceapp.gui.safe_text import make_plain
from faceapp.session.enrol_text import add_anyway_text, added_rows
from faceapp.session.flagged import FlaggedSample, flagged_intro, source_label, verdict_sentence

#: Side of the face thumbnails in the list, in pixels.
THUMB_PX = 72

#: Widest a file name is shown, in pixels (elided in the middle; the tooltip has the path).
NAME_PX = 420

#: Colour of the verdicts (the capture dialog's colour for what to fix).
WARNING_COLOUR = "#ffb454"


class WrongPersonDialog(QDialog):
    """Lists the samples that do not look like the target; the user adds or skips them.

    One dialog for the whole batch.  With one flagged sample the buttons are
    "Add anyway" and "Skip"; with several, each has a check box (unchecked: skipped)
    and "Add anyway" adds the checked ones.  Closing the dialog skips them all.
    :meth:`chosen` says which to add once the dialog is accepted.

    Parameters
    ----------
    target : str
        The person the samples are meant for.
    flagged : list of FlaggedSample
        The refused samples, in order; at least one.
    total : int
        How many samples the batch has (flagged or not).
    """

    def __init__(
        self,
        target: str,
        flagged: list[FlaggedSample],
        total: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if not flagged:
            raise ValueError("nothing flagged")
        self._flagged = list(flagged)
        self.setWindowTitle("Is this really " + target + "?")
        self.setObjectName("wrongPersonDialog")
        n = len(flagged)
        self.intro = QLabel(flagged_intro(target, n, total))
        self.intro.setWordWrap(True)
        make_plain(self.intro)

        grid = QGridLayout()
        grid.setColumnStretch(2, 1)
        self.boxes: list[QCheckBox] = []
        self.messages: list[QLabel] = []
        for row, item in enumerate(flagged):
            thumb = QLabel()
            pm = QPixmap()
            if item.thumbnail and pm.loadFromData(item.thumbnail):
                thumb.setPixmap(fitted(pm, THUMB_PX))
            thumb.setFixedSize(THUMB_PX, THUMB_PX)
            label = source_label(item.source, row)
            elided = self.fontMetrics().elidedText(label, Qt.TextElideMode.ElideMiddle, NAME_PX)
            source = QLabel(elided)
            source.setToolTip(display_name(item.source))
            message = QLabel(verdict_sentence(item.verdict))
            message.setWordWrap(True)
            message.setStyleSheet(f"color: {WARNING_COLOUR}")
            make_plain(source, message)
            text = QVBoxLayout()
            text.addWidget(source)
            text.addWidget(message)
            if n > 1:
                box = QCheckBox()
                box.setToolTip("Checked: add this sample anyway")
                box.toggled.connect(self._on_box_toggled)
                self.boxes.append(box)
                grid.addWidget(box, row, 0)
            grid.addWidget(thumb, row, 1)
            grid.addLayout(text, row, 2)
            self.messages.append(message)
        body = QWidget()
        body.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.viewport().setAutoFillBackground(False)
        body.setAutoFillBackground(False)  # the dialog's background, not the palette's white
        scroll.setMinimumHeight(min(n, 4) * (THUMB_PX + grid.verticalSpacing() + 4) + 8)

        self.buttons = QDialogButtonBox()
        self.add_button = self.buttons.addButton(
            "Add anyway", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.skip_button = self.buttons.addButton("Skip", QDialogButtonBox.ButtonRole.RejectRole)
        self.add_button.setAutoDefault(False)
        self.skip_button.setDefault(True)  # the safe answer is the default (Enter skips)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._on_box_toggled()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """Keep Skip the default button (the button box makes Add it when shown)."""
        super().showEvent(event)
        self.skip_button.setDefault(True)

    def chosen(self) -> list[int]:
        """Indexes (into the flagged list) of the samples to add anyway.

        Empty unless the dialog was accepted.
        """
        accepted = self.result() == QDialog.DialogCode.Accepted
        return added_rows(accepted, [box.isChecked() for box in self.boxes])

    @Slot()
    def _on_box_toggled(self) -> None:
        if not self.boxes:
            return
        n = sum(box.isChecked() for box in self.boxes)
        self.add_button.setEnabled(n > 0)
        self.add_button.setText(add_anyway_text(n))
        self.skip_button.setText("Skip all")
