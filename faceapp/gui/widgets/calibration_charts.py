"""The calibration charts, drawn with pyqtgraph on PySide6: distance histograms, accept rates."""

from __future__ import annotations

import os
from collections.abc import Sequence

# pyqtgraph binds to the first Qt it finds, or to PYQTGRAPH_QT_LIB: always PySide6 here,
# whatever the user's environment says (two bindings in one process crash).
os.environ["PYQTGRAPH_QT_LIB"] = "PySide6"

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont  # noqa: E402
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget  # noqa: E402

from faceapp.core.calibration import MAX_DISTANCE, CalibrationReport  # noqa: E402
from faceapp.core.matching import MAX_THRESHOLD, MIN_THRESHOLD  # noqa: E402
from faceapp.report import LOG_FLOOR  # noqa: E402
from faceapp.session.calibration_text import (  # noqa: E402
    Marker,
    accept_curves,
    histogram_share,
)

#: Colours on the app's dark style (resources/style.qss).
BACKGROUND = "#12161b"
AXIS = "#9aa5b1"
TEXT = "#dfe4ea"
GENUINE = "#3ecf8e"
IMPOSTOR = "#ff6b6b"
LFW = "#b8c2cc"
#: Threshold lines by label; others get :data:`OTHER_THRESHOLD`.
THRESHOLD_COLOURS = {"recognition": "#8fb8ff", "verification": "#f5c542"}
OTHER_THRESHOLD = "#c39bff"


def _plot(title: str, x_label: str, y_label: str) -> pg.PlotWidget:
    """Return a static (no mouse zoom, no context menu) plot styled for the dark theme."""
    widget = pg.PlotWidget(background=BACKGROUND)
    widget.setMinimumSize(260, 170)
    item = widget.getPlotItem()
    item.setTitle(title, color=TEXT, size="10pt")
    item.setMouseEnabled(x=False, y=False)
    item.setMenuEnabled(False)
    item.hideButtons()
    item.showGrid(x=True, y=True, alpha=0.12)
    font = QFont()
    font.setPointSizeF(8.5)
    for side, text in (("bottom", x_label), ("left", y_label)):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen(AXIS))
        axis.setTextPen(pg.mkPen(AXIS))
        axis.setTickFont(font)
        axis.setLabel(text, color=AXIS, **{"font-size": "9pt"})
    return widget


def _legend(widget: pg.PlotWidget, offset: tuple[int, int]) -> pg.LegendItem:
    return widget.getPlotItem().addLegend(
        offset=offset,
        labelTextColor=TEXT,
        labelTextSize="8.5pt",
        brush=pg.mkBrush(QColor(18, 22, 27, 210)),
        pen=pg.mkPen("#2f3742"),
    )


def _discard(plot: pg.PlotWidget, item: pg.GraphicsObject) -> None:
    """Take ``item`` off ``plot`` and delete it in the event loop.

    A removed pyqtgraph item left to Python's garbage collector is deleted whenever a
    collection runs, even while another chart is being painted (pyqtgraph#1628).
    """
    plot.removeItem(item)
    item.deleteLater()


def _discard_entries(legend: pg.LegendItem, item: pg.GraphicsObject | None = None) -> None:
    """Take ``item``'s entry (every entry when None) off ``legend``, deleting its parts."""
    for sample, label in list(legend.items):
        if item is None or sample.item is item:
            legend.removeItem(sample.item)
            sample.deleteLater()
            label.deleteLater()


class CalibrationCharts(QWidget):
    """Three charts of a :class:`CalibrationReport`, with the thresholds drawn on them.

    - ``histogram``: the share of same-person and of different-person sample pairs at
      each distance (bins of :data:`~faceapp.core.calibration.BIN_WIDTH`);
    - ``far_plot``: different-person pairs accepted at each threshold (log scale), the
      gallery's and LFW's;
    - ``tar_plot``: same-person pairs accepted at each threshold, the gallery's and LFW's.

    Attributes
    ----------
    genuine_curve, impostor_curve : pyqtgraph.PlotDataItem
        The histogram outlines; their data are the bin edges and the percentage of the
        kind's pairs in each bin.
    lines : dict of str to list of pyqtgraph.InfiniteLine
        The threshold lines by label, one per chart.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        self.histogram = _plot(
            "Distances between two samples of your gallery",
            "distance (lower = more alike)",
            "% of pairs",
        )
        self.far_plot = _plot("Different people accepted", "threshold", "fraction of pairs (log)")
        self.tar_plot = _plot("Same person accepted", "threshold", "fraction of pairs")
        self.histogram.setXRange(0.0, MAX_DISTANCE, padding=0.01)
        self.far_plot.setLogMode(x=False, y=True)
        for plot in (self.far_plot, self.tar_plot):
            plot.setXRange(MIN_THRESHOLD, MAX_THRESHOLD, padding=0.01)
        self.far_plot.setYRange(np.log10(LOG_FLOOR), 0.0, padding=0.02)
        self.tar_plot.setYRange(0.0, 1.0, padding=0.02)
        self._hist_legend = _legend(self.histogram, (8, 8))
        self._far_legend = _legend(self.far_plot, (-8, -8))
        self._tar_legend = _legend(self.tar_plot, (-8, -8))
        self.genuine_curve = pg.PlotDataItem()
        self.impostor_curve = pg.PlotDataItem()
        self.lines: dict[str, list[pg.InfiniteLine]] = {}
        self._markers: tuple[Marker, ...] = ()

        lower = QHBoxLayout()
        lower.setContentsMargins(0, 0, 0, 0)
        lower.addWidget(self.far_plot)
        lower.addWidget(self.tar_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.histogram, 3)
        layout.addLayout(lower, 2)

    # -- data --------------------------------------------------------------------------

    def show_report(self, report: CalibrationReport) -> None:
        """Draw ``report``'s histograms and accept-rate curves (the lines stay)."""
        for curve in (self.genuine_curve, self.impostor_curve):
            _discard_entries(self._hist_legend, curve)
            _discard(self.histogram, curve)
        edges = np.asarray(report.bin_edges, np.float64)
        genuine = histogram_share(report.genuine_hist, report.genuine_pairs)
        impostor = histogram_share(report.impostor_hist, report.impostor_pairs)
        self.genuine_curve = self._histogram_curve(
            edges, genuine, GENUINE, f"same person ({report.genuine_pairs:,} pairs)"
        )
        self.impostor_curve = self._histogram_curve(
            edges, impostor, IMPOSTOR, f"different people ({report.impostor_pairs:,} pairs)"
        )
        top = max(1.0, *genuine, *impostor)
        self.histogram.setYRange(0.0, top * 1.3, padding=0)
        self._curves(report)
        self._draw_lines()

    def _histogram_curve(
        self, edges: np.ndarray, share: np.ndarray, colour: str, name: str
    ) -> pg.PlotDataItem:
        """Draw one kind's share of pairs per bin on the histogram, filled, and return it."""
        fill = QColor(colour)
        fill.setAlpha(70)
        curve = pg.PlotDataItem(
            edges,
            share,
            stepMode="center",
            fillLevel=0.0,
            brush=pg.mkBrush(fill),
            pen=pg.mkPen(colour, width=1.6),
            name=name,
        )
        self.histogram.addItem(curve)
        return curve

    def _curves(self, report: CalibrationReport) -> None:
        for plot, legend in ((self.far_plot, self._far_legend), (self.tar_plot, self._tar_legend)):
            _discard_entries(legend)
            for item in list(plot.getPlotItem().listDataItems()):
                _discard(plot, item)
        curves = accept_curves(report, LOG_FLOOR)
        lfw_pen = pg.mkPen(LFW, width=1.4, style=Qt.PenStyle.DashLine)
        self.far_plot.plot(*curves["far"], pen=pg.mkPen(IMPOSTOR, width=2), name="your people")
        self.tar_plot.plot(*curves["tar"], pen=pg.mkPen(GENUINE, width=2), name="your people")
        if "lfw_far" in curves:
            self.far_plot.plot(*curves["lfw_far"], pen=lfw_pen, name="LFW (29.6 M pairs)")
            self.tar_plot.plot(*curves["lfw_tar"], pen=lfw_pen, name="LFW")

    # -- thresholds --------------------------------------------------------------------

    def set_markers(self, markers: Sequence[Marker]) -> None:
        """Draw these thresholds as vertical lines on the three charts (replacing the old)."""
        self._markers = tuple(markers)
        self._draw_lines()

    def markers(self) -> tuple[Marker, ...]:
        """Return the thresholds drawn."""
        return self._markers

    def _draw_lines(self) -> None:
        plots = (self.histogram, self.far_plot, self.tar_plot)
        for lines in self.lines.values():
            for plot, line in zip(plots, lines):
                _discard(plot, line)
        self.lines = {}
        for k, m in enumerate(self._markers):
            colour = THRESHOLD_COLOURS.get(m.label, OTHER_THRESHOLD)
            pen = pg.mkPen(
                colour,
                width=2.4 if m.in_use else 1.5,
                style=Qt.PenStyle.SolidLine if m.in_use else Qt.PenStyle.DashLine,
            )
            drawn = []
            text = m.text()
            for n, plot in enumerate(plots):
                line = pg.InfiniteLine(
                    pos=m.value,
                    angle=90,
                    pen=pen,
                    movable=False,
                    label=text if n == 0 else None,
                    labelOpts={
                        "position": 0.95 - 0.09 * k,
                        "color": colour,
                        "fill": pg.mkBrush(QColor(18, 22, 27, 220)),
                        "anchors": [(0.0, 0.5), (0.0, 0.5)],  # text right of the line
                    },
                )
                line.setZValue(20)
                plot.addItem(line)
                drawn.append(line)
            self.lines[m.label] = drawn
