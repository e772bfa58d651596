"""LivenessGate: runs the head-turn challenge over verification mode's results, judging each."""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass

import numpy as np

from faceapp.core.liveness.challenge import (
    ChallengeState,
    LivenessChallenge,
    LivenessSettings,
    Step,
    pick_face,
)
from faceapp.core.matching import Mode
from faceapp.core.types import FrameResult


@dataclass(frozen=True)
class Judgement:
    """The liveness gate's view of one result, judged in the recognition thread.

    Parameters
    ----------
    challenge : ChallengeState or None
        The head-turn challenge's state after this result; None when none runs.
    untracked : bool
        True when the head turn is wanted but the faces carry no track ids (a folder of
        photos): nothing can pass the check then.
    ticket : int
        The gate's challenge it belongs to (one per start or reset): a judgement of an
        earlier challenge is stale (:meth:`LivenessGate.is_current`).
    """

    challenge: ChallengeState | None = None
    untracked: bool = False
    ticket: int = 0

    @property
    def checking(self) -> bool:
        """True when a head turn decides the claim (a challenge runs, or cannot run)."""
        return self.challenge is not None or self.untracked


#: The judgement of a result when no liveness check is wanted.
NO_CHECK = Judgement()


def awaits_head_turn(challenge: ChallengeState | None) -> bool:
    """Return True while a liveness challenge runs that has not passed (verification mode)."""
    return challenge is not None and not challenge.passed


class LivenessGate:
    """Feeds verification mode's frame results to a :class:`LivenessChallenge`.

    The challenge is cheap (a few 3x3 solves and the tracking of a few hundred points
    of the face per frame, about 1-5 ms), so it runs in the recognition thread
    (:class:`~faceapp.session.live.RecognitionLoop` calls :meth:`judge` with each
    result and its frame before anything records or shows it), and the judgement
    travels with the result: the history and the window judge result N with the
    challenge state after result N.  Only frozen values (:class:`Judgement`,
    :class:`~faceapp.core.liveness.ChallengeState`) leave this object.  It is active
    when verification mode has a claim and the liveness preference is on; any change
    of claim or activity, a new source (:meth:`reset`) or "Try again" starts a new
    challenge.  After a pass the state stays passed while the face that passed is in
    view; once that face has been gone longer than ``settings.lost_seconds`` a new
    challenge starts, so the next person is asked again.

    Parameters
    ----------
    settings : LivenessSettings, optional
        Time limit and angles of every challenge.

    A face that looks straight at the camera and does not match the claim is rejected
    at once ("the face did not match ..."), not after the time limit: the head turn
    cannot change who it is.

    Notes
    -----
    The challenge needs tracked faces (the worker tracks them for cameras and videos,
    not for slideshows of unrelated photos).  Results without track ids leave the
    state at None and set :attr:`untracked`.  Every method is thread-safe.
    """

    def __init__(self, settings: LivenessSettings | None = None) -> None:
        self.settings = settings or LivenessSettings()
        self._lock = threading.RLock()
        self._claim: str | None = None
        self._active = False
        self._challenge: LivenessChallenge | None = None
        self._passed_last_seen: float | None = None
        self._rejected: ChallengeState | None = None
        self._ticket = 0
        #: True when the latest result had faces without track ids (a slideshow).
        self.untracked = False

    @property
    def active(self) -> bool:
        """True while a challenge is asked for (verification, a claim, liveness on)."""
        return self._challenge is not None

    @property
    def claim(self) -> str | None:
        """The claim a challenge runs for; None when inactive."""
        return self._claim

    @property
    def state(self) -> ChallengeState | None:
        """The challenge's latest state; None when inactive or the faces are untracked."""
        with self._lock:
            if self._challenge is None or self.untracked:
                return None
            return self._rejected or self._challenge.state

    def judgement(self) -> Judgement:
        """Return the latest judgement (state and whether the faces are untracked)."""
        with self._lock:
            if self._challenge is None:
                return NO_CHECK
            return Judgement(self.state, self.untracked, self._ticket)

    def configure(self, claim: str | None, enabled: bool) -> bool:
        """Set the claim and whether liveness is wanted; return True when the state changed.

        A change of claim while liveness is on starts a new challenge; turning it on or
        off starts or drops one; anything else changes nothing.

        Parameters
        ----------
        claim : str or None
            The claimed identity in verification mode; None outside it or with no claim.
        enabled : bool
            Whether the liveness preference is on.
        """
        active = enabled and claim is not None
        claim = claim if active else None
        with self._lock:
            if (claim, active) == (self._claim, self._active):
                return False
            self._claim, self._active = claim, active
            self._challenge = LivenessChallenge(claim, self.settings) if active else None
            self.reset()
            return True

    def is_current(self, judgement: Judgement) -> bool:
        """Return True unless ``judgement`` was made before the latest start or reset.

        A result judged in the recognition thread may reach the window after "Try
        again", a change of claim or the end of its source; its judgement is then stale
        and the window shows the gate's :meth:`judgement` instead.
        """
        with self._lock:
            return judgement.ticket == self._ticket

    def reset(self) -> None:
        """Start the challenge again ("Try again", a new source)."""
        with self._lock:
            self._ticket += 1
            if self._challenge is not None:
                self._challenge.reset()
            self._passed_last_seen = None
            self._rejected = None
            self.untracked = False

    def feed(self, result: FrameResult, image: np.ndarray | None = None) -> ChallengeState | None:
        """Feed one frame result; return the new state (None when inactive or untracked).

        ``image`` is the BGR frame ``result`` was made from (read-only; only small grey
        copies of the face are kept): with it the challenge also checks the face's look
        and texture (:meth:`~faceapp.core.liveness.LivenessChallenge.update`), without it
        only the landmarks.
        """
        with self._lock:
            challenge = self._challenge
            if challenge is None:
                return None
            if any(f.track_id is None for f in result.faces):
                self.untracked = True
                return None
            self.untracked = False
            if self._rejected is not None:
                return self._rejected
            state = challenge.state
            if state.passed:
                in_view = any(f.track_id == state.track_id for f in result.faces)
                if in_view or self._passed_last_seen is None:
                    self._passed_last_seen = result.timestamp
                elif result.timestamp - self._passed_last_seen > self.settings.lost_seconds:
                    challenge.reset()  # the person who passed left; ask the next one
                    self._passed_last_seen = None
            state = challenge.update_frame(result, image)
            self._rejected = self._mismatch(state, result)
            return self._rejected or state

    def _mismatch(self, state: ChallengeState, result: FrameResult) -> ChallengeState | None:
        """Return a failed state when a frontal face does not match the claim, else None."""
        if state.step is not Step.FACE_CAMERA or state.offset is None:
            return None
        if abs(state.offset) > self.settings.frontal:
            return None
        face = pick_face(result.faces, state.track_id)
        m = face.match if face is not None else None
        if m is None or m.name != self._claim or m.accepted or not math.isfinite(m.distance):
            return None
        return dataclasses.replace(
            state,
            step=Step.FAILED,
            prompt=f"Not passed: the face did not match {self._claim}",
            reason=f"the face did not match {self._claim}",
            live=False,
            matched=False,
            distance=m.distance,
            threshold=m.threshold,
        )

    def judge(self, result: FrameResult, mode: Mode, image: np.ndarray | None = None) -> Judgement:
        """Feed ``result`` when it was matched in verification; return its judgement.

        Called in the recognition thread with every result and the frame it was made
        from (``image``, see :meth:`feed`), before it is recorded or shown.
        """
        with self._lock:
            if self._challenge is None:
                return NO_CHECK
            if mode == "verification":
                self.feed(result, image)
            return self.judgement()
