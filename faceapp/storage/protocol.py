"""The store protocol: the gallery operations the app uses, met by SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from faceapp.core.matching import GalleryIndex
from faceapp.storage.samples import NewSample
from faceapp.storage.schema import Person, Sample

if TYPE_CHECKING:
    from faceapp.storage.gallery import StampedIndex

__all__ = ["GalleryLocation", "Store", "StoreWatch", "watch_of"]


class GalleryLocation(Protocol):
    """Where a gallery lives, as messages show it: a file's ``Path`` or a database address.

    ``str()`` of it is fit to print and log (a database address has its password
    hidden).
    """

    @property
    def name(self) -> str:
        """A short name: the file's name, or the database's."""
        ...

    def exists(self) -> bool:
        """Tell whether the gallery exists yet (a file not yet written does not)."""
        ...

    def is_symlink(self) -> bool:
        """Tell whether the location is a symbolic link (never, for a database)."""
        ...


@runtime_checkable
class StoreWatch(Protocol):
    """Tells, cheaply and without blocking, whether the gallery changed since the last poll."""

    def poll(self) -> bool:
        """Return True when something was committed since the last poll (False the first time)."""
        ...

    def close(self) -> None:
        """Release what the watch holds; a later poll starts afresh."""
        ...


class Store(Protocol):
    """The gallery operations the command line, the window's queues and reports use.

    :class:`~faceapp.storage.gallery.GalleryStore` (one SQLite file) and
    :class:`~faceapp.storage.postgres.PostgresStore` (a PostgreSQL database shared by
    several desks) both meet it; mypy checks that they do (see the end of this module).
    Every write is one transaction that commits whole or rolls back whole; every
    method may be called from any thread.  The semantics are those documented on
    :class:`~faceapp.storage.gallery.GalleryStore`.
    """

    @property
    def path(self) -> GalleryLocation:
        """Where the gallery lives (printable; see :class:`GalleryLocation`)."""
        ...

    # -- reads -------------------------------------------------------------------------

    def find_person(self, name_or_id: str | int) -> Person | None:
        """Return the person with this gallery id or display name, or None."""
        ...

    def people(self) -> list[Person]:
        """Return everybody enrolled, sorted by name ignoring case, with sample counts."""
        ...

    def people_in_steps(
        self, pause: Callable[[], None] = ..., rows_per_step: int = ...
    ) -> list[Person]:
        """Return what :meth:`people` returns, calling ``pause()`` between short steps."""
        ...

    def samples(self, person: str | int) -> list[Sample]:
        """Return a person's samples, oldest first (KeyError when not enrolled)."""
        ...

    def thumbnail(self, person: str | int) -> bytes | None:
        """Return the JPEG bytes of the person's newest thumbnail, or None."""
        ...

    def thumbnails(self, person_ids: Sequence[int]) -> dict[int, bytes]:
        """Return the newest thumbnail of each listed person that has one."""
        ...

    def index(self) -> GalleryIndex:
        """Return an immutable matching snapshot (people without samples left out)."""
        ...

    def index_in_steps(
        self, pause: Callable[[], None] = ..., rows_per_step: int = ...
    ) -> StampedIndex:
        """Return the snapshot of :meth:`index` with enrolment times, built in short steps."""
        ...

    def revision(self) -> int:
        """Return a number that changes with every committed write of people or samples."""
        ...

    # -- writes ------------------------------------------------------------------------

    def add_person(self, name: str) -> Person:
        """Enrol a person with no samples yet (ValueError: invalid, taken or look-alike)."""
        ...

    def get_or_create_person(self, name: str) -> Person:
        """Return the person called ``name``, enrolling them first when needed."""
        ...

    def add_samples(self, name: str, items: Sequence[NewSample], create: bool = True) -> list[int]:
        """Store several samples of one person in one transaction; return their ids."""
        ...

    def rename(self, old: str | int, new: str) -> Person:
        """Give a person a new display name; samples and id are kept."""
        ...

    def remove_person(self, name_or_id: str | int) -> Person:
        """Delete a person with all their samples; return who was removed."""
        ...

    def remove_sample(self, sample_id: int) -> None:
        """Delete one sample."""
        ...

    def remove_samples(self, sample_ids: Sequence[int]) -> None:
        """Delete several samples, all or none (KeyError for an unknown id)."""
        ...

    def wipe(self, backup: bool = True) -> Path | None:
        """Remove every person, sample and history event; return a backup copy, if made."""
        ...


def watch_of(store: object) -> StoreWatch:
    """Return the change watch that fits ``store``.

    A store with a ``watch()`` method (:class:`~faceapp.storage.postgres.PostgresStore`)
    makes its own; any other is a gallery file, watched by
    :class:`~faceapp.storage.watch.GalleryWatch`.
    """
    make = getattr(store, "watch", None)
    if callable(make):
        watch = make()
        if isinstance(watch, StoreWatch):
            return watch
    from faceapp.storage.watch import GalleryWatch

    return GalleryWatch(getattr(store, "path"))  # noqa: B009 (any store with a path)


if TYPE_CHECKING:  # mypy checks that both stores meet the protocol
    from faceapp.storage.gallery import GalleryStore
    from faceapp.storage.postgres import PostgresStore

    def _sqlite(store: GalleryStore) -> Store:
        return store

    def _postgres(store: PostgresStore) -> Store:
        return store
