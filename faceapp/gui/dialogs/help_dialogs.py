"""The Help menu's dialogs: About (version, model, licence notices), shortcuts, how to use."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
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

from faceapp import __version__, paths
from faceapp.gui.safe_text import html_literal

log = logging.getLogger(__name__)

#: Name of the FaceNet weights file whose pinned SHA-256 identifies the model.
MODEL_FILE = "facenet_keras.h5"

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


@dataclass(frozen=True)
class LicenceNotice:
    """One third-party component shipped with the app, its licence and the notice file."""

    component: str
    licence: str
    path: Path | None


def licences_dir() -> Path:
    """Return the folder of the licence notices (``licenses/``), frozen or not."""
    return paths.install_root() / "licenses"


def _cell(text: str) -> str:
    return re.sub(r"[`*]", "", text).strip()


def licence_notices(folder: Path | None = None) -> list[LicenceNotice]:
    """Return the components and licences listed in ``folder`` (default :func:`licences_dir`).

    The rows of the README's table come first, each with the licence text its licence
    cell names (``Apache-2.0.txt``, or ``Apache-2.0`` with such a file; the README itself
    otherwise), then one
    entry per bundled distribution folder (``<name>/METADATA.txt`` and its licence files).
    """
    folder = licences_dir() if folder is None else folder
    readme = folder / "README.md"
    notices: list[LicenceNotice] = []
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|") or len(cells) < 2 or cells[0] in ("component", ""):
                continue
            if set(cells[0]) <= set("-: "):
                continue
            # The file the cell names, else a licence id with a text here (Apache-2.0).
            named = re.findall(r"`([^`]+\.txt)`", cells[1])
            named += [f"{t}.txt" for t in re.findall(r"[\w.+-]+", cells[1])]
            texts = [folder / n for n in named if (folder / n).is_file()]
            text = texts[0] if texts else readme
            notices.append(LicenceNotice(_cell(cells[0]), _cell(cells[1]), text))
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        meta = sub / "METADATA.txt"
        title, licence = sub.name, ""
        if meta.is_file():
            lines = meta.read_text(encoding="utf-8", errors="replace").splitlines()
            title = lines[0].strip() if lines else sub.name
            licence = next(
                (x.split(":", 1)[1].strip() for x in lines if x.startswith("License:")), ""
            )
        texts = sorted(p for p in sub.rglob("*") if p.is_file() and p.name != "METADATA.txt")
        notices.append(LicenceNotice(title, licence, texts[0] if texts else meta))
    return notices


def model_identity() -> str:
    """Return the pinned SHA-256 of the FaceNet weights, or why it is unknown."""
    try:
        return paths.pinned_hashes().get(MODEL_FILE, "unknown (not pinned)")
    except OSError as exc:
        return f"unknown ({exc.strerror or exc})"


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
