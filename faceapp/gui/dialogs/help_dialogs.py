"""The Help menu's dialogs: About (version, model, licence notices), shortcuts, how to use."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from faceapp import __version__
from faceapp.gui.widgets.tables import fill_row, read_only_table
from faceapp.session.help_text import (
    HOW_TO_HTML,
    about_html,
    notice_item,
    notice_text,
    shortcut_row,
)
from faceapp.session.licences import licence_notices, licences_dir


def _closable_layout(dialog: QDialog, *widgets: QWidget) -> None:
    """Lay ``widgets`` out in a column, the last one stretching, over a *Close* button."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    for n, widget in enumerate(widgets, 1):
        layout.addWidget(widget, 1 if n == len(widgets) else 0)
    layout.addWidget(buttons)


class AboutDialog(QDialog):
    """Help > About faceapp: version, model identity, and the licence notices to read."""

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About faceapp")
        self.resize(900, 600)
        self.header = QLabel(about_html(__version__))
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notices = licence_notices(folder)
        self.component_list = QListWidget()
        self.component_list.setWordWrap(True)
        self.component_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for n in self.notices:
            text, tip = notice_item(n)
            item = QListWidgetItem(text)
            item.setToolTip(tip)
            self.component_list.addItem(item)
        self.licence_text = QPlainTextEdit()
        self.licence_text.setReadOnly(True)
        self.licence_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.licence_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.component_list)
        split.addWidget(self.licence_text)
        split.setSizes([300, 600])
        _closable_layout(self, self.header, split)
        self.component_list.currentRowChanged.connect(self.show_notice)
        if self.notices:
            self.component_list.setCurrentRow(0)
        else:
            self.licence_text.setPlainText(f"No licence notices found in {licences_dir()}.")

    def show_notice(self, row: int) -> None:
        """Show the licence text of component ``row``."""
        if 0 <= row < len(self.notices):
            self.licence_text.setPlainText(notice_text(self.notices[row]))


#: Property of an action naming it in the shortcuts table when its text alone would not.
SHORTCUT_LABEL = "shortcut_label"


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: every action with a shortcut, read off the actions.

    An action's :data:`SHORTCUT_LABEL` property, when set, names it instead of its text.
    """

    def __init__(self, actions: Sequence[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [
            shortcut_row(
                a.property(SHORTCUT_LABEL),
                a.text(),
                [s.toString(s.SequenceFormat.NativeText) for s in a.shortcuts()],
            )
            for a in actions
            if a.shortcuts()
        ]
        self.table = read_only_table(["Action", "Keys"])
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            fill_row(self.table, r, row)
        _closable_layout(self, self.table)
        self.resize(420, 60 + 32 * max(len(rows), 4))

    def rows(self) -> list[tuple[str, str]]:
        """Return the table as ``(action, keys)`` pairs."""
        return [
            (self.table.item(r, 0).text(), self.table.item(r, 1).text())
            for r in range(self.table.rowCount())
        ]


class HowToDialog(QDialog):
    """Help > How to use: a short guide."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("How to use faceapp")
        self.text = QTextBrowser()
        self.text.setHtml(HOW_TO_HTML)
        _closable_layout(self, self.text)
        self.resize(560, 440)
