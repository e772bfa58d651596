"""From a stream of FrameResults to one history event per appearance of a face.

A tracked face is one appearance for as long as its track lasts: it gives an event the
first time it gets a decision, and another only when the decision or the name changes
(a face first seen blurred as "unknown" and then named gives two).  A face without a
track id (still photos, an image folder) is an appearance of its own every time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from faceapp.core.matching import Mode
from faceapp.core.types import Face, FaceResult, FrameResult, Match

#: What a recognition or verification decided about a face.
Decision = Literal["named", "maybe", "unknown", "corrected", "accepted", "rejected"]
DECISIONS: tuple[Decision, ...] = (
    "named",
    "maybe",
    "unknown",
    "corrected",
    "accepted",
    "rejected",
)

#: A track not seen for this many seconds of the source's time is forgotten; the tracker
#: never gives a finished track's id to a new face, so forgetting only bounds memory.
FORGET_AFTER_S = 10.0


def decision_of(result: FaceResult, mode: Mode) -> Decision | None:
    """Return what was decided about one face, or None when it has no match yet.

    Recognition names a face, calls it a maybe (near someone, not near enough to be
    named: :attr:`~faceapp.core.types.Match.maybe`), "corrected" (its nearest person X
    was ruled out by a "not X" correction and nobody else was near enough:
    :attr:`~faceapp.core.types.Match.corrected`) or unknown; verification accepts or
    rejects the claim.
    """
    m = result.match
    if m is None:
        return None
    if mode == "verification":
        return "accepted" if m.accepted else "rejected"
    if result.known:
        return "named"
    if result.maybe is not None:
        return "maybe"
    return "corrected" if m.corrected_id is not None else "unknown"


@dataclass(frozen=True)
class Appearance:
    """One event for the history: a face, what was decided about it, and when.

    Parameters
    ----------
    track_id : int or None
        The tracker's id of the face; None for a face of a still photo.
    frame_index : int
        The frame the decision was first seen in.
    timestamp : float
        The source's time of that frame, in seconds.
    face : Face
        Where the face was in that frame (to cut the crop from it).
    match : Match
        The match behind the decision: ``name`` is the person named, maybe named or
        claimed (None for an unknown face in recognition), ``distance`` its distance
        (``inf`` with an empty gallery), ``person_id`` their gallery id.
    mode : {"recognition", "verification"}
    decision : {"named", "maybe", "unknown", "corrected", "accepted", "rejected"}
    """

    track_id: int | None
    frame_index: int
    timestamp: float
    face: Face
    match: Match
    mode: Mode
    decision: Decision

    @property
    def name(self) -> str | None:
        """The person named or maybe named (recognition) or claimed; None when unknown."""
        return None if self.decision == "unknown" else self.match.name


class AppearanceFilter:
    """Turns FrameResults into one :class:`Appearance` per tracked appearance.

    Parameters
    ----------
    forget_after_s : float
        Tracks unseen for this long (source time) are forgotten.

    Notes
    -----
    Keeps a little state per track; not thread-safe: use one per worker thread, fed the
    results of one source in order.  A source whose time jumps backwards (a new source,
    a video played again) starts afresh.
    """

    def __init__(self, forget_after_s: float = FORGET_AFTER_S) -> None:
        self.forget_after_s = forget_after_s
        self._seen: dict[int, tuple[tuple[str, str, str | None], float]] = {}
        self._last_time = float("-inf")

    def reset(self) -> None:
        """Forget every track (call when the source changes)."""
        self._seen.clear()
        self._last_time = float("-inf")

    def update(self, result: FrameResult, mode: Mode) -> list[Appearance]:
        """Return the events of one frame: faces whose decision is new for their track.

        Parameters
        ----------
        result : FrameResult
            The pipeline's answer for one frame.
        mode : {"recognition", "verification"}
            The mode the frame was matched in (a change of mode changes the decision,
            so it gives an event).

        Returns
        -------
        list of Appearance
            In the order of ``result.faces``; often empty.
        """
        now = result.timestamp
        if now < self._last_time:
            self.reset()
        self._last_time = now
        events = []
        for fr in result.faces:
            decision = decision_of(fr, mode)
            if decision is None or fr.match is None:
                continue
            name = None if decision == "unknown" else fr.match.name
            key = (mode, decision, name)
            if fr.track_id is not None:
                before = self._seen.get(fr.track_id)
                self._seen[fr.track_id] = (key, now)
                if before is not None and before[0] == key:
                    continue
            events.append(
                Appearance(fr.track_id, result.index, now, fr.face, fr.match, mode, decision)
            )
        self._seen = {
            tid: seen for tid, seen in self._seen.items() if now - seen[1] <= self.forget_after_s
        }
        return events

    def feed(self, results: Iterable[FrameResult], mode: Mode) -> list[Appearance]:
        """Return the events of several frames in order (see :meth:`update`)."""
        return [event for result in results for event in self.update(result, mode)]
