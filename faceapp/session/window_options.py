"""The window's start: the `faceapp gui` options, the preferences they set, heap and display."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from faceapp import __version__
from faceapp.core.matching import MODES
from faceapp.session.live import ModelState
from faceapp.settings import Settings

log = logging.getLogger(__name__)


def gallery_location(text: str) -> Path | str:
    """Argparse type of ``--gallery``: a shared gallery's address stays text, else a path."""
    from faceapp.storage.postgres_location import is_database_location

    return text if is_database_location(text) else Path(text)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``faceapp gui`` options."""
    p = argparse.ArgumentParser(
        prog="faceapp gui",
        description="Desktop face recognition: live video, gallery, recognition and verification.",
    )
    p.add_argument(
        "--source",
        help="camera index, video file, folder of images, or 'demo' (default: the last used,"
        " else camera 0, else the demo)",
    )
    p.add_argument(
        "--gallery",
        type=gallery_location,
        help="gallery file, or a shared gallery: postgresql://… or service=NAME"
        " (default: the gallery used last, else the user's gallery)",
    )
    p.add_argument("--mode", choices=MODES, help="recognition (1:K) or verification (1:1)")
    p.add_argument("--claim", help="claimed identity in verification mode")
    p.add_argument(
        "--exit-after", type=float, metavar="SECONDS", help="close cleanly after this many seconds"
    )
    p.add_argument("--screenshot", type=Path, metavar="PNG", help="save the window before exit")
    p.add_argument(
        "--events", type=Path, metavar="JSONL", help="append one JSON line per processed frame"
    )
    p.add_argument(
        "--enrol-demo",
        action="store_true",
        help="enrol the five demo people (one photo each) at start, as Gallery > Enrol the"
        " demo people does",
    )
    p.add_argument("--version", action="version", version=f"faceapp {__version__}")
    return p


def settle_heap(state: str, message: str = "") -> None:
    """Once the model is ready, leave what start-up made out of Python's garbage collection.

    The modules, the models and the window are built by then and live until exit; a
    full collection would walk all of them again and again while the video runs (a
    fifth of the GUI thread's time in a profile of live recognition).  ``gc.freeze``
    moves them to a generation that is never collected; what is made later is
    collected as usual.  No full collection runs first: with 100,000 people it held the
    GUI thread 35 ms, and what start-up left unreachable is a one-time few megabytes at
    most.  Connected to ``AppContext.model_state_changed``.
    """
    if state == ModelState.READY:
        gc.freeze()
        log.debug("heap settled: %d objects left out of garbage collection", gc.get_freeze_count())


def ensure_utf8_locale() -> None:
    """Give Qt a UTF-8 character type when the environment names none (a bare ``env -i``).

    Qt would switch to C.UTF-8 by itself, but says so on stderr each start.
    """
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = os.environ.get(var)
        if value:
            if "utf-8" in value.lower() or "utf8" in value.lower():
                return
            break
    os.environ["LC_ALL" if os.environ.get("LC_ALL") else "LC_CTYPE"] = "C.UTF-8"


def settings_from_options(saved: Settings, args: argparse.Namespace) -> Settings:
    """Return the preferences to start with: ``saved``, with ``--mode`` and ``--claim`` on top.

    The options apply to this run; they become preferences (and are saved) like any
    change made in the window.
    """
    overrides = {k: getattr(args, k) for k in ("mode", "claim") if getattr(args, k) is not None}
    if not overrides:
        return saved
    return Settings(**{**saved.to_dict(), **overrides}).validated()


def has_display() -> bool:
    """Return False on a Linux/BSD machine with no X11 or Wayland display to show a window on."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith(("linux", "freebsd")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def install_error_hooks(show: Callable[[type[BaseException], BaseException], None]) -> None:
    """Log uncaught exceptions, also from threads, and ``show`` those of the calling thread.

    Parameters
    ----------
    show : callable
        ``show(type, exception)``: tells the user (a message box in the window).  It
        is called for uncaught exceptions of any thread but :class:`threading.Thread`
        ones, which are only logged; Ctrl+C goes to the previous hook.
    """
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        show(exc_type, exc)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        log.error(
            "unexpected error in thread %s",
            getattr(args.thread, "name", "?"),
            exc_info=args.exc_value,
        )

    sys.excepthook = hook
    threading.excepthook = thread_hook
