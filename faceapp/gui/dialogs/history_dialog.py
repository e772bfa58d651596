"""HistoryDialog: the recognition history as a table, with filters, CSV export and settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, QSize, Qt, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui.context import AppContext
from faceapp.gui.dialogs.face_namer import FacesDialog
from faceapp.gui.images import fitted
from faceapp.gui.prompts import confirm, show_error
from faceapp.gui.safe_text import html_literal, plain_label
from faceapp.gui.widgets.tables import (
    ask_csv_path,
    choice_box,
    fill_row,
    hbox,
    read_only_table,
    refill,
)
from faceapp.gui.widgets.video_view import MAYBE_COLOUR
from faceapp.session.history import (
    SHOWN_EVENTS,
    DailyPage,
    HistoryOutcome,
    HistoryPage,
    HistoryQuery,
)
from faceapp.session.history_rows import (
    COLUMNS,
    DAILY_COLUMNS,
    DECISION_CHOICES,
    DESK_COLUMN,
    EXPORT_FILES,
    MODE_CHOICES,
    SINCE_CHOICES,
    Exports,
    daily_cells,
    daily_summary,
    event_cells,
    events_summary,
    nameable,
    naming_note,
    newest_first,
    row_event,
    source_tip,
)
from faceapp.session.history_view import (
    CLEAR_QUESTION,
    desk_items,
    filter_query,
    person_items,
    person_tip,
    read_failure,
)
from faceapp.session.latest_read import LatestRead
from faceapp.storage.history import (
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    HistoryEvent,
    HistorySettings,
)

__all__ = ["DESK_COLUMN", "HistoryDialog"]

#: Side of the face crops in the table, in pixels.
CROP_PX = 48


class HistoryDialog(FacesDialog):
    """Who was named or verified, when, how close, with the face: the gallery's history.

    Reads, export, clear and settings go through ``ctx.history`` (a
    :class:`~faceapp.gui.history_worker.HistoryWorker`), never on the GUI thread; the
    table refreshes when filters change and when new events were recorded.

    Parameters
    ----------
    ctx : AppContext
    parent : QWidget, optional
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, naming_note, "Reading the history…")
        self._worker = ctx.history
        #: The reads of the Events and the Daily attendance tabs (their tickets).
        self.events_read, self.daily_read = LatestRead(), LatestRead()
        #: The exports under way ("export", "daily").
        self._exports = Exports()
        self._page: HistoryPage | None = None
        self.setWindowTitle("History")
        self.resize(980, 620)

        self.person_box = choice_box(person_items(()), width=14)
        self.decision_box = choice_box(DECISION_CHOICES)
        self.mode_box = choice_box(MODE_CHOICES)
        self.since_box = choice_box(SINCE_CHOICES)
        #: The desk filter: shown for a shared gallery, whose events carry desk names.
        self.desk_box = choice_box(desk_items(None, None), width=10)
        self.desk_label = QLabel("Desk")
        self.refresh_button = QPushButton("Refresh")
        filters = hbox(
            *(QLabel("Person"), self.person_box, QLabel("Decision"), self.decision_box),
            *(QLabel("Mode"), self.mode_box, QLabel("Since"), self.since_box),
            *(self.desk_label, self.desk_box, None, self.refresh_button),
        )

        self.table = read_only_table(COLUMNS)
        self.table.setIconSize(QSize(CROP_PX, CROP_PX))
        self.table.verticalHeader().setDefaultSectionSize(CROP_PX + 6)
        self.table.setColumnWidth(0, CROP_PX + 12)
        self._show_desks(None)  # until a shared gallery's page says which desks there are

        self.daily = read_only_table(DAILY_COLUMNS)
        self.daily.setObjectName("daily")
        self.daily_summary = plain_label()
        self.daily_export_button = QPushButton("Export daily CSV…")
        self.daily_export_button.setToolTip(
            "One row per person and day: first seen, last seen, appearances"
        )
        daily_page = QWidget()
        daily_layout = QVBoxLayout(daily_page)
        daily_layout.addWidget(self.daily, 1)
        daily_layout.addLayout(hbox((self.daily_summary, 1), self.daily_export_button))
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)  # the window's style, no pane frame
        self.tabs.setStyleSheet(
            "QTabBar::tab { background: transparent; color: palette(text); border: none;"
            " padding: 5px 14px; border-bottom: 2px solid transparent; }"
            " QTabBar::tab:selected { border-bottom: 2px solid palette(highlight); }"
        )
        self.tabs.addTab(self.table, "Events")
        self.tabs.addTab(daily_page, "Daily attendance")
        # A row's unknown face is named by right-click (Name this face… / Add to…) or
        # double-click (Name this face…).
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.enabled_box = QCheckBox("Record history")
        self.enabled_box.setToolTip("Keep who was named or verified, when, and a small face crop")
        self.retention_box = QSpinBox()
        self.retention_box.setRange(MIN_RETENTION_DAYS, MAX_RETENTION_DAYS)
        self.retention_box.setSuffix(" days")
        self.retention_box.setKeyboardTracking(False)
        self.retention_box.setToolTip("Older events are deleted")
        self.export_button = QPushButton("Export CSV…")
        self.clear_button = QPushButton("Clear history…")
        self.close_button = QPushButton("Close")
        bottom = hbox(
            *(self.enabled_box, 12, QLabel("Keep events for"), self.retention_box, None),
            *(self.export_button, self.clear_button, self.close_button),
        )

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.summary)
        layout.addLayout(bottom)

        self._fill_people()
        self._show_settings(self._worker.queue.settings)
        boxes = (self.person_box, self.decision_box, self.mode_box, self.since_box, self.desk_box)
        for box in boxes:
            box.currentIndexChanged.connect(lambda _index: self.reload())
        self.refresh_button.clicked.connect(self.reload)
        self.enabled_box.toggled.connect(lambda on: self._worker.queue.configure(enabled=on))
        self.retention_box.valueChanged.connect(
            lambda days: self._worker.queue.configure(retention_days=days)
        )
        self.export_button.clicked.connect(lambda: self._ask_export("export"))
        self.clear_button.clicked.connect(self._on_clear_button_clicked)
        self.close_button.clicked.connect(self.close)
        self._worker.events_loaded.connect(self._on_events_loaded)
        self._worker.daily_loaded.connect(self._on_daily_loaded)
        self.daily_export_button.clicked.connect(lambda: self._ask_export("daily"))
        self.table.customContextMenuRequested.connect(self._on_table_menu_requested)
        self.table.cellDoubleClicked.connect(lambda row, _column: self.name_row(row))
        self._worker.request_done.connect(self._on_request_done)
        self._worker.recorded.connect(self._on_recorded)
        ctx.people_reset.connect(self._on_people_changed)
        ctx.gallery_changed.connect(self._on_people_changed)
        self.reload()

    # -- reading -------------------------------------------------------------------------

    def query(self, limit: int | None = SHOWN_EVENTS) -> HistoryQuery:
        """Return the query of the filters as they are set."""
        return filter_query(
            self.since_box.currentData(),
            self.person_box.currentData(),
            self.decision_box.currentData(),
            self.mode_box.currentData(),
            self.desk_box.currentData(),
            limit,
        )

    def reload(self) -> int:
        """Read the events again with the current filters; returns the request's ticket."""
        self.daily_read.ask(self._worker.queue.request_daily(self.query(limit=None)))
        return self.events_read.ask(self._worker.queue.request_events(self.query()))

    def events(self) -> tuple[HistoryEvent, ...]:
        """Return the events the table shows, oldest first (empty before the first read)."""
        return self._page.events if self._page is not None else ()

    @Slot(object)
    def _on_events_loaded(self, page: HistoryPage) -> None:
        if not self.events_read.take(page.ticket):
            return  # an older read, overtaken by a newer one
        self._page = page
        if self._failed(page, self.table, self.summary):
            return
        self._show_settings(page.settings)
        self._show_desks(page.desks)
        self._fill_table(page)

    @staticmethod
    def _failed(page: HistoryPage | DailyPage, table: QTableWidget, label: QLabel) -> bool:
        """Empty ``table`` and say why in ``label`` when ``page`` could not be read."""
        if page.error is not None:
            table.setRowCount(0)
            label.setText(read_failure(page.error))
        return page.error is not None

    def _fill_table(self, page: HistoryPage) -> None:
        rows = newest_first(page)
        self.table.setRowCount(len(rows))
        for row, (e, crop) in enumerate(rows):
            face = QTableWidgetItem()
            if crop is not None:
                face.setData(
                    Qt.ItemDataRole.DecorationRole, fitted(QPixmap.fromImage(crop), CROP_PX)
                )
            self.table.setItem(row, 0, face)
            _, person, *_ = fill_row(self.table, row, event_cells(e), numbers=(5, 6), start=1)
            if tip := person_tip(e):
                person.setForeground(MAYBE_COLOUR)
                person.setToolTip(tip)
            if e.source:
                self.table.item(row, 7).setToolTip(html_literal(source_tip(e)))
        self.summary.setText(events_summary(page, self._note))

    # -- daily attendance ------------------------------------------------------------------

    @Slot(object)
    def _on_daily_loaded(self, page: DailyPage) -> None:
        if not self.daily_read.take(page.ticket):
            return
        if self._failed(page, self.daily, self.daily_summary):
            return
        rows = page.rows[::-1]  # the newest day first
        self.daily.setRowCount(len(rows))
        for r, row in enumerate(rows):
            fill_row(self.daily, r, daily_cells(row), numbers=(4,))
        self.daily_summary.setText(daily_summary(page))

    # -- naming a face of a row ----------------------------------------------------------

    def event_of_row(self, row: int) -> HistoryEvent | None:
        """Return the event shown in a row of the Events table (newest first), or None."""
        return row_event(self.events(), row)

    def row_menu(self, row: int) -> QMenu | None:
        """Return the right-click menu of a row, or None when its face cannot be named.

        An unknown face with a crop offers *Name this face…* and *Add to…* (it must still
        be kept with its embedding: see Gallery > Unknown faces…).
        """
        event = nameable(self.event_of_row(row))
        if event is None:
            return None
        menu = QMenu(self)
        name = menu.addAction("Name this face…")
        name.triggered.connect(lambda: self.namer.ask_name([event.id]))
        add = menu.addAction("Add to…")
        add.setEnabled(bool(self._ctx.people()))
        add.triggered.connect(lambda: self.namer.ask_person([event.id]))
        return menu

    def name_row(self, row: int) -> QInputDialog | None:
        """Ask the name of a row's unknown face (a double-click); None when it has none."""
        event = nameable(self.event_of_row(row))
        if event is None:
            return None
        return self.namer.ask_name([event.id])

    @Slot(object)
    def _on_table_menu_requested(self, pos: object) -> None:
        row = self.table.rowAt(pos.y())  # type: ignore[attr-defined]
        menu = self.row_menu(row)
        if menu is not None:
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(self.table.viewport().mapToGlobal(pos))  # type: ignore[arg-type]

    # -- filters and people ----------------------------------------------------------------

    def _show_desks(self, desks: tuple[str, ...] | None) -> None:
        """Show the Desk column and filter for a shared gallery (``desks``), not for a file."""
        shared = desks is not None
        self.table.setColumnHidden(DESK_COLUMN, not shared)
        self.desk_label.setVisible(shared)
        self.desk_box.setVisible(shared)
        choices = desk_items(desks, self.desk_box.currentData())
        box = self.desk_box
        if [(box.itemText(i), box.itemData(i)) for i in range(box.count())] != list(choices):
            refill(box, choices)

    def _fill_people(self) -> None:
        """Offer the people enrolled (a person gone is no longer filtered on); no read."""
        refill(self.person_box, person_items([p.name for p in self._ctx.people()]))

    @Slot()
    def _on_people_changed(self) -> None:
        self._fill_people()
        self.reload()  # once, whether or not the person filtered on is gone

    @Slot(int)
    def _on_recorded(self, n: int) -> None:
        if n > 0:
            self.reload()

    # -- settings ------------------------------------------------------------------------

    def _show_settings(self, settings: HistorySettings | None) -> None:
        known = settings is not None
        self.enabled_box.setEnabled(known)
        self.retention_box.setEnabled(known)
        if settings is None:
            return
        with QSignalBlocker(self.enabled_box), QSignalBlocker(self.retention_box):
            self.enabled_box.setChecked(settings.enabled)
            self.retention_box.setValue(settings.retention_days)

    # -- export and clear ------------------------------------------------------------------

    def export_csv(self, path: Path) -> int:
        """Write the events the filters select (all of them, not only those shown) as CSV."""
        return self._export("export", Path(path))

    def export_daily_csv(self, path: Path) -> int:
        """Write the daily attendance of the filters (person, mode, since) as CSV."""
        return self._export("daily", Path(path))

    def _export_widgets(self, action: str) -> tuple[QPushButton, QLabel]:
        """Return the button and the summary of an export ("export", "daily")."""
        if action == "daily":
            return self.daily_export_button, self.daily_summary
        return self.export_button, self.summary

    def _export(self, action: str, path: Path) -> int:
        button, label = self._export_widgets(action)
        label.setText(self._exports.start(action, path))
        button.setEnabled(False)
        queue = self._worker.queue
        write = queue.export_daily_csv if action == "daily" else queue.export_csv
        return write(self.query(limit=None), path)

    def _ask_export(self, action: str) -> None:
        path = ask_csv_path(self, *EXPORT_FILES[action])
        if path is not None:
            self._export(action, path)

    @Slot()
    def _on_clear_button_clicked(self) -> None:
        if confirm(self, "Clear history", CLEAR_QUESTION):
            self._worker.queue.clear()

    @Slot(object)
    def _on_request_done(self, outcome: HistoryOutcome) -> None:
        note = self._exports.end(outcome)
        if note is not None:
            button, label = self._export_widgets(outcome.action)
            button.setEnabled(True)
            label.setText(note)
            if outcome.error is not None:
                show_error(self, "Export failed", f"Not exported: {outcome.error}")
            return
        if outcome.error is not None:
            show_error(self, "History", outcome.error)
        self._show_settings(outcome.settings or self._worker.queue.settings)
        self.reload()
