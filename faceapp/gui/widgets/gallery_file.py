"""Dialogs of gallery files: the import conflict question, the address of a shared gallery."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui.safe_text import plain_label
from faceapp.session.gallery_files import (
    PASSWORD_ADVICE,
    import_question,
    shared_gallery_problem,
)


class ImportConflictDialog(QDialog):
    """Asks, once for all of them, what to do with people of an archive already enrolled.

    Lists those people (names shown as plain text) and offers merge, skip or rename;
    merge is chosen at first.  :meth:`policy` returns the choice once accepted.

    Parameters
    ----------
    file_name : str
        The archive's file name, for the heading.
    names : sequence of str
        The people enrolled both in the archive and in the gallery.
    n_people, n_samples : int
        Everything the archive holds.
    parent : QWidget, optional
    """

    def __init__(
        self,
        file_name: str,
        names: Sequence[str],
        n_people: int,
        n_samples: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import gallery")
        self.setObjectName("importConflictDialog")
        heading_text, ordered, choices = import_question(file_name, names, n_people, n_samples)
        layout = QVBoxLayout(self)
        heading = plain_label(heading_text)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.names_list = QListWidget()
        self.names_list.addItems(ordered)
        self.names_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.names_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Room for up to 8 names (the style sheet pads items); more scroll.
        row = self.names_list.fontMetrics().height() + 12
        self.names_list.setFixedHeight(row * max(1, min(len(ordered), 8)) + 12)
        layout.addWidget(self.names_list)
        question = plain_label("What should happen to them? (The others are added as they are.)")
        question.setWordWrap(True)
        layout.addWidget(question)
        self._group = QButtonGroup(self)
        self._buttons: dict[str, QRadioButton] = {}
        for policy, text in choices:
            button = QRadioButton(text)
            button.setObjectName(f"{policy}Choice")
            self._group.addButton(button)
            self._buttons[policy] = button
            layout.addWidget(button)
        self._buttons["merge"].setChecked(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def names(self) -> list[str]:
        """Return the names listed, in the order shown."""
        return [self.names_list.item(i).text() for i in range(self.names_list.count())]

    def policy(self) -> str:
        """Return the choice: ``"merge"``, ``"skip"`` or ``"rename"``."""
        for policy, button in self._buttons.items():
            if button.isChecked():
                return policy
        return "merge"

    def set_policy(self, policy: str) -> None:
        """Choose ``policy`` (one of :data:`~faceapp.session.gallery_files.IMPORT_CHOICES`)."""
        self._buttons[policy].setChecked(True)


class SharedGalleryDialog(QDialog):
    """Asks for the address of a shared (PostgreSQL) gallery; never takes a password.

    An address holding a password is refused and cleared from the field: the password
    belongs in ``~/.pgpass`` or a libpq service (see docs/postgres.md).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to a shared gallery")
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "The address of the shared gallery: a libpq service (service=faceapp) or "
                "postgresql://user@host/database?sslmode=verify-full. The password comes "
                "from ~/.pgpass or the service file, never from here."
            )
        )
        layout.itemAt(0).widget().setProperty("wordWrap", True)
        #: The address field.
        self.address = QLineEdit()
        self.address.setPlaceholderText("service=faceapp")
        layout.addWidget(self.address)
        #: Why the address was refused ("" when it was not).
        self.error = plain_label()
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def location(self) -> str:
        """Return the address given (outer spaces stripped)."""
        return self.address.text().strip()

    def accept(self) -> None:
        """Close with the address, unless it is none or holds a password (then say why)."""
        problem = shared_gallery_problem(self.location())
        if problem:
            if problem == PASSWORD_ADVICE:
                self.address.clear()
            self.error.setText(problem)
            return
        super().accept()
