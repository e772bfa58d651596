"""History events that cannot be written (a shared gallery offline) are held and reported."""

from __future__ import annotations

from pathlib import Path

from faceapp.session.history import HistoryCallbacks, HistoryQueue
from faceapp.storage.gallery import GalleryError, GalleryStore
from faceapp.storage.history import History, NewEvent

from .helpers import Calls


def _event() -> NewEvent:
    return NewEvent("recognition", "unknown", None, 1.2, 0.8, "camera 0", 3.0)


def test_events_held_while_the_gallery_is_away_are_reported_then_written(tmp_path: Path) -> None:
    store = GalleryStore(tmp_path / "gallery.sqlite3")
    History(store).configure(True, None)
    calls = Calls()
    queue = HistoryQueue(
        store, HistoryCallbacks(held=calls.recorder("held"), recorded=calls.recorder("recorded"))
    )
    real = History.record
    away = [True]

    def record(self, events, now=None):  # the server is away until the test says
        if away[0]:
            raise GalleryError("the shared gallery is offline; nothing was written")
        return real(self, events, now)

    History.record = record  # type: ignore[method-assign]
    try:
        queue.add_events([_event(), _event()])
        queue._flush()
        queue.add_events([_event()])
        queue._flush()
        assert calls.of("held") == [(2,), (3,)]  # none lost: all waiting, and said so
        assert calls.of("recorded") == [] and queue.pending_events() == 3
        away[0] = False
        queue._flush()
    finally:
        History.record = real  # type: ignore[method-assign]
    assert calls.of("held") == [(2,), (3,), (0,)] and calls.of("recorded") == [(3,)]
    assert len(History(store).events()) == 3
