"""GalleryQueue: every gallery read and write of a front end, in order, in one thread."""

from __future__ import annotations

import gc
import itertools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceapp.core.matching import GalleryIndex, distances_to_mean
from faceapp.session.runner import Operation, OperationQueue, ignore
from faceapp.storage.gallery import GalleryError, GalleryStore, Person, Sample, StampedIndex
from faceapp.storage.people import GalleryFollower, PeopleSnapshot
from faceapp.storage.protocol import StoreWatch, watch_of
from faceapp.storage.samples import NewSample
from faceapp.storage.watch import POLL_INTERVAL_S

log = logging.getLogger(__name__)

#: Most thumbnails read in one pass; the newest requests go first.
THUMBNAIL_BATCH = 64

#: Thumbnail requests kept waiting at most; older ones (rows scrolled past) are dropped.
MAX_PENDING_THUMBNAILS = 512

#: What a user sees when a write fails for a reason faceapp did not foresee.
_UNEXPECTED = "unexpected error: {exc!r}"

#: The samples of :meth:`GalleryQueue.add_samples`.
Items = Sequence[NewSample]

#: What the banner of a window says while a shared gallery cannot be reached.
OFFLINE_MESSAGE = "Shared gallery offline — reconnecting"

#: What a write made while a shared gallery cannot be reached says (nothing was written).
OFFLINE_REFUSAL = (
    "The shared gallery is offline, so nothing was written. faceapp reconnects by"
    " itself: try again once it is back."
)

#: Thumbnails read for a request: ``(person_id, JPEG bytes or None)`` for each person.
Thumbnails = tuple[tuple[int, bytes | None], ...]


@dataclass(frozen=True)
class GalleryEdit:
    """The outcome of one gallery write, handed from the gallery thread to its caller.

    Parameters
    ----------
    ticket : int
        What the request method (:meth:`GalleryQueue.add_samples`, ...) returned.
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


@dataclass(frozen=True)
class GalleryLink:
    """Whether a shared gallery's server answers, handed from the gallery thread.

    Parameters
    ----------
    online : bool
        False while the server cannot be reached: recognition goes on with the last
        people list and matching snapshot, and writes are refused.
    message : str
        One sentence for users (:data:`OFFLINE_MESSAGE` when offline, "" online).
    retry_in_s : float
        Seconds until the next attempt to reconnect (0 when online).
    detail : str
        What the last attempt met (the driver's message, password hidden); "" online.
    """

    online: bool
    message: str = ""
    retry_in_s: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class GalleryCallbacks:
    """What a :class:`GalleryQueue` reports, each called in the gallery thread.

    Each callback gets immutable values only and must return quickly (the window's
    turn them into queued Qt signals); any left out is ignored.

    Parameters
    ----------
    people_loaded : callable(PeopleSnapshot)
        The whole people list, after :meth:`GalleryQueue.reload`.
    index_ready : callable(GalleryIndex)
        A new matching snapshot (a :class:`~faceapp.storage.gallery.StampedIndex`).
    edit_finished : callable(GalleryEdit)
        A write finished or failed.
    thumbnails_ready : callable(Thumbnails)
        ``((person_id, JPEG bytes or None), ...)`` for one batch of requested people.
    samples_ready : callable(int, Person or None, tuple of Sample, tuple of float)
        A person's samples: the ticket of :meth:`GalleryQueue.request_samples`, the
        person (None when not enrolled), their samples and each one's distance to the
        person's mean embedding (:func:`~faceapp.core.matching.distances_to_mean`).
    read_failed : callable(str)
        Reading the gallery failed: one sentence for users.
    job_finished : callable(int, object, str or None)
        A job of :meth:`GalleryQueue.submit_job` ended: ticket, its result (None on
        failure) and the error message (None on success).
    link_changed : callable(GalleryLink)
        A shared gallery's server went away (``online`` False, reported once) or came
        back (``online`` True, followed by a reload when anything changed meanwhile).
    """

    people_loaded: Callable[[PeopleSnapshot], None] = ignore
    index_ready: Callable[[GalleryIndex], None] = ignore
    edit_finished: Callable[[GalleryEdit], None] = ignore
    thumbnails_ready: Callable[[Thumbnails], None] = ignore
    samples_ready: Callable[[int, Person | None, tuple[Sample, ...], tuple[float, ...]], None] = (
        ignore
    )
    read_failed: Callable[[str], None] = ignore
    job_finished: Callable[[int, object, str | None], None] = ignore
    link_changed: Callable[[GalleryLink], None] = ignore


@contextmanager
def _unwatched(freeze: bool = False) -> Iterator[None]:
    """Run a big read with the garbage collector paused (its rows are freed by refcount).

    Reading 100,000 rows sets off collections of tens of milliseconds that hold the
    interpreter lock, a stall of the GUI thread.  With ``freeze`` what was built is moved
    out of the collector's sight (it lives until the next read).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if collecting:
            gc.enable()


def _let_others_run() -> None:
    """Pause a long read between steps so another thread (a GUI's) gets the interpreter lock."""
    time.sleep(0.001)


def _message(exc: BaseException) -> str:
    """Return the user-facing sentence of an expected gallery exception."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)


class GalleryQueue(OperationQueue):
    """Owns a front end's use of a :class:`GalleryStore`: nothing else of it touches the store.

    Why a thread of its own
    -----------------------
    With 100,000 people, reading the people list takes about a second, building the
    matching snapshot (every embedding, every centroid) two to three seconds, and a
    write can wait for another process's lock; none of that may run on a GUI thread.
    This queue does all of it in order, one request at a time, so the process never
    uses the store from two threads at once.  After each write it reports what changed
    (a :class:`GalleryEdit`), then rebuilds the :class:`GalleryIndex` once the writes
    queued so far are done.  Thumbnails for the rows on screen are served before
    anything else.  The two long reads run in a helper thread that :meth:`stop` and
    :meth:`use_store` do not wait for (:meth:`Runner.detached`).  Only immutable
    values are handed on: frozen :class:`Person`, :class:`PeopleSnapshot` and
    :class:`GalleryEdit` values, tuples, bytes and ``GalleryIndex`` snapshots.

    Changes by other programs
    -------------------------
    The command line (or another window) may change the same file at any time.  Every
    ``poll_s`` seconds, when it has nothing else to do, the queue polls a
    :class:`~faceapp.storage.watch.GalleryWatch` (a shared PostgreSQL gallery's
    :class:`~faceapp.storage.postgres.PostgresWatch`, listening to the writes every desk
    announces; see :func:`~faceapp.storage.protocol.watch_of`); when the file changed and its
    :meth:`~GalleryStore.revision` differs from the one last read or written here, it
    reads everything again (``people_loaded``, then ``index_ready``).  History writes
    leave the revision alone, so they cost no reload.

    Parameters
    ----------
    store : GalleryStore
        The gallery; used from the gallery thread only (and from the thread calling
        :meth:`stop` or :meth:`use_store`, for the writes still queued).
    callbacks : GalleryCallbacks
        Where outcomes go; called in the gallery thread.
    poll_s : float
        Seconds between two looks for changes made by others.

    Notes
    -----
    The request methods are thread-safe, never block for longer than a lock held for
    a few assignments, and may be called before the loop runs (the requests then
    wait).  Tickets come from one counter, so they increase across all requests.
    :meth:`stop` still carries out the writes already queued (reads are dropped); a
    write requested after the stop is carried out at once in the caller's thread, so
    no write is ever lost.
    """

    def __init__(
        self,
        store: GalleryStore,
        callbacks: GalleryCallbacks = GalleryCallbacks(),
        poll_s: float = POLL_INTERVAL_S,
    ) -> None:
        super().__init__()
        self._store = store
        self._callbacks = callbacks
        self._watch: StoreWatch = watch_of(store)  # the file's, or a database's LISTEN
        self._watch_fresh = True  # its first poll only takes note of the file
        self._poll_s = poll_s
        self._next_poll = 0.0
        self._thumbs: OrderedDict[int, None] = OrderedDict()
        self._reload = False
        self._index_dirty = False
        self._tickets = itertools.count(1)
        self._revision: int | None = None
        self._follower = GalleryFollower()  # what was read, patched by who changed
        self._switching = False  # a use_store() waits: abandon long reads
        self._work = threading.RLock()  # held while an operation uses the store
        self._offline = False  # a shared gallery's server did not answer

    @property
    def online(self) -> bool:
        """False while a shared gallery's server cannot be reached (see ``link_changed``)."""
        return not self._offline

    @property
    def store(self) -> GalleryStore:
        """The gallery in use (the last one given to :meth:`use_store`)."""
        return self._store

    # -- thread-safe requests ----------------------------------------------------------

    def reload(self) -> None:
        """Read the people list, then the matching snapshot, again (both are reported)."""
        with self._cond:
            self._reload = True
            self._cond.notify_all()

    def add_samples(
        self, name: str, items: Items, screen: Callable[[], str | None] | None = None
    ) -> int:
        """Store samples of one person (enrolling them when new); returns the ticket.

        See :meth:`GalleryStore.add_samples`; ``edit_finished`` reports the outcome.
        ``screen``, when given, runs in the gallery thread just before the write: a
        sentence it returns refuses the write (the edit's error; nothing is written).
        """

        def add(ticket: int) -> GalleryEdit:
            refusal = None if screen is None else screen()
            if refusal is not None:
                return GalleryEdit(ticket, "add", error=refusal)
            return self._add(ticket, name, items)

        return self._submit("add", add)

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
        self.enqueue(False, lambda: self._read_samples(ticket, person_id))
        return ticket

    def request_thumbnails(self, person_ids: Sequence[int]) -> None:
        """Read these people's thumbnails (``thumbnails_ready``), the newest requests first."""
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
                offline = isinstance(exc, GalleryError) and self._check_link(exc)
                error = OFFLINE_REFUSAL if offline else _message(exc)
            except Exception as exc:  # a bug: report it, keep the thread alive
                log.exception("gallery job failed")
                error = _UNEXPECTED.format(exc=exc)
            if write and error is None:
                self._after_write()
                self.reload()
            self._callbacks.job_finished(ticket, result, error)

        self.enqueue(write, self._guarded(op))
        return ticket

    def use_store(self, store: GalleryStore) -> None:
        """Use ``store`` from now on (another gallery file was opened); blocks a little.

        Waits for the operation in progress (a long read is abandoned, not waited for)
        and carries out the writes queued so far on the old gallery, in the calling
        thread; their outcomes are reported before this returns.  Queued reads and
        thumbnail requests are dropped, and so is a :meth:`reload` not yet served.  Then
        the watch follows ``store``; requests made after this call use it, and
        :meth:`reload` reads its people and snapshot (the caller asks for it once it has
        forgotten the old file's, so that nothing of the new file arrives before).  Any
        thread; from a callback too.
        """
        with self._cond:
            self._switching = True
            writes = self._take_writes()
            self._thumbs.clear()
            self._reload = self._index_dirty = False
            self._cond.notify_all()
        with self._work:  # the operation in progress has ended
            try:
                for write in writes:
                    write()
            finally:
                with self._cond:
                    old, self._watch = self._watch, watch_of(store)
                    self._store, self._watch_fresh = store, True
                    self._revision = None
                    self._follower.forget()
                    went_offline, self._offline = self._offline, False
                    self._switching = False
                    self._cond.notify_all()
                old.close()
                if went_offline:
                    self._callbacks.link_changed(GalleryLink(True))

    def _submit(self, action: str, run: Callable[[int], GalleryEdit]) -> int:
        ticket = next(self._tickets)

        def op() -> None:
            try:
                edit = run(ticket)
            except GalleryError as exc:
                offline = self._check_link(exc)
                edit = GalleryEdit(
                    ticket, action, error=OFFLINE_REFUSAL if offline else _message(exc)
                )
            except (KeyError, ValueError, TypeError) as exc:
                edit = GalleryEdit(ticket, action, error=_message(exc))
            except Exception as exc:  # a bug: report it, keep the thread alive
                log.exception("gallery %s failed", action)
                edit = GalleryEdit(ticket, action, error=_UNEXPECTED.format(exc=exc))
            if edit.error is None:
                self._after_write()
            self._callbacks.edit_finished(edit)

        self.enqueue(True, self._guarded(op))
        return ticket

    def _guarded(self, op: Operation) -> Operation:
        """Return ``op`` holding the store for its length (it may run in any thread)."""

        def run() -> None:
            with self._work:
                op()

        return run

    # -- the loop ----------------------------------------------------------------------

    def loop(self) -> None:
        """Serve thumbnails, reloads, queued operations, index rebuilds and polls, in that order."""
        try:
            self._serve()
        finally:
            with self._work:
                self._watch.close()

    def _poll_due(self) -> float:
        """Seconds until the next look for changes by others (<= 0: now)."""
        return self._next_poll - time.monotonic()

    def _serve(self) -> None:
        while True:
            with self._cond:
                while not self.stopping() and (
                    self._switching  # use_store() is about to take the store
                    or not (
                        self._thumbs
                        or self._reload
                        or self._ops
                        or self._index_dirty
                        or self._watch_fresh
                        or self._poll_due() <= 0
                    )
                ):
                    self._cond.wait(min(0.5, max(0.01, self._poll_due())))
                if self.stopping():
                    return  # stop() carries out the queued writes
                batch: list[int] = []
                op: Operation | None = None
                fresh = reload = rebuild = poll = False
                if self._watch_fresh:
                    self._watch_fresh, fresh = False, True
                elif self._thumbs:
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
            with self._work:
                if fresh:
                    self._watch.poll()  # takes note of the file before the first read
                    self._next_poll = time.monotonic() + self._poll_s
                elif batch:
                    self._load_thumbnails(batch)
                elif reload:
                    self._load_people()
                elif op is not None:
                    op()
                elif rebuild:
                    self._build_index()
                elif poll:
                    self._look_for_changes()

    # -- reads (gallery thread) ----------------------------------------------------------

    def _abandon(self) -> bool:
        return self._switching

    def _cannot_read(self, exc: BaseException) -> None:
        if isinstance(exc, GalleryError) and self._check_link(exc):
            return  # the banner says so; the last people and snapshot stay in use
        self._callbacks.read_failed(f"The gallery {self._store.path} cannot be read: {exc}")

    def _load_people(self) -> None:
        store = self._store

        def read() -> tuple[int, object, PeopleSnapshot]:
            revision, mark = store.revision(), GalleryFollower.mark_of(store)
            # 100,000 new people set off full collections (40-70 ms holding the lock, a GUI
            # stall); they live until the next read: built unwatched, then frozen out.
            with _unwatched(freeze=True):
                return revision, mark, PeopleSnapshot.of(store.people_in_steps(_let_others_run))

        try:
            loaded = self.detached(read, "faceapp-gallery-read", self._abandon)
        except (GalleryError, OSError) as exc:
            self._cannot_read(exc)
            return
        if loaded is None:
            return  # stopped or switched meanwhile
        self._revision, mark, snapshot = loaded
        self._follower.read(mark, snapshot)
        self._callbacks.people_loaded(snapshot)
        with self._cond:
            self._index_dirty = True

    def _build_index(self) -> None:
        store = self._store
        try:
            if self._follower.catch_up(store):  # only the people who changed
                self._callbacks.index_ready(self._follower.index)  # type: ignore[arg-type]
                return

            def read() -> StampedIndex:
                with _unwatched():  # an index is arrays: nothing to freeze
                    return store.index_in_steps(_let_others_run)

            index = self.detached(read, "faceapp-gallery-read", self._abandon)
        except (GalleryError, OSError) as exc:
            self._cannot_read(exc)
            return
        if index is not None:
            self._follower.index = index
            self._callbacks.index_ready(index)

    def _load_thumbnails(self, person_ids: list[int]) -> None:
        try:
            found = self._store.thumbnails(person_ids)
        except (GalleryError, OSError) as exc:
            log.warning("cannot read thumbnails: %s", exc)
            found = {}
        self._callbacks.thumbnails_ready(tuple((pid, found.get(pid)) for pid in person_ids))

    def _read_samples(self, ticket: int, person_id: int) -> None:
        samples: tuple[Sample, ...] = ()
        try:
            person = self._store.find_person(person_id)
            samples = tuple(self._store.samples(person_id)) if person is not None else ()
        except KeyError:
            person = None
        except (GalleryError, OSError) as exc:
            self._cannot_read(exc)
            person = None
        embeddings = np.stack([s.embedding for s in samples]) if samples else np.empty((0, 0))
        self._callbacks.samples_ready(ticket, person, samples, distances_to_mean(embeddings))

    def _look_for_changes(self) -> None:
        """Read everything again when another program changed the people or samples."""
        self._next_poll = time.monotonic() + self._poll_s
        changed = self._watch.poll()
        if not changed and not self._offline:
            return
        try:
            revision: int | None = self._store.revision()
        except GalleryError as exc:
            if self._check_link(exc):
                return  # still offline: recognition goes on with the last snapshot
            revision = None  # the reload reports what is wrong
        except OSError:
            revision = None
        if self._offline:
            self._set_offline(False)  # and read again below when others wrote meanwhile
        if revision is not None and revision == self._revision:
            return  # a history write, or a write of this queue already known
        try:
            if self._follower.catch_up(self._store):  # only the people who changed
                self._revision = revision
                self._callbacks.people_loaded(self._follower.people)  # type: ignore[arg-type]
                self._callbacks.index_ready(self._follower.index)  # type: ignore[arg-type]
                return
        except (GalleryError, OSError):
            pass  # the reload reports what is wrong
        log.info("gallery %s changed by another program; reading it again", self._store.path)
        self.reload()

    def _shared(self) -> bool:
        """Tell whether the store is a database several desks share (not a file)."""
        return not isinstance(self._store.path, Path)

    def _check_link(self, exc: GalleryError) -> bool:
        """After ``exc``, tell whether a shared gallery's server is unreachable (and say so).

        One cheap question to the server (:meth:`GalleryStore.revision`) tells a lost
        server from a refused request; a file gallery is never "offline".
        """
        if not self._shared():
            return False
        if not self._offline:
            try:
                self._store.revision()  # a dropped connection is replaced here
            except GalleryError as again:
                exc = again
            else:
                return False  # the server answers: ``exc`` was about the request
        self._set_offline(True, str(exc))
        return True

    def _set_offline(self, offline: bool, detail: str = "") -> None:
        """Record the link's state; report a change (and the next retry) with ``link_changed``."""
        if offline == self._offline:
            return
        self._offline = offline
        if offline:
            log.warning("the shared gallery %s is offline: %s", self._store.path, detail)
            link = GalleryLink(False, OFFLINE_MESSAGE, self._poll_s, detail)
        else:
            log.info("the shared gallery %s is back", self._store.path)
            link = GalleryLink(True)
        self._callbacks.link_changed(link)

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

    # -- writes (gallery thread, or the thread of stop() and use_store()) ----------------

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
