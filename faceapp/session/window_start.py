"""The desktop application's start: options, logging, locale, display, gallery, events file."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING

from faceapp.session.window_options import build_parser, ensure_utf8_locale, has_display

if TYPE_CHECKING:
    from faceapp.session.events import EventLog
    from faceapp.session.gallery_files import Remembered
    from faceapp.storage.gallery import GalleryStore

#: What an interactive start says on stderr where there is no display (it exits with 2).
NO_DISPLAY = (
    "faceapp: no display found; run it on a desktop, or for a headless run set "
    "QT_QPA_PLATFORM=offscreen (with --exit-after / --screenshot)\n"
)


def prepare_start(argv: list[str] | None) -> argparse.Namespace | int:
    """Read the ``faceapp gui`` options and ready the process for Qt; return them or an exit status.

    Logging goes to stderr (unless the caller set it up), the locale gets UTF-8, and a
    run without a display gets Qt's offscreen platform when it is unattended
    (``--exit-after``) or only makes a screenshot.

    Parameters
    ----------
    argv : list of str or None
        The options without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    argparse.Namespace or int
        The options, or the status to exit with at once: 0 after ``--help`` or
        ``--version``, 2 for bad options (argparse said why) or an interactive start
        without a display (:data:`NO_DISPLAY` said so on stderr).
    """
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # --help, --version, or an option error already reported
        return int(exc.code or 0)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    ensure_utf8_locale()
    if not has_display():
        if args.exit_after is None and args.screenshot is None:
            sys.stderr.write(NO_DISPLAY)
            return 2
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return args


class StartError(Exception):
    """A file the start needs cannot be opened; the message says which and why."""


def open_start_files(
    args: argparse.Namespace, remembered: Remembered
) -> tuple[GalleryStore, EventLog | None]:
    """Open the gallery to start with and the ``--events`` file, if any.

    Parameters
    ----------
    args : argparse.Namespace
        The options of :func:`prepare_start` (``gallery`` and ``events``).
    remembered : Remembered
        Where the gallery chosen last is kept (``QSettings``); see
        :func:`~faceapp.session.gallery_files.startup_gallery`.

    Raises
    ------
    StartError
        When the gallery or the events file cannot be opened.
    """
    from faceapp.session.events import EventLog
    from faceapp.session.gallery_files import startup_gallery
    from faceapp.storage.gallery import GalleryError

    try:
        store = startup_gallery(args.gallery, remembered)
    except (GalleryError, OSError) as exc:
        raise StartError(f"The gallery cannot be opened: {exc}") from exc
    if args.events is None:
        return store, None
    try:
        return store, EventLog(args.events)
    except OSError as exc:
        raise StartError(f"The events file {args.events} cannot be opened: {exc}") from exc
