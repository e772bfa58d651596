"""The window's rules of state: matching settings, the result on screen, and the claim's person."""

from __future__ import annotations

import logging

from faceapp.core.matching import MODES, GalleryIndex, Mode, automatic_distance
from faceapp.core.pipeline import MatchSettings
from faceapp.core.types import FrameResult
from faceapp.session.gallery import GalleryEdit
from faceapp.settings import Settings
from faceapp.storage.people import PeopleList

log = logging.getLogger(__name__)

#: The two matching modes, by name (the one definition is :data:`faceapp.core.matching.MODES`).
RECOGNITION, VERIFICATION = MODES


def match_settings_of(s: Settings) -> MatchSettings:
    """Return the matching settings of preferences ``s`` (the stranger rate included)."""
    mode: Mode = VERIFICATION if s.mode == VERIFICATION else RECOGNITION
    return MatchSettings(
        threshold=s.threshold_for(mode), mode=mode, claim=s.claim, stranger_rate=s.stranger_rate
    )


def other_mode(mode: str) -> str:
    """Return the mode *Switch mode* goes to from ``mode``: verification ↔ recognition."""
    return RECOGNITION if mode == VERIFICATION else VERIFICATION


def liveness_claim(s: Settings) -> str | None:
    """Return the claim the liveness challenge checks: verification's claim, else None."""
    return s.claim if s.mode == VERIFICATION else None


def distance_in_force(s: Settings, index: GalleryIndex | None, mode: str | None = None) -> float:
    """Return the distance threshold in force in ``mode`` (default: the current mode).

    A pinned threshold, verification's threshold, or, with recognition's automatic
    rule, :func:`~faceapp.core.matching.automatic_distance` for ``index`` (a gallery of
    one person before the gallery is read) and the stranger rate: the farthest a face
    without a close runner-up may be from its nearest person and still be named.

    Raises
    ------
    faceapp.core.errors.ModelError
        When a shipped LFW table is missing or damaged.
    """
    pinned = s.threshold_for(s.mode if mode is None else mode)
    return automatic_distance_of(s, index) if pinned is None else float(pinned)


def automatic_distance_of(s: Settings, index: GalleryIndex | None) -> float:
    """Return recognition's automatic distance for ``index`` and the stranger rate of ``s``.

    The threshold of the automatic rule for a face with no close runner-up (a face with
    a close runner-up must be nearer); before the gallery is read (``index`` None),
    that of a gallery of one person.

    Raises
    ------
    faceapp.core.errors.ModelError
        When the shipped open-set table is missing or damaged.
    """
    return automatic_distance(index if index is not None else GalleryIndex.empty(), s.stranger_rate)


class ShownResult:
    """Which recognition result describes the frame on screen (not thread-safe: one thread).

    The newest result describes the frame shown when it came from that frame, or, with
    ``hold_s > 0``, from a frame at most ``hold_s`` seconds of source time away from it.

    Parameters
    ----------
    hold_s : float
        How long a result still describes later frames: about a second for cameras and
        videos, 0 for slideshows, whose every frame is another picture.
    """

    def __init__(self, hold_s: float = 1.0) -> None:
        self.hold_s = hold_s
        self.frame_index = -1
        self.frame_ts = 0.0
        self.newest: FrameResult | None = None
        #: The result describing the frame on screen, or None.
        self.current: FrameResult | None = None

    def show_frame(self, index: int, timestamp: float) -> None:
        """Note the frame now on screen (:meth:`refresh` then tells what it shows)."""
        self.frame_index, self.frame_ts = index, timestamp

    def add_result(self, result: FrameResult) -> None:
        """Note a new result (:meth:`refresh` then tells whether it is current)."""
        self.newest = result

    def clear(self) -> None:
        """Forget the frame and the result (a new source, its end)."""
        self.frame_index, self.frame_ts, self.newest = -1, 0.0, None

    def refresh(self) -> bool:
        """Decide :attr:`current` again; return True when it changed."""
        r = self.newest
        fresh = r is not None and (
            r.index == self.frame_index
            or (self.hold_s > 0 and abs(self.frame_ts - r.timestamp) <= self.hold_s)
        )
        current = r if fresh else None
        changed = current is not self.current
        self.current = current
        return changed


def claim_enrolled(claim: str | None, people: PeopleList, loaded: bool) -> bool:
    """Return False when ``claim`` is set and nobody of that name is enrolled.

    True before the people list is read (``loaded`` False).
    """
    return claim is None or not loaded or people.row_of_name(claim) >= 0


def followed_claim(claim: str | None, before: PeopleList, now: PeopleList) -> str | None:
    """Return the claim once the people list went from ``before`` to ``now`` (re-read).

    The claim follows its person when another program renamed them (the same gallery
    id and enrolment time: ids are reused after a wipe), and is dropped when they were
    removed.  A claim of someone never listed is left alone: the verdict says nobody
    of that name is enrolled.
    """
    if claim is None or now.row_of_name(claim) >= 0:
        return claim
    row = before.row_of_name(claim)
    if row < 0:
        return claim
    old = before[row]
    person = now.get(old.id)
    if person is not None and person.created_at == old.created_at:
        log.info("the claim follows %s, renamed %s by another program", claim, person.name)
        return person.name
    log.info("%s was removed by another program; no claim", claim)
    return None


def claim_after_edit(claim: str | None, edit: GalleryEdit) -> str | None:
    """Return the claim after the successful gallery write ``edit``; log what it did.

    A claim on a renamed person follows the rename; one on a removed person is dropped.
    """
    before, after = edit.before, edit.after
    if edit.action == "add" and after is not None:
        log.info("added %d sample(s) of %s", len(edit.sample_ids), after.name)
    elif edit.action == "rename" and before is not None and after is not None:
        log.info("renamed %s to %s", before.name, after.name)
        if claim == before.name:
            return after.name
    elif edit.action == "remove_person" and before is not None:
        log.info("removed %s", before.name)
        if claim == before.name:
            return None
    elif edit.action == "remove_sample":
        n = len(edit.sample_ids)
        log.info("removed %d sample(s) of %s", n, before.name if before else "?")
    return claim
