"""The dialogs' read-only tables, their choice boxes and rows of widgets, the CSV file to write."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLayout,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

#: Alignment of the cells holding numbers.
NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def read_only_table(columns: Sequence[str], parent: QWidget | None = None) -> QTableWidget:
    """Return a table of ``columns`` whose rows are selected whole and never edited.

    Columns fit their contents and the last one stretches; there is no row header.
    """
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def fill_row(
    table: QTableWidget, row: int, cells: Sequence[str], numbers: Sequence[int] = (), start: int = 0
) -> list[QTableWidgetItem]:
    """Set the texts of ``row`` from column ``start`` on; return the items, in order.

    The columns in ``numbers`` are right-aligned.
    """
    items = []
    for col, text in enumerate(cells, start=start):
        item = QTableWidgetItem(text)
        if col in numbers:
            item.setTextAlignment(NUMBER_ALIGNMENT)
        table.setItem(row, col, item)
        items.append(item)
    return items


def ask_csv_path(parent: QWidget, title: str, suggested: str) -> Path | None:
    """Ask where to write a CSV file; return the path (ending in ``.csv``) or None."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, "CSV files (*.csv)")
    if not path:
        return None
    return Path(path if path.lower().endswith(".csv") else path + ".csv")


def hbox(*parts: QWidget | QLayout | tuple[QWidget, int] | int | None) -> QHBoxLayout:
    """Return a row of ``parts``, left to right.

    A widget or layout is added as it is, ``(widget, stretch)`` with that stretch,
    an int is a spacing of that many pixels and None a stretch.
    """
    row = QHBoxLayout()
    for part in parts:
        if part is None:
            row.addStretch(1)
        elif isinstance(part, int):
            row.addSpacing(part)
        elif isinstance(part, tuple):
            row.addWidget(*part)
        elif isinstance(part, QLayout):
            row.addLayout(part)
        else:
            row.addWidget(part)
    return row


def refill(box: QComboBox, choices: Sequence[tuple[str, object]]) -> None:
    """Give ``box`` these ``(label, value)`` choices, the one chosen kept (no signals).

    When the value chosen is gone, the first choice is chosen instead.
    """
    current = box.currentData()
    with QSignalBlocker(box):
        box.clear()
        for label, value in choices:
            box.addItem(label, value)
        box.setCurrentIndex(max(box.findData(current), 0) if current is not None else 0)


def choice_box(choices: Sequence[tuple[str, object]], width: int = 0) -> QComboBox:
    """Return a combo box of ``(label, value)`` choices, at least ``width`` characters wide."""
    box = QComboBox()
    box.setMinimumContentsLength(width)
    refill(box, choices)
    return box
