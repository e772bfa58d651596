"""FacePicker: which face of a photo of several people to enrol, shown with numbered boxes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.pipeline import largest_face
from faceapp.core.types import Face
from faceapp.gui.images import boxed_pixmap

#: Longest side of the photo shown, in pixels.
PICKER_PX = 560


class FacePicker(QDialog):
    """Asks which face of a photo to enrol: the photo with numbered boxes, one choice each.

    The largest face is chosen at first; the chosen face's box is green, the others
    grey.  Lives on the GUI thread.

    Parameters
    ----------
    image : ndarray
        The photo (BGR).
    faces : sequence of Face
        Its faces, in the order they are numbered.
    name : str
        Who is being enrolled (for the question).
    parent : QWidget, optional
    """

    def __init__(
        self,
        image: np.ndarray,
        faces: Sequence[Face],
        name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Which face?")
        self._image = image
        self._faces = list(faces)
        question = QLabel(f"This photo holds {len(self._faces)} faces. Which one is {name}?")
        question.setTextFormat(Qt.TextFormat.PlainText)
        question.setWordWrap(True)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.choices = QButtonGroup(self)
        row = QHBoxLayout()
        largest = largest_face(self._faces)
        for i, face in enumerate(self._faces):
            button = QRadioButton(f"Face {i + 1}")
            self.choices.addButton(button, i)
            row.addWidget(button)
            button.setChecked(face is largest)
        row.addStretch(1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Enrol this face")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(self.preview, 1)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.choices.idToggled.connect(lambda _i, _on: self._draw())
        self._draw()

    def chosen(self) -> Face | None:
        """Return the face chosen, or None when there is none."""
        i = self.choices.checkedId()
        return self._faces[i] if 0 <= i < len(self._faces) else None

    def choose(self, number: int) -> None:
        """Choose face ``number`` (from 1, as shown)."""
        button = self.choices.button(number - 1)
        if button is not None:
            button.setChecked(True)

    def _draw(self) -> None:
        chosen = self.chosen()
        boxes = [(f.box, "ok" if f is chosen else "plain") for f in self._faces]
        self.preview.setPixmap(boxed_pixmap(self._image, boxes, PICKER_PX, numbered=True))
