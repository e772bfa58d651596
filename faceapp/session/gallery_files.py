"""Which gallery the window opens: the recent ones, opening a store, the gallery files' texts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol, cast

from faceapp import __version__, paths
from faceapp.core.pipeline import FacePipeline
from faceapp.storage.archive import (
    ArchiveError,
    ExportSummary,
    GalleryArchive,
    ImportSummary,
    conflicts,
    export_gallery,
    import_archive,
    read_archive,
)
from faceapp.storage.gallery import GalleryError, GalleryStore
from faceapp.storage.people import sort_key
from faceapp.storage.postgres_location import (
    DatabaseLocation,
    is_database_location,
    redact_location,
)

log = logging.getLogger(__name__)

#: Keys of the remembered choices: the gallery chosen last in the window (a file, or a
#: shared gallery's address), the recent files and the recent shared addresses (newest
#: first).  An address holding a password is never stored (passwords live in libpq's
#: own places).
LAST_KEY = "gallery/path"
RECENT_KEY = "gallery/recent"
SHARED_KEY = "gallery/shared"
#: Recent galleries kept in the File menu.
MAX_RECENT = 6

#: Said when an address holds a password (the window never takes one).
PASSWORD_ADVICE = (
    "The address holds a password, which the window does not take (it would be seen): keep "
    "it in ~/.pgpass or use a service of ~/.pg_service.conf (service=NAME)."
)

#: The answers to "people of the archive are enrolled already": ``(policy, text)``, in
#: the order shown; ``{example}`` is one of their names.
IMPORT_CHOICES = (
    ("merge", "Merge: add their samples to the people enrolled (none twice)"),
    ("skip", "Skip: leave the people enrolled as they are"),
    ("rename", "Rename: import them as new people, e.g. “{example} (2)”"),
)


class Remembered(Protocol):
    """Where the choices are kept: ``QSettings`` in the window, a dict-like fake in tests."""

    def value(self, key: str, default: Any = None) -> Any:
        """Return the value stored under ``key``, else ``default``."""

    def setValue(self, key: str, value: Any) -> None:  # noqa: N802 - QSettings' name
        """Store ``value`` under ``key``."""

    def sync(self) -> None:
        """Write what was stored to disk."""


def _strings(remembered: Remembered, key: str) -> list[str]:
    """Return the non-empty strings stored under ``key`` (one alone comes back bare)."""
    raw = remembered.value(key, [])
    items = [raw] if isinstance(raw, str) else list(raw or [])
    return [p for p in items if isinstance(p, str) and p]


def storable_address(address: str) -> bool:
    """Tell whether ``address`` is a shared gallery's address free of any password."""
    return is_database_location(address) and redact_location(address) == address


def recent_galleries(remembered: Remembered) -> list[Path]:
    """Return the gallery files opened recently in the window, newest first."""
    return [Path(p) for p in _strings(remembered, RECENT_KEY)][:MAX_RECENT]


def recent_shared_galleries(remembered: Remembered) -> list[str]:
    """Return the shared galleries' addresses used recently in the window, newest first.

    None holds a password (one that somehow does is left out).
    """
    return [a for a in _strings(remembered, SHARED_KEY) if storable_address(a)][:MAX_RECENT]


def remembered_gallery(remembered: Remembered) -> Path | str | None:
    """Return the gallery last chosen in the window, or None.

    A file is returned only while it still exists; a shared gallery as its address
    (``postgresql://…`` or ``service=NAME``, never holding a password).
    """
    raw = remembered.value(LAST_KEY)
    if not isinstance(raw, str) or not raw:
        return None
    if is_database_location(raw):
        return raw if storable_address(raw) else None
    path = Path(raw)
    if not path.is_file():
        log.warning("the gallery chosen last, %s, is gone; using the default gallery", path)
        return None
    return path


def remember_gallery(remembered: Remembered, location: Path | str) -> None:
    """Record ``location`` as the gallery to open next time and first of the recent ones.

    ``location`` is a file's path or a shared gallery's address; an address holding a
    password is not recorded at all (the next start opens the gallery chosen before).
    """
    if isinstance(location, str) or not isinstance(location, Path):
        address = str(getattr(location, "conninfo", location))
        if not storable_address(address):
            shown = redact_location(address)
            log.warning(
                "the shared gallery %s is not remembered: its address has a password", shown
            )
            return
        shared = [a for a in recent_shared_galleries(remembered) if a != address]
        remembered.setValue(LAST_KEY, address)
        remembered.setValue(SHARED_KEY, [address, *shared][:MAX_RECENT])
        remembered.sync()
        return
    remembered.setValue(LAST_KEY, str(Path(location).absolute()))
    add_recent_gallery(remembered, location)


def add_recent_gallery(remembered: Remembered, path: Path) -> None:
    """Put ``path`` first among the recent galleries (the one to open next is unchanged)."""
    if not isinstance(path, Path):
        return  # a shared gallery: see remember_gallery
    path = Path(path).absolute()
    recent = [p for p in recent_galleries(remembered) if p != path]
    remembered.setValue(RECENT_KEY, [str(p) for p in [path, *recent][:MAX_RECENT]])
    remembered.sync()


@dataclass(frozen=True)
class RecentEntry:
    """One line of File → Open recent: its text, whether it can be chosen, what it opens."""

    text: str
    enabled: bool
    location: Path | str


def recent_entries(remembered: Remembered, store: GalleryStore) -> list[RecentEntry]:
    """Return the lines of File → Open recent while ``store`` is open: files, then shared.

    The gallery open and files that are gone (but the default gallery, which has no
    file until someone is enrolled) cannot be chosen.  Texts escape ``&`` for menus.
    """
    path = store.path
    current = path.absolute() if isinstance(path, Path) else None
    default = paths.default_gallery_path().absolute()
    entries = [
        RecentEntry(
            f"{p.name}  ({p.parent})".replace("&", "&&"),
            p != current and (p.is_file() or p == default),
            p,
        )
        for p in recent_galleries(remembered)
    ]
    here = getattr(store, "conninfo", None)
    for address in recent_shared_galleries(remembered):
        name = DatabaseLocation(address).name
        text = f"Shared: {name}  ({address})".replace("&", "&&")
        entries.append(RecentEntry(text, address != here, address))
    return entries


def start_folder(gallery: Path, documents: Path) -> Path:
    """Return where the file dialogs of gallery files start, next to ``gallery``.

    That is the gallery's folder when the user chose it, but ``documents`` (the user's
    Documents folder) when the gallery lies in faceapp's own data folder (the default
    gallery's, hidden on Linux) or in another hidden folder: files the user exports or
    creates belong where they will find them again.
    """
    folder = Path(gallery).absolute().parent
    data = paths.user_data_path().absolute()
    hidden = any(part.startswith(".") for part in folder.parts)
    if hidden or folder == data or data in folder.parents or not folder.is_dir():
        return documents
    return folder


def open_store(location: Path | str, create: bool = False) -> GalleryStore:
    """Open a gallery file, or connect to a shared gallery (``postgresql://…``, ``service=``).

    Parameters
    ----------
    location : Path or str
        A file, or a shared gallery's address.
    create : bool
        Create the file (an empty gallery) when it does not exist.

    Raises
    ------
    GalleryError, OSError
        When it cannot be opened (the file is no gallery, the server is away).
    """
    store: Any
    if isinstance(location, str) and is_database_location(location):
        from faceapp.storage.postgres import PostgresStore

        store = PostgresStore(location)
    else:
        store = GalleryStore(Path(location))
    if create:
        store.write_transaction(lambda conn: None)
    store.revision()  # opens and checks it; the people are read by the window
    return cast(GalleryStore, store)


def try_open_store(location: Path | str, create: bool) -> tuple[GalleryStore | None, str]:
    """Return :func:`open_store`'s store and "", or None and why it cannot be opened."""
    try:
        return open_store(location, create), ""
    except (GalleryError, OSError) as exc:
        return None, str(exc)


def startup_gallery(chosen: Path | str | None, remembered: Remembered) -> GalleryStore:
    """Open the gallery to start with: ``chosen`` (``--gallery``), the last one, or the default.

    Each may be a file or a shared gallery's address.  The gallery chosen last in the
    window is passed over (with a warning in the log) when it is gone or cannot be
    opened any more (a shared gallery's server unreachable): the user's default
    gallery opens, so that a damaged file or a server away never keeps the window
    from starting.

    Raises
    ------
    GalleryError, OSError
        When ``chosen`` (or the default gallery) cannot be opened.
    """
    last = None if chosen is not None else remembered_gallery(remembered)
    if last is not None:
        try:
            return open_store(last)
        except (GalleryError, OSError) as exc:
            log.warning("the gallery chosen last cannot be opened (%s); using the default", exc)
    return open_store(chosen if chosen is not None else paths.default_gallery_path())


def model_sha256(pipeline: FacePipeline | None = None) -> str:
    """Return the SHA-256 of the FaceNet weights in use (reads the file: not on the GUI thread).

    Parameters
    ----------
    pipeline : FacePipeline, optional
        The pipeline whose embedder is asked; without one (the command line, which has
        not loaded the model), the default embedder's weights file is read.

    Raises
    ------
    ModelError
        When the weights are missing.
    """
    identity = getattr(pipeline.embedder, "weights_sha256", None) if pipeline else None
    if identity is None:
        from faceapp.core.embedding import create_embedder

        identity = create_embedder().weights_sha256
    return str(identity())


def export_job(
    path: Path, pipeline: FacePipeline, overwrite: bool
) -> Callable[[GalleryStore], ExportSummary]:
    """Return the job (for the gallery thread) writing the gallery to the archive ``path``."""

    def job(store: GalleryStore) -> ExportSummary:
        sha = model_sha256(pipeline)
        return export_gallery(store, path, sha, overwrite=overwrite, app_version=__version__)

    return job


def export_name(day: date) -> str:
    """Return the archive's name the Export dialog suggests on ``day``."""
    return f"faceapp-gallery-{day.isoformat()}.zip"


def export_target(chosen: Path) -> tuple[Path, bool]:
    """Return the archive to write for the name chosen in a file dialog, and if it may replace.

    The dialog asked about replacing the name it returned; a name without suffix gets
    ``.zip``, a file nobody was asked about, so it is never replaced.
    """
    if chosen.suffix:
        return chosen, True
    return chosen.with_suffix(".zip"), False


def read_job(
    path: Path, pipeline: FacePipeline
) -> Callable[[GalleryStore], tuple[GalleryArchive, tuple[str, ...]]]:
    """Return the job reading and checking the archive ``path``: it, and who is enrolled already.

    The job raises :class:`ArchiveError` when the archive is not one to import, holding
    nobody among others.
    """

    def job(store: GalleryStore) -> tuple[GalleryArchive, tuple[str, ...]]:
        from faceapp.core.embedding.facenet_model import EMBEDDING_DIM

        archive = read_archive(path, model_sha256(pipeline), EMBEDDING_DIM)
        if not archive.people:
            raise ArchiveError(f"{path.name} holds nobody")
        return archive, tuple(conflicts(store, archive))

    return job


def import_job(archive: GalleryArchive, policy: str) -> Callable[[GalleryStore], ImportSummary]:
    """Return the job that imports ``archive`` (``policy``: merge, skip, rename or fail)."""

    def job(store: GalleryStore) -> ImportSummary:
        return import_archive(store, archive, policy)  # type: ignore[arg-type]

    return job


#: What is called when a gallery job ends: with its result and None, or None and the error.
JobDone = Callable[[object, str | None], None]


class FileWork:
    """The gallery file work under way: the gallery being opened and the jobs running.

    Each piece is known by the ticket of the thread doing it; an end whose ticket is
    not awaited (any more) is ignored.
    """

    def __init__(self) -> None:
        self._opening: tuple[int, Path | str] | None = None
        self._jobs: dict[int, JobDone] = {}

    def busy(self) -> bool:
        """Return True while a gallery is being opened or a job runs."""
        return self._opening is not None or self.jobs_running()

    def jobs_running(self) -> bool:
        """Return True while a job (export, import, reading an archive) runs."""
        return bool(self._jobs)

    def start_open(self, ticket: int, location: Path | str) -> None:
        """Await the opening of ``location`` under ``ticket`` (the one open awaited)."""
        self._opening = ticket, location

    def end_open(self, ticket: int) -> Path | str | None:
        """End the open awaited under ``ticket`` and return what it opened, or None."""
        if self._opening is None or self._opening[0] != ticket:
            return None
        location, self._opening = self._opening[1], None
        return location

    def start_job(self, ticket: int, done: JobDone) -> None:
        """Await the job ``ticket``: ``done`` is what to call when it ends."""
        self._jobs[ticket] = done

    def end_job(self, ticket: int) -> JobDone | None:
        """End the job ``ticket`` and return what to call, or None when it was not awaited."""
        return self._jobs.pop(ticket, None)


def shared_gallery_problem(text: str) -> str:
    """Return why ``text`` is no address of a shared gallery the window takes, or "".

    Parameters
    ----------
    text : str
        A ``postgresql://…`` address or ``service=NAME``, outer spaces stripped.
    """
    if not is_database_location(text):
        return "Give a postgresql://… address or service=NAME (a libpq service)."
    if redact_location(text) != text:
        return PASSWORD_ADVICE
    return ""


def open_problem(path: Path, current: Path | str) -> str | None:
    """Return why the file ``path`` cannot be opened, "" to open it, None when it is open.

    ``current`` is the open gallery's path (a shared gallery's is no file).  The default
    gallery may be opened while it has no file (it is created then).
    """
    if isinstance(current, Path) and path.absolute() == current.absolute():
        return None
    if not path.is_file() and path.absolute() != paths.default_gallery_path().absolute():
        return f"{path}: no such file"
    return ""


def new_gallery_path(path: Path) -> tuple[Path, str]:
    """Return the file of a new gallery named ``path``, and why it cannot be created.

    A name without suffix gets ``.sqlite3``; the reason is "" when it can be created
    (a new gallery never overwrites a file).
    """
    path = path if path.suffix else path.with_suffix(".sqlite3")
    if path.exists():
        return path, f"{path.name} exists already: open it with Open gallery…"
    return path, ""


def refusal_text(location: Path | str, error: str, current_name: str) -> str:
    """Return the message of a gallery that cannot be used (an address without password)."""
    shown = location.name if isinstance(location, Path) else redact_location(location)
    return f"Cannot use {shown} as the gallery: {error}\n\n{current_name} stays open."


def gallery_labels(path: Path) -> tuple[str, str, str]:
    """Return the window title, status text and full name (tool tip) of the gallery ``path``.

    A shared gallery's path has a ``name`` and an address hidden by ``str``.
    """
    if not isinstance(path, Path):
        return f"faceapp — {path.name}", f"Shared gallery: {path.name}", str(path)
    return f"faceapp — {path.name}", f"Gallery: {path.name}", str(path.absolute())


def failure_text(action: str, error: str) -> str:
    """Return the message of a failed ``action`` ("export" or "import"): nothing was written."""
    if action == "import":
        return f"Nothing imported: {error}\n\nThe gallery is unchanged."
    return f"Nothing exported: {error}"


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def _samples(n: int) -> str:
    return f"{n} sample{'' if n == 1 else 's'}"


def conflict_heading(file_name: str, n_people: int, n_samples: int, n_enrolled: int) -> str:
    """Return the heading of the import question: what the archive holds, who is enrolled."""
    verb = "is" if n_enrolled == 1 else "are"
    return (
        f"{file_name} holds {_people(n_people)} with {_samples(n_samples)}."
        f" {n_enrolled} of them {verb} already enrolled in this gallery:"
    )


def import_question(
    file_name: str, enrolled: Sequence[str], n_people: int, n_samples: int
) -> tuple[str, list[str], list[tuple[str, str]]]:
    """Return the question about people of an archive enrolled already.

    Parameters
    ----------
    file_name : str
        The archive's file name.
    enrolled : sequence of str
        The people enrolled both in the archive and in the gallery.
    n_people, n_samples : int
        Everything the archive holds.

    Returns
    -------
    heading : str
    names : list of str
        ``enrolled`` in the order listed (by name, as the people list).
    choices : list of (str, str)
        The answers in the order shown: policy and text, with one of them as example.
    """
    names = sorted(enrolled, key=sort_key)
    example = names[0] if names else "Name"
    choices = [(policy, text.format(example=example)) for policy, text in IMPORT_CHOICES]
    return conflict_heading(file_name, n_people, n_samples, len(names)), names, choices


def export_report(summary: ExportSummary) -> str:
    """Return what an export wrote, for users (several lines)."""
    lines = [
        f"Exported {_people(summary.people)} with {_samples(summary.samples)}"
        f" to {summary.path.name}.",
        "The file holds their faces: keep it private.",
    ]
    if summary.thumbnails_left_out:
        lines.append(f"{summary.thumbnails_left_out} thumbnail(s) were not JPEG and left out.")
    return "\n".join(lines)


def import_report(summary: ImportSummary, file_name: str) -> str:
    """Return what an import did, for users (several lines)."""
    lines = [f"Imported {file_name}:"]
    lines.append(f"{_people(len(summary.added))} added")
    if summary.merged:
        lines.append(
            f"{_people(len(summary.merged))} merged: {', '.join(summary.merged)}"
            + (
                f" ({_samples(summary.samples_already_there)} already there)"
                if summary.samples_already_there
                else ""
            )
        )
    if summary.skipped:
        lines.append(f"{_people(len(summary.skipped))} skipped: {', '.join(summary.skipped)}")
    for old, new in summary.renamed:
        lines.append(f"{old} imported as {new}")
    lines.append(f"{_samples(summary.samples_added)} added")
    return "\n".join(lines)
