"""History: the recognition events kept in a gallery file or database, switch and retention."""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from faceapp.core.appearances import DECISIONS
from faceapp.core.matching import MODES
from faceapp.storage.database import id_chunks
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history.events import (
    DEFAULT_RETENTION_DAYS,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    HistoryEvent,
    HistorySettings,
    NewEvent,
    event_row,
)
from faceapp.storage.history.faces import FACES_SCHEMA, UnknownFace, face_of_row
from faceapp.storage.names import name_key
from faceapp.storage.protocol import Store

_ENABLED_KEY, _RETENTION_KEY = "history_enabled", "history_retention_days"

#: Environment variable naming this desk in a shared gallery's history.
DESK_ENV = "FACEAPP_DESK"


def default_desk() -> str:
    """Return this desk's name: ``$FACEAPP_DESK`` when set, else the host name."""
    return os.environ.get(DESK_ENV, "").strip() or socket.gethostname()


def _shared(conn: object) -> bool:
    """Tell whether ``conn`` is a shared gallery's (PostgreSQL) connection, not a file's."""
    return not isinstance(conn, sqlite3.Connection)


def _has_table(conn: sqlite3.Connection) -> bool:
    """Tell whether the gallery has the history table (files before schema 3 do not)."""
    if _shared(conn):
        return True  # created by the database's first migration
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history'"
    ).fetchone()
    return row is not None


def _enrolled_at(conn: Any, ids: Sequence[int]) -> list[tuple[int, str]]:
    """Return ``(id, created_at)`` of the people with these ids who still exist."""
    out: list[tuple[int, str]] = []
    for start in range(0, len(ids), 500):  # within SQLite's bound-parameter limit
        part = ids[start : start + 500]
        sql = f"SELECT id, created_at FROM people WHERE id IN ({', '.join('?' * len(part))})"
        out += [(int(r[0]), r[1]) for r in conn.execute(sql, tuple(part))]
    return out


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


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _cutoff(settings: HistorySettings, now: datetime) -> float:
    return (now - timedelta(days=settings.retention_days)).timestamp()


class History:
    """The recognition history of one gallery, a file or a shared database.

    Parameters
    ----------
    store : GalleryStore or PostgresStore
        The gallery that holds the history.
    desk : str, optional
        This desk's name, recorded with each event in a shared gallery (a file keeps
        none); :func:`default_desk` by default.

    Notes
    -----
    Like :class:`~faceapp.storage.gallery.GalleryStore`, every call opens its own
    short-lived connection, so a History may be used from any thread (e.g. a worker
    recording events while the GUI thread queries).  Writes of the history leave
    ``GalleryStore.revision()`` unchanged: the people did not change.
    """

    def __init__(self, store: GalleryStore | Store, desk: str | None = None) -> None:
        self._store: Any = store
        self._desk = (desk or "").strip() or default_desk()

    @property
    def store(self) -> Any:
        """The gallery holding this history."""
        return self._store

    @property
    def desk(self) -> str:
        """The name of this desk, recorded with each event in a shared gallery."""
        return self._desk

    def settings(self) -> HistorySettings:
        """Return the gallery's history settings (the defaults when it has none yet)."""
        with self._store.read_transaction() as conn:
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

        return self._store.write_transaction(body, content=False)

    def record(self, events: Sequence[NewEvent], now: datetime | None = None) -> int:
        """Store events in one transaction and delete those past the retention.

        Nothing is written while history is off (not even the deletion of old events),
        nor when there is no gallery file (nobody was ever enrolled there).  An event
        naming a person who was removed meanwhile is dropped, and so is one older than
        the retention, and so is one whose ``person_since`` differs from the enrolment
        time of the person now holding its ``person_id`` (the id was reused).

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
        rows = [event_row(e, now) for e in events]
        since = [e.person_since for e in events]
        if not rows or not self._store.path.exists() or not self.settings().enabled:
            return 0

        def body(conn: sqlite3.Connection) -> int:
            settings = _settings(conn)
            cutoff = _cutoff(settings, now)
            conn.execute("DELETE FROM history WHERE at < ?", (cutoff,))
            if not settings.enabled:  # switched off meanwhile
                return 0
            named = sorted({r[3] for r in rows if r[3] is not None})
            known = dict(_enrolled_at(conn, named))  # only the people named (not 100,000)
            keep = [
                r
                for r, s in zip(rows, since, strict=True)
                if r[0] >= cutoff
                and (r[3] is None or (r[3] in known and (s is None or known[r[3]] == s)))
            ]
            if _shared(conn):
                conn.executemany(
                    "INSERT INTO history(at, mode, decision, person_id, distance, threshold,"
                    " source, position, crop, embedding, quality, desk)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(*r, self._desk) for r in keep],
                )
            else:
                conn.executemany(
                    "INSERT INTO history(at, mode, decision, person_id, distance, threshold,"
                    " source, position, crop, embedding, quality)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    keep,
                )
            return len(keep)

        return self._store.write_transaction(body, content=False)

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
        desk: str | None = None,
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
        desk : str, optional
            Keep the events recorded by this desk (a shared gallery only).

        Raises
        ------
        ValueError
            For an unknown decision or mode, a time without a time zone, or a desk asked
            of a gallery file.
        """
        now = now or datetime.now(timezone.utc)
        where: list[str] = ["h.at >= ?"]
        params: list[float | str] = [0.0]
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
        if desk is not None:
            where.append("h.desk = ?")
            params.append(desk.strip())
        order = " ORDER BY h.at DESC, h.id DESC"
        if limit is not None:
            order += f" LIMIT {max(int(limit), 0)}"
        with self._store.read_transaction() as conn:
            shared = _shared(conn)
            if desk is not None and not shared:
                raise ValueError("a gallery file keeps no desk names (a shared gallery does)")
            if not _has_table(conn):
                return []
            sql = (
                "SELECT h.id, h.at, h.mode, h.decision, p.name, h.person_id, h.distance,"
                f" h.threshold, h.source, h.position, {'h.crop' if crops else 'NULL'},"
                f" {'h.desk' if shared else 'NULL'} FROM history h"
                " LEFT JOIN people p ON p.id = h.person_id WHERE " + " AND ".join(where)
            )
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
                r[11],
            )
            for r in reversed(rows)
        ]

    def desks(self) -> list[str] | None:
        """Return the desks that recorded the events kept, sorted; None for a gallery file.

        A file keeps no desk names; a shared gallery lists each desk once.
        """
        with self._store.read_transaction() as conn:
            if not _shared(conn):
                return None
            if not _has_table(conn):
                return []
            rows = conn.execute(
                "SELECT DISTINCT desk FROM history WHERE desk IS NOT NULL ORDER BY desk"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def crop(self, event_id: int) -> bytes | None:
        """Return the JPEG face crop of one event, or None (no crop, or no such event)."""
        with self._store.read_transaction() as conn:
            if not _has_table(conn):
                return None
            row = conn.execute("SELECT crop FROM history WHERE id = ?", (int(event_id),)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def crops(self, event_ids: Iterable[int]) -> dict[int, bytes]:
        """Return the JPEG face crops of several events in one read: ``{event id: crop}``.

        Events without a crop, and ids of no event, are left out.
        """
        ids = sorted({int(i) for i in event_ids})
        out: dict[int, bytes] = {}
        with self._store.read_transaction() as conn:
            if not ids or not _has_table(conn):
                return out
            for chunk in id_chunks(ids):
                rows = conn.execute(
                    "SELECT id, crop FROM history WHERE crop IS NOT NULL AND id IN"
                    f" ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                out.update((int(i), bytes(c)) for i, c in rows)
        return out

    def unknown_faces(self, now: datetime | None = None) -> list[UnknownFace]:
        """Return the unknown faces kept with their embedding, oldest first, within the retention.

        Faces recorded without an embedding, and those forgotten or named since
        (:meth:`forget_faces`), are not returned.  A gallery of a schema before 5 has none.

        Parameters
        ----------
        now : datetime, optional
            The current time, for tests.
        """
        now = now or datetime.now(timezone.utc)
        with self._store.read_transaction() as conn:
            if not _has_table(conn) or _version(conn) < FACES_SCHEMA:
                return []
            rows = conn.execute(
                "SELECT id, at, source, position, embedding, quality, face_group FROM history"
                " WHERE decision = 'unknown' AND embedding IS NOT NULL AND at >= ?"
                " ORDER BY at, id",
                (_cutoff(_settings(conn), now),),
            ).fetchall()
        return [face_of_row(r, self._store.path) for r in rows]

    def forget_faces(self, event_ids: Iterable[int], keep_crops: bool = False) -> int:
        """Take events out of the unknown faces: delete their embeddings (and crops).

        The events stay in the history (an unknown face was seen then); their embedding,
        quality figures and group are deleted (``secure_delete`` overwrites them), and
        their crop too unless ``keep_crops`` (a face named into the gallery keeps its
        crop in the history, as a named face's event does).

        Returns
        -------
        int
            Events changed.
        """
        ids = sorted({int(i) for i in event_ids})
        if not ids or not self._store.path.exists():
            return 0
        crop = "crop" if keep_crops else "NULL"

        def body(conn: sqlite3.Connection) -> int:
            n = 0
            for chunk in id_chunks(ids):
                n += conn.execute(
                    f"UPDATE history SET embedding = NULL, quality = NULL, face_group = NULL,"
                    f" crop = {crop} WHERE decision = 'unknown' AND id IN"
                    f" ({','.join('?' * len(chunk))})",
                    chunk,
                ).rowcount
            return n

        return self._store.write_transaction(body, content=False)

    def new_face_group(self, event_ids: Iterable[int]) -> int:
        """Put unknown faces in a group of their own, chosen by the user; return how many.

        Used to merge groups (all their faces) and to take a face out of its group (that
        face alone).  The group is new: faces put together before stay where they are.
        Faces without an embedding are left out.
        """
        ids = sorted({int(i) for i in event_ids})
        if not ids or not self._store.path.exists():
            return 0

        def body(conn: sqlite3.Connection) -> int:
            (top,) = conn.execute("SELECT COALESCE(MAX(face_group), 0) FROM history").fetchone()
            n = 0
            for chunk in id_chunks(ids):
                n += conn.execute(
                    "UPDATE history SET face_group = ? WHERE decision = 'unknown'"
                    f" AND embedding IS NOT NULL AND id IN ({','.join('?' * len(chunk))})",
                    [int(top) + 1, *chunk],
                ).rowcount
            return n

        return self._store.write_transaction(body, content=False)

    def clear(self) -> int:
        """Delete every event (``secure_delete`` overwrites them); return how many."""
        if not self._store.path.exists():
            return 0

        def body(conn: sqlite3.Connection) -> int:
            return int(conn.execute("DELETE FROM history").rowcount)

        return self._store.write_transaction(body, content=False)
