"""The History dialog's filter choices, query and row notes, without Qt (history_view)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from faceapp.session.history import SHOWN_EVENTS, HistoryQuery
from faceapp.session.history_view import (
    MAYBE_TIP,
    desk_items,
    filter_query,
    person_items,
    person_tip,
    read_failure,
)
from faceapp.storage.history import HistoryEvent

AT = datetime(2024, 5, 6, 14, 30, tzinfo=timezone.utc)


def _event(decision: str) -> HistoryEvent:
    return HistoryEvent(
        id=1,
        at=AT,
        mode="recognition",
        decision=decision,
        name="Ann",
        person_id=1,
        distance=0.5,
        threshold=0.9,
        source=None,
        position=None,
    )


def test_the_person_filter_offers_everybody_then_each_name() -> None:
    assert person_items(["Ann", "Bob"]) == (("Everybody", None), ("Ann", "Ann"), ("Bob", "Bob"))
    assert person_items([]) == (("Everybody", None),)


def test_the_desk_filter_keeps_the_desk_filtered_on() -> None:
    assert desk_items(("front", "back"), None) == (
        ("All desks", None),
        ("front", "front"),
        ("back", "back"),
    )
    assert desk_items((), "gone") == (("All desks", None), ("gone", "gone"))
    assert desk_items(None, None) == (("All desks", None),)


def test_the_query_carries_every_filter_and_counts_since_back_from_now() -> None:
    now = datetime(2024, 5, 6, 14, 30).astimezone()
    query = filter_query("hour", "Ann", "named", "recognition", "front", now=now)
    assert query == HistoryQuery(
        since=now - timedelta(hours=1),
        name="Ann",
        decision="named",
        mode="recognition",
        limit=SHOWN_EVENTS,
        desk="front",
    )
    assert filter_query(None, None, None, None, None, limit=None) == HistoryQuery(limit=None)


def test_only_a_maybe_has_a_person_tip_and_a_failed_read_says_why() -> None:
    assert person_tip(_event("maybe")) == MAYBE_TIP
    assert person_tip(_event("named")) is None
    assert read_failure("disk full") == "The history cannot be read: disk full"
