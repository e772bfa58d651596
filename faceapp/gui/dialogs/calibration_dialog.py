"""CalibrationDialog: "How well does it separate my people?", the calibration report on screen."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.calibration import CalibrationReport
from faceapp.core.matching import GalleryIndex
from faceapp.gui.calibration_worker import CalibrationWorker
from faceapp.gui.context import AppContext
from faceapp.gui.safe_text import hint_label
from faceapp.gui.widgets.calibration_charts import CalibrationCharts
from faceapp.gui.widgets.tables import fill_row, read_only_table
from faceapp.session.calibration_requests import CalibrationRequests
from faceapp.session.calibration_text import (
    CLOSEST_NOTE,
    FIGURES_TIP,
    LINES_HINT,
    Marker,
    closest_cells,
    closest_tips,
    column_header,
    empty_state,
    figure_rows,
    markers_of,
    singles_text,
    summary_text,
)
from faceapp.settings import Settings

log = logging.getLogger(__name__)

#: The tables' headers on the dark style (the application style sheet leaves them light).
_STYLE = """
QHeaderView::section {
    background: #1d232b;
    color: #9aa5b1;
    border: none;
    border-bottom: 1px solid #2f3742;
    padding: 4px 6px;
}
QTableWidget { gridline-color: #232a33; }
QLabel#emptyState { font-size: 12pt; color: #dfe4ea; padding: 40px; }
"""

#: Distances in the closest-pairs table at or under the threshold in use are shown in this.
CLOSE_COLOUR = "#f5c542"


def _table(headers: list[str]) -> QTableWidget:
    table = read_only_table(headers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setWordWrap(False)
    return table


class CalibrationDialog(QDialog):
    """Shows how far apart the user's own people are, next to LFW's figures.

    The genuine (same person) and impostor (different people) distances of every pair
    of samples in the gallery, with the recognition and verification thresholds drawn
    on them; what those thresholds accept, on the gallery and on LFW; and the people
    whose samples come closest to someone else's.  Not modal: moving the threshold
    slider of the main window moves the lines at once, and the figures follow when the
    report for the new threshold is ready.

    Parameters
    ----------
    ctx : AppContext
        The gallery snapshot (``gallery_index()``, ``gallery_index_changed``) and the
        thresholds (``settings``, ``settings_changed``) come from here.
    parent : QWidget, optional
        The main window; the dialog closes with it.

    Notes
    -----
    The gallery is read by the gallery thread (the dialog uses its snapshot) and the
    report computed by a :class:`CalibrationWorker` thread, never on the GUI thread;
    the dialog stops the worker when it closes, or when its parent window closes,
    without waiting for a report being computed.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._requests = CalibrationRequests()
        self.report: CalibrationReport | None = None
        self.setWindowTitle("How well does it separate my people?")
        self.setObjectName("calibrationDialog")
        self.setStyleSheet(_STYLE)

        self.summary = QLabel()
        self.summary.setObjectName("heading")
        self.summary.setWordWrap(True)
        self.busy = hint_label(wrap=False)
        self.message = QLabel()
        self.message.setObjectName("emptyState")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.charts = CalibrationCharts()
        self.figures = _table(["", "Recognition", "Verification"])
        self.figures.setToolTip(FIGURES_TIP)
        self.closest = _table(["Person", "Closest other person", "Samples", "Means"])
        self.closest_note = hint_label(CLOSEST_NOTE)
        self.singles = hint_label()

        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(QLabel("At the thresholds in force"))
        side.addWidget(self.figures)
        side.addWidget(QLabel("People whose samples come closest to someone else's"))
        side.addWidget(self.closest, 1)
        side.addWidget(self.closest_note)
        side.addWidget(self.singles)
        hint = hint_label(LINES_HINT)
        body = QWidget()
        columns = QHBoxLayout()
        columns.addWidget(self.charts, 5)
        columns.addLayout(side, 4)
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(columns, 1)
        body_layout.addWidget(hint)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.busy)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(buttons)
        self.resize(1180, 780)

        self._worker = CalibrationWorker()
        self._worker.report_ready.connect(self._on_worker_report_ready)
        self._worker.report_failed.connect(self._on_worker_report_failed)
        ctx.gallery_index_changed.connect(self._on_gallery_index_changed)
        ctx.settings_changed.connect(self._on_settings_changed)
        ctx.gallery_failed.connect(self._on_gallery_failed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._stop_worker)
        if parent is not None:
            parent.installEventFilter(self)
        self._worker.start("faceapp-calibration")
        self.charts.set_markers(self._markers())
        self._show_message("Reading the gallery…")
        index = ctx.gallery_index()
        if index is not None:
            self._compute(index)

    @classmethod
    def open_for(cls, ctx: AppContext, parent: QWidget) -> CalibrationDialog:
        """Show the dialog of ``parent`` (creating it when it is not open) and return it."""
        dialog = parent.findChild(cls)
        if dialog is None or not isinstance(dialog, cls) or dialog._requests.stopped:
            dialog = cls(ctx, parent)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    # -- computing ---------------------------------------------------------------------

    def thresholds(self) -> dict[str, float]:
        """Return the thresholds the figures are computed at (label -> distance)."""
        return {m.label: m.value for m in self._markers()}

    def _markers(self) -> tuple[Marker, ...]:
        return markers_of(self._ctx.settings, self._ctx.automatic_distance())

    def _compute(self, index: GalleryIndex) -> None:
        if self._requests.stopped:
            return
        thresholds = self.thresholds()
        self._requests.sent(self._worker.loop.request(index, thresholds), thresholds)
        self.busy.setText("Computing distances…")

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def show_report(self, report: CalibrationReport) -> None:
        """Show ``report`` (or why it cannot tell anything yet)."""
        self.report = report
        self.summary.setText(summary_text(report))
        empty = empty_state(report)
        if empty is not None:
            self._show_message(empty)
            return
        self.charts.show_report(report)
        self._fill_figures(report)
        self._fill_closest(report)
        self.singles.setText(singles_text(report))
        self.singles.setVisible(bool(report.single_sample))
        self.stack.setCurrentIndex(1)

    def _fill_figures(self, report: CalibrationReport) -> None:
        figures = report.thresholds
        automatic = {m.label for m in self._markers() if m.automatic}

        mode = self._ctx.settings.mode
        headers = [column_header(t, t.label in automatic, t.label == mode) for t in figures]
        self.figures.setHorizontalHeaderLabels(["", *headers])
        rows = figure_rows(figures)
        self.figures.setRowCount(len(rows))
        for r, (what, texts) in enumerate(rows):
            fill_row(self.figures, r, [what, *texts], numbers=range(1, len(texts) + 1))
        table = self.figures
        header_height = max(
            table.horizontalHeader().height(), table.horizontalHeader().sizeHint().height()
        )
        height = header_height + 2 * table.frameWidth()
        table.setFixedHeight(height + sum(table.rowHeight(r) for r in range(len(rows))))

    def _fill_closest(self, report: CalibrationReport) -> None:
        limit = self._ctx.distance_in_force()
        self.closest.setRowCount(len(report.closest))
        for r, pair in enumerate(report.closest):
            person, other, *distances = fill_row(
                self.closest, r, closest_cells(pair), numbers=(2, 3)
            )
            person.setToolTip(pair.person)  # a long name is cut in its cell
            other.setToolTip(pair.other)
            for item, tip in zip(distances, closest_tips(pair, limit), strict=True):
                if tip is not None:
                    item.setForeground(QColor(CLOSE_COLOUR))
                    item.setToolTip(tip)

    # -- slots -------------------------------------------------------------------------

    @Slot(int, object)
    def _on_worker_report_ready(self, ticket: int, report: CalibrationReport) -> None:
        if not self._requests.is_last(ticket):
            return  # an older request: a newer one is on its way
        self.busy.setText("")
        self.show_report(report)

    @Slot(int, str)
    def _on_worker_report_failed(self, ticket: int, message: str) -> None:
        if self._requests.is_last(ticket):
            self.busy.setText("")
            self._show_message(message)

    @Slot(object)
    def _on_gallery_index_changed(self, index: GalleryIndex) -> None:
        self.charts.set_markers(self._markers())  # the automatic distance follows the gallery
        self._compute(index)

    @Slot(object)
    def _on_settings_changed(self, settings: Settings) -> None:
        self.charts.set_markers(self._markers())
        index = self._ctx.gallery_index()
        if index is not None and self._requests.outdated(self.thresholds()):
            self._compute(index)
        elif self.report is not None and empty_state(self.report) is None:
            self._fill_figures(self.report)  # the mode changed: "(in use)" moves
            self._fill_closest(self.report)

    @Slot(str)
    def _on_gallery_failed(self, message: str) -> None:
        if self.report is None:
            self._show_message(message)

    # -- lifetime ----------------------------------------------------------------------

    @Slot()
    def _stop_worker(self) -> None:
        if self._requests.stop():
            self._worker.stop()

    def done(self, result: int) -> None:  # noqa: D102 - QDialog API
        self._stop_worker()
        parent = self.parent()
        if parent is not None:
            parent.removeEventFilter(self)
        super().done(result)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802, D102
        if watched is self.parent() and event.type() == QEvent.Type.Close:
            self.close()  # the main window is closing: so is this dialog (and its thread)
        return super().eventFilter(watched, event)
