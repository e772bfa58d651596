"""The Help menu's dialogs: About (version, model, licence notices), shortcuts, how to use."""

from __future__ import annotations

import logging
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
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from faceapp import __version__
from faceapp.gui.safe_text import html_literal
from faceapp.session.licences import MODEL_FILE, licence_notices, licences_dir, model_identity

log = logging.getLogger(__name__)

#: The short usage guide of Help > How to use.
HOW_TO_HTML = """
<h3>How to use faceapp</h3>
<ol>
<li><b>Choose what to watch</b>: File &gt; Change source… (a camera, a video file, a folder
of photos, or the demo).</li>
<li><b>Enrol people</b>: with a face in view, Gallery &gt; Capture face… checks the face
(size, sharpness, facing the camera, head upright) and stores it under a name; or select
a person and use <i>Add photos…</i>.  Two to five samples per person work best.</li>
<li><b>Recognition</b> names every face in view: the name and the distance to the
nearest person; a face near someone but not near enough to be named is <i>maybe X?</i>
(amber), one farther away <i>Unknown</i>.</li>
<li><b>Verification</b> checks one claimed identity: choose the person in the Mode panel;
the face in view is accepted or rejected.</li>
<li><b>Threshold</b>: in recognition, choose how often a stranger may be given someone's
name (1 in 100 by default); the distance follows the number of people enrolled, unless
you fix one.  In verification, a distance: lower is stricter (fewer false accepts, more
misses).</li>
</ol>
<p>Everything runs on this computer; photos and the gallery never leave it.</p>
"""


class AboutDialog(QDialog):
    """Help > About faceapp: version, model identity, and the licence notices to read."""

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About faceapp")
        self.resize(900, 600)
        self.header = QLabel(
            f"<h2>faceapp {html_literal(__version__)}</h2>"
            "<p>Face recognition on this computer: MTCNN detection, FaceNet embeddings"
            " (Inception-ResNet-v1, 128-d).  faceapp itself is MIT-licensed.</p>"
            f"<p><b>Model</b>: {MODEL_FILE}, SHA-256<br><tt>{model_identity()}</tt></p>"
            "<p><b>Third-party components</b> shipped with the app; select one to read"
            " its licence.</p>"
        )
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notices = licence_notices(folder)
        self.component_list = QListWidget()
        self.component_list.setWordWrap(True)
        self.component_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for n in self.notices:
            licence = n.licence.split(" (")[0]
            item = QListWidgetItem(f"{n.component}\n{licence}" if licence else n.component)
            item.setToolTip(f"{n.component}\n{n.licence}")
            self.component_list.addItem(item)
        self.licence_text = QPlainTextEdit()
        self.licence_text.setReadOnly(True)
        self.licence_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.licence_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.component_list)
        split.addWidget(self.licence_text)
        split.setSizes([300, 600])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.component_list.currentRowChanged.connect(self.show_notice)
        if self.notices:
            self.component_list.setCurrentRow(0)
        else:
            self.licence_text.setPlainText(f"No licence notices found in {licences_dir()}.")

    def show_notice(self, row: int) -> None:
        """Show the licence text of component ``row``."""
        if not 0 <= row < len(self.notices):
            return
        path = self.notices[row].path
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path else ""
        except OSError as exc:
            log.warning("cannot read %s: %s", path, exc)
            text = f"Cannot read {path}: {exc.strerror or exc}"
        self.licence_text.setPlainText(text)


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
            (
                a.property(SHORTCUT_LABEL) or a.text().replace("&", "").rstrip("…"),
                ", ".join(s.toString(s.SequenceFormat.NativeText) for s in a.shortcuts()),
            )
            for a in actions
            if a.shortcuts()
        ]
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (what, keys) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(what))
            self.table.setItem(r, 1, QTableWidgetItem(keys))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
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
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(560, 440)
