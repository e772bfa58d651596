"""GalleryWorker: every gallery read and write of the GUI, in one thread off the GUI thread."""

from __future__ import annotations

import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal

from faceapp.core.matching import face_distance, l2_normalize
from faceapp.gui.loop_worker import OperationQueueWorker
from faceapp.gui.people import THUMB_PX, PeopleSnapshot, thumbnail_image
from faceapp.storage.gallery import GalleryError, GalleryStore, Person, Sample
from faceapp.storage.samples import NewSample
from faceapp.storage.watch import POLL_INTERVAL_S, GalleryWatch

log = logging.getLogger(__name__)

#: Most thumbnails read and decoded in one pass; the newest requests go first.
THUMBNAIL_BATCH = 64

#: Thumbnail requests kept waiting at most; older ones (rows scrolled past) are dropped.
MAX_PENDING_THUMBNAILS = 512

#: What a user sees when a write fails for a reason faceapp did not foresee.
_UNEXPECTED = "unexpected error: {exc!r}"

Items = Sequence[NewSample]


@dataclass(frozen=True)
class GalleryEdit:
    """The outcome of one gallery write, sent from the gallery thread to the GUI thread.

    Parameters
    ----------
    ticket : int
        What the request method (:meth:`GalleryWorker.add_samples`, ...) returned.
    action : {"add", "rename", "remove_person", "remove_sample"}
        What was asked.
    error : str or None
        One sentence for users when the write failed; nothing was written then.
    before : Person or None
        The person before the write (None for a person enrolled by it, or unknown).
    after : Person or None
        The person after the write; None when removed, or when the write failed.
    sample_ids : tuple of int
        The new sample ids (``add``), or the removed ones (``remove_sample``).
    """

    ticket: int
    action: str
    error: str | None = None
    before: Person | None = None
    after: Person | None = None
    sample_ids: tuple[int, ...] = ()


def _let_the_gui_run() -> None:
    """Pause a long read between steps so the GUI thread gets the interpreter lock."""
    time.sleep(0.001)


def distances_to_mean(samples: Sequence[Sample]) -> tuple[float, ...]:
    """Return each sample's distance to the L2-normalised mean of all of them.

    The mean is the one matching compares faces with (see
    :class:`~faceapp.core.matching.GalleryIndex`), so a sample far from it (another
    person's face, a blurred one) is the one that weakens the person's matches.
    """
    if not samples:
        return ()
    embeddings = np.stack([s.embedding for s in samples])
    mean = l2_normalize(embeddings.mean(axis=0))
    return tuple(float(d) for d in face_distance(embeddings, mean[None, :])[:, 0])


def _message(exc: BaseException) -> str:
    """Return the user-facing sentence of an expected gallery exception."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)


class GalleryWorker(OperationQueueWorker):
    """Owns the GUI's use of the :class:`GalleryStore`: nothing else in the GUI touches it.

    Why a thread of its own
    -----------------------
    With 100,000 people, reading the people list takes about a second, building the
    matching snapshot (every embedding, every centroid) two to three seconds, and a
    write can wait for another process's lock; none of that may run on the GUI thread.
    This worker does all of it in order, one request at a time, so the GUI process
    never uses the store from two threads at once.  After each write it sends what
    changed (a :class:`GalleryEdit`), then rebuilds the
    :class:`~faceapp.core.matching.GalleryIndex` once the writes queued so far are done.
    Thumbnails for the rows on screen are served before anything else.  The two long
    reads run in a helper thread that :meth:`stop` does not wait for (see
    :meth:`LoopWorker._detached`); a stop waits for at most one write.  Only immutable values
    leave the thread: frozen :class:`Person`, :class:`PeopleSnapshot` and
    :class:`GalleryEdit` values, tuples, ``GalleryIndex`` snapshots and ``QImage``
    objects that own their pixels.

    Changes by other programs
    -------------------------
    The command line (or another window) may change the same file at any time.  Every
    ``poll_s`` seconds, when it has nothing else to do, the thread polls a
    :class:`~faceapp.storage.watch.GalleryWatch` (SQLite's ``data_version`` on a
    connection of its own, and the file's identity, which a wipe changes); when the
    file changed and its :meth:`~GalleryStore.revision` differs from the one last read
    or written here, it reads everything again (``people_loaded``, then
    ``index_ready``).  History writes leave the revision alone, so they cost no reload.

    Parameters
    ----------
    store : GalleryStore
        The gallery; used from the worker thread only.
    thumb_px : int
        Side of the thumbnails it decodes, in pixels.
    poll_s : float
        Seconds between two looks for changes made by others.

    Notes
    -----
    The request methods are thread-safe, never block for longer than a lock held for
    a few assignments, and may be called before :meth:`start` (the requests then wait).
    Signals are emitted from the worker thread.  :meth:`stop` still carries out the
    writes already queued (reads are dropped); a write requested after the stop is
    carried out at once in the caller's thread, so no write is ever lost.
    """

    #: The whole people list, after :meth:`reload`: a :class:`PeopleSnapshot`.
    people_loaded = Signal(object)
    #: A new :class:`~faceapp.core.matching.GalleryIndex` snapshot for matching.
    index_ready = Signal(object)
    #: A write finished (or failed): its :class:`GalleryEdit`.
    edit_finished = Signal(object)
    #: Thumbnails: a tuple of ``(person_id, QImage or None)``, None for people without one.
    thumbnails_ready = Signal(object)
    #: A person's samples: ticket, the :class:`Person` (None when not enrolled), a
    #: tuple of :class:`~faceapp.storage.gallery.Sample` and a parallel tuple of their
    #: distances to the person's mean embedding (:func:`distances_to_mean`).
    samples_ready = Signal(int, object, object, object)
    #: Reading the gallery failed: one sentence for users.
    read_failed = Signal(str)
    #: A job of :meth:`submit_job` ended: ticket, its result (None on failure) and the
    #: error message (None on success).
    job_finished = Signal(int, object, object)

    def __init__(
        self, store: GalleryStore, thumb_px: int = THUMB_PX, poll_s: float = POLL_INTERVAL_S
    ) -> None:
        super().__init__()
        self._store = store
        self._watch = GalleryWatch(store.path)
        self._poll_s = poll_s
        self._next_poll = 0.0
        self._thumb_px = thumb_px
        self._thumbs: OrderedDict[int, None] = OrderedDict()
        self._reload = False
        self._index_dirty = False
        self._tickets = itertools.count(1)
        self._revision: int | None = None

    # -- thread-safe requests ----------------------------------------------------------

    def reload(self) -> None:
        """Read the people list, then the matching snapshot, again (both are emitted)."""
        with self._cond:
            self._reload = True
            self._cond.notify_all()

    def add_samples(self, name: str, items: Items) -> int:
        """Store samples of one person (enrolling them when new); returns the ticket.

        See :meth:`GalleryStore.add_samples`; ``edit_finished`` reports the outcome.
        """
        return self._submit("add", lambda ticket: self._add(ticket, name, items))

    def rename(self, person_id: int, new: str) -> int:
        """Rename a person; returns the ticket (see :meth:`GalleryStore.rename`)."""
        return self._submit("rename", lambda ticket: self._rename(ticket, person_id, new))

    def remove_person(self, person_id: int) -> int:
        """Delete a person and their samples; returns the ticket."""
        return self._submit("remove_person", lambda ticket: self._remove_person(ticket, person_id))

    def remove_sample(self, sample_id: int, person_id: int) -> int:
        """Delete one sample of the person ``person_id``; returns the ticket."""
        return self.remove_samples((sample_id,), person_id)

    def remove_samples(self, sample_ids: Sequence[int], person_id: int) -> int:
        """Delete samples of the person ``person_id`` in one write; returns the ticket.

        All or none: see :meth:`GalleryStore.remove_samples`.
        """
        ids = tuple(int(i) for i in sample_ids)
        return self._submit(
            "remove_sample", lambda ticket: self._remove_samples(ticket, ids, person_id)
        )

    def request_samples(self, person_id: int) -> int:
        """Read one person's samples (``samples_ready``); returns the ticket."""
        ticket = next(self._tickets)
        self._enqueue(False, lambda: self._read_samples(ticket, person_id))
        return ticket

    def request_thumbnails(self, person_ids: Sequence[int]) -> None:
        """Read and decode these people's thumbnails (``thumbnails_ready``), newest first."""
        with self._cond:
            for pid in person_ids:
                self._thumbs[int(pid)] = None
                self._thumbs.move_to_end(int(pid))
            while len(self._thumbs) > MAX_PENDING_THUMBNAILS:
                self._thumbs.popitem(last=False)
            self._cond.notify_all()

    def submit_job(
        self, job: Callable[[GalleryStore], object], write: bool, errors: tuple = ()
    ) -> int:
        """Run ``job(store)`` in the gallery thread (export, import); returns the ticket.

        ``job_finished`` carries the result, which must be immutable, or the message of
        an exception of ``errors`` (or of :class:`GalleryError`, :class:`OSError`).  A
        write job is ordered with the other writes, kept on :meth:`stop` like them, and
        followed by a full :meth:`reload` (it may change many people at once).
        """
        ticket = next(self._tickets)
        caught = (GalleryError, OSError, *errors)

        def op() -> None:
            result: object = None
            error: str | None = None
            try:
                result = job(self._store)
            except caught as exc:
                error = _message(exc)
            except Exception as exc:  # a bug: report it, keep the thread alive
                log.exception("gallery job failed")
                error = _UNEXPECTED.format(exc=exc)
            if write and error is None:
                self._after_write()
                self.reload()
            self.job_finished.emit(ticket, result, error)

        self._enqueue(write, op)
        return ticket

    def _submit(self, action: str, run: Callable[[int], GalleryEdit]) -> int:
        ticket = next(self._tickets)

        def op() -> None:
            try:
                edit = run(ticket)
            except (KeyError, ValueError, TypeError, GalleryError) as exc:
                edit = GalleryEdit(ticket, action, error=_message(exc))
            except Exception as exc:  # a bug: report it, keep the thread alive
                log.exception("gallery %s failed", action)
                edit = GalleryEdit(ticket, action, error=_UNEXPECTED.format(exc=exc))
            if edit.error is None:
                self._after_write()
            self.edit_finished.emit(edit)

        self._enqueue(True, op)
        return ticket

    # -- the loop ----------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            self._serve()
        finally:
            self._watch.close()

    def _poll_due(self) -> float:
        """Seconds until the next look for changes by others (<= 0: now)."""
        return self._next_poll - time.monotonic()

    def _serve(self) -> None:
        self._watch.poll()  # takes note of the file before the first read
        self._next_poll = time.monotonic() + self._poll_s
        while True:
            with self._cond:
                while not (
                    self.stopping()
                    or self._thumbs
                    or self._reload
                    or self._ops
                    or self._index_dirty
                    or self._poll_due() <= 0
                ):
                    self._cond.wait(min(0.5, max(0.01, self._poll_due())))
                if self.stopping():
                    writes = self._take_writes()
                    break
                batch: list[int] = []
                op: Callable[[], None] | None = None
                reload = rebuild = poll = False
                if self._thumbs:
                    while self._thumbs and len(batch) < THUMBNAIL_BATCH:
                        batch.append(self._thumbs.popitem(last=True)[0])
                elif self._reload:
                    self._reload, reload = False, True
                elif self._ops:
                    op = self._ops.popleft()[1]
                elif self._index_dirty:
                    self._index_dirty, rebuild = False, True
                else:
                    poll = True
            if batch:
                self._load_thumbnails(batch)
            elif reload:
                self._load_people()
            elif op is not None:
                op()
            elif rebuild:
                self._build_index()
            elif poll:
                self._look_for_changes()
        for write in writes:  # queued writes are kept (each is short); reads are dropped
            write()

    def _load_people(self) -> None:
        store = self._store

        def read() -> tuple[int, PeopleSnapshot]:
            revision = store.revision()
            return revision, PeopleSnapshot.of(store.people_in_steps(_let_the_gui_run))

        try:
            loaded = self._detached(read, "faceapp-gallery-read")
        except (GalleryError, OSError) as exc:
            self.read_failed.emit(f"The gallery {self._store.path} cannot be read: {exc}")
            return
        if loaded is None:
            return  # stopped meanwhile
        self._revision, snapshot = loaded
        self.people_loaded.emit(snapshot)
        with self._cond:
            self._index_dirty = True

    def _build_index(self) -> None:
        try:
            index = self._detached(
                lambda: self._store.index_in_steps(_let_the_gui_run), "faceapp-gallery-read"
            )
        except (GalleryError, OSError) as exc:
            self.read_failed.emit(f"The gallery {self._store.path} cannot be read: {exc}")
            return
        if index is not None:
            self.index_ready.emit(index)

    def _load_thumbnails(self, person_ids: list[int]) -> None:
        try:
            found = self._store.thumbnails(person_ids)
        except (GalleryError, OSError) as exc:
            log.warning("cannot read thumbnails: %s", exc)
            found = {}
        loaded = tuple((pid, thumbnail_image(found.get(pid), self._thumb_px)) for pid in person_ids)
        self.thumbnails_ready.emit(loaded)

    def _read_samples(self, ticket: int, person_id: int) -> None:
        try:
            person = self._store.find_person(person_id)
            samples = tuple(self._store.samples(person_id)) if person is not None else ()
        except KeyError:
            person, samples = None, ()
        except (GalleryError, OSError) as exc:
            self.read_failed.emit(f"The gallery {self._store.path} cannot be read: {exc}")
            person, samples = None, ()
        self.samples_ready.emit(ticket, person, samples, distances_to_mean(samples))

    def _look_for_changes(self) -> None:
        """Read everything again when another program changed the people or samples."""
        self._next_poll = time.monotonic() + self._poll_s
        if not self._watch.poll():
            return
        try:
            revision: int | None = self._store.revision()
        except (GalleryError, OSError):
            revision = None  # the reload reports what is wrong
        if revision is not None and revision == self._revision:
            return  # a history write, or a write of this thread already known
        log.info("gallery %s changed by another program; reading it again", self._store.path)
        self.reload()

    def _after_write(self) -> None:
        """Mark the snapshot stale; reload everything when another process wrote too."""
        try:
            revision = self._store.revision()
        except (GalleryError, OSError):
            revision = None
        with self._cond:
            self._index_dirty = True
            known = self._revision
            if revision is not None and known is not None and revision > known + 1:
                log.info("the gallery was changed by another program; reloading it")
                self._reload = True
            self._revision = revision

    # -- writes (worker thread) ------------------------------------------------------------

    def _add(self, ticket: int, name: str, items: Items) -> GalleryEdit:
        before = self._store.find_person(name)
        ids = self._store.add_samples(name, items, create=True)
        after = self._store.find_person(name)
        return GalleryEdit(ticket, "add", None, before, after, tuple(ids))

    def _rename(self, ticket: int, person_id: int, new: str) -> GalleryEdit:
        before = self._store.find_person(person_id)
        after = self._store.rename(person_id, new)
        return GalleryEdit(ticket, "rename", None, before, after)

    def _remove_person(self, ticket: int, person_id: int) -> GalleryEdit:
        before = self._store.find_person(person_id)
        self._store.remove_person(person_id)
        return GalleryEdit(ticket, "remove_person", None, before, None)

    def _remove_samples(
        self, ticket: int, sample_ids: tuple[int, ...], person_id: int
    ) -> GalleryEdit:
        before = self._store.find_person(person_id)
        self._store.remove_samples(sample_ids)
        after = self._store.find_person(person_id)
        return GalleryEdit(ticket, "remove_sample", None, before, after, sample_ids)
