"""The window follows its gallery file when the command line changes it (real model, real CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faceapp.core.sources import ImageFolderSource
from faceapp.storage.history import History

from .gui_helpers import Recorder, letterboxed_folder, make_ctx

pytestmark = pytest.mark.model


def _faceapp(*args: str) -> None:
    """Run the real command line in another process; fail the test when it fails."""
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run(
        [sys.executable, "-m", "faceapp", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _names(ctx) -> list[str]:
    return [p.name for p in ctx.people()]


def _named(results: Recorder, since: int) -> set[str]:
    """The names given to faces in the results recorded after the first ``since``."""
    return {fr.match.name for (r,) in results.calls[since:] for fr in r.faces if fr.known}


def test_wipe_enrol_rename_remove_by_the_command_line_reach_the_window(
    qtbot, make_window, store, real_pipeline, tmp_path: Path
) -> None:
    from faceapp.core.images import load_image
    from faceapp.enrolment import prepare_sample

    from .gui_helpers import celebrity_photos

    train, val = celebrity_photos("train"), celebrity_photos("val")
    sample = prepare_sample(
        real_pipeline, load_image(train["madonna"][0]), "madonna.jpg", largest=True
    )
    store.add_samples("Madonna", [(sample.embedding, sample.thumbnail, sample.source)])
    gallery = str(store.path)
    # Madonna's photos, shown over and over: every photo is an appearance in history.
    folder = letterboxed_folder(tmp_path / "madonna", val["madonna"][:2])
    ctx = make_ctx(store, real_pipeline)
    window = make_window(ctx, ImageFolderSource(folder, fps=4.0, loop=True))
    results = Recorder(ctx.result_ready)
    qtbot.waitUntil(lambda: "Madonna" in _named(results, 0), timeout=120_000)

    # Wiped from a terminal: the window forgets Madonna.
    _faceapp("gallery", "wipe", "--yes", "--no-backup", "--gallery", gallery)
    start = time.monotonic()
    qtbot.waitUntil(lambda: _names(ctx) == [] and len(ctx.gallery_index()) == 0, timeout=10_000)
    wipe_s = time.monotonic() - start
    after_wipe = len(results.calls)
    qtbot.waitUntil(lambda: len(results.calls) > after_wipe + 2, timeout=60_000)
    assert "Madonna" not in _named(results, after_wipe + 1)

    # Someone else enrolled in the new file under the reused id 1.
    _faceapp("enroll", "Someone Else", str(train["jerry_seinfeld"][0]), "--gallery", gallery)
    qtbot.waitUntil(lambda: _names(ctx) == ["Someone Else"], timeout=10_000)
    qtbot.waitUntil(lambda: len(ctx.gallery_index()) == 1, timeout=10_000)
    assert store.find_person("Someone Else").id == 1  # the id Madonna had

    _faceapp("gallery", "rename", "Someone Else", "Jerry", "--gallery", gallery)
    start = time.monotonic()
    qtbot.waitUntil(lambda: _names(ctx) == ["Jerry"], timeout=10_000)
    rename_s = time.monotonic() - start
    qtbot.waitUntil(lambda: ctx.gallery_index().names == ("Jerry",), timeout=10_000)
    # What the window recorded meanwhile, before Jerry's removal takes his events along.
    with qtbot.waitSignal(ctx.history.recorded, timeout=30_000):
        ctx.history.queue.flush_soon()
    filed = [e for e in History(store).events() if e.person_id is not None]
    assert filed == [], "Madonna's face was filed under the person who got her id"

    _faceapp("gallery", "remove", "Jerry", "--gallery", gallery)
    start = time.monotonic()
    qtbot.waitUntil(lambda: _names(ctx) == [], timeout=10_000)
    remove_s = time.monotonic() - start

    window.shutdown()  # writes the history's last events
    events = History(store).events()
    # Madonna's face was never filed under the person who got her id, nor under anyone.
    assert not [e for e in events if e.person_id is not None], events
    print(f"window followed: wipe {wipe_s:.2f} s, rename {rename_s:.2f} s, remove {remove_s:.2f} s")
