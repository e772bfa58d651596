"""SamplesDialog: one person's stored samples, their quality, how far each is from their mean."""

from __future__ import annotations

import logging

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QSignalBlocker,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui.context import AppContext
from faceapp.gui.images import jpeg_pixmap
from faceapp.gui.prompts import confirm, show_error
from faceapp.gui.safe_text import hint_label, html_literal, plain_label
from faceapp.gui.widgets.tables import read_only_table
from faceapp.session.gallery import GalleryEdit
from faceapp.session.gallery_panel_view import PendingEdits
from faceapp.session.sample_rows import (
    delete_question,
    delete_text,
    distance_text,
    samples_hint,
    samples_title,
)
from faceapp.session.samples_table import (
    ADDED,
    DISTANCE,
    HEADERS,
    PICTURE,
    QUALITY,
    SORTS,
    SOURCE,
    SampleListing,
    quality_tone,
    sort_choice,
)
from faceapp.storage.gallery import Person, Sample

log = logging.getLogger(__name__)

#: Side of the sample pictures in the table, in pixels.
SAMPLE_PX = 64

#: Item data role holding a sample's id (on the picture column) and every cell's sort key.
ID_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

#: Background of the rows of samples farther from the mean than the threshold.
OUTLIER_BACKGROUND = QColor("#5c1f24")

#: Text colour of the quality of a sample with a figure that fails its check.
QUALITY_FAILED_COLOR = QColor("#f0b35a")

#: Text colour of the quality cells by :func:`~faceapp.session.samples_table.quality_tone`
#: (the failing figures', then "not recorded").
QUALITY_COLORS = {"failed": QUALITY_FAILED_COLOR, "missing": QColor("#8b95a7")}


class _Item(QTableWidgetItem):
    """A cell that sorts by its ``SORT_ROLE`` value (numbers as numbers), not its text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if mine is None or theirs is None:
            return super().__lt__(other)
        return bool(mine < theirs)


def _cell(text: str, key: object, tip: str) -> _Item:
    item = _Item(text)
    item.setData(SORT_ROLE, key)
    item.setToolTip(html_literal(tip))
    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    return item


class SamplesDialog(QDialog):
    """A person's stored samples: picture, date, source and distance to their mean.

    The samples and their distances are read by the context's gallery thread; the
    table fills when they arrive (``loaded`` is emitted then).  A sample farther from
    the person's mean embedding than the matching threshold is highlighted: it would
    not be recognised as this person, so it is most likely someone else's face or a
    poor picture.  The quality figures measured when the sample was enrolled (size,
    sharpness, turn, tilt) are shown judged by today's limits, a failing figure marked;
    samples stored before they were recorded say "not recorded".  Several samples can
    be selected and deleted together (one question, one write).

    Parameters
    ----------
    ctx : AppContext
        Subscribed to ``gallery_changed``, ``samples_loaded``, ``edit_finished`` and
        ``match_settings_changed`` (the highlight follows the threshold); the dialog
        closes itself when the person is deleted.
    person_id : int
        Gallery id of the person shown.
    """

    #: Emitted on the GUI thread each time the samples listed were (re)read.
    loaded = Signal()

    def __init__(self, ctx: AppContext, person_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._person_id = person_id
        self._person: Person | None = ctx.person(person_id)
        self._ticket = -1
        self._edits = PendingEdits()
        self._listing = SampleListing()
        self.setObjectName("samplesDialog")
        self.setMinimumSize(640, 380)
        self.resize(820, 480)
        self.title_label = plain_label()
        self.title_label.setObjectName("heading")
        self.hint_label = hint_label()
        self.sort_combo = QComboBox()
        self.sort_combo.setAccessibleName("Sort the samples")
        for label, _, _ in SORTS:
            self.sort_combo.addItem(label)
        self.table = read_only_table(HEADERS)
        self.table.setObjectName("samplesTable")
        self.table.setIconSize(QSize(SAMPLE_PX, SAMPLE_PX))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(SAMPLE_PX + 8)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(PICTURE, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(PICTURE, SAMPLE_PX + 16)
        header.setSectionResizeMode(SOURCE, QHeaderView.ResizeMode.Stretch)
        self.table.setSortingEnabled(True)
        self.delete_button = QPushButton("Delete sample…")
        self.delete_button.setObjectName("danger")
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.addButton(self.delete_button, QDialogButtonBox.ButtonRole.ActionRole)
        box.rejected.connect(self.reject)
        sort_row = QHBoxLayout()
        sort_row.addWidget(QLabel("Sort:"))
        sort_row.addWidget(self.sort_combo)
        sort_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.hint_label)
        layout.addLayout(sort_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(box)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        header.sortIndicatorChanged.connect(self._on_sort_indicator_changed)
        self.sort_combo.currentIndexChanged.connect(self._on_sort_combo_changed)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        delete_key.activated.connect(self._on_delete_clicked)
        ctx.gallery_changed.connect(self.refresh)
        ctx.samples_loaded.connect(self._on_samples_loaded)
        ctx.edit_finished.connect(self._on_edit_finished)
        ctx.match_settings_changed.connect(self._highlight)  # the threshold may have moved
        self._on_sort_combo_changed(0)
        self._show_title()
        self._on_selection_changed()
        self.refresh()

    # -- reading -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the person's samples again; the dialog closes when the person is gone."""
        self._ticket = self._ctx.gallery.request_samples(self._person_id)

    def sample_ids(self) -> list[int]:
        """Ids of the samples listed, in the order shown."""
        return [self._id_of_row(r) for r in range(self.table.rowCount())]

    def selected_ids(self) -> list[int]:
        """Ids of the selected samples, in the order shown."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self._id_of_row(r) for r in rows]

    def select_samples(self, sample_ids: list[int]) -> None:
        """Select exactly the listed samples with these ids."""
        wanted, model = set(sample_ids), self.table.model()
        selection = QItemSelection()
        for row in range(self.table.rowCount()):
            if self._id_of_row(row) in wanted:
                last = self.table.columnCount() - 1
                selection.select(model.index(row, 0), model.index(row, last))
        flag = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.table.selectionModel().select(selection, flag)

    def distance_of(self, sample_id: int) -> float:
        """Return the distance to the mean read with the sample listed with this id."""
        return self._listing.distance(sample_id)

    def outlier_ids(self) -> list[int]:
        """Ids of the samples highlighted (farther from the mean than the threshold)."""
        return self._listing.outliers(self._ctx.distance_in_force(), self.sample_ids())

    def row_of(self, sample_id: int) -> int:
        """Return the row showing the sample ``sample_id``, or -1."""
        ids = self.sample_ids()
        return ids.index(sample_id) if sample_id in ids else -1

    def _id_of_row(self, row: int) -> int:
        return int(self.table.item(row, PICTURE).data(ID_ROLE))

    # -- showing -------------------------------------------------------------------------

    def _show_title(self) -> None:
        person = self._person
        if person is None:
            return
        title, heading = samples_title(person)
        self.setWindowTitle(title)
        self.title_label.setText(heading)

    def _show_hint(self) -> None:
        name = self._person.name if self._person is not None else "this person"
        limit = self._ctx.distance_in_force()
        poor = self._listing.poor()
        self.hint_label.setText(samples_hint(name, limit, len(self.outlier_ids()), poor))

    def _fill(self, samples: tuple[Sample, ...], distances: tuple[float, ...]) -> None:
        name = self._person.name if self._person is not None else ""
        selected = set(self.selected_ids())
        header = self.table.horizontalHeader()
        column, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        self.table.setSortingEnabled(False)
        self.table.clearContents()
        self.table.setRowCount(len(samples))
        self._listing = SampleListing.of(samples, distances)
        for row, (s, r) in enumerate(zip(samples, self._listing.rows, strict=True)):
            picture = _cell("", s.id, r.tip)
            picture.setData(ID_ROLE, s.id)
            picture.setIcon(QIcon(jpeg_pixmap(s.thumbnail, name, SAMPLE_PX)))
            self.table.setItem(row, PICTURE, picture)
            self.table.setItem(row, ADDED, _cell(r.added, r.added_key, r.tip))
            self.table.setItem(row, SOURCE, _cell(r.source, r.where, r.tip))
            cell = _cell(r.quality.text, r.quality.sort_key, r.tip)
            tone = quality_tone(r.quality.failed)
            if tone:
                cell.setForeground(QBrush(QUALITY_COLORS[tone]))
            self.table.setItem(row, QUALITY, cell)
            cell = _cell(distance_text(r.distance, False), r.distance, r.tip)
            cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, DISTANCE, cell)
        self.table.setSortingEnabled(True)
        self.table.sortItems(column, order)
        self._highlight()
        self.select_samples([i for i in self.sample_ids() if i in selected])

    def _highlight(self, *_settings: object) -> None:
        limit = self._ctx.distance_in_force()
        self.table.setSortingEnabled(False)  # no re-sorting while the rows are changed
        for row in range(self.table.rowCount()):
            value = self._listing.distance(self._id_of_row(row))
            far = value > limit
            for column in range(self.table.columnCount()):
                item = self.table.item(row, column)
                item.setBackground(QBrush(OUTLIER_BACKGROUND) if far else QBrush())
                font = item.font()
                font.setBold(far and column == DISTANCE)
                item.setFont(font)
            self.table.item(row, DISTANCE).setText(distance_text(value, far))
        self.table.setSortingEnabled(True)
        self._show_hint()

    # -- slots ---------------------------------------------------------------------------

    @Slot(int, object, object, object)
    def _on_samples_loaded(
        self,
        ticket: int,
        person: Person | None,
        samples: tuple[Sample, ...],
        distances: tuple[float, ...],
    ) -> None:
        if ticket != self._ticket:
            return
        if person is None:
            self.close()
            return
        self._person = person
        self._show_title()
        self._fill(samples, distances)
        self._on_selection_changed()
        self.loaded.emit()

    @Slot(int)
    def _on_sort_combo_changed(self, index: int) -> None:
        _, column, descending = SORTS[index]
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.table.sortItems(column, order)

    @Slot(int, Qt.SortOrder)
    def _on_sort_indicator_changed(self, column: int, order: Qt.SortOrder) -> None:
        choice = sort_choice(column, order == Qt.SortOrder.DescendingOrder)
        if choice >= 0:
            with QSignalBlocker(self.sort_combo):
                self.sort_combo.setCurrentIndex(choice)

    @Slot()
    def _on_selection_changed(self) -> None:
        n = len(self.table.selectionModel().selectedRows())
        self.delete_button.setEnabled(n > 0)
        self.delete_button.setText(delete_text(n))

    @Slot()
    def _on_delete_clicked(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        name = self._person.name if self._person is not None else "this person"
        if not confirm(self, "Delete samples", delete_question(name, len(ids))):
            return
        ticket = self._ctx.gallery.remove_samples(ids, self._person_id)
        self._edits.add(ticket, "Cannot delete the samples")

    @Slot(object)
    def _on_edit_finished(self, edit: GalleryEdit) -> None:
        failure = self._edits.failure(edit)
        if failure is not None:
            show_error(self, *failure)
