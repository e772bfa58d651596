"""GalleryPanel: enrolled people with thumbnails and sample counts; add, rename, delete."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.images import IMAGE_SUFFIXES
from faceapp.gui.context import AppContext
from faceapp.storage.gallery import GalleryError, Person, clean_name

log = logging.getLogger(__name__)

#: Side of the thumbnails in the list, in pixels.
THUMB_PX = 52

#: Item data role holding a person's gallery id (or a sample's id in SamplesDialog).
ID_ROLE = Qt.ItemDataRole.UserRole


def placeholder_pixmap(name: str, side: int = THUMB_PX) -> QPixmap:
    """Return a round badge with the initials of ``name``, for people without a thumbnail."""
    pm = QPixmap(side, side)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor("#2c3440"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(0, 0, side, side)
    p.setPen(QColor("#c9d1d9"))
    initials = "".join(w[0] for w in name.split()[:2]).upper() or "?"
    p.drawText(pm.rect(), Qt.AlignmentFlag.AlignCenter, initials)
    p.end()
    return pm


def jpeg_pixmap(data: bytes | None, name: str, side: int = THUMB_PX) -> QPixmap:
    """Return a ``side`` x ``side`` pixmap of JPEG bytes, or the initials badge."""
    pm = QPixmap()
    if data and pm.loadFromData(data):
        return pm.scaled(
            side,
            side,
            Qt.AspectRatioMode.KeepAspectRatioByExpanding,
            Qt.TransformationMode.SmoothTransformation,
        )
    return placeholder_pixmap(name, side)


def show_error(parent: QWidget, title: str, exc: BaseException) -> None:
    """Tell the user an action failed, in a message box, and log it."""
    log.warning("%s: %s", title, exc)
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    QMessageBox.warning(parent, title, str(text))


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Ask a yes/no question; True when the user answers yes."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class GalleryPanel(QWidget):
    """Lists the enrolled people and edits the gallery.

    Parameters
    ----------
    ctx : AppContext
        Gallery writes go through it; subscribed to ``gallery_changed``.
    """

    #: Emitted when the user asks to enrol the face in view; carries the selected
    #: person's name (or "") to suggest.
    capture_requested = Signal(str)
    #: Emitted with a name and the photo files to enrol for that person.
    files_chosen = Signal(str, list)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.people_list = QListWidget()
        self.people_list.setObjectName("peopleList")
        self.people_list.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.people_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.people_list.setUniformItemSizes(True)
        self.empty_label = QLabel("Nobody enrolled yet.\nCapture a face in view, or add photos.")
        self.empty_label.setObjectName("hint")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.capture_button = QPushButton("Capture face")
        self.capture_button.setObjectName("primary")
        self.capture_button.setToolTip("Enrol the face in the current frame")
        self.add_files_button = QPushButton("Add photos…")
        self.add_files_button.setToolTip("Enrol faces from photo files (several at once)")
        self.rename_button = QPushButton("Rename…")
        self.samples_button = QPushButton("Samples…")
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("danger")

        buttons = QGridLayout()
        buttons.addWidget(self.capture_button, 0, 0, 1, 3)
        buttons.addWidget(self.add_files_button, 0, 3, 1, 3)
        buttons.addWidget(self.rename_button, 1, 0, 1, 2)
        buttons.addWidget(self.samples_button, 1, 2, 1, 2)
        buttons.addWidget(self.delete_button, 1, 4, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.people_list, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addLayout(buttons)

        self.refresh()
        self.people_list.itemSelectionChanged.connect(self._on_selection_changed)
        self.people_list.itemDoubleClicked.connect(self._on_item_double_clicked)
        self.capture_button.clicked.connect(self._on_capture_clicked)
        self.add_files_button.clicked.connect(self._on_add_files_clicked)
        self.rename_button.clicked.connect(self._on_rename_clicked)
        self.samples_button.clicked.connect(self._on_samples_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        ctx.gallery_changed.connect(self._on_gallery_changed)

    # -- view --------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the people from the gallery, keeping the selection."""
        selected = self.selected_person_id()
        self.people_list.clear()
        try:
            people = self._ctx.people()
        except GalleryError as exc:
            log.warning("cannot list the gallery: %s", exc)
            people = []
        for person in people:
            self.people_list.addItem(self._item(person))
            if person.id == selected:
                self.people_list.setCurrentRow(self.people_list.count() - 1)
        self.people_list.setVisible(bool(people))
        self.empty_label.setVisible(not people)
        self._on_selection_changed()

    def _item(self, person: Person) -> QListWidgetItem:
        try:
            thumb = self._ctx.store.thumbnail(person.id)
        except (KeyError, GalleryError):
            thumb = None
        n = person.n_samples
        item = QListWidgetItem(
            QIcon(jpeg_pixmap(thumb, person.name)),
            f"{person.name}\n{n} sample{'s' if n != 1 else ''}",
        )
        item.setData(ID_ROLE, person.id)
        item.setToolTip(f"{person.name}: {n} sample(s), enrolled {person.created_at[:10]}")
        return item

    def names(self) -> list[str]:
        """Return the names listed, in order."""
        return [
            self.people_list.item(i).text().split("\n")[0] for i in range(self.people_list.count())
        ]

    def select(self, name: str) -> None:
        """Select the person called ``name`` (no-op when absent)."""
        for i, n in enumerate(self.names()):
            if n == name:
                self.people_list.setCurrentRow(i)

    def selected_person_id(self) -> int | None:
        """Gallery id of the selected person, or None."""
        item = self.people_list.currentItem()
        return int(item.data(ID_ROLE)) if item is not None and item.isSelected() else None

    def selected_name(self) -> str:
        """Name of the selected person, or ""."""
        item = self.people_list.currentItem()
        return item.text().split("\n")[0] if item is not None and item.isSelected() else ""

    # -- slots -------------------------------------------------------------------------

    @Slot()
    def _on_gallery_changed(self) -> None:
        self.refresh()

    @Slot()
    def _on_selection_changed(self) -> None:
        has = self.selected_person_id() is not None
        for b in (self.rename_button, self.samples_button, self.delete_button):
            b.setEnabled(has)

    @Slot(QListWidgetItem)
    def _on_item_double_clicked(self, item: QListWidgetItem) -> None:
        self._on_samples_clicked()

    @Slot()
    def _on_capture_clicked(self) -> None:
        self.capture_requested.emit(self.selected_name())

    @Slot()
    def _on_add_files_clicked(self) -> None:
        patterns = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add photos", "", f"Images ({patterns});;All files (*)"
        )
        if not files:
            return
        names = [p.name for p in self._ctx.people()]
        current = names.index(self.selected_name()) if self.selected_name() in names else -1
        if current < 0:
            names.insert(0, "")
            current = 0
        name, ok = QInputDialog.getItem(
            self,
            "Add photos",
            f"Whose face is in {'these' if len(files) > 1 else 'this'} photo"
            f"{'s' if len(files) > 1 else ''}?\n(choose someone enrolled, or type a new name)",
            names,
            current,
            True,
        )
        if not ok:
            return
        try:
            name = clean_name(name)
        except ValueError as exc:
            show_error(self, "Cannot add the photos", exc)
            return
        self.files_chosen.emit(name, [Path(f) for f in files])

    @Slot()
    def _on_rename_clicked(self) -> None:
        pid, old = self.selected_person_id(), self.selected_name()
        if pid is None:
            return
        new, ok = QInputDialog.getText(self, "Rename", f"New name for {old}:", text=old)
        if not ok or new.strip() == old:
            return
        try:
            self._ctx.rename_person(pid, new)
        except (KeyError, ValueError, GalleryError) as exc:
            show_error(self, "Cannot rename", exc)

    @Slot()
    def _on_delete_clicked(self) -> None:
        pid, name = self.selected_person_id(), self.selected_name()
        if pid is None:
            return
        if not confirm(
            self,
            "Delete person",
            f"Delete {name} and all their face samples from the gallery?\nThis cannot be undone.",
        ):
            return
        try:
            self._ctx.remove_person(pid)
        except (KeyError, GalleryError) as exc:
            show_error(self, "Cannot delete", exc)

    @Slot()
    def _on_samples_clicked(self) -> None:
        pid = self.selected_person_id()
        if pid is None:
            return
        dialog = SamplesDialog(self._ctx, pid, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()


class SamplesDialog(QDialog):
    """A person's stored samples with their thumbnails; deletes one at a time.

    Parameters
    ----------
    ctx : AppContext
        Subscribed to ``gallery_changed``; closes itself when the person is deleted.
    person_id : int
        Gallery id of the person shown.
    """

    def __init__(self, ctx: AppContext, person_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._person_id = person_id
        self.setObjectName("samplesDialog")
        self.setMinimumSize(460, 360)
        self.title_label = QLabel()
        self.title_label.setObjectName("heading")
        self.sample_list = QListWidget()
        self.sample_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.sample_list.setIconSize(QSize(96, 96))
        self.sample_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.sample_list.setMovement(QListWidget.Movement.Static)
        self.sample_list.setSpacing(6)
        self.delete_button = QPushButton("Delete sample…")
        self.delete_button.setObjectName("danger")
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.addButton(self.delete_button, QDialogButtonBox.ButtonRole.ActionRole)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.sample_list, 1)
        layout.addWidget(box)
        self.refresh()
        self.sample_list.itemSelectionChanged.connect(self._on_selection_changed)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        ctx.gallery_changed.connect(self._on_gallery_changed)

    def refresh(self) -> None:
        """Re-read the person's samples; close when the person no longer exists."""
        person = self._ctx.store.find_person(self._person_id)
        if person is None:
            self.close()
            return
        self.setWindowTitle(f"Samples of {person.name}")
        n = person.n_samples
        self.title_label.setText(f"{person.name} — {n} sample{'s' if n != 1 else ''}")
        self.sample_list.clear()
        for s in self._ctx.samples(self._person_id):
            source = Path(s.source).name if s.source else "unknown source"
            item = QListWidgetItem(
                QIcon(jpeg_pixmap(s.thumbnail, person.name, 96)), f"#{s.id}\n{source[:18]}"
            )
            item.setData(ID_ROLE, s.id)
            item.setToolTip(f"Sample {s.id} from {s.source or 'unknown'}, {s.created_at}")
            self.sample_list.addItem(item)
        self._on_selection_changed()

    def sample_ids(self) -> list[int]:
        """Ids of the samples listed."""
        return [
            int(self.sample_list.item(i).data(ID_ROLE)) for i in range(self.sample_list.count())
        ]

    @Slot()
    def _on_selection_changed(self) -> None:
        self.delete_button.setEnabled(bool(self.sample_list.selectedItems()))

    @Slot()
    def _on_gallery_changed(self) -> None:
        self.refresh()

    @Slot()
    def _on_delete_clicked(self) -> None:
        items = self.sample_list.selectedItems()
        if not items:
            return
        sample_id = int(items[0].data(ID_ROLE))
        if not confirm(self, "Delete sample", f"Delete sample #{sample_id}?"):
            return
        try:
            self._ctx.remove_sample(sample_id)
        except (KeyError, GalleryError) as exc:
            show_error(self, "Cannot delete the sample", exc)
