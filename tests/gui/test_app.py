"""``faceapp gui`` as a user runs it: options, exit codes, no TensorFlow before show, events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from faceapp.gui.app import main
from faceapp.session.window_options import build_parser, settings_from_options
from faceapp.settings import Settings

from .gui_helpers import letterboxed_folder

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_mode_and_claim_options_override_the_saved_preferences_only():
    saved = Settings(threshold=0.9, mode="recognition", claim="Bob", source="demo")
    parser = build_parser()
    assert settings_from_options(saved, parser.parse_args([])) == saved
    args = parser.parse_args(["--mode", "verification", "--claim", " Ann ", "--source", "7"])
    started = settings_from_options(saved, args)
    assert (started.mode, started.claim) == ("verification", "Ann")  # validated: stripped
    assert (started.threshold, started.source) == (0.9, "demo")  # --source is not a preference
    assert settings_from_options(saved, parser.parse_args(["--claim", "  "])).claim is None


def test_help_and_bad_options_return_instead_of_exiting(capsys):
    assert main(["--help"]) == 0
    assert "--exit-after" in capsys.readouterr().out
    assert main(["--mode", "sideways"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_the_window_shows_fast_without_importing_tensorflow(tmp_path):
    result = _run(
        f"""
        import json, sys, time
        t0 = time.perf_counter()
        from PySide6.QtWidgets import QApplication
        from faceapp.gui.app import create_application
        from faceapp.gui.context import AppContext
        from faceapp.gui.main_window import MainWindow
        from faceapp.core.pipeline import FacePipeline
        from faceapp.settings import Settings
        from faceapp.storage.gallery import GalleryStore
        app = create_application()
        ctx = AppContext(Settings(), GalleryStore({str(tmp_path / "g.sqlite3")!r}), FacePipeline())
        window = MainWindow(ctx, source="demo")
        window.show()
        app.processEvents()
        shown = time.perf_counter() - t0
        print(json.dumps({{"shown_s": shown, "tf": "tensorflow" in sys.modules,
                          "visible": window.isVisible()}}))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert doc["visible"]
    assert not doc["tf"], "TensorFlow was imported on the GUI thread before show()"


def test_a_gallery_that_is_not_a_gallery_exits_with_1(tmp_path):
    bad = tmp_path / "notes.sqlite3"
    bad.write_text("my shopping list")
    result = _run(
        f"""
        from faceapp.gui.app import main
        raise SystemExit(main(["--gallery", {str(bad)!r}, "--exit-after", "1"]))
        """,
        tmp_path,
    )
    assert result.returncode == 1
    assert "cannot be opened" in result.stderr
    assert "Traceback" not in result.stderr
    assert bad.read_text() == "my shopping list"


@pytest.mark.model
def test_exit_after_closes_cleanly_with_events_and_a_screenshot(tmp_path, demo_store, val_photos):
    folder = letterboxed_folder(tmp_path / "photos", [val_photos["jerry_seinfeld"][2]])
    events, shot = tmp_path / "events.jsonl", tmp_path / "shot.png"
    # 8 s is ample for the models to load and name the face on an idle machine; on a busy one
    # where no frame was processed yet, the same run again with 25 s (every check applies to both).
    for seconds in ("8", "25"):
        args = ["--source", str(folder), "--gallery", str(demo_store.path), "--mode"]
        args += ["verification", "--claim", "Jerry Seinfeld", "--exit-after", seconds]
        args += ["--events", str(events), "--screenshot", str(shot)]
        result = _run(
            f"""
            from faceapp.gui.app import main
            raise SystemExit(main({args!r}))
            """,
            tmp_path,
            timeout=150,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        assert "session:" in result.stderr  # the frame counters logged at exit
        if events.read_text().strip():
            break
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert lines, "no frame was processed"
    faces = [f for line in lines for f in line["faces"]]
    assert faces and all(f["decision"] == "accept" for f in faces)
    assert {f["name"] for f in faces} == {"Jerry Seinfeld"}
    assert all(len(f["box"]) == 4 and f["distance"] < 1.0 for f in faces)
    assert shot.stat().st_size > 10_000


def test_unexpected_errors_are_logged_and_shown_not_printed(qtbot, monkeypatch, caplog):
    import threading

    from PySide6.QtWidgets import QApplication, QMessageBox

    from faceapp.gui.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_excepthook()
    try:
        raise ValueError("the gallery went away")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert "the gallery went away" in caplog.text
    boxes = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.isVisible() and "gallery went away" in w.text()
    ]
    assert len(boxes) == 1
    assert "keeps running" in boxes[0].informativeText()
    boxes[0].close()
