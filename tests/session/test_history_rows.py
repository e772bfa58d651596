"""The History dialog's texts, filters and row order, without Qt (session/history_rows.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from faceapp.session.history import DailyPage, HistoryOutcome, HistoryPage, HistoryQuery
from faceapp.session.history_rows import (
    DESK_COLUMN,
    daily_cells,
    daily_summary,
    desk_choices,
    event_cells,
    events_summary,
    export_note,
    nameable,
    naming_note,
    newest_first,
    person_text,
    row_event,
    since_time,
    source_tip,
)
from faceapp.session.unknown_faces import Naming
from faceapp.storage.history import DayRow, HistoryEvent, HistorySettings

AT = datetime(2024, 5, 6, 14, 30, tzinfo=timezone.utc)


def _event(i: int = 1, name: str | None = "Ann", decision: str = "named", **kw) -> HistoryEvent:
    values = dict(
        id=i,
        at=AT,
        mode="recognition",
        decision=decision,
        name=name,
        person_id=1 if name else None,
        distance=0.5,
        threshold=0.9,
        source="clip.mp4",
        position=None,
    )
    values.update(kw)
    return HistoryEvent(**values)  # type: ignore[arg-type]


def test_the_person_cell_says_maybe_not_and_unknown() -> None:
    assert person_text(_event()) == "Ann"
    assert person_text(_event(decision="maybe")) == "maybe Ann?"
    assert person_text(_event(decision="corrected")) == "not Ann"
    assert person_text(_event(name=None, decision="unknown")) == "Unknown"


def test_an_events_cells_follow_the_columns_after_the_face() -> None:
    cells = event_cells(_event(desk="front"))
    assert len(cells) == DESK_COLUMN  # every column but the Face
    assert cells[1:] == ("Ann", "recognition", "named", "0.50", "0.90", "clip.mp4", "front")
    assert event_cells(_event(source=None, distance=None))[4:7] == ("—", "0.90", "")


def test_the_source_tip_has_the_time_in_the_video() -> None:
    assert source_tip(_event(position=12.34)) == "clip.mp4 at 12.3 s"
    assert source_tip(_event()) == "clip.mp4"
    assert source_tip(_event(source=None)) == ""


def test_since_choices_count_back_from_now() -> None:
    now = datetime(2024, 5, 6, 14, 30).astimezone()
    assert since_time(None, now) is None
    assert since_time("hour", now) == now - timedelta(hours=1)
    assert since_time("week", now) == now - timedelta(days=7)
    today = since_time("today", now)
    assert today is not None and (today.hour, today.minute, today.date()) == (0, 0, now.date())


def test_rows_are_newest_first_and_only_unknown_faces_with_a_crop_are_nameable() -> None:
    events = (_event(1), _event(2, None, "unknown", crop=b"jpeg"), _event(3, None, "unknown"))
    page = HistoryPage(1, HistoryQuery(), events, crops=("a", "b", "c"))
    assert [(e.id, c) for e, c in newest_first(page)] == [(3, "c"), (2, "b"), (1, "a")]
    assert [row_event(events, r).id for r in range(3)] == [3, 2, 1]  # type: ignore[union-attr]
    assert row_event(events, 3) is None and row_event(events, -1) is None
    assert nameable(row_event(events, 1)) is events[1]
    assert nameable(row_event(events, 0)) is None  # unknown, but no crop kept
    assert nameable(row_event(events, 2)) is None  # named


def test_the_events_summary_counts_cuts_and_says_history_is_off() -> None:
    one = HistoryPage(1, HistoryQuery(), (_event(),), settings=HistorySettings())
    assert events_summary(one) == "1 event"
    assert events_summary(one, "Enrolled Bob") == "Enrolled Bob · 1 event"
    full = HistoryPage(1, HistoryQuery(limit=2), (_event(1), _event(2)))
    assert events_summary(full).startswith("The newest 2 events")
    off = HistoryPage(1, HistoryQuery(), (), settings=HistorySettings(enabled=False))
    assert events_summary(off) == "0 events · History is off: nothing new is recorded."


def test_the_daily_rows_and_their_summary() -> None:
    first, last = datetime(2024, 5, 6, 8, 1, 2), datetime(2024, 5, 6, 17, 0, 0)
    rows = (
        DayRow(date(2024, 5, 6), "Ann", 1, first, last, 3),
        DayRow(date(2024, 5, 6), "Bob", 2, first, last, 1),
        DayRow(date(2024, 5, 7), "Ann", 1, first, last, 2),
    )
    assert daily_cells(rows[0]) == ("2024-05-06", "Ann", "08:01:02", "17:00:00", "3")
    text = daily_summary(DailyPage(1, HistoryQuery(), rows))
    assert text.startswith("3 rows over 2 days")
    assert daily_summary(DailyPage(1, HistoryQuery(), rows[:1])).startswith("1 row over 1 day:")


def test_the_desk_filter_keeps_the_desk_filtered_on() -> None:
    assert desk_choices(None, None) == [None]
    assert desk_choices(("a", "b"), "b") == [None, "a", "b"]
    assert desk_choices(("a",), "gone") == [None, "a", "gone"]


def test_the_naming_note() -> None:
    assert naming_note(Naming("Bob", True, 3, 4)).startswith("Enrolled Bob: ")
    assert naming_note(Naming("Ann", False, 1, 1)).startswith("Added to Ann: ")
    assert naming_note("Bob not enrolled") == "Bob not enrolled"


def test_the_export_note_says_how_many_rows_went_where_or_that_it_failed() -> None:
    done = HistoryOutcome(3, "export", count=12)
    assert export_note(done, Path("/tmp/h.csv")) == "Exported 12 events to /tmp/h.csv"
    daily = HistoryOutcome(4, "daily", count=2)
    assert export_note(daily, Path("d.csv")) == "Exported 2 rows to d.csv"
    assert export_note(HistoryOutcome(5, "export", error="disk full"), None) == "Export failed."


def test_an_export_says_where_it_writes_then_how_many_rows_went_there() -> None:
    import pytest

    from faceapp.session.history_rows import EXPORT_FILES, Exports

    exports = Exports()
    assert exports.start("export", Path("h.csv")) == "Exporting to h.csv…"
    assert exports.start("daily", Path("d.csv")) == "Exporting to d.csv…"
    assert exports.end(HistoryOutcome(2, "daily", count=3)) == "Exported 3 rows to d.csv"
    assert exports.end(HistoryOutcome(1, "export", count=7)) == "Exported 7 events to h.csv"
    assert exports.end(HistoryOutcome(3, "clear")) is None  # not an export
    assert exports.end(HistoryOutcome(4, "export", error="disk full")) == "Export failed."
    with pytest.raises(ValueError, match="not an export"):
        exports.start("clear", Path("x.csv"))
    assert set(EXPORT_FILES) == {"export", "daily"}
