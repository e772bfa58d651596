"""History as text: the CSV export, and the times people type (``--since``) and read."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import IO, Any

from faceapp.storage.history.events import HistoryEvent, iso_utc

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


#: First characters a spreadsheet takes for the start of a formula, after NFKC
#: normalisation (which maps the full-width ``＝ ＋ － ＠`` and the small, superscript and
#: subscript forms such as ``﹦ ⁼ ₊`` to these).
CSV_FORMULA_STARTS = ("=", "+", "-", "@")


def csv_cell(text: str | None) -> str:
    """Return text for a CSV cell that a spreadsheet will not run as a formula.

    Text starting with a tab or a carriage return gets an apostrophe in front, and so
    does text whose first visible character is one of :data:`CSV_FORMULA_STARTS` in any
    of its Unicode forms (compared after NFKC normalisation: full-width ``＝``, small
    ``﹦``, superscript ``⁼`` ...), also after leading white space (spaces, no-break
    spaces, tabs, new lines) and invisible format characters (zero-width space, byte
    order mark, direction marks), which spreadsheets may drop.  None becomes "".  Use it
    for text (names, file names), not for numbers this program formatted itself.
    """
    if text is None:
        return ""
    if text.startswith(("\t", "\r")):
        return f"'{text}"
    for char in text:
        if char.isspace() or unicodedata.category(char) == "Cf":
            continue
        risky = unicodedata.normalize("NFKC", char).startswith(CSV_FORMULA_STARTS)
        return f"'{text}" if risky else text
    return text


def write_csv(events: Iterable[HistoryEvent], stream: IO[str]) -> int:
    """Write events as CSV (header :data:`CSV_COLUMNS`, times in UTC); return the row count.

    Open ``stream`` with ``newline=""``.  Names and sources that a spreadsheet would
    take for a formula are written with an apostrophe in front (:func:`csv_cell`).  The
    crops are not written.  Events of a shared gallery get a last column, ``desk``.
    """
    writer = csv.writer(stream)
    events = list(events)
    desks = any(e.desk is not None for e in events)
    writer.writerow(CSV_COLUMNS + (("desk",) if desks else ()))
    n = 0
    for e in events:
        writer.writerow(
            [
                iso_utc(e.at),
                e.mode,
                e.decision,
                csv_cell(e.name),
                "" if e.distance is None else f"{e.distance:.4f}",
                f"{e.threshold:.4f}",
                csv_cell(e.source),
                "" if e.position is None else f"{e.position:.3f}",
                e.id,
            ]
            + ([csv_cell(e.desk)] if desks else [])
        )
        n += 1
    return n


#: Columns of :func:`write_daily_csv`, in order.
DAILY_COLUMNS = ("date", "name", "first_seen", "last_seen", "appearances", "person_id")

#: The decisions that count as a person present: named by recognition, accepted by
#: verification.
PRESENT_DECISIONS = ("named", "accepted")


@dataclass(frozen=True)
class DayRow:
    """One person on one day: when first and last seen, and how many appearances.

    Parameters
    ----------
    day : date
        The local calendar day.
    name : str
        The person's current display name.
    person_id : int
        Gallery id.
    first_seen, last_seen : datetime
        Local times (with their offset).
    appearances : int
        Events of the person that day.
    """

    day: date
    name: str
    person_id: int
    first_seen: datetime
    last_seen: datetime
    appearances: int

    def as_dict(self) -> dict[str, Any]:
        """Return the row as JSON-ready values (local times with offset, and in UTC)."""
        return {
            "date": self.day.isoformat(),
            "name": self.name,
            "person_id": self.person_id,
            "first_seen": self.first_seen.isoformat(timespec="seconds"),
            "last_seen": self.last_seen.isoformat(timespec="seconds"),
            "first_seen_utc": iso_utc(self.first_seen),
            "last_seen_utc": iso_utc(self.last_seen),
            "appearances": self.appearances,
        }


def daily_rows(
    events: Iterable[HistoryEvent],
    decisions: Iterable[str] = PRESENT_DECISIONS,
    tz: timezone | None = None,
) -> list[DayRow]:
    """Return the daily attendance of ``events``: one row per person and local day.

    Parameters
    ----------
    events : iterable of HistoryEvent
    decisions : iterable of str
        The decisions counted (default: named and accepted faces).
    tz : timezone, optional
        The time zone days are counted in; the computer's local time by default.

    Returns
    -------
    list of DayRow
        By day, then by first seen, then by name.  Events without a person are skipped.
    """
    wanted = set(decisions)
    rows: dict[tuple[date, int], list[Any]] = {}
    for e in events:
        if e.decision not in wanted or e.person_id is None or e.name is None:
            continue
        at = e.at.astimezone(tz)
        key = (at.date(), e.person_id)
        row = rows.get(key)
        if row is None:
            rows[key] = [e.name, at, at, 1]
        else:
            row[1], row[2], row[3] = min(row[1], at), max(row[2], at), row[3] + 1
    out = [
        DayRow(day, name, pid, first, last, n)
        for (day, pid), (name, first, last, n) in rows.items()
    ]
    return sorted(out, key=lambda r: (r.day, r.first_seen, r.name))


def write_daily_csv(rows: Iterable[DayRow], stream: IO[str]) -> int:
    """Write the daily attendance as CSV (header :data:`DAILY_COLUMNS`); return the row count.

    Times are local, ISO 8601 with their offset.  Names that a spreadsheet would take
    for a formula get an apostrophe in front (:func:`csv_cell`).  Open ``stream`` with
    ``newline=""``.
    """
    writer = csv.writer(stream)
    writer.writerow(DAILY_COLUMNS)
    n = 0
    for r in rows:
        writer.writerow(
            [
                r.day.isoformat(),
                csv_cell(r.name),
                r.first_seen.isoformat(timespec="seconds"),
                r.last_seen.isoformat(timespec="seconds"),
                r.appearances,
                r.person_id,
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
        try:
            seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()]
            return now - timedelta(seconds=seconds)
        except OverflowError:  # before the year 1, or more days than a timedelta holds
            raise ValueError(
                f"{option} {text!r}: too long ago; give a duration that ends after the year 1 "
                "(e.g. 3650d) or a date"
            ) from None
    try:
        if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
            at = datetime.combine(date.fromisoformat(text.strip()), time())
        else:
            at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        at = at if at.tzinfo is not None else at.astimezone()
        at.astimezone(timezone.utc)  # every time compared is in UTC: it must have one
        return at
    except OverflowError:
        raise ValueError(f"{option} {text!r}: out of the range of dates") from None
    except ValueError:
        raise ValueError(
            f"{option} {text!r}: give a date (2026-11-01), a date and time "
            "(2026-11-01T08:30) or a duration (30m, 12h, 7d)"
        ) from None


def local_time(at: datetime) -> str:
    """Return ``at`` as local time for people to read (``2026-11-01 08:30:12``)."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
