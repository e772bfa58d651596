"""ThumbnailCache: which people's thumbnails are held, asked for, still to ask for (Qt-free)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Generic, TypeVar

#: Thumbnails kept in memory per cache (a few screens of rows; about 11 kB each).
THUMBNAIL_CACHE = 1000

#: A thumbnail as the window holds it (a pixmap); the cache never looks inside.
T = TypeVar("T")


class ThumbnailCache(Generic[T]):
    """The newest ``size`` thumbnails a list showed, and those it waits for.

    A row on screen asks :meth:`held`; a person not held and not yet asked for is
    *wanted*.  :meth:`take_wanted` hands the wanted ones over to be read (they are
    then *requested*), and :meth:`arrived` keeps what was read.  A person with no
    thumbnail is held as None, so it is not asked for again.

    Parameters
    ----------
    size : int
        How many thumbnails are kept at most; the least recently shown go first.
    """

    def __init__(self, size: int = THUMBNAIL_CACHE) -> None:
        self._size = size
        self._held: OrderedDict[int, T | None] = OrderedDict()
        self._wanted: dict[int, str] = {}  # person id -> name, to ask for
        self._requested: dict[int, str] = {}  # person id -> name, asked for

    def __len__(self) -> int:
        return len(self._held)

    def held(self, person_id: int, name: str) -> tuple[T | None, bool]:
        """Return a person's thumbnail (None when none is held) and whether it is newly wanted.

        Parameters
        ----------
        person_id : int
        name : str
            The person's name, to find their row again when the thumbnail arrives.
        """
        if person_id in self._held:
            self._held.move_to_end(person_id)
            return self._held[person_id], False
        if person_id in self._requested or person_id in self._wanted:
            return None, False
        self._wanted[person_id] = name
        return None, True

    def take_wanted(self) -> tuple[int, ...]:
        """Return the ids of the thumbnails wanted since the last call; they are now asked for."""
        wanted, self._wanted = self._wanted, {}
        self._requested.update(wanted)
        return tuple(wanted)

    def arrived(self, loaded: Iterable[tuple[int, T | None]]) -> list[tuple[int, str]]:
        """Keep thumbnails read; return ``(id, name)`` of those asked for that have a picture.

        Thumbnails nobody asked for (any more: a reset came meanwhile) are ignored;
        the least recently shown are dropped beyond ``size``.
        """
        shown = []
        for person_id, thumbnail in loaded:
            name = self._requested.pop(person_id, None)
            if name is None:
                continue
            self._held[person_id] = thumbnail
            self._held.move_to_end(person_id)
            if thumbnail is not None:
                shown.append((person_id, name))
        while len(self._held) > self._size:
            self._held.popitem(last=False)
        return shown

    def forget(self, person_id: int) -> None:
        """Drop a person's thumbnail and request (a new sample may bring a newer one)."""
        self._held.pop(person_id, None)
        self._requested.pop(person_id, None)

    def clear(self) -> None:
        """Drop every thumbnail held and every request (the people were read again)."""
        self._held.clear()
        self._requested.clear()
