"""The window's small questions and messages: a message, busy, a yes/no question, a name, a file."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from faceapp.gui.safe_text import html_literal, plain_label
from faceapp.session.source_choices import PHOTO_FILTER, VIDEO_FILTER

log = logging.getLogger(__name__)


def show_error(parent: QWidget, title: str, message: str) -> None:
    """Tell the user an action failed, in a message box (as plain text), and log it."""
    log.warning("%s: %s", title, message)
    QMessageBox.warning(parent, title, html_literal(message))


def tell(
    parent: QWidget, icon: QMessageBox.Icon, title: str, text: str, lines: Sequence[str] = ()
) -> QMessageBox:
    """Open a window-modal message box of ``text`` and the informative ``lines``; return it.

    Both are shown as plain text; the box never blocks the caller and is deleted on close.
    """
    box = QMessageBox(icon, title, html_literal(text), QMessageBox.StandardButton.Ok, parent)
    if lines:
        box.setInformativeText(html_literal("\n".join(lines)))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def busy(parent: QWidget, label: str, title: str = "faceapp") -> QProgressDialog:
    """Return a window-modal busy indicator saying ``label`` (no Cancel), shown after 400 ms.

    Close it with ``close()`` and ``deleteLater()`` once the work is done.
    """
    dialog = QProgressDialog("", "", 0, 0, parent)
    dialog.setLabel(plain_label(label))
    dialog.setCancelButton(None)  # type: ignore[arg-type]
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)
    return dialog


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Ask a yes/no question (``text`` shown as plain text); True when the answer is yes."""
    answer = QMessageBox.question(
        parent,
        title,
        html_literal(text),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def complete_names(edit: QLineEdit, names: list[str]) -> None:
    """Offer ``names`` as completions in ``edit`` while typing (matched anywhere, any case)."""
    completer = QCompleter(QStringListModel(names, edit), edit)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    edit.setCompleter(completer)


def ask_name(
    parent: QWidget, title: str, label: str, text: str = "", names: list[str] | None = None
) -> str | None:
    """Ask for a name in a small dialog; return it, or None when cancelled.

    Parameters
    ----------
    parent : QWidget
    title : str
        Window title.
    label : str
        The question, shown as plain text (it may quote a name).
    text : str
        Pre-filled answer.
    names : list of str, optional
        Names to offer as completions while typing (matched anywhere, ignoring case).
    """
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.setLabelText(html_literal(label))
    dialog.setTextValue(text)
    edit = dialog.findChild(QLineEdit)
    if names and edit is not None:
        complete_names(edit, names)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.textValue()


def ask_video(parent: QWidget, start: str = "") -> str:
    """Ask for a video file to open, from ``start``; return its path, or "" when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, "Open a video", start, VIDEO_FILTER)
    return path


def ask_photos(parent: QWidget, title: str) -> list[Path]:
    """Ask for photo files (several at once); return their paths, none when cancelled."""
    files, _ = QFileDialog.getOpenFileNames(parent, title, "", PHOTO_FILTER)
    return [Path(f) for f in files]


def ask_folder(parent: QWidget) -> str:
    """Ask for a folder of photos to open; return its path, or "" when cancelled."""
    return QFileDialog.getExistingDirectory(parent, "Open a folder of photos")
