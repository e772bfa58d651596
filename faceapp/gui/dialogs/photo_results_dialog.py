"""PhotoResultsDialog: the table of a folder run (file, faces, names, distances), CSV export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDoubleSpinBox,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.types import FaceResult
from faceapp.gui.face_actions import add_face_entries
from faceapp.gui.safe_text import plain_label
from faceapp.gui.widgets.tables import ask_csv_path, fill_row, hbox, read_only_table
from faceapp.session.photo_results import (
    PhotoRow,
    csv_name,
    export_rows,
    face_title,
    folder_title,
    summary,
)
from faceapp.settings import MAX_PHOTO_INTERVAL_S

_TITLES = ("File", "Faces", "Names", "Distances")


class PhotoResultsDialog(QDialog):
    """A non-modal window listing what recognition made of each photo of the folder run.

    Rows are filled as photos are processed (:meth:`set_row`); the photo on screen is
    selected (:meth:`set_current`).  Right-clicking a row opens its menu
    (:meth:`row_menu`): *Show this photo*, then the face menu of each face found
    (*Name this face…*, *Add to X…*, *This is not X*, as in the live view); a
    double-click shows the photo and opens that menu.  The menu's entries emit this
    dialog's signals; the window acts on them.  Lives on the GUI thread.

    Parameters
    ----------
    step_actions : sequence of QAction
        The window's previous / pause / next actions, shown as buttons.
    interval_s : float
        Initial shortest time a photo stays on screen (:attr:`interval_box`, whose
        ``valueChanged`` says when the user changes it).
    parent : QWidget, optional
    """

    #: The user double-clicked a row: the photo's position.
    photo_requested = Signal(int)
    #: *Name this face…* on a row: the photo's position and the :class:`FaceResult`.
    name_face_requested = Signal(int, object)
    #: *Add to X…* on a row: position, :class:`FaceResult`, the person's name.
    add_face_requested = Signal(int, object, str)
    #: *This is not X* on a row: position, :class:`FaceResult`, X's gallery id.
    not_person_requested = Signal(int, object, int)

    def __init__(
        self,
        step_actions: Sequence[QAction],
        interval_s: float,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Photo results")
        self.setModal(False)
        self._rows: list[PhotoRow] = []
        self._folder = ""
        #: The names enrolled, for the face menu's *Add to*; set by the window.
        self.people: Callable[[], Sequence[str]] = lambda: ()
        #: Whether the gallery stores "not X" corrections; set by the window.
        self.can_correct: Callable[[], bool] = lambda: False
        self.summary_label = plain_label()
        self.table = read_only_table(_TITLES)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(True)  # the photos' numbers
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(self._on_table_cell_double_clicked)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_menu_requested)

        self.interval_box = QDoubleSpinBox()
        self.interval_box.setRange(0.0, MAX_PHOTO_INTERVAL_S)
        self.interval_box.setSingleStep(0.5)
        self.interval_box.setDecimals(1)
        self.interval_box.setSuffix(" s")
        self.interval_box.setValue(interval_s)
        self.interval_box.setToolTip("Each photo stays until it is processed, and at least this")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._on_export_button_clicked)
        close = QPushButton("Close")
        close.clicked.connect(self.close)

        steps = [QToolButton() for _ in step_actions]
        for button, action in zip(steps, step_actions, strict=True):
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout = QVBoxLayout(self)
        layout.addLayout(hbox(*steps, None, QLabel("Show each photo at least"), self.interval_box))
        layout.addWidget(self.table, 1)
        layout.addLayout(hbox((self.summary_label, 1), self.export_button, close))
        self.resize(760, 460)

    # -- content -----------------------------------------------------------------------

    def rows(self) -> list[PhotoRow]:
        """Return the rows shown, in folder order."""
        return list(self._rows)

    def reset(self, folder: str, rows: Sequence[PhotoRow]) -> None:
        """Show a new run: ``rows`` (one per photo, not processed yet) of ``folder``."""
        self._folder = folder
        self._rows = list(rows)
        self.setWindowTitle(folder_title(folder))
        self.table.setRowCount(len(rows))
        for row in rows:
            self._fill(row)
        self._update_summary()

    def set_row(self, row: PhotoRow) -> None:
        """Replace the row at ``row.position`` (a photo processed, or processed again)."""
        if not 0 <= row.position < len(self._rows):
            return
        self._rows[row.position] = row
        self._fill(row)
        self._update_summary()

    def set_current(self, position: int) -> None:
        """Select the row of the photo on screen and scroll to it."""
        if 0 <= position < self.table.rowCount():
            self.table.selectRow(position)
            self.table.scrollToItem(self.table.item(position, 0))

    def _fill(self, row: PhotoRow) -> None:
        file, faces, *_ = fill_row(self.table, row.position, row.cells())
        file.setToolTip(file.text())  # a long path is cut in its cell
        faces.setTextAlignment(Qt.AlignmentFlag.AlignCenter)

    def _update_summary(self) -> None:
        self.summary_label.setText(summary(self._rows))

    # -- naming the faces of a row ---------------------------------------------------------

    def row_menu(self, position: int) -> QMenu | None:
        """Return the menu of row ``position``, or None when there is no such row.

        *Show this photo*, then for a photo of one face its face menu
        (:func:`~faceapp.gui.face_actions.add_face_entries`), for several faces one
        submenu per face ("Face 2: Madonna"), largest face first.
        """
        if not 0 <= position < len(self._rows):
            return None
        row = self._rows[position]
        menu = QMenu(self)
        menu.addAction("Show this photo").triggered.connect(
            lambda: self.photo_requested.emit(position)
        )
        faces = row.results
        if faces:
            menu.addSeparator()
        for k, fr in enumerate(faces):
            target = menu.addMenu(face_title(k, fr)) if len(faces) > 1 else menu
            self._face_entries(target, position, fr)
        return menu

    def _face_entries(self, menu: QMenu, position: int, fr: FaceResult) -> None:
        add_face_entries(
            menu,
            fr,
            list(self.people()),
            self.can_correct(),
            lambda: self.name_face_requested.emit(position, fr),
            lambda name: self.add_face_requested.emit(position, fr, name),
            lambda pid: self.not_person_requested.emit(position, fr, pid),
        )

    def _popup(self, position: int, at: QPoint) -> QMenu | None:
        menu = self.row_menu(position)
        if menu is not None:
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(self.table.viewport().mapToGlobal(at))
        return menu

    @Slot(QPoint)
    def _on_table_menu_requested(self, at: QPoint) -> None:
        self._popup(self.table.rowAt(at.y()), at)

    # -- export ------------------------------------------------------------------------

    def export_csv(self, path: str | Path) -> bool:
        """Write the rows to ``path`` as CSV (:data:`COLUMNS`); a message box on failure."""
        failure = export_rows(path, self._rows)
        if failure is not None:
            QMessageBox.warning(self, "Export CSV", failure)
        return failure is None

    @Slot()
    def _on_export_button_clicked(self) -> None:
        path = ask_csv_path(self, "Export the photo results", csv_name(self._folder))
        if path is not None:
            self.export_csv(path)

    @Slot(int, int)
    def _on_table_cell_double_clicked(self, row: int, column: int) -> None:
        self.photo_requested.emit(row)
        if 0 <= row < len(self._rows) and self._rows[row].results:
            rect = self.table.visualRect(self.table.model().index(row, column))
            self._popup(row, rect.center())
