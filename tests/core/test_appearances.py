"""One history event per appearance of a tracked face, not one per frame."""

from __future__ import annotations

from faceapp.core.appearances import AppearanceFilter, decision_of
from faceapp.core.types import Box, Face, FaceResult, FrameResult, Match

FACE = Face(Box(10, 10, 50, 60), ((0, 0),) * 5, 0.99)


def named(name: str | None, track: int | None, distance: float = 0.5) -> FaceResult:
    if name is None:
        return FaceResult(FACE, Match(None, 1.3, 1.07, False), track)
    return FaceResult(FACE, Match(name, distance, 1.07, True, 7), track)


def frame(k: int, *faces: FaceResult, fps: float = 10.0) -> FrameResult:
    return FrameResult(k, k / fps, tuple(faces))


def test_one_event_per_track_until_the_name_changes() -> None:
    f = AppearanceFilter()
    stream = (
        [frame(0, FaceResult(FACE, None, 1))]  # detected, not yet embedded: no decision
        + [frame(k, named(None, 1)) for k in range(1, 4)]  # blurred: unknown
        + [frame(k, named("Ann", 1)) for k in range(4, 30)]  # then named, for many frames
        + [frame(k, named("Ann", 1), named("Bob", 2)) for k in range(30, 40)]
    )
    events = f.feed(stream, "recognition")
    assert [(e.track_id, e.decision, e.name, e.frame_index) for e in events] == [
        (1, "unknown", None, 1),
        (1, "named", "Ann", 4),
        (2, "named", "Bob", 30),
    ]
    assert events[1].match.distance == 0.5 and events[1].timestamp == 0.4


def test_a_change_of_mode_or_verdict_is_a_new_event() -> None:
    f = AppearanceFilter()
    assert len(f.update(frame(0, named("Ann", 1)), "recognition")) == 1
    got = f.update(frame(1, named("Ann", 1)), "verification")
    assert [e.decision for e in got] == ["accepted"]
    rejected = FaceResult(FACE, Match("Ann", 1.0, 0.87, False, 7), 1)
    got = f.update(frame(2, rejected), "verification")
    assert [(e.decision, e.name) for e in got] == [("rejected", "Ann")]
    assert f.update(frame(3, rejected), "verification") == []


def test_faces_without_a_track_are_each_an_event() -> None:
    f = AppearanceFilter()
    events = f.feed([frame(0, named("Ann", None), named(None, None))] * 3, "recognition")
    assert len(events) == 6


def test_a_source_that_starts_again_starts_afresh() -> None:
    f = AppearanceFilter()
    assert len(f.feed([frame(k, named("Ann", 1)) for k in range(50)], "recognition")) == 1
    assert len(f.update(frame(0, named("Ann", 1)), "recognition")) == 1  # time went back


def test_forgotten_tracks_do_not_pile_up() -> None:
    f = AppearanceFilter(forget_after_s=1.0)
    for k in range(200):
        f.update(frame(k, named("Ann", k)), "recognition")  # a new track each frame
    assert len(f._seen) <= 11


def test_decision_of() -> None:
    assert decision_of(FaceResult(FACE), "recognition") is None
    assert decision_of(named("Ann", 1), "recognition") == "named"
    assert decision_of(named(None, 1), "recognition") == "unknown"
    assert decision_of(named(None, 1), "verification") == "rejected"
