"""What every subcommand shares: errors and exit codes, the gallery, the pipeline, output."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceapp import paths
from faceapp.storage.outputs import is_gallery_file

log = logging.getLogger("faceapp")


EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: exit 2 with a one-line message."""


class Parser(argparse.ArgumentParser):
    """An argument parser that raises :class:`UsageError` instead of exiting."""

    def error(self, message: str) -> Any:
        """Raise the parse error as a one-line :class:`UsageError` (argparse would exit)."""
        raise UsageError(f"{self.prog}: {message}")


def add_common(p: argparse.ArgumentParser) -> None:
    """Add the options every subcommand takes: ``--gallery``, ``--json``, ``-v``."""
    p.add_argument(
        "--gallery",
        type=gallery_location,
        default=None,
        help="gallery file (default: in the user data dir), or a shared PostgreSQL gallery: "
        "postgresql://USER@HOST/DB or service=NAME (passwords from ~/.pgpass, never here)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print exactly one JSON document on standard output and nothing else",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")


def gallery_location(text: str) -> Path | str:
    """Argparse type of ``--gallery``: a database address stays text, anything else is a path.

    See :func:`faceapp.storage.postgres.is_database_location` (``postgresql://``,
    ``postgres://``, ``service=NAME``); ``Path`` would fold a URI's ``//``.
    """
    from faceapp.storage.postgres_location import is_database_location

    return text if is_database_location(text) else Path(text)


def add_history_flag(p: argparse.ArgumentParser) -> None:
    """Add ``--history`` (record what was recognised in the gallery's history)."""
    p.add_argument(
        "--history",
        action="store_true",
        help="record what was decided in the gallery's history (when history is on; "
        "see 'faceapp history')",
    )


def positive_int(text: str) -> int:
    """Argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def open_store(args: argparse.Namespace) -> Any:
    """Open the gallery ``--gallery`` names: a file, or a shared PostgreSQL database.

    A file is checked and nothing is created until a write; a database is connected to
    and its tables made or migrated.  GalleryError when unusable (one line, password
    hidden).
    """
    from faceapp.storage.postgres_location import is_database_location

    location = args.gallery or paths.default_gallery_path()
    if is_database_location(location):
        from faceapp.storage.postgres import PostgresStore, redact_location

        log.info("gallery %s", redact_location(location))
        if redact_location(location) != location:
            log.warning(
                "the gallery address holds a password, which other users of this computer"
                " can see in the process list; keep it in ~/.pgpass or a service file instead"
            )
        return PostgresStore(location)
    from faceapp.storage.gallery import GalleryStore

    log.info("gallery %s", location)
    return GalleryStore(location)


def shown(name: str) -> str:
    """Return a stored name as printed: as it is, or escaped when it hides characters.

    Names enrolled before ``normalise_name`` refused invisible and text-direction
    characters may still hold some; printing them raw would let them disguise the line.
    """
    from faceapp.storage.gallery import normalise_name

    try:
        return name if normalise_name(name) == name else repr(name)
    except ValueError:
        return repr(name)


def check_writable(gallery: Path) -> None:
    """Raise :class:`UsageError` when the gallery file (or its folder) cannot be written.

    Checked before the models load, so that a command that would add faces does not
    work for nothing and then fail.  The folder must take new files too: SQLite writes
    its journal beside the gallery.
    """
    import os

    from faceapp.core.images import display_name

    if not isinstance(gallery, Path):
        return  # a shared database: the server checks the role's privileges at the write
    folder = gallery.parent
    if gallery.exists() and not os.access(gallery, os.W_OK):
        raise UsageError(f"{display_name(gallery)}: the gallery is read-only; nothing enrolled")
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"{display_name(gallery)}: cannot write into the gallery's folder "
            f"{display_name(folder)}; nothing enrolled"
        )


_pipelines: dict[str, Any] = {}


def loaded_pipeline(args: argparse.Namespace) -> Any:
    """Return the loaded default pipeline (kept for the life of the process)."""
    from faceapp.core.pipeline import FacePipeline

    if "default" not in _pipelines:
        pipeline = FacePipeline()
        pipeline.prepare()
        _pipelines["default"] = pipeline
    return _pipelines["default"]


def add_recognition_rule(p: argparse.ArgumentParser) -> None:
    """Add recognition's ``--strangers N`` (1 stranger in N named) and ``--threshold D``."""
    p.add_argument(
        "--strangers",
        type=int,
        choices=[10, 30, 100, 300, 1000],
        default=100,
        metavar="N",
        help="how often a stranger may be given someone's name: 1 in N (10, 30, 100, 300 "
        "or 1000; default 100); the distance follows the number of people enrolled",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="pin a distance instead: the nearest person within it is named, whatever the "
        "gallery's size (lower is stricter; 1.07 is LFW's best pair accuracy)",
    )


def stranger_rate_from(args: argparse.Namespace) -> float:
    """Return the rate of strangers named that ``--strangers N`` asks for (1 / N)."""
    return 1.0 / getattr(args, "strangers", 100)


def threshold_from(args: argparse.Namespace, mode: str = "recognition") -> float | None:
    """Return ``--threshold``, or the default of ``mode`` when it is not given.

    Recognition's default is None: the automatic threshold that follows the gallery
    (:func:`faceapp.core.matching.identify`); verification's is a number.
    """
    from faceapp.core.matching import MAX_THRESHOLD, MIN_THRESHOLD, default_threshold

    if args.threshold is None and mode == "recognition":
        return None
    t = default_threshold(mode) if args.threshold is None else float(args.threshold)
    if not MIN_THRESHOLD <= t <= MAX_THRESHOLD:
        raise UsageError(
            f"--threshold must be between {MIN_THRESHOLD} and {MAX_THRESHOLD}, got {t}"
        )
    return t


def terminal_line(text: str) -> str:
    r"""Return ``text`` as one line that is safe to print on a terminal.

    Control characters (a new line that would forge another result line, the escape
    character that starts terminal commands, C1 controls), text-direction controls and
    other invisible format characters, and line or paragraph separators are written
    as Python escapes (``\n``, ``\x1b``, ``\u202e``); everything else is kept as it
    is, also the joiners of emoji and of scripts such as Persian (U+200C, U+200D, the
    tag characters of flags).  A net under :func:`~faceapp.core.images.display_name`
    (file names) and :func:`shown` (names): every line the command line prints goes
    through it.
    """
    if text.isprintable():
        return text
    return "".join(ch if _printable(ch) else repr(ch)[1:-1] for ch in text)


def _printable(ch: str) -> bool:
    """Return True when ``ch`` can go to a terminal as it is (see :func:`terminal_line`)."""
    return ch.isprintable() or ch in "\u200c\u200d " or "\U000e0020" <= ch <= "\U000e007f"


def emit(args: argparse.Namespace, doc: Any, lines: list[str]) -> None:
    """Print ``lines`` for people, or with ``--json`` only ``doc`` (one JSON document).

    Each line goes through :func:`terminal_line`; JSON escapes control characters itself.
    """
    if args.json:
        print(json.dumps(doc, ensure_ascii=False))
        return
    for line in lines:
        print(terminal_line(line))


def note(args: argparse.Namespace, line: str) -> None:
    """Tell people something beside the answer: on stderr, so stdout stays the answer."""
    print(f"faceapp: {terminal_line(line)}", file=sys.stderr)


class HistoryRecorder:
    """Collects the events of one command run and records them at the end (``--history``)."""

    def __init__(self, args: argparse.Namespace, store: Any, pipeline: Any = None) -> None:
        """``pipeline`` (a prepared FacePipeline) embeds unknown faces to keep them as faces."""
        from faceapp.core.appearances import AppearanceFilter
        from faceapp.storage.history import History

        self.history = History(store)
        self.pipeline = pipeline
        self.filter = AppearanceFilter()
        self.pending: list[Any] = []
        self.recorded = 0
        self.active = bool(args.history)
        if not self.active:
            return
        if not getattr(store, "keeps_history", True):
            note(args, "--history: a shared gallery keeps no history yet; nothing recorded")
            self.active = False
        elif not store.path.exists():
            if pipeline is None:
                note(args, "--history: there is no gallery yet (nobody enrolled); nothing recorded")
                self.active = False
        elif not self.history.settings().enabled:
            note(
                args,
                "--history: history is off for this gallery; nothing recorded "
                "(turn it on with 'faceapp history --enable')",
            )
            self.active = False

    def add(self, image: Any, appearances: list[Any], source: str, still: bool) -> None:
        """Queue events for ``appearances`` seen in ``image``."""
        if not self.active:
            return
        from faceapp.session.history_tap import appearance_events

        embed = self._embed if self.pipeline is not None else None
        self.pending += appearance_events(image, appearances, source, still, embed=embed)

    def _embed(self, image: Any, face: Any) -> tuple[Any, Any]:
        """Return the embedding and quality figures of an unknown face (kept as a face)."""
        from faceapp.core.quality import assess_face

        return self.pipeline.embed(image, [face])[0], assess_face(image, face).figures

    def add_frame(self, image: Any, result: Any, mode: str, source: str, still: bool) -> None:
        """Queue the new appearances of one frame's result."""
        if self.active:
            self.add(image, self.filter.update(result, mode), source, still)

    def flush(self) -> int:
        """Record what is queued; return the number recorded so far."""
        if self.active and self.pending:
            pending, self.pending = self.pending, []
            if not self.history.store.path.exists():  # unknown faces start a new gallery file
                self.history.configure()
            self.recorded += self.history.record(pending)
        return self.recorded


def progress_bar(label: str) -> Callable[[int, int], None] | None:
    """Return a progress callback drawing a bar on a terminal's stderr, or None off a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        pct = 100.0 * done / max(total, 1)
        sys.stderr.write(f"\r{label}: {pct:5.1f}% ({done}/{total})")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def checked_output(args: argparse.Namespace, path: Path, option: str) -> Path:
    """Return ``path`` once it is safe to write an output there, or raise :class:`UsageError`.

    Refused: a symbolic link (writing would go wherever it points), a folder or any other
    existing entry that is not a regular file (a FIFO would block the command for ever, a
    device would receive the bytes), a missing parent folder or one that cannot be
    written into, and the gallery file or one of its journals, also by another name (the
    output would destroy the faces).  Nothing is opened, so the check never blocks; call
    it before the models load, then write with :func:`open_private` or
    :func:`private_output`.

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments (``args.gallery``: the gallery in use, or None).
    path : Path
        The output file the user named.
    option : str
        The option that named it (``"--csv"``), for the message.
    """
    import os
    import stat

    from faceapp.core.images import display_name

    shown_path = f"{option} {display_name(path)}"
    try:
        mode: int | None = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise UsageError(f"{shown_path}: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISLNK(mode):
        raise UsageError(f"{shown_path}: is a symbolic link; give the file itself")
    if mode is not None and stat.S_ISDIR(mode):
        raise UsageError(f"{shown_path}: is a folder")
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(
            f"{shown_path}: exists and is not a regular file (a pipe, socket or device)"
        )
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"{shown_path}: the folder does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{shown_path}: cannot write into the folder {display_name(parent)}")
    if is_gallery_file(path, Path(getattr(args, "gallery", None) or paths.default_gallery_path())):
        raise UsageError(f"{shown_path}: is the gallery file; choose another name")
    return path


def os_error_line(exc: OSError) -> str:
    """Return one line naming the file(s) of an ``OSError`` and what went wrong."""
    from faceapp.core.images import display_name

    reason = " ".join((exc.strerror or str(exc) or type(exc).__name__).split())
    names = [display_name(f) for f in (exc.filename, exc.filename2) if f is not None]
    if not names:
        return f"{reason} (run with -v for details)"
    return f"{' -> '.join(names)}: {reason}"
