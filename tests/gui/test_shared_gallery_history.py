"""The History dialog of a shared gallery: a Desk column and a Desk filter (none for a file)."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.gui.dialogs.history_dialog import DESK_COLUMN, HistoryDialog
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import History, NewEvent
from tests.storage.conftest import pg_server, pg_uri  # noqa: F401

from .gui_helpers import fake_pipeline, make_ctx


def _record(store, desk: str, n: int) -> None:
    ann = store.find_person("Ann").id
    History(store, desk=desk).record(
        [NewEvent("recognition", "named", ann, 0.4, 0.8, "camera 0", float(i)) for i in range(n)]
    )


@pytest.fixture
def started(qtbot):
    contexts = []

    def start(store):
        store.add_samples("Ann", [(np.eye(1, 128, 0, dtype=np.float32)[0], None, "a.jpg")])
        ctx = make_ctx(store, fake_pipeline())
        ctx.start_gallery()
        contexts.append(ctx)
        qtbot.waitUntil(lambda: ctx.people_loaded, timeout=10_000)
        return ctx

    yield start
    for ctx in contexts:
        ctx.stop_gallery()


def _shown(qtbot, dialog):
    dialog.reload()
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=15_000)
    table = dialog.table
    return [table.item(r, DESK_COLUMN).text() for r in range(table.rowCount())]


def test_shared_history_shows_each_events_desk_and_filters_by_desk(
    qtbot,
    started,
    pg_uri,  # noqa: F811 (the fixture imported above)
):
    from faceapp.storage.postgres import PostgresStore

    store = PostgresStore(pg_uri)
    ctx = started(store)
    _record(store, "Reception", 2)
    _record(store, "Lab door", 3)
    dialog = HistoryDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    assert sorted(_shown(qtbot, dialog)) == ["Lab door"] * 3 + ["Reception"] * 2
    assert not dialog.table.isColumnHidden(DESK_COLUMN)
    assert dialog.table.horizontalHeaderItem(DESK_COLUMN).text() == "Desk"
    assert dialog.desk_box.isVisible()
    box = dialog.desk_box
    assert [box.itemText(i) for i in range(box.count())] == ["All desks", "Lab door", "Reception"]

    box.setCurrentIndex(box.findData("Reception"))  # the filter reads again by itself
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=15_000)
    assert [e.desk for e in dialog.events()] == ["Reception"] * 2
    assert dialog.query().desk == "Reception"


def test_a_file_gallery_has_no_desk_column_nor_filter(qtbot, started, tmp_path):
    store = GalleryStore(tmp_path / "gallery.sqlite3")
    ctx = started(store)
    _record(store, "Reception", 2)
    dialog = HistoryDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    assert _shown(qtbot, dialog) == ["", ""]
    assert dialog.table.isColumnHidden(DESK_COLUMN)
    assert not dialog.desk_box.isVisible() and dialog.query().desk is None
