"""The recognition history: who was named or verified, when, how close, with a small face crop.

Events live in the gallery file (table ``history``, schema 3), so they travel and are
wiped with it; removing a person removes their events (``ON DELETE CASCADE``, and
``secure_delete`` overwrites them).  An event stores the person's gallery id, not their
name: it shows the current name after a rename.

The switch and the retention are settings of the gallery file itself (rows of its
``meta`` table), so the window and the command line agree on them:

- ``enabled`` (default on): :meth:`History.record` writes nothing while it is off.
  Turning it off keeps what was recorded until it expires or is cleared.
- ``retention_days`` (default :data:`DEFAULT_RETENTION_DAYS`): older events are
  deleted by every write of the history and never returned by a query.

Who records is the caller's choice: the window records what it shows while history is
on; the command line records only when given ``--history``.  Each :meth:`History.record`
call is one write transaction (with the gallery's integrity check), so callers collect
events and record them in batches, every few seconds or at the end of a run.
"""

from __future__ import annotations

import csv
import math
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import IO, Any

from faceapp.core.appearances import DECISIONS, Appearance, Decision
from faceapp.core.matching import MODES, Mode
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.names import name_key

#: Days an event is kept when the gallery says nothing else.
DEFAULT_RETENTION_DAYS = 30
#: Range a retention may be set to, in days.
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 3650
#: Side of the square JPEG face crop callers store with an event, in pixels.
CROP_SIZE = 64
#: Largest crop accepted, in bytes (a 64-pixel JPEG is about 2 KB).
MAX_CROP_BYTES = 64 * 1024
#: Longest source text stored, in characters.
MAX_SOURCE_LENGTH = 1000

_DECISIONS_OF_MODE: dict[str, tuple[str, str]] = {
    "recognition": ("named", "unknown"),
    "verification": ("accepted", "rejected"),
}
_ENABLED_KEY, _RETENTION_KEY = "history_enabled", "history_retention_days"

#: Columns of :func:`write_csv`, in order.
CSV_COLUMNS = (
    "time_utc",
    "mode",
    "decision",
    "name",
    "distance",
    "threshold",
    "source",
    "position_s",
    "event_id",
)


@dataclass(frozen=True)
class HistorySettings:
    """Whether history is recorded, and for how long events are kept.

    Parameters
    ----------
    enabled : bool
        Record events (True by default).
    retention_days : int
        Days an event is kept, in ``[MIN_RETENTION_DAYS, MAX_RETENTION_DAYS]``.
    """

    enabled: bool = True
    retention_days: int = DEFAULT_RETENTION_DAYS


@dataclass(frozen=True)
class NewEvent:
    """An event to record.

    Parameters
    ----------
    mode : {"recognition", "verification"}
    decision : {"named", "unknown", "accepted", "rejected"}
        ``named``/``unknown`` in recognition, ``accepted``/``rejected`` in verification.
    person_id : int or None
        Gallery id of the person named or claimed; None for ``unknown``.
    distance : float or None
        Distance behind the decision; None (or ``inf``) when there was nobody to compare.
    threshold : float
        Threshold the decision was taken with.
    source : str, optional
        Where the face was seen ("camera 0", a file name, ...).
    position : float, optional
        Seconds into the source.
    crop : bytes, optional
        JPEG of the face, at most :data:`MAX_CROP_BYTES`.
    at : datetime, optional
        When (timezone-aware); the time of recording by default.
    """

    mode: Mode
    decision: Decision
    person_id: int | None
    distance: float | None
    threshold: float
    source: str | None = None
    position: float | None = None
    crop: bytes | None = field(default=None, repr=False)
    at: datetime | None = None

    @classmethod
    def from_appearance(
        cls,
        appearance: Appearance,
        crop: bytes | None = None,
        source: str | None = None,
        at: datetime | None = None,
    ) -> NewEvent:
        """Return the event of an :class:`~faceapp.core.appearances.Appearance`."""
        m = appearance.match
        return cls(
            mode=appearance.mode,
            decision=appearance.decision,
            person_id=None if appearance.decision == "unknown" else m.person_id,
            distance=m.distance if math.isfinite(m.distance) else None,
            threshold=m.threshold,
            source=source,
            position=appearance.timestamp,
            crop=crop,
            at=at,
        )


@dataclass(frozen=True)
class HistoryEvent:
    """A recorded event.

    Parameters
    ----------
    id : int
        Event id (grows with time of recording).
    at : datetime
        When, in UTC.
    mode, decision : str
        See :class:`NewEvent`.
    name : str or None
        The person's current display name; None for an unknown face.
    person_id : int or None
    distance : float or None
    threshold : float
    source : str or None
    position : float or None
        Seconds into the source.
    crop : bytes or None
        JPEG of the face.
    """

    id: int
    at: datetime
    mode: str
    decision: str
    name: str | None
    person_id: int | None
    distance: float | None
    threshold: float
    source: str | None
    position: float | None
    crop: bytes | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready values (the crop as its size in bytes)."""
        return {
            "id": self.id,
            "time_utc": _iso(self.at),
            "mode": self.mode,
            "decision": self.decision,
            "name": self.name,
            "person_id": self.person_id,
            "distance": None if self.distance is None else round(self.distance, 4),
            "threshold": self.threshold,
            "source": self.source,
            "position_s": None if self.position is None else round(self.position, 3),
            "crop_bytes": None if self.crop is None else len(self.crop),
        }


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _has_table(conn: sqlite3.Connection) -> bool:
    """Tell whether the file has the history table (galleries before schema 3 do not)."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history'"
    ).fetchone()
    return row is not None


def _settings(conn: sqlite3.Connection) -> HistorySettings:
    rows = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN (?, ?)", (_ENABLED_KEY, _RETENTION_KEY)
        ).fetchall()
    )
    days = rows.get(_RETENTION_KEY, DEFAULT_RETENTION_DAYS)
    if not isinstance(days, int) or not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        days = DEFAULT_RETENTION_DAYS
    return HistorySettings(bool(rows.get(_ENABLED_KEY, 1)), days)


def _cutoff(settings: HistorySettings, now: datetime) -> float:
    return (now - timedelta(days=settings.retention_days)).timestamp()


def _checked(event: NewEvent, now: datetime) -> tuple[Any, ...]:
    """Return the row of ``event`` or raise ValueError/TypeError saying what is wrong."""
    if event.mode not in MODES:
        raise ValueError(f"unknown mode {event.mode!r}")
    if event.decision not in _DECISIONS_OF_MODE[event.mode]:
        raise ValueError(f"decision {event.decision!r} does not belong to {event.mode}")
    if (event.decision == "unknown") != (event.person_id is None):
        raise ValueError("an unknown face has no person; every other decision has one")
    distance = event.distance
    if distance is not None and math.isinf(distance):
        distance = None
    if distance is not None and not (math.isfinite(distance) and distance >= 0):
        raise ValueError(f"distance must be finite and >= 0, got {distance}")
    if not math.isfinite(event.threshold):
        raise ValueError(f"threshold must be finite, got {event.threshold}")
    if event.crop is not None:
        if not isinstance(event.crop, (bytes, bytearray)):
            raise TypeError("a crop must be JPEG bytes or None")
        if len(event.crop) > MAX_CROP_BYTES or bytes(event.crop[:2]) != b"\xff\xd8":
            raise ValueError(f"a crop must be a JPEG of at most {MAX_CROP_BYTES} bytes")
    if event.source is not None and (
        not isinstance(event.source, str) or len(event.source) > MAX_SOURCE_LENGTH
    ):
        raise ValueError(f"a source must be text of at most {MAX_SOURCE_LENGTH} characters")
    if event.position is not None and not math.isfinite(event.position):
        raise ValueError("position must be finite")
    at = event.at or now
    if at.tzinfo is None:
        raise ValueError("an event time must carry its time zone")
    return (
        at.timestamp(),
        event.mode,
        event.decision,
        None if event.person_id is None else int(event.person_id),
        distance,
        float(event.threshold),
        event.source,
        event.position,
        None if event.crop is None else bytes(event.crop),
    )


class History:
    """The recognition history of one gallery file.

    Parameters
    ----------
    store : GalleryStore
        The gallery whose file holds the history.

    Notes
    -----
    Like :class:`~faceapp.storage.gallery.GalleryStore`, every call opens its own
    short-lived connection, so a History may be used from any thread (e.g. a worker
    recording events while the GUI thread queries).  Writes of the history leave
    ``GalleryStore.revision()`` unchanged: the people did not change.
    """

    def __init__(self, store: GalleryStore) -> None:
        self._store = store

    @property
    def store(self) -> GalleryStore:
        """The gallery holding this history."""
        return self._store

    def settings(self) -> HistorySettings:
        """Return the gallery's history settings (the defaults when it has none yet)."""
        with self._store._read() as conn:
            return _settings(conn)

    def configure(
        self, enabled: bool | None = None, retention_days: int | None = None
    ) -> HistorySettings:
        """Change the switch and/or the retention; return the settings now in force.

        A shorter retention deletes the events it no longer keeps at once.  Creates the
        gallery file when there is none (the settings are kept in it).

        Raises
        ------
        ValueError
            When ``retention_days`` is out of range.
        """
        if retention_days is not None and not (
            isinstance(retention_days, int)
            and MIN_RETENTION_DAYS <= retention_days <= MAX_RETENTION_DAYS
        ):
            raise ValueError(
                f"retention must be {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days,"
                f" got {retention_days!r}"
            )

        def body(conn: sqlite3.Connection) -> HistorySettings:
            upsert = (
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            )
            if enabled is not None:
                conn.execute(upsert, (_ENABLED_KEY, int(bool(enabled))))
            if retention_days is not None:
                conn.execute(upsert, (_RETENTION_KEY, int(retention_days)))
            settings = _settings(conn)
            now = datetime.now(timezone.utc)
            conn.execute("DELETE FROM history WHERE at < ?", (_cutoff(settings, now),))
            return settings

        return self._store._write(body, content=False)

    def record(self, events: Sequence[NewEvent], now: datetime | None = None) -> int:
        """Store events in one transaction and delete those past the retention.

        Nothing is written while history is off (not even the deletion of old events),
        nor when there is no gallery file (nobody was ever enrolled there).  An event
        naming a person who was removed meanwhile is dropped, and so is one older than
        the retention.

        Parameters
        ----------
        events : sequence of NewEvent
        now : datetime, optional
            The current time (timezone-aware), for tests; the clock by default.

        Returns
        -------
        int
            Events stored.

        Raises
        ------
        ValueError, TypeError
            When an event is malformed; nothing is stored then.
        """
        now = now or datetime.now(timezone.utc)
        rows = [_checked(e, now) for e in events]
        if not rows or not self._store.path.exists() or not self.settings().enabled:
            return 0

        def body(conn: sqlite3.Connection) -> int:
            settings = _settings(conn)
            cutoff = _cutoff(settings, now)
            conn.execute("DELETE FROM history WHERE at < ?", (cutoff,))
            if not settings.enabled:  # switched off meanwhile
                return 0
            known = {int(r[0]) for r in conn.execute("SELECT id FROM people")}
            keep = [r for r in rows if r[0] >= cutoff and (r[3] is None or r[3] in known)]
            conn.executemany(
                "INSERT INTO history(at, mode, decision, person_id, distance, threshold,"
                " source, position, crop) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                keep,
            )
            return len(keep)

        return self._store._write(body, content=False)

    def events(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        name: str | None = None,
        decision: str | Iterable[str] | None = None,
        mode: str | None = None,
        limit: int | None = None,
        now: datetime | None = None,
        crops: bool = True,
    ) -> list[HistoryEvent]:
        """Return recorded events, oldest first, within the retention.

        Parameters
        ----------
        since, until : datetime, optional
            Keep events at or after ``since`` and before ``until`` (timezone-aware).
        name : str, optional
            Keep the events of the person with this display name (as stored: NFC,
            outer spaces stripped, case-sensitive).
        decision : str or iterable of str, optional
            Keep these decisions (see :data:`~faceapp.core.appearances.DECISIONS`).
        mode : {"recognition", "verification"}, optional
        limit : int, optional
            Keep only the newest ``limit`` events (still returned oldest first).
        now : datetime, optional
            The current time, for tests.
        crops : bool
            Read the face crops too; with False ``crop`` is None (faster for long lists;
            :meth:`crop` reads one when it is shown).

        Raises
        ------
        ValueError
            For an unknown decision or mode, or a time without a time zone.
        """
        now = now or datetime.now(timezone.utc)
        where, params = ["h.at >= ?"], [0.0]
        for label, at, op in (("since", since, ">="), ("until", until, "<")):
            if at is not None:
                if at.tzinfo is None:
                    raise ValueError(f"{label} must carry its time zone")
                where.append(f"h.at {op} ?")
                params.append(at.timestamp())
        if name is not None:
            where.append("p.name = ?")
            params.append(name_key(name))
        if decision is not None:
            wanted = [decision] if isinstance(decision, str) else list(decision)
            bad = [d for d in wanted if d not in DECISIONS]
            if bad:
                raise ValueError(f"unknown decision {bad[0]!r}; expected {', '.join(DECISIONS)}")
            where.append(f"h.decision IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"unknown mode {mode!r}; expected {', '.join(MODES)}")
            where.append("h.mode = ?")
            params.append(mode)
        sql = (
            "SELECT h.id, h.at, h.mode, h.decision, p.name, h.person_id, h.distance,"
            f" h.threshold, h.source, h.position, {'h.crop' if crops else 'NULL'} FROM history h"
            " LEFT JOIN people p ON p.id = h.person_id WHERE " + " AND ".join(where)
        )
        order = " ORDER BY h.at DESC, h.id DESC"
        if limit is not None:
            order += f" LIMIT {max(int(limit), 0)}"
        with self._store._read() as conn:
            if not _has_table(conn):
                return []
            params[0] = _cutoff(_settings(conn), now)
            rows = conn.execute(sql + order, params).fetchall()
        return [
            HistoryEvent(
                r[0],
                datetime.fromtimestamp(r[1], timezone.utc),
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                None if r[10] is None else bytes(r[10]),
            )
            for r in reversed(rows)
        ]

    def crop(self, event_id: int) -> bytes | None:
        """Return the JPEG face crop of one event, or None (no crop, or no such event)."""
        with self._store._read() as conn:
            if not _has_table(conn):
                return None
            row = conn.execute("SELECT crop FROM history WHERE id = ?", (int(event_id),)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def clear(self) -> int:
        """Delete every event (``secure_delete`` overwrites them); return how many."""
        if not self._store.path.exists():
            return 0

        def body(conn: sqlite3.Connection) -> int:
            return int(conn.execute("DELETE FROM history").rowcount)

        return self._store._write(body, content=False)


_CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str | None) -> str:
    """Return text for a CSV cell, an apostrophe before a leading formula character."""
    if text is None:
        return ""
    return f"'{text}" if text.startswith(_CSV_RISKY) else text


def write_csv(events: Iterable[HistoryEvent], stream: IO[str]) -> int:
    """Write events as CSV (header :data:`CSV_COLUMNS`, times in UTC); return the row count.

    Open ``stream`` with ``newline=""``.  Names and sources that start with a character
    a spreadsheet would take for a formula (``= + - @``, tab, carriage return) are
    written with an apostrophe in front.  The crops are not written.
    """
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    n = 0
    for e in events:
        writer.writerow(
            [
                _iso(e.at),
                e.mode,
                e.decision,
                _cell(e.name),
                "" if e.distance is None else f"{e.distance:.4f}",
                f"{e.threshold:.4f}",
                _cell(e.source),
                "" if e.position is None else f"{e.position:.3f}",
                e.id,
            ]
        )
        n += 1
    return n


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: datetime | None = None, option: str = "--since") -> datetime:
    """Return the time a ``--since`` (or ``--until``) value means, timezone-aware.

    Accepted: a duration back from now (``90s``, ``30m``, ``12h``, ``7d``, ``2w``); a date
    (``2026-11-01``: its local midnight); a date and time in ISO 8601 (local time unless
    it carries an offset or ``Z``).

    Raises
    ------
    ValueError
        With a one-line message naming ``option`` when ``text`` is none of these.
    """
    now = now or datetime.now(timezone.utc)
    m = _DURATION.match(text)
    if m:
        return now - timedelta(seconds=float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()])
    try:
        if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
            at = datetime.combine(date.fromisoformat(text.strip()), time())
        else:
            at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{option} {text!r}: give a date (2026-11-01), a date and time "
            "(2026-11-01T08:30) or a duration (30m, 12h, 7d)"
        ) from None
    return at if at.tzinfo is not None else at.astimezone()


def local_time(at: datetime) -> str:
    """Return ``at`` as local time for people to read (``2026-11-01 08:30:12``)."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
