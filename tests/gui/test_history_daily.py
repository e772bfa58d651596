"""History dialog: the daily attendance tab and its private CSV; naming an unknown row's face."""

from __future__ import annotations

import csv
import stat
from datetime import datetime, timedelta

import numpy as np
import pytest
from PySide6.QtWidgets import QInputDialog

from faceapp.storage.history import DAILY_COLUMNS, History, NewEvent

from .gui_helpers import make_ctx

#: Local times of the events: two days, Ann twice on the first and once on the second.
DAY1 = datetime(2026, 3, 2, 8, 55).astimezone()
DAY2 = DAY1 + timedelta(days=1)


def _unit(i: int) -> np.ndarray:
    return np.eye(1, 128, i, dtype=np.float32)[0]


def _jpeg() -> bytes:
    import cv2

    ok, data = cv2.imencode(".jpg", np.full((64, 64, 3), 120, np.uint8))
    assert ok
    return data.tobytes()


@pytest.fixture
def daily_store(store):
    store.add_samples("Ann", [(_unit(0), None, "a.jpg")])
    store.add_samples("=HYPERLINK(1)", [(_unit(1), None, "b.jpg")])
    ann = store.find_person("Ann").id
    odd = store.find_person("=HYPERLINK(1)").id
    History(store).configure(retention_days=3650)
    History(store).record(
        [
            NewEvent("recognition", "named", ann, 0.4, 0.8, "camera 0", at=DAY1),
            NewEvent(
                "recognition", "named", ann, 0.5, 0.8, "camera 0", at=DAY1 + timedelta(hours=8)
            ),
            NewEvent("verification", "accepted", odd, 0.3, 0.8, "camera 0", at=DAY1),
            NewEvent("recognition", "named", ann, 0.4, 0.8, "camera 0", at=DAY2),
            NewEvent("recognition", "maybe", ann, 0.9, 0.8, "camera 0", at=DAY2),  # not present
            NewEvent(
                "recognition",
                "unknown",
                None,
                1.2,
                0.8,
                "camera 0",
                crop=_jpeg(),
                at=DAY2 + timedelta(hours=1),
                embedding=_unit(5),
            ),
        ]
    )
    return store


@pytest.fixture
def dialog(qtbot, daily_store):
    from faceapp.gui.dialogs.history_dialog import HistoryDialog

    from .gui_helpers import fake_pipeline

    ctx = make_ctx(daily_store, fake_pipeline())
    ctx.start_gallery()
    qtbot.waitUntil(lambda: ctx.people_loaded, timeout=10_000)
    d = HistoryDialog(ctx)
    qtbot.addWidget(d)
    _loaded(qtbot, d)
    yield d
    d.close()
    ctx.stop_gallery()


def _loaded(qtbot, d) -> None:
    qtbot.waitUntil(
        lambda: d.events_read.settled and d.daily_read.settled,
        timeout=15_000,
    )


def _cells(table) -> list[list[str]]:
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def test_the_daily_tab_lists_each_person_and_day_with_first_and_last_seen(dialog):
    assert dialog.tabs.tabText(1) == "Daily attendance"
    rows = _cells(dialog.daily)
    assert rows == [
        [DAY2.date().isoformat(), "Ann", "08:55:00", "08:55:00", "1"],
        [DAY1.date().isoformat(), "Ann", "08:55:00", "16:55:00", "2"],
        [DAY1.date().isoformat(), "=HYPERLINK(1)", "08:55:00", "08:55:00", "1"],
    ]
    assert "2 days" in dialog.daily_summary.text()


def test_the_daily_csv_is_private_and_escapes_formulas(qtbot, dialog, tmp_path):
    path = tmp_path / "daily.csv"
    dialog.export_daily_csv(path)
    qtbot.waitUntil(lambda: dialog.daily_export_button.isEnabled(), timeout=15_000)
    assert "Exported 3 rows" in dialog.daily_summary.text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == DAILY_COLUMNS
    assert [r[1] for r in rows[1:] if "HYPERLINK" in r[1]] == ["'=HYPERLINK(1)"]
    assert sorted(r[4] for r in rows[1:]) == ["1", "1", "2"]


def test_right_click_an_unknown_row_names_its_face(qtbot, dialog, daily_store):
    rows = [dialog.event_of_row(r) for r in range(dialog.table.rowCount())]
    unknown = next(r for r, e in enumerate(rows) if e.decision == "unknown")
    named = next(r for r, e in enumerate(rows) if e.decision == "named")
    assert dialog.row_menu(named) is None  # a named face has nothing to name
    menu = dialog.row_menu(unknown)
    assert [a.text() for a in menu.actions()] == ["Name this face…", "Add to…"]
    menu.actions()[0].trigger()
    ask = dialog.namer.last_prompt
    assert isinstance(ask, QInputDialog)
    ask.setTextValue("Cleo")
    ask.accept()
    qtbot.waitUntil(lambda: daily_store.find_person("Cleo") is not None, timeout=15_000)
    qtbot.waitUntil(lambda: "Enrolled Cleo" in dialog.summary.text(), timeout=15_000)
    assert daily_store.find_person("Cleo").n_samples == 1
    assert History(daily_store).unknown_faces() == []  # it left the unknown faces


def test_double_click_an_unknown_row_asks_its_name(qtbot, dialog, daily_store):
    from PySide6.QtCore import Qt

    rows = [dialog.event_of_row(r) for r in range(dialog.table.rowCount())]
    unknown = next(r for r, e in enumerate(rows) if e.decision == "unknown")
    named = next(r for r, e in enumerate(rows) if e.decision == "named")
    viewport = dialog.table.viewport()

    def double_click(row: int) -> None:  # as a mouse does it: a click, then a double-click
        where = dialog.table.visualItemRect(dialog.table.item(row, 1)).center()
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=where)
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=where)

    double_click(named)
    assert dialog.namer.last_prompt is None  # a named face has nothing to name
    double_click(unknown)
    ask = dialog.namer.last_prompt
    assert isinstance(ask, QInputDialog) and ask.labelText() == "Name of this person:"
    ask.setTextValue("Dora")
    ask.accept()
    qtbot.waitUntil(lambda: daily_store.find_person("Dora") is not None, timeout=15_000)
