"""PeopleState: the people list and matching snapshot a window shows, and the claim they move."""

from __future__ import annotations

from faceapp.core.matching import GalleryIndex
from faceapp.session.gallery import GalleryEdit
from faceapp.session.window_state import claim_after_edit, claim_enrolled, followed_claim
from faceapp.storage.people import PeopleList, PeopleSnapshot


class PeopleState:
    """The people list and matching snapshot a window shows, kept up to date by the gallery queue.

    The gallery thread reads and writes the store; what it reports (a people snapshot,
    a :class:`~faceapp.session.gallery.GalleryEdit`, a new index) is applied here, on
    the thread that shows it.  Each update returns the verification claim it implies
    (a claim follows a renamed person and is dropped with a removed one), so that the
    caller can store it with the settings.  Not thread-safe: one thread owns it.
    """

    def __init__(self) -> None:
        #: Everybody enrolled, sorted by name ignoring case (empty until :attr:`loaded`).
        self.people = PeopleList()
        #: True once a people snapshot has been applied (:meth:`load`).
        self.loaded = False
        #: The newest matching snapshot, or None before the first one.
        self.index: GalleryIndex | None = None

    def load(self, snapshot: PeopleSnapshot, claim: str | None) -> str | None:
        """Replace the list with ``snapshot``; return ``claim`` as the new list implies.

        A claim on someone another program renamed follows them; one on someone it
        removed is dropped (see :func:`~faceapp.session.window_state.followed_claim`).
        """
        before, self.people = self.people, PeopleList.from_snapshot(snapshot)
        self.loaded = True
        return followed_claim(claim, before, self.people)

    def apply(self, edit: GalleryEdit, claim: str | None) -> str | None:
        """Apply a successful gallery write to the list; return ``claim`` after it.

        Parameters
        ----------
        edit : GalleryEdit
            The write's outcome; one that failed (``edit.error``) changes nothing.
        claim : str or None
            The verification claim before the write.

        Returns
        -------
        str or None
            The claim after the write: a rename moves it, a removal drops it.
        """
        if edit.error is not None:
            return claim
        if edit.after is not None or edit.before is not None:
            self.people.replace(edit.before, edit.after)
        return claim_after_edit(claim, edit)

    def forget(self) -> GalleryIndex:
        """Empty the list and the snapshot (another gallery is coming); return the empty index."""
        self.people, self.loaded = PeopleList(), False
        self.index = GalleryIndex.empty()
        return self.index

    def claim_enrolled(self, claim: str | None) -> bool:
        """Return False when ``claim`` is set and nobody of that name is enrolled.

        True before the people list is read.
        """
        return claim_enrolled(claim, self.people, self.loaded)
