"""The ``faceapp`` subcommands that need no window (enrol, identify, verify, eval-lfw, ...)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from faceapp.cli.common import EXIT_BAD_INPUT, UsageError, log, os_error_line, terminal_line
from faceapp.cli.correct import cmd_correct
from faceapp.cli.gallery import cmd_gallery, cmd_history, cmd_report
from faceapp.cli.maintenance import cmd_bench, cmd_eval_lfw, cmd_install_desktop, cmd_weights
from faceapp.cli.parser import build_parser
from faceapp.cli.photos import cmd_enroll, cmd_identify, cmd_verify
from faceapp.cli.unknown import cmd_unknown
from faceapp.cli.video import cmd_video

__all__ = ["COMMANDS", "UsageError", "run"]


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "weights": cmd_weights,
    "install-desktop": cmd_install_desktop,
    "enroll": cmd_enroll,
    "enrol": cmd_enroll,
    "identify": cmd_identify,
    "verify": cmd_verify,
    "gallery": cmd_gallery,
    "video": cmd_video,
    "history": cmd_history,
    "unknown": cmd_unknown,
    "correct": cmd_correct,
    "report": cmd_report,
    "eval-lfw": cmd_eval_lfw,
    "bench": cmd_bench,
}


def run(argv: list[str]) -> int:
    """Parse ``argv`` and run one subcommand; never lets a traceback reach the user."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from faceapp.core.errors import ModelError
    from faceapp.core.images import ImageError
    from faceapp.core.sources import SourceError
    from faceapp.enrolment import EnrolmentError

    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        _say(str(exc))
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        from faceapp.storage.gallery import GalleryError

        return COMMANDS[args.command](args)
    except (UsageError, ImageError, EnrolmentError, SourceError, ModelError, GalleryError) as exc:
        _say(f"faceapp: {exc}".splitlines()[0])
        return EXIT_BAD_INPUT
    except ValueError as exc:
        _say(f"faceapp: {exc}".splitlines()[0])
        return EXIT_BAD_INPUT
    except OSError as exc:  # a file the user named cannot be used: say which and why
        log.info("file error", exc_info=True)
        _say(f"faceapp: {os_error_line(exc)}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("faceapp: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: a one-line message, the details in the log
        log.info("unexpected error", exc_info=True)
        detail = " ".join(repr(exc).split())
        _say(f"faceapp: unexpected error: {detail} (run with -v for details)")
        return EXIT_BAD_INPUT


def _say(line: str) -> None:
    """Print one error line on stderr, safe for a terminal (:func:`terminal_line`)."""
    print(terminal_line(line), file=sys.stderr)
