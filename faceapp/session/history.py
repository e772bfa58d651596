"""HistoryQueue: records history events in batches and serves reads, export and settings."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from faceapp.session.runner import OperationQueue, ignore
from faceapp.storage.gallery import GalleryError, GalleryStore
from faceapp.storage.history import (
    PRESENT_DECISIONS,
    DayRow,
    History,
    HistoryEvent,
    HistorySettings,
    NewEvent,
    daily_rows,
    write_csv,
    write_daily_csv,
)
from faceapp.storage.outputs import open_private

log = logging.getLogger(__name__)

#: Seconds between two writes of the recorded events (each write is one transaction of
#: about 0.1 s, so events are collected and written together).
FLUSH_INTERVAL_S = 5.0
#: Seconds between two reads of the history settings (another program may change them).
SETTINGS_REFRESH_S = 30.0
#: Events kept waiting for a write at most (when the gallery stays locked); the oldest go.
MAX_PENDING = 10_000
#: Newest events the History dialog shows at most.
SHOWN_EVENTS = 2000


@dataclass(frozen=True)
class HistoryQuery:
    """Which events to read (see :meth:`faceapp.storage.history.History.events`).

    Parameters
    ----------
    since : datetime, optional
        Timezone-aware.
    name : str, optional
        A person's display name.
    decision : str, optional
        One of :data:`~faceapp.core.appearances.DECISIONS`.
    mode : str, optional
        ``"recognition"`` or ``"verification"``.
    limit : int, optional
        Newest events kept at most; None for all.
    desk : str, optional
        The desk that recorded them (a shared gallery only).
    """

    since: datetime | None = None
    name: str | None = None
    decision: str | None = None
    mode: str | None = None
    limit: int | None = SHOWN_EVENTS
    desk: str | None = None

    def read(self, history: History, crops: bool) -> list[HistoryEvent]:
        """Return the events this query selects in ``history`` (blocking: history thread)."""
        return history.events(
            since=self.since,
            name=self.name,
            decision=self.decision,
            mode=self.mode,
            limit=self.limit,
            crops=crops,
            desk=self.desk,
        )


@dataclass(frozen=True)
class HistoryPage:
    """Events read for a reader, handed on from the history thread.

    Parameters
    ----------
    ticket : int
        What :meth:`HistoryQueue.request_events` returned.
    query : HistoryQuery
    events : tuple of HistoryEvent
        Oldest first; each with its JPEG face crop (or None).
    crops : tuple
        What the queue's ``decode_crop`` made of each event's crop (None for an event
        without one), parallel to ``events``: the window's ``QImage``; the JPEG bytes
        themselves without ``decode_crop``.
    settings : HistorySettings or None
        The settings in force (None when the gallery could not be read).
    error : str or None
        One sentence for users when the read failed (``events`` is empty then).
    desks : tuple of str or None
        The desks that recorded the events kept, for a desk filter; None for a gallery
        file (which keeps no desk names).
    """

    ticket: int
    query: HistoryQuery
    events: tuple[HistoryEvent, ...] = ()
    crops: tuple[Any, ...] = field(default=(), repr=False)
    settings: HistorySettings | None = None
    error: str | None = None
    desks: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DailyPage:
    """The daily attendance read for a reader (see :func:`~faceapp.storage.history.daily_rows`).

    Parameters
    ----------
    ticket : int
        What :meth:`HistoryQueue.request_daily` returned.
    query : HistoryQuery
        The events counted (its decision is ignored: named and accepted faces count).
    rows : tuple of DayRow
        By day, then first seen, then name; local times.
    error : str or None
        One sentence for users when the read failed (``rows`` is empty then).
    """

    ticket: int
    query: HistoryQuery
    rows: tuple[DayRow, ...] = ()
    error: str | None = None


def _present(query: HistoryQuery) -> HistoryQuery:
    """Return ``query`` for the daily attendance: every event present, no limit."""
    return HistoryQuery(since=query.since, name=query.name, mode=query.mode, limit=None)


def _daily(history: History, query: HistoryQuery) -> list[DayRow]:
    events = history.events(
        since=query.since,
        name=query.name,
        decision=PRESENT_DECISIONS,
        mode=query.mode,
        crops=False,
        desk=query.desk,
    )
    return daily_rows(events)


@dataclass(frozen=True)
class HistoryOutcome:
    """The outcome of an export, a clear or a change of settings.

    Parameters
    ----------
    ticket : int
    action : {"export", "daily", "clear", "configure"}
    count : int
        Events written (export), rows written (daily: the daily attendance exported) or
        events deleted (clear).
    settings : HistorySettings or None
        The settings in force afterwards (configure).
    error : str or None
        One sentence for users when it failed; nothing was changed then.
    """

    ticket: int
    action: str
    count: int = 0
    settings: HistorySettings | None = None
    error: str | None = None


@dataclass(frozen=True)
class HistoryCallbacks:
    """What a :class:`HistoryQueue` reports, each called in the history thread.

    Each callback gets immutable values only and must return quickly; any left out is
    ignored.

    Parameters
    ----------
    recorded : callable(int)
        Events were written: how many were stored (0 when history is off).
    events_loaded : callable(HistoryPage)
        Events read with :meth:`HistoryQueue.request_events`.
    daily_loaded : callable(DailyPage)
        The daily attendance read with :meth:`HistoryQueue.request_daily`.
    request_done : callable(HistoryOutcome)
        An export, clear or configure finished.
    settings_changed : callable(HistorySettings)
        The history settings were read for the first time, or changed.
    held : callable(int)
        Events could not be written (a shared gallery offline, a file locked): how many
        wait to be written again at the next flush; 0 once they all are.  Never lost
        silently: past :data:`MAX_PENDING` the oldest are dropped, with a warning.
    """

    recorded: Callable[[int], None] = ignore
    events_loaded: Callable[[HistoryPage], None] = ignore
    daily_loaded: Callable[[DailyPage], None] = ignore
    request_done: Callable[[HistoryOutcome], None] = ignore
    settings_changed: Callable[[HistorySettings], None] = ignore
    held: Callable[[int], None] = ignore


class HistoryQueue(OperationQueue):
    """Owns a front end's use of the history: recording in batches, reads, export, settings.

    The live loop's history tap hands events to :meth:`add_events` (any thread); this
    queue writes them every ``flush_interval_s`` seconds in one transaction, before each
    read (so a reader sees what was just seen) and when stopped (so closing the window
    loses nothing).  Requests run here too, one at a time; only immutable values are
    handed on (:class:`HistoryPage`, :class:`HistoryOutcome`, frozen events).

    Parameters
    ----------
    store : GalleryStore
        The gallery holding the history (see :mod:`faceapp.storage.history`).
    callbacks : HistoryCallbacks
        Where outcomes go; called in the history thread (or the thread of :meth:`stop`).
    flush_interval_s : float
        Seconds between writes of the recorded events.
    decode_crop : callable(bytes) -> object, optional
        Turns a face crop's JPEG bytes into what :attr:`HistoryPage.crops` holds, in
        the history thread (the window decodes them to ``QImage`` there, off its GUI
        thread); None keeps the bytes.

    Notes
    -----
    The request methods are thread-safe and return at once.  :meth:`stop` carries out
    the queued writes (clear, settings) and the last batch of events; queued reads are
    dropped.
    """

    def __init__(
        self,
        store: GalleryStore,
        callbacks: HistoryCallbacks = HistoryCallbacks(),
        flush_interval_s: float = FLUSH_INTERVAL_S,
        decode_crop: Callable[[bytes], Any] | None = None,
    ) -> None:
        super().__init__()
        self._history = History(store)
        self._callbacks = callbacks
        self._interval = flush_interval_s
        self._decode_crop = decode_crop
        self._pending: list[NewEvent] = []
        self._tickets = itertools.count(1)
        self._last_flush = time.monotonic()
        self._settings_read = float("-inf")
        self._settings: HistorySettings | None = None
        self._stored = 0
        self._held = 0  # events last reported waiting after a failed write

    @property
    def settings(self) -> HistorySettings | None:
        """The settings last read (None before the first read)."""
        return self._settings

    @property
    def stored(self) -> int:
        """Events stored by this queue so far."""
        return self._stored

    def pending_events(self) -> int:
        """Return how many events wait for the next write."""
        with self._cond:
            return len(self._pending)

    # -- thread-safe requests ----------------------------------------------------------

    def add_events(self, events: list[NewEvent]) -> None:
        """Queue events for the next write (any thread; the history tap calls it)."""
        with self._cond:
            self._pending.extend(events)
            if len(self._pending) > MAX_PENDING:
                dropped = len(self._pending) - MAX_PENDING
                del self._pending[:dropped]
                log.warning("history: %d events dropped (the gallery stays locked)", dropped)
            self._cond.notify_all()

    def flush_soon(self) -> None:
        """Write the queued events at once rather than at the next interval."""
        with self._cond:
            self._last_flush = float("-inf")
            self._cond.notify_all()

    def request_events(self, query: HistoryQuery) -> int:
        """Read events (``events_loaded``); returns the ticket of the :class:`HistoryPage`."""
        ticket = next(self._tickets)
        self.enqueue(False, lambda: self._read(ticket, query))
        return ticket

    def request_daily(self, query: HistoryQuery) -> int:
        """Read the daily attendance of ``query``'s events (``daily_loaded``); returns a ticket.

        Named and accepted faces count, whatever ``query.decision`` and ``query.limit``.
        """
        ticket = next(self._tickets)
        self.enqueue(False, lambda: self._read_daily(ticket, _present(query)))
        return ticket

    def export_daily_csv(self, query: HistoryQuery, path: Path) -> int:
        """Write the daily attendance of ``query`` as CSV (``request_done``, action ``daily``).

        Private like :meth:`export_csv` (0600, whole or not at all, never via a link);
        names a spreadsheet would take for a formula are escaped.  Returns a ticket.
        """
        ticket = next(self._tickets)
        self.enqueue(False, lambda: self._export_daily(ticket, _present(query), Path(path)))
        return ticket

    def export_csv(self, query: HistoryQuery, path: Path) -> int:
        """Write the events of ``query`` as CSV to ``path`` (``request_done``); returns a ticket.

        The file is private (0600), replaced whole or not at all, never written through a
        link (:func:`~faceapp.storage.outputs.open_private`).
        """
        ticket = next(self._tickets)
        self.enqueue(False, lambda: self._export(ticket, query, Path(path)))
        return ticket

    def clear(self) -> int:
        """Delete every event (``request_done``); returns the ticket."""
        ticket = next(self._tickets)
        self.enqueue(True, lambda: self._run(ticket, "clear", self._clear))
        return ticket

    def configure(self, enabled: bool | None = None, retention_days: int | None = None) -> int:
        """Change the switch and/or the retention (``request_done``); returns the ticket."""
        ticket = next(self._tickets)
        self.enqueue(
            True,
            lambda: self._run(
                ticket, "configure", lambda: self._configure(enabled, retention_days)
            ),
        )
        return ticket

    def use_store(self, store: GalleryStore) -> None:
        """Record into ``store`` from now on (another gallery file was opened).

        The events queued before this call are still written to the gallery they were
        seen with; the settings are then read from ``store``.
        """
        with self._cond:
            queued, self._pending = self._pending, []
            old, self._history = self._history, History(store)
            self._settings_read = float("-inf")
            self._cond.notify_all()
        if queued:
            self.enqueue(True, lambda: self._write(old, queued, announce=True))

    def stop(self) -> None:
        """Stop after the request in progress, then carry out the queued writes and a flush."""
        super().stop()
        self._flush()

    # -- the loop ----------------------------------------------------------------------

    def _due(self) -> float:
        """Seconds until the next flush or settings read is due (<= 0: now)."""
        now = time.monotonic()
        settings = self._settings_read + SETTINGS_REFRESH_S - now
        flush = self._last_flush + self._interval - now if self._pending else float("inf")
        return min(settings, flush)

    def loop(self) -> None:
        """Serve the requests in order; write the events and read the settings when due."""
        while True:
            with self._cond:
                while not (self.stopping() or self._ops or self._due() <= 0):
                    self._cond.wait(min(max(self._due(), 0.05), 1.0))
                if self.stopping():
                    return  # stop() carries out the queued writes and the last flush
                op = self._ops.popleft()[1] if self._ops else None
            if op is not None:
                try:
                    op()
                except Exception:  # a bug: log it, keep recording
                    log.exception("a history request failed")
                continue
            if time.monotonic() >= self._settings_read + SETTINGS_REFRESH_S:
                self._read_settings()
            if self._pending and time.monotonic() >= self._last_flush + self._interval:
                self._flush()

    # -- work (history thread) -----------------------------------------------------------

    def _flush(self, announce: bool = True) -> None:
        """Write the queued events; report ``recorded`` when ``announce`` (reads do not)."""
        with self._cond:
            pending, self._pending = self._pending, []
            history = self._history
            self._last_flush = time.monotonic()
        if pending:
            self._write(history, pending, announce)

    def _write(self, history: History, events: list[NewEvent], announce: bool) -> None:
        try:
            n = history.record(events)
        except (ValueError, TypeError) as exc:  # a bug in what was queued: drop it
            log.error("history events not recorded: %s", exc)
            return
        except (GalleryError, OSError) as exc:  # locked or unreadable: try again later
            log.warning("history not recorded yet: %s", exc)
            with self._cond:
                if history is self._history:
                    self._pending[:0] = events[-MAX_PENDING:]
                held = len(self._pending)
            self._set_held(held)
            return
        self._stored += n
        with self._cond:
            waiting = len(self._pending)
        if self._held:
            self._set_held(waiting)
        log.debug("history: %d of %d events recorded", n, len(events))
        if announce:
            self._callbacks.recorded(n)

    def _set_held(self, held: int) -> None:
        if held != self._held:
            self._held = held
            self._callbacks.held(held)

    def _read_settings(self) -> None:
        self._settings_read = time.monotonic()
        try:
            settings = self._history.settings()
        except (GalleryError, OSError) as exc:
            log.warning("cannot read the history settings: %s", exc)
            return
        self._set_settings(settings)

    def _set_settings(self, settings: HistorySettings) -> None:
        if settings != self._settings:
            self._settings = settings
            self._callbacks.settings_changed(settings)

    def _crop(self, data: bytes | None) -> Any:
        if not data:
            return None
        return data if self._decode_crop is None else self._decode_crop(data)

    def _read(self, ticket: int, query: HistoryQuery) -> None:
        self._flush(announce=False)  # the page read now shows them
        try:
            events = query.read(self._history, crops=True)
            settings = self._history.settings()
            desks = self._history.desks()
        except (GalleryError, OSError, ValueError) as exc:
            self._callbacks.events_loaded(HistoryPage(ticket, query, error=str(exc)))
            return
        self._settings_read = time.monotonic()
        self._set_settings(settings)
        crops = tuple(self._crop(e.crop) for e in events)
        self._callbacks.events_loaded(
            HistoryPage(
                ticket,
                query,
                tuple(events),
                crops,
                settings,
                desks=None if desks is None else tuple(desks),
            )
        )

    def _export(self, ticket: int, query: HistoryQuery, path: Path) -> None:
        self._flush()
        try:
            events = query.read(self._history, crops=False)
            with open_private(path) as stream:  # 0600, whole or not at all, never via a link
                n = write_csv(events, stream)
        except (GalleryError, OSError, ValueError) as exc:
            self._callbacks.request_done(HistoryOutcome(ticket, "export", error=f"{path}: {exc}"))
            return
        self._callbacks.request_done(HistoryOutcome(ticket, "export", n))

    def _read_daily(self, ticket: int, query: HistoryQuery) -> None:
        self._flush(announce=False)
        try:
            rows = _daily(self._history, query)
        except (GalleryError, OSError, ValueError) as exc:
            self._callbacks.daily_loaded(DailyPage(ticket, query, error=str(exc)))
            return
        self._callbacks.daily_loaded(DailyPage(ticket, query, tuple(rows)))

    def _export_daily(self, ticket: int, query: HistoryQuery, path: Path) -> None:
        self._flush()
        try:
            rows = _daily(self._history, query)
            with open_private(path) as stream:  # 0600, whole or not at all, never via a link
                n = write_daily_csv(rows, stream)
        except (GalleryError, OSError, ValueError) as exc:
            self._callbacks.request_done(HistoryOutcome(ticket, "daily", error=f"{path}: {exc}"))
            return
        self._callbacks.request_done(HistoryOutcome(ticket, "daily", n))

    def _run(self, ticket: int, action: str, body: Callable[[], HistoryOutcome]) -> None:
        try:
            outcome = body()
        except (GalleryError, OSError, ValueError) as exc:
            outcome = HistoryOutcome(0, action, error=str(exc))
        except Exception as exc:  # a bug: report it, keep the thread alive
            log.exception("history %s failed", action)
            outcome = HistoryOutcome(0, action, error=f"unexpected error: {exc!r}")
        self._callbacks.request_done(
            HistoryOutcome(ticket, action, outcome.count, outcome.settings, outcome.error)
        )

    def _clear(self) -> HistoryOutcome:
        self._flush()
        return HistoryOutcome(0, "clear", self._history.clear())

    def _configure(self, enabled: bool | None, retention_days: int | None) -> HistoryOutcome:
        self._flush()
        settings = self._history.configure(enabled, retention_days)
        self._set_settings(settings)
        return HistoryOutcome(0, "configure", settings=settings)
