"""What the History dialog shows: filter choices, the rows' cells, the summaries (Qt-free)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from faceapp.session.history import DailyPage, HistoryOutcome, HistoryPage
from faceapp.session.unknown_faces import Naming
from faceapp.session.verdict import distance_text
from faceapp.storage.history import DayRow, HistoryEvent, local_time

#: Columns of the events table, in order.
COLUMNS = ("Face", "Time", "Person", "Mode", "Decision", "Distance", "Threshold", "Source", "Desk")
#: The column of the desk that recorded an event: shown for a shared gallery only.
DESK_COLUMN = COLUMNS.index("Desk")
#: Columns of the daily attendance, in order.
DAILY_COLUMNS = ("Date", "Person", "First seen", "Last seen", "Appearances")

#: A filter's choices: the label shown and the value asked for (None: no filter).
Choices = tuple[tuple[str, str | None], ...]

#: The choices of the "Since" filter: label and how far back (None: everything kept).
SINCE_CHOICES: Choices = (
    ("All", None),
    ("Last hour", "hour"),
    ("Today", "today"),
    ("Last 7 days", "week"),
)
#: The choices of the "Decision" filter.
DECISION_CHOICES: Choices = (
    ("All decisions", None),
    ("Named", "named"),
    ("Maybe", "maybe"),
    ("Unknown", "unknown"),
    ("Corrected (not X)", "corrected"),
    ("Accepted", "accepted"),
    ("Rejected", "rejected"),
)
#: The choices of the "Mode" filter.
MODE_CHOICES: Choices = (
    ("Both modes", None),
    ("Recognition", "recognition"),
    ("Verification", "verification"),
)


def since_time(choice: str | None, now: datetime | None = None) -> datetime | None:
    """Return the start of a "Since" choice (timezone-aware, local midnight for "today")."""
    now = (now or datetime.now()).astimezone()
    if choice == "hour":
        return now - timedelta(hours=1)
    if choice == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if choice == "week":
        return now - timedelta(days=7)
    return None


def person_text(event: HistoryEvent) -> str:
    """Return the Person cell of an event: the name, "maybe X?", "not X" or "Unknown"."""
    if event.name is None:
        return "Unknown"
    if event.decision == "corrected":
        return f"not {event.name}"
    return f"maybe {event.name}?" if event.decision == "maybe" else event.name


def event_cells(event: HistoryEvent) -> tuple[str, ...]:
    """Return the texts of an event's row, from the Time column on (the Face is a picture)."""
    return (
        local_time(event.at),
        person_text(event),
        event.mode,
        event.decision,
        distance_text(event.distance, event.threshold),
        distance_text(event.threshold, event.threshold),
        event.source or "",
        event.desk or "",
    )


def source_tip(event: HistoryEvent) -> str:
    """Return the tooltip of an event's Source cell: the source and the time in a video."""
    if not event.source:
        return ""
    return event.source + ("" if event.position is None else f" at {event.position:.1f} s")


def newest_first(page: HistoryPage) -> list[tuple[HistoryEvent, object]]:
    """Return a page's ``(event, crop)`` pairs as the table lists them: newest first."""
    return list(zip(page.events, page.crops))[::-1]


def row_event(events: Sequence[HistoryEvent], row: int) -> HistoryEvent | None:
    """Return the event of a table row (newest first) of ``events`` (oldest first), or None."""
    if not 0 <= row < len(events):
        return None
    return events[len(events) - 1 - row]


def nameable(event: HistoryEvent | None) -> HistoryEvent | None:
    """Return ``event`` when its face can be named (unknown, with a crop), else None."""
    if event is None or event.decision != "unknown" or event.crop is None:
        return None
    return event


def events_summary(page: HistoryPage, note: str = "") -> str:
    """Return the line under the events table: how many, whether cut, whether history is off.

    Parameters
    ----------
    page : HistoryPage
        The page on show.
    note : str
        What the last naming of a row's face did, shown first.
    """
    n = len(page.events)
    text = f"{n} event{'s' if n != 1 else ''}"
    if page.query.limit is not None and n >= page.query.limit:
        text = f"The newest {n} events (narrow the filters to see older ones)"
    if page.settings is not None and not page.settings.enabled:
        text += " · History is off: nothing new is recorded."
    return f"{note} · {text}" if note else text


def daily_cells(row: DayRow) -> tuple[str, ...]:
    """Return the texts of a daily attendance row."""
    return (
        row.day.isoformat(),
        row.name,
        row.first_seen.strftime("%H:%M:%S"),
        row.last_seen.strftime("%H:%M:%S"),
        str(row.appearances),
    )


def daily_summary(page: DailyPage) -> str:
    """Return the line under the daily attendance: rows and days."""
    rows, days = len(page.rows), len({row.day for row in page.rows})
    return (
        f"{rows} row{'s' if rows != 1 else ''} over {days} "
        f"day{'s' if days != 1 else ''}: named and accepted faces, local time"
    )


def desk_choices(desks: Sequence[str] | None, current: str | None) -> list[str | None]:
    """Return the Desk filter's values: None (all desks), the desks, and the one filtered on.

    The desk filtered on keeps its place when no event of it is left.
    """
    choices: list[str | None] = [None, *(desks or ())]
    if current is not None and current not in choices:
        choices.append(current)
    return choices


def naming_note(outcome: object) -> str:
    """Return what naming a row's face did: "Enrolled X: …", or why nothing was enrolled."""
    if isinstance(outcome, Naming):
        verb = "Enrolled" if outcome.new else "Added to"
        return f"{verb} {outcome.name}: the face is named from now on"
    return str(outcome)


#: The history's exports by the action their outcome names, and the word for their rows.
EXPORTED = {"export": "events", "daily": "rows"}


def export_note(outcome: HistoryOutcome, path: Path | None) -> str:
    """Return what is said once an export ended: how many rows went where, or its failure."""
    if outcome.error is not None:
        return "Export failed."
    return f"Exported {outcome.count} {EXPORTED[outcome.action]} to {path}"


#: The save question of each export: its title and the file name suggested.
EXPORT_FILES = {
    "export": ("Export history as CSV", "faceapp-history.csv"),
    "daily": ("Export daily attendance as CSV", "faceapp-daily.csv"),
}


class Exports:
    """The history's exports under way: the file each writes, by action ("export", "daily").

    One export of each kind runs at a time (the window disables its button meanwhile).
    """

    def __init__(self) -> None:
        self._paths: dict[str, Path] = {}

    def start(self, action: str, path: Path) -> str:
        """Note that the export ``action`` writes ``path``; return what is said meanwhile."""
        if action not in EXPORTED:
            raise ValueError(f"not an export of the history: {action!r}")
        self._paths[action] = path
        return f"Exporting to {path}…"

    def end(self, outcome: HistoryOutcome) -> str | None:
        """Return what is said once an export ended; None when ``outcome`` is no export's."""
        if outcome.action not in EXPORTED:
            return None
        return export_note(outcome, self._paths.pop(outcome.action, None))
