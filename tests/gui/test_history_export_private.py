"""The window's history export is private (0600), replaces an old file whole and never writes
through a link (issue 17: the same rule as every command-line output)."""

from __future__ import annotations

import stat
from pathlib import Path

from faceapp.gui.history_worker import HistoryWorker
from faceapp.session.history import HistoryQuery
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import History, NewEvent

from .gui_helpers import Recorder


def test_the_history_export_is_private_and_never_follows_a_link(qtbot, tmp_path: Path) -> None:
    store = GalleryStore(tmp_path / "g.db")
    History(store).configure(True, None)
    History(store).record([NewEvent("recognition", "unknown", None, 1.1, 0.8, "camera 0", 2.0)])
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "link.csv"
    link.symlink_to(victim)
    old = tmp_path / "old.csv"
    old.write_text("old")
    old.chmod(0o644)
    worker = HistoryWorker(store)
    done = Recorder(worker.request_done)
    worker.start("test-history-export")
    try:
        for path in (link, old):
            ticket = worker.queue.export_csv(HistoryQuery(limit=None), path)
            (outcome,) = done.wait(qtbot, lambda a, t=ticket: a[0].ticket == t)
            assert outcome.error is None and outcome.count == 1
    finally:
        worker.stop()
    assert victim.read_text() == "keep me" and not link.is_symlink()
    for path in (link, old):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().startswith("time_utc,")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
