"""The GUI entry point: command-line options, QApplication, AppContext, error reporting, main()."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from faceapp import __version__, paths
from faceapp.gui.context import AppContext
from faceapp.gui.preferences import PreferencesSaver, guard_preferences_files, load_settings
from faceapp.gui.safe_text import html_literal
from faceapp.session.window_options import install_error_hooks, settings_from_options, settle_heap
from faceapp.session.window_start import StartError, open_start_files, prepare_start

__all__ = [
    "AppContext",
    "create_application",
    "install_excepthook",
    "main",
    "save_preferences",
]

log = logging.getLogger(__name__)

#: Longest wait at exit for a model load the window did not wait for, in seconds.
EXIT_WAIT_S = 120.0

ORGANIZATION = "faceapp"
APPLICATION = "faceapp"


def create_application() -> QApplication:
    """Return the QApplication, creating it with faceapp's name, icon and style sheet."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "faceapp"])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("faceapp")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("faceapp")
    resources = paths.resources_dir()
    icon = resources / "faceapp.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    qss = resources / "style.qss"
    try:
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    except OSError:
        log.warning("style sheet %s not found; using the default look", qss)
    return app


_showing_error = False
#: Error boxes on screen; a box without a parent window would otherwise be deleted by
#: Python as soon as the function that made it returns.
_error_boxes: set[QMessageBox] = set()


def _show_unexpected(exc_type: type[BaseException], exc: BaseException) -> None:
    global _showing_error
    app = QApplication.instance()
    if app is None or _showing_error or threading.current_thread() is not threading.main_thread():
        return
    _showing_error = True
    try:
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Unexpected error",
            html_literal(f"Something went wrong: {exc_type.__name__}: {exc}"),
            QMessageBox.StandardButton.Ok,
            QApplication.activeWindow(),
        )
        box.setInformativeText("The details were written to the log. faceapp keeps running.")
        _error_boxes.add(box)
        box.finished.connect(lambda _result, b=box: _error_boxes.discard(b))
        box.show()  # not exec(): never block the caller, nor an unattended run
    finally:
        _showing_error = False


def install_excepthook() -> None:
    """Log uncaught exceptions (also from threads) and show them in a message box.

    Exceptions escaping a slot end up here instead of printing a traceback; the
    application keeps running (see :func:`~faceapp.session.window_options.install_error_hooks`).
    """
    install_error_hooks(_show_unexpected)


def _fail(message: str, show: bool) -> int:
    log.error("%s", message)
    if show:
        QMessageBox.critical(None, "faceapp", html_literal(message))
    return 1


def _save_screenshot(window: QWidget, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if window.grab().save(str(path), "PNG"):
            log.info("screenshot saved to %s", path)
        else:
            log.error("could not save the screenshot to %s", path)
    except OSError as exc:
        log.error("could not save the screenshot to %s: %s", path, exc)


def save_preferences(ctx: AppContext, qsettings: QSettings) -> PreferencesSaver:
    """Save ``ctx``'s preferences to ``qsettings`` whenever they settle after a change.

    Returns the saver; call its ``flush()`` before exiting.
    """
    saver = PreferencesSaver(qsettings, parent=ctx)
    ctx.settings_changed.connect(saver.schedule)
    return saver


def main(argv: list[str] | None = None) -> int:
    """Run the desktop application; return the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The ``faceapp gui`` options (without the program name); ``sys.argv[1:]`` when
        None.  See :func:`~faceapp.session.window_options.build_parser`.

    Returns
    -------
    int
        0 after a normal close (also after ``--exit-after``), 1 when the gallery or the
        events file cannot be opened, 2 for bad options or no display (see
        :func:`~faceapp.session.window_start.prepare_start`).
    """
    args = prepare_start(argv)
    if isinstance(args, int):
        return args
    interactive = args.exit_after is None

    # Only light modules so far: TensorFlow is imported by the worker thread, after show().
    from faceapp.core.pipeline import FacePipeline
    from faceapp.core.runtime import opencv_single_threaded
    from faceapp.gui.main_window import MainWindow

    app = create_application()
    install_excepthook()
    opencv_single_threaded()
    guard_preferences_files()  # QSettings() would block on a FIFO
    qsettings = QSettings()
    settings = settings_from_options(load_settings(qsettings), args)

    try:
        store, events = open_start_files(args, qsettings)
    except StartError as exc:
        return _fail(str(exc), interactive)

    ctx = AppContext(settings, store, FacePipeline())
    saver = save_preferences(ctx, qsettings)
    if events is not None:
        ctx.result_ready.connect(lambda result: events.record(result, ctx.settings.mode))
    ctx.model_state_changed.connect(settle_heap)

    window = MainWindow(ctx, source=args.source)
    window.show()
    QTimer.singleShot(0, window.start)
    if args.enrol_demo:
        QTimer.singleShot(0, window.chrome.enrol_demo_action.trigger)

    def _on_exit_timer() -> None:
        if args.screenshot is not None:
            _save_screenshot(window, args.screenshot)
        window.close()

    if args.exit_after is not None:
        QTimer.singleShot(max(0, round(args.exit_after * 1000)), _on_exit_timer)
    elif args.screenshot is not None:
        app.aboutToQuit.connect(lambda: _save_screenshot(window, args.screenshot))

    # Ctrl+C in the terminal closes the window cleanly; the timer lets Python see it.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    tick = QTimer()
    tick.timeout.connect(lambda: None)
    tick.start(250)
    try:
        app.exec()
    finally:
        tick.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        window.shutdown()
        saver.flush(ctx.settings)
        if events is not None:
            log.info("%d frame events written to %s", events.lines, events.path)
            events.close()
        # The window closed at once even if the models were still loading; let the load
        # end before the interpreter does (TensorFlow does not like being cut short).
        if not window.worker.loop.wait_for_model_load(0):
            log.info("waiting for the face models to finish loading before exiting")
            window.worker.loop.wait_for_model_load(EXIT_WAIT_S)
    return 0
