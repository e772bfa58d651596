"""What the History dialog's filters offer and asks for, and its row notes (Qt-free)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from faceapp.session.history import SHOWN_EVENTS, HistoryQuery
from faceapp.session.history_rows import Choices, desk_choices, since_time
from faceapp.storage.history import HistoryEvent

#: The question asked before the whole history is deleted.
CLEAR_QUESTION = "Delete every recorded event of this gallery? This cannot be undone."
#: The tooltip of a "maybe X?" Person cell.
MAYBE_TIP = "Near this person, not near enough to be named"


def read_failure(error: str) -> str:
    """Return the line shown in place of a page (events or days) that could not be read."""
    return f"The history cannot be read: {error}"


def person_items(names: Sequence[str]) -> Choices:
    """Return the Person filter's choices: everybody, then each name enrolled."""
    return (("Everybody", None), *((name, name) for name in names))


def desk_items(desks: Sequence[str] | None, current: str | None) -> Choices:
    """Return the Desk filter's choices: all desks, the desks, and the one filtered on.

    See :func:`~faceapp.session.history_rows.desk_choices`.
    """
    values = desk_choices(desks, current)
    return (("All desks", None), *((str(desk), desk) for desk in values[1:]))


def filter_query(
    since: str | None,
    name: str | None,
    decision: str | None,
    mode: str | None,
    desk: str | None,
    limit: int | None = SHOWN_EVENTS,
    now: datetime | None = None,
) -> HistoryQuery:
    """Return the query of the filters' values (each None: not filtered on).

    Parameters
    ----------
    since : str or None
        The "Since" choice (:data:`~faceapp.session.history_rows.SINCE_CHOICES`).
    name, decision, mode, desk : str or None
        The person, decision, mode and desk filtered on.
    limit : int or None
        At most this many events, the newest (None: all of them, for the exports).
    now : datetime, optional
        The time "Since" counts back from (default: now).
    """
    return HistoryQuery(
        since=since_time(since, now),
        name=name,
        decision=decision,
        mode=mode,
        limit=limit,
        desk=desk,
    )


def person_tip(event: HistoryEvent) -> str | None:
    """Return the tooltip of an event's Person cell, or None when it has none."""
    return MAYBE_TIP if event.decision == "maybe" else None
