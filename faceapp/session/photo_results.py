"""The results of a folder run, one row per photo, and their CSV form (Qt-free)."""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faceapp.core.types import FaceResult, FrameResult

log = logging.getLogger(__name__)

#: Column titles of the results table and header of the CSV file, in order.
COLUMNS = ("file", "faces", "names", "distances")


@dataclass(frozen=True)
class PhotoRow:
    """What recognition made of one photo of a folder.

    Parameters
    ----------
    position : int
        Place of the photo in the folder's showing order, from 0.
    file : str
        The photo's path relative to the folder (its name for a single photo).
    faces : int or None
        Faces found; None while the photo has not been processed.
    names : tuple of str
        One label per face, largest face first, as the window shows it: the person
        named, ``"maybe X?"`` or ``"Unknown"`` (:attr:`FaceResult.label`).
    distances : tuple of float or None
        One per face: the distance to the nearest enrolled person (None when there was
        nobody to compare with).
    error : str
        Why the photo could not be processed (unreadable file); empty otherwise.
    named, maybe : int
        How many of the faces were named, and how many were a "maybe X?" (decided from
        the results, never from the display strings: a person may be called "Unknown").
    results : tuple of FaceResult
        The faces themselves, in the order of ``names`` (what a right-click on the row
        names or corrects); not part of the table or the CSV.
    """

    position: int
    file: str
    faces: int | None = None
    names: tuple[str, ...] = ()
    distances: tuple[float | None, ...] = ()
    error: str = ""
    named: int = 0
    maybe: int = 0
    results: tuple[FaceResult, ...] = field(default=(), repr=False, compare=False)

    @property
    def processed(self) -> bool:
        """True once the photo has a result (or an error)."""
        return self.faces is not None or bool(self.error)

    def cells(self) -> tuple[str, str, str, str]:
        """Return the row as the table and the CSV show it: file, faces, names, distances."""
        if self.error:
            return (self.file, "", self.error, "")
        if self.faces is None:
            return (self.file, "", "", "")
        distances = "; ".join("" if d is None else f"{d:.3f}" for d in self.distances)
        return (self.file, str(self.faces), "; ".join(self.names), distances)


def relative_name(path: str | Path, folder: str | Path) -> str:
    """Return ``path`` relative to ``folder`` (POSIX separators), or its name when outside."""
    p, root = Path(path), Path(folder)
    try:
        return p.relative_to(root).as_posix() if p != root else p.name
    except ValueError:
        return p.name


def row_from_result(position: int, file: str, result: FrameResult) -> PhotoRow:
    """Return the row of a photo from its recognition result, largest face first."""
    faces = sorted(result.faces, key=lambda f: f.face.box.w * f.face.box.h, reverse=True)
    distances: list[float | None] = []
    for f in faces:
        m = f.match
        distances.append(float(m.distance) if m is not None and math.isfinite(m.distance) else None)
    return PhotoRow(
        position,
        file,
        len(faces),
        tuple(f.label for f in faces),
        tuple(distances),
        named=sum(f.known for f in faces),
        maybe=sum(f.maybe is not None for f in faces),
        results=tuple(faces),
    )


def write_csv(path: str | Path, rows: Iterable[PhotoRow]) -> int:
    """Write ``rows`` as CSV (UTF-8, header :data:`COLUMNS`) to ``path``; return the count.

    File names, names and error texts go through
    :func:`~faceapp.storage.history.csv_cell`, so a spreadsheet never runs them as a
    formula.  The file is private (0600: it names people) and replaces ``path`` only
    once it is whole (:func:`faceapp.storage.outputs.open_private`).

    Raises
    ------
    OSError
        When the file cannot be written.
    """
    from faceapp.storage.history import csv_cell
    from faceapp.storage.outputs import open_private

    n = 0
    with open_private(Path(path)) as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in rows:
            file, faces, names, distances = row.cells()
            writer.writerow([csv_cell(file), faces, csv_cell(names), distances])
            n += 1
    return n


def export_rows(path: str | Path, rows: Iterable[PhotoRow]) -> str | None:
    """Write ``rows`` to ``path`` as CSV (:func:`write_csv`); return why it failed, or None.

    The failure is one line naming the file, such as ``"Could not write out.csv: No such
    file or directory"``, never a traceback.
    """
    try:
        n = write_csv(path, rows)
    except OSError as exc:
        return f"Could not write {Path(path).name}: {exc.strerror or exc}"
    log.info("wrote %d photo results to %s", n, path)
    return None


def face_title(k: int, fr: FaceResult) -> str:
    """Return the title of face ``k`` (from 0) of a photo in its row's menu: "Face 2: Madonna"."""
    return f"Face {k + 1}: {fr.label}"


def read_csv(path: str | Path) -> list[tuple[str, ...]]:
    """Return the data rows of a CSV file written by :func:`write_csv` (header checked).

    Raises
    ------
    ValueError
        When the header is not :data:`COLUMNS`.
    OSError
        When the file cannot be read.
    """
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows or tuple(rows[0]) != COLUMNS:
        raise ValueError(f"{Path(path).name}: not a faceapp photo results file")
    return [tuple(r) for r in rows[1:]]


def summary(rows: Sequence[PhotoRow]) -> str:
    """Return one line such as ``"12 of 25 photos processed · 14 faces · 9 named · 2 maybe"``.

    The "maybe" count appears when there is one.
    """
    done = [r for r in rows if r.processed]
    faces = sum(r.faces or 0 for r in done)
    named = sum(r.named for r in done)
    maybe = sum(r.maybe for r in done)
    noun = "photo" if len(rows) == 1 else "photos"
    text = f"{len(done)} of {len(rows)} {noun} processed · {faces} faces · {named} named"
    return text + (f" · {maybe} maybe" if maybe else "")


def folder_title(folder: str) -> str:
    """Return the results window's title for a run of ``folder``."""
    return f"Photo results — {Path(folder).name or folder}"


def csv_name(folder: str) -> str:
    """Return the file name suggested for the results of a run of ``folder``."""
    return (Path(folder).name or "photos") + "-results.csv"


def photo_status(position: int, photos: int, path: str) -> str:
    """Return the status line of photo ``position`` (from 0) of ``photos`` on screen."""
    return f"Photo {position + 1} of {photos}: {Path(path).name}"


def photos_done(photos: int) -> str:
    """Return the status line once every photo of a run was shown."""
    done = "The photo is" if photos == 1 else f"All {photos} photos are"
    return f"{done} done: Photo results (Ctrl+R)"
