"""LivenessGate: runs the head-turn challenge over verification mode's results (Qt-free)."""

from __future__ import annotations

from faceapp.core.liveness import ChallengeState, LivenessChallenge, LivenessSettings
from faceapp.core.types import FrameResult


def awaits_head_turn(challenge: ChallengeState | None) -> bool:
    """Return True while a liveness challenge runs that has not passed (verification mode)."""
    return challenge is not None and not challenge.passed


class LivenessGate:
    """Feeds verification mode's frame results to a :class:`LivenessChallenge`.

    The challenge is cheap (a few 3×3 solves per frame), so it runs on the GUI thread
    over the results the recognition worker emits; only the frozen
    :class:`~faceapp.core.liveness.ChallengeState` leaves this object.  It is active
    when verification mode has a claim and the liveness preference is on; any change
    of claim or activity, a new source (:meth:`reset`) or "Try again" starts a new
    challenge.  After a pass the state stays passed while the face that passed is in
    view; once that face has been gone longer than ``settings.lost_seconds`` a new
    challenge starts, so the next person is asked again.

    Parameters
    ----------
    settings : LivenessSettings, optional
        Time limit and angles of every challenge.

    Notes
    -----
    The challenge needs tracked faces (the worker tracks them for cameras and videos,
    not for slideshows of unrelated photos).  Results without track ids leave the
    state at None and set :attr:`untracked`.
    """

    def __init__(self, settings: LivenessSettings | None = None) -> None:
        self.settings = settings or LivenessSettings()
        self._claim: str | None = None
        self._active = False
        self._challenge: LivenessChallenge | None = None
        self._passed_last_seen: float | None = None
        #: True when the latest result had faces without track ids (a slideshow).
        self.untracked = False

    @property
    def active(self) -> bool:
        """True while a challenge is asked for (verification, a claim, liveness on)."""
        return self._challenge is not None

    @property
    def state(self) -> ChallengeState | None:
        """The challenge's latest state; None when inactive or the faces are untracked."""
        if self._challenge is None or self.untracked:
            return None
        return self._challenge.state

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
        if (claim, active) == (self._claim, self._active):
            return False
        self._claim, self._active = claim, active
        self._challenge = LivenessChallenge(claim, self.settings) if active else None
        self.reset()
        return True

    def reset(self) -> None:
        """Start the challenge again ("Try again", a new source)."""
        if self._challenge is not None:
            self._challenge.reset()
        self._passed_last_seen = None
        self.untracked = False

    def feed(self, result: FrameResult) -> ChallengeState | None:
        """Feed one frame result; return the new state (None when inactive or untracked)."""
        challenge = self._challenge
        if challenge is None:
            return None
        if any(f.track_id is None for f in result.faces):
            self.untracked = True
            return None
        self.untracked = False
        state = challenge.state
        if state.passed:
            in_view = any(f.track_id == state.track_id for f in result.faces)
            if in_view or self._passed_last_seen is None:
                self._passed_last_seen = result.timestamp
            elif result.timestamp - self._passed_last_seen > self.settings.lost_seconds:
                self.reset()  # the person who passed left; ask the next one
        return challenge.update_frame(result)
