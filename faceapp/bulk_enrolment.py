"""Enrolling many people from one folder: who is in it, each photo's result, one write per person.

The command line (``faceapp enroll --folders DIR``) and the window (Gallery > *Add people
from folder…*) share everything here; they differ only in where the photos are embedded
and the gallery written (one thread on the command line, the recognition and gallery
threads in the window).

A folder of people is read in two ways at once:

- each sub-folder is one person, named after the folder (every photo under it, searched
  recursively, is a sample of them);
- each photo directly in the folder is one person, named after the file as the
  face_recognition library does it (``Ada_Lovelace.jpg`` is "Ada Lovelace"; a trailing
  number such as ``_0001`` is dropped, so ``Ada_Lovelace_0002.jpg`` joins her too).

Names go through :func:`~faceapp.storage.gallery.normalise_name`; a refused name skips
that person, and is reported.  Every photo gets a :class:`PhotoResult`: enrolled, or
refused with the reason (bad file, no face, several faces, looks like someone else); a
bad photo never stops the batch.  Each photo is checked against the gallery *and* the
people enrolled earlier in the batch (:class:`BatchGallery`).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from faceapp import paths
from faceapp.core.enrolment_check import EnrolmentVerdict
from faceapp.core.errors import ImageError
from faceapp.core.images import IMAGE_SUFFIXES, display_name, image_files, load_image
from faceapp.core.matching import GalleryIndex, l2_normalize
from faceapp.enrolment import EnrolmentError, PreparedSample, choose_face, sample_of
from faceapp.storage.gallery import normalise_name

log = logging.getLogger(__name__)

#: A trailing photo number in a file name (``Ada_Lovelace_0001``), dropped from the name.
_PHOTO_NUMBER = re.compile(r"_\d+$")


@dataclass(frozen=True)
class FolderPerson:
    """One person found in a folder of people, and their photos.

    Parameters
    ----------
    name : str
        The normalised display name; the sub-folder or file name itself when ``problem``
        says it is refused.
    origin : str
        The sub-folder, or the file name stem, the name comes from (for messages).
    photos : tuple of Path
        The person's photos, sorted.
    problem : str or None
        Why the person is skipped (a refused name, a folder without photos); None when
        the photos are to be enrolled.
    """

    name: str
    origin: str
    photos: tuple[Path, ...]
    problem: str | None = None


@dataclass(frozen=True)
class PeopleFolder:
    """What :func:`scan_people_folder` found: the people in order, and what was left out.

    Parameters
    ----------
    root : Path
    people : tuple of FolderPerson
        Sub-folders first, then the people of the loose photos, each group by name.
    ignored : int
        Files directly in ``root`` that are not photos by their name (notes, videos, ...).
    """

    root: Path
    people: tuple[FolderPerson, ...]
    ignored: int = 0

    @property
    def n_photos(self) -> int:
        """Photos of the people to enrol (those without a ``problem``)."""
        return sum(len(p.photos) for p in self.people if p.problem is None)


def name_from_file(stem: str) -> str:
    """Return the name a photo's file name stem gives its person (not yet normalised).

    Underscores become spaces and a trailing photo number goes: ``Ada_Lovelace_0001``
    is ``"Ada Lovelace"``.  A stem that is only a number keeps it.
    """
    base = _PHOTO_NUMBER.sub("", stem) or stem
    return " ".join(base.replace("_", " ").split())


def _named(raw: str, origin: str, photos: Sequence[Path]) -> FolderPerson:
    """Return the person ``raw`` names, with ``problem`` set for a refused name or no photos."""
    try:
        name = normalise_name(raw)
    except ValueError as exc:
        return FolderPerson(raw, origin, tuple(photos), f"name refused: {exc}")
    if not photos:
        return FolderPerson(name, origin, (), "no photos in this folder")
    return FolderPerson(name, origin, tuple(photos))


def scan_people_folder(root: str | Path) -> PeopleFolder:
    """List the people of a folder (see the module docstring) and their photos.

    Only names are read, no photo is opened.  People who end up with the same name (a
    folder ``Ada Lovelace`` and a photo ``Ada_Lovelace.jpg``) are one person.  Hidden
    entries (names starting with ".") are left out.

    Raises
    ------
    OSError
        When ``root`` cannot be listed (missing, not a folder, no permission).
    """
    root = Path(root)
    with os.scandir(root) as it:
        entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    folders: list[FolderPerson] = []
    loose: dict[str, list[Path]] = {}
    ignored = 0
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir():
            try:
                photos = image_files(path)
            except OSError as exc:
                folders.append(FolderPerson(entry.name, entry.name, (), f"cannot be read: {exc}"))
                continue
            folders.append(_named(entry.name, entry.name, photos))
        elif entry.name.lower().endswith(IMAGE_SUFFIXES):
            loose.setdefault(name_from_file(path.stem), []).append(path)
        else:
            ignored += 1
    people = folders + [_named(raw, files[0].stem, files) for raw, files in loose.items()]
    merged: dict[str, FolderPerson] = {}
    for person in people:
        key = person.name if person.problem is None else f"\0{person.origin}"
        seen = merged.get(key)
        if seen is None:
            merged[key] = person
        else:
            joined = tuple(sorted((*seen.photos, *person.photos)))
            merged[key] = FolderPerson(seen.name, seen.origin, joined)
    return PeopleFolder(root, tuple(merged.values()), ignored)


# -- per photo ---------------------------------------------------------------------------

#: What became of a photo.
PhotoStatus = Literal["enrolled", "refused"]


@dataclass(frozen=True)
class PhotoResult:
    """What became of one photo of a batch; safe to hand across threads.

    Parameters
    ----------
    source : str
        The photo's path, as stored with the sample.
    status : {"enrolled", "refused"}
    message : str or None
        Why it was refused, or why it was enrolled all the same (``forced``); one line
        that does not repeat the path.
    reason : str or None
        The refusal in a word: ``bad_file``, ``no_face``, ``several_faces``,
        ``wrong_person`` (the wrong-person check), or ``unusable`` (any other).
    forced : bool
        Enrolled although the wrong-person check refused it (``--force``).
    """

    source: str
    status: PhotoStatus
    message: str | None = None
    reason: str | None = None
    forced: bool = False

    @property
    def line(self) -> str:
        """One line for a terminal: the path (made safe to print) and the message."""
        return f"{display_name(self.source)}: {self.message or self.status}"

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready values (keys without a value are left out)."""
        doc: dict[str, Any] = {"source": self.source, "status": self.status}
        if self.message is not None:
            doc["message"] = self.message
        if self.reason is not None:
            doc["reason"] = self.reason
        if self.forced:
            doc["forced"] = True
        return doc


def refused(source: str, message: str, reason: str = "unusable") -> PhotoResult:
    """Return the result of a photo that was not enrolled.

    A message that begins with the photo's path (as :class:`ImageError` and
    :class:`EnrolmentError` messages do) loses it: :attr:`PhotoResult.line` adds it back.
    """
    for prefix in (f"{display_name(source)}: ", f"{source}: "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
            break
    return PhotoResult(source, "refused", message, reason)


def prepare_photo(pipeline: Any, path: Path, largest: bool = False) -> PreparedSample | PhotoResult:
    """Read a photo, find its one face and embed it; a refusal instead when that fails.

    Parameters
    ----------
    pipeline : FacePipeline
        Loaded; used from the calling thread.
    path : Path
    largest : bool
        Take the largest face of a photo with several (refused otherwise).

    Returns
    -------
    PreparedSample or PhotoResult
        The sample, or a ``refused`` result (``bad_file``, ``no_face``, ``several_faces``).
    """
    source = str(path)
    try:
        frame = load_image(path)
        face = choose_face(pipeline.detect(frame), largest, display_name(path))
        return sample_of(pipeline, frame, face, source)
    except ImageError as exc:
        return refused(source, str(exc), "bad_file")
    except EnrolmentError as exc:
        return refused(source, str(exc), exc.reason)
    except Exception as exc:  # an image the engine cannot handle: report it, go on
        log.warning("%s: the face models failed on it", display_name(path), exc_info=True)
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        return refused(source, f"cannot be processed ({detail})")


# -- the growing gallery -----------------------------------------------------------------


class BatchGallery:
    """The gallery as a batch grows it, for the wrong-person check of each photo.

    Holds every sample in arrays that grow by doubling, so adding a sample is one row
    written and :meth:`index` hands the check the very gallery a rebuild after each
    sample would give (every sample, in the same order; the check may read the number
    of people and of samples, not only the means), built from the arrays without
    per-sample Python work.  Checking 1,000 new people one by one took 0.68 s with
    :func:`~faceapp.core.enrolment_check.with_sample` after every accepted photo and
    0.17 s with this class (0.06 s of it the indexes); over a gallery of 10,000 people
    14.5 s against 7.1 s (1.0 s the indexes, the rest the check itself; 2 cores).

    Parameters
    ----------
    index : GalleryIndex
        The gallery before the batch.

    Notes
    -----
    Not thread-safe: one batch is run by one thread.  Rows once written never change,
    so the indexes handed out stay valid after later additions.
    """

    def __init__(self, index: GalleryIndex) -> None:
        n, dim = index.n_samples, int(index.embeddings.shape[1])
        self._ids = list(index.person_ids)
        self._names = list(index.names)
        self._rows = {name: k for k, name in enumerate(self._names)}
        self._embeddings = np.zeros((max(16, 2 * n), dim), np.float32)
        self._embeddings[:n] = index.embeddings
        self._owners = np.zeros(self._embeddings.shape[0], np.int64)
        self._owners[:n] = index.owners
        self._n = n
        self._next_id = min((p for p in self._ids if p < 0), default=0) - 1
        self._index: GalleryIndex | None = index

    def __len__(self) -> int:
        """Return the number of people."""
        return len(self._names)

    def index(self) -> GalleryIndex:
        """Return the gallery as it is now (immutable; may be handed to another thread)."""
        if self._index is None:
            n = self._n
            self._index = GalleryIndex(
                tuple(self._ids), tuple(self._names), self._embeddings[:n], self._owners[:n]
            )
        return self._index

    def add(self, name: str, embedding: np.ndarray) -> None:
        """Add one sample of ``name`` (a new person when not in the gallery yet)."""
        owner = self._rows.get(name)
        if owner is None:
            owner = self._rows[name] = len(self._names)
            self._names.append(name)
            self._ids.append(self._next_id)
            self._next_id -= 1
        if self._n == self._embeddings.shape[0]:
            self._embeddings = np.concatenate([self._embeddings, np.zeros_like(self._embeddings)])
            self._owners = np.concatenate([self._owners, np.zeros_like(self._owners)])
        self._embeddings[self._n] = l2_normalize(np.asarray(embedding, np.float32).reshape(-1))
        self._owners[self._n] = owner
        self._n += 1
        self._index = None


#: The wrong-person check a batch applies: ``check(embedding, index, name)``, e.g.
#: :func:`~faceapp.core.enrolment_check.check_enrolment` with the caller's threshold.
EnrolmentCheck = Callable[[np.ndarray, GalleryIndex, str], EnrolmentVerdict]


# -- per person and the whole batch ------------------------------------------------------


@dataclass(frozen=True)
class PersonResult:
    """What a batch did for one person; safe to hand across threads.

    Parameters
    ----------
    name : str
        The display name (or, when ``problem`` is set, the folder or file name).
    added : int
        Samples stored by the batch.
    samples : int
        The person's samples in the gallery afterwards.
    new : bool
        True when the batch enrolled them (nobody had that name before).
    photos : tuple of PhotoResult
    problem : str or None
        Why the person was skipped without reading their photos (see
        :class:`FolderPerson`).
    """

    name: str
    added: int = 0
    samples: int = 0
    new: bool = False
    photos: tuple[PhotoResult, ...] = ()
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the person as JSON-ready values."""
        doc: dict[str, Any] = {
            "name": self.name,
            "added": self.added,
            "samples": self.samples,
            "new": self.new,
            "photos": [p.as_dict() for p in self.photos],
        }
        if self.problem is not None:
            doc["problem"] = self.problem
        return doc


@dataclass(frozen=True)
class BulkSummary:
    """The figures of a finished batch.

    Parameters
    ----------
    people : int
        People who received at least one sample.
    new, more : int
        Of those, newly enrolled, and enrolled before (now with more samples).
    samples : int
        Samples stored.
    photos : int
        Photos tried.
    refused : int
        Photos not enrolled.
    forced : int
        Photos enrolled although the wrong-person check refused them.
    skipped : int
        People skipped without reading their photos (a refused name, no photos).
    ignored : int
        Files directly in the folder that are no photos by their name.
    seconds : float
        Wall time of the batch.
    """

    people: int
    new: int
    more: int
    samples: int
    photos: int
    refused: int
    forced: int
    skipped: int
    ignored: int
    seconds: float

    @property
    def line(self) -> str:
        """The summary in one line: "N people enrolled (M new, P with more samples), ..."."""
        text = (
            f"{self.people} people enrolled ({self.new} new, {self.more} with more samples), "
            f"{self.samples} samples, {self.refused} photos refused"
        )
        if self.skipped:
            text += f", {self.skipped} people skipped"
        return f"{text}, in {self.seconds:.1f} s"

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-ready values."""
        return {
            "people": self.people,
            "new": self.new,
            "more_samples": self.more,
            "samples": self.samples,
            "photos": self.photos,
            "photos_refused": self.refused,
            "photos_forced": self.forced,
            "people_skipped": self.skipped,
            "files_ignored": self.ignored,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class BulkEnrolment:
    """One batch: checks each person's photos and stores the accepted ones in one write.

    Parameters
    ----------
    store : GalleryStore
        Used from the calling thread only.
    check : EnrolmentCheck
        The wrong-person check (the same as for one person's photos).
    force : bool
        Enrol photos the wrong-person check refuses (they are reported as forced).
    ignored : int
        Files of the folder left out as no photos (for the summary).
    people : list of PersonResult
        What was done so far, one entry per person in order.
    started : float
        ``time.monotonic()`` when the batch began (for the summary's seconds).

    Notes
    -----
    The gallery is read once, at construction; writes of other programs during the
    batch are not seen by the check.  A failing write (:class:`GalleryError`,
    ``OSError``) propagates: what was written before it stays.
    """

    store: Any
    check: EnrolmentCheck
    force: bool = False
    ignored: int = 0
    people: list[PersonResult] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    gallery: BatchGallery = field(init=False)

    def __post_init__(self) -> None:
        self.gallery = BatchGallery(self.store.index())

    def skip(self, person: FolderPerson) -> PersonResult:
        """Record a person skipped without reading their photos (see ``problem``)."""
        result = PersonResult(person.name, problem=person.problem)
        self.people.append(result)
        log.info("%s: %s", person.origin, person.problem)
        return result

    def enrol(self, name: str, attempts: Iterable[PreparedSample | PhotoResult]) -> PersonResult:
        """Check one person's prepared photos and store those that pass, in one write.

        Parameters
        ----------
        name : str
            Normalised display name.
        attempts : iterable of PreparedSample or PhotoResult
            Each photo of the person, in order: its sample, or the refusal it already
            met (:func:`prepare_photo`).  Each sample is checked against the gallery and
            everything accepted before it in the batch.
        """
        results: list[PhotoResult] = []
        keep: list[PreparedSample] = []
        for attempt in attempts:
            if isinstance(attempt, PhotoResult):
                results.append(attempt)
                continue
            verdict = self.check(attempt.embedding, self.gallery.index(), name)
            if verdict.ok or self.force:
                keep.append(attempt)
                self.gallery.add(name, attempt.embedding)
                forced = not verdict.ok
                note = f"{verdict.message}; enrolled (--force)" if forced else None
                results.append(PhotoResult(attempt.source, "enrolled", note, forced=forced))
            else:
                results.append(refused(attempt.source, verdict.message, "wrong_person"))
        before = self.store.find_person(name) if keep else None
        if keep:
            self.store.add_samples(name, [s.stored() for s in keep])
        after = self.store.find_person(name)
        result = PersonResult(
            name,
            added=len(keep),
            samples=0 if after is None else after.n_samples,
            new=bool(keep) and before is None,
            photos=tuple(results),
        )
        self.people.append(result)
        return result

    def summary(self) -> BulkSummary:
        """Return the figures of the batch so far."""
        enrolled = [p for p in self.people if p.added]
        photos = [r for p in self.people for r in p.photos]
        return BulkSummary(
            people=len(enrolled),
            new=sum(p.new for p in enrolled),
            more=sum(not p.new for p in enrolled),
            samples=sum(p.added for p in enrolled),
            photos=len(photos),
            refused=sum(r.status == "refused" for r in photos),
            forced=sum(r.forced for r in photos),
            skipped=sum(p.problem is not None for p in self.people),
            ignored=self.ignored,
            seconds=time.monotonic() - self.started,
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the batch as one JSON-ready document: ``{"people": [...], "summary": {...}}``."""
        return {
            "people": [p.as_dict() for p in self.people],
            "summary": self.summary().as_dict(),
        }


def demo_people() -> list[tuple[str, Path]]:
    """Return ``(display name, first photo)`` of each person in the demo ``train`` folder.

    ``ben_afflek`` becomes ``Ben Afflek``.  Empty when the demo photos are absent.
    """
    root = paths.celebrity_dir() / "train"
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if photos:
            out.append((folder.name.replace("_", " ").title(), photos[0]))
    return out
