"""The head-turn challenge: a state machine fed one tracked face per frame."""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from faceapp.core.liveness.geometry import (
    foreshortening,
    nose_offset,
)
from faceapp.core.types import FaceResult, FrameResult, Point

#: Seconds allowed from the moment the face is first seen to the end of the challenge.
TIME_LIMIT = 6.0

#: Nose offset (eye-distances) that counts as a turn: about 15 degrees of real yaw (0.012
#: per degree of MediaPipe's yaw on LFW photos); still photos replayed in front of the
#: camera moved it by at most 0.36 in a first exploration, single frames included.
TURN_OFFSET = 0.18

#: Largest nose offset (eye-distances) that counts as facing the camera (about 8 degrees).
FRONTAL_OFFSET = 0.10

#: The steps judge the median nose offset of this many latest measured frames, so one
#: frame of landmark noise (blur, compression, a print tilted far) is not taken for a pose.
SMOOTHING_FRAMES = 3

#: Seconds the locked face may go unseen before the challenge fails (the tracker's own
#: limit is :data:`faceapp.core.tracking.MAX_AGE_SECONDS`).
LOST_SECONDS = 1.0

#: A face whose eye/mouth quadrilateral foreshortened by at least this fraction (as a
#: turned head or a tilted picture does) while the nose never moved by half a turn is
#: reported as flat.  It only words the reason; the decision is the turn itself.
FLAT_TILT = 0.15


@dataclass(frozen=True)
class LivenessSettings:
    """How hard the challenge is; an immutable value that may cross threads.

    Parameters
    ----------
    time_limit : float
        Seconds from the first sight of the face to the end of the challenge.
    turn : float
        Nose offset (eye-distances, see :func:`nose_offset`) that counts as a turn.
    frontal : float
        Largest nose offset that counts as facing the camera.
    lost_seconds : float
        Seconds the face may go unseen before the challenge fails.
    smoothing : int
        Frames whose median nose offset the steps judge (1: every frame on its own).
    """

    time_limit: float = TIME_LIMIT
    turn: float = TURN_OFFSET
    frontal: float = FRONTAL_OFFSET
    lost_seconds: float = LOST_SECONDS
    smoothing: int = SMOOTHING_FRAMES

    def __post_init__(self) -> None:
        if not (self.time_limit > 0 and self.lost_seconds > 0):
            raise ValueError("time_limit and lost_seconds must be positive")
        if self.smoothing < 1:
            raise ValueError("smoothing must be at least one frame")
        if not 0 <= self.frontal < self.turn:
            raise ValueError("need 0 <= frontal < turn")


class Step(str, enum.Enum):
    """Where a challenge stands."""

    FACE_CAMERA = "face_camera"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    PASSED = "passed"
    FAILED = "failed"


PROMPTS = {
    Step.FACE_CAMERA: "Look straight at the camera",
    Step.TURN_LEFT: "Slowly turn your head to your left",
    Step.TURN_RIGHT: "Now turn your head to your right",
    Step.PASSED: "Done",
    Step.FAILED: "Not passed",
}


@dataclass(frozen=True)
class ChallengeState:
    """A snapshot of a challenge; immutable, safe to hand from a worker thread to the GUI.

    Parameters
    ----------
    step : Step
        The current step; ``PASSED`` and ``FAILED`` are final.
    prompt : str
        What to tell the person now.
    progress : float
        In ``[0, 1]``: a third per step, filled while the head turns.
    reason : str or None
        Why the challenge passed or failed (one line for people); None while pending.
    live : bool or None
        True when the head turn with depth was seen; False when the challenge ended
        without it; None while pending.
    matched : bool or None
        True when the face matched the claim when it faced the camera and on every frame
        after; False when it did not; None while pending or when no claim is checked.
    elapsed : float
        Seconds since the face was first seen (0 before).
    time_limit : float
        The challenge's time limit in seconds.
    track_id : int or None
        The tracked face the challenge follows.
    offset : float or None
        The latest nose offset (eye-distances, positive towards the person's left): the
        median over the last ``settings.smoothing`` measured frames.
    offset_range : tuple of float or None
        ``(smallest, largest)`` of ``offset`` on the followed face.
    distance : float or None
        The identity distance the decision used: the largest distance to the claim after
        the face first matched, or the smallest one seen when it never did.
    threshold : float or None
        The threshold of the matches the challenge saw.
    frames : int
        Frames in which the followed face was seen.
    """

    step: Step
    prompt: str
    progress: float = 0.0
    reason: str | None = None
    live: bool | None = None
    matched: bool | None = None
    elapsed: float = 0.0
    time_limit: float = TIME_LIMIT
    track_id: int | None = None
    offset: float | None = None
    offset_range: tuple[float, float] | None = None
    distance: float | None = None
    threshold: float | None = None
    frames: int = 0

    @property
    def passed(self) -> bool:
        """True when the person turned with depth and (when checked) matched throughout."""
        return self.step is Step.PASSED

    @property
    def failed(self) -> bool:
        """True when the challenge ended without passing."""
        return self.step is Step.FAILED

    @property
    def done(self) -> bool:
        """True once the challenge has passed or failed (no later frame changes it)."""
        return self.step in (Step.PASSED, Step.FAILED)

    @property
    def time_left(self) -> float:
        """Seconds left before the time limit (never below 0)."""
        return max(0.0, self.time_limit - self.elapsed)


class LivenessChallenge:
    """A head-turn challenge fed one frame result at a time.

    The first face given is locked by its track id; later frames count only when they
    show that same track.  The steps are: face the camera (and, with a ``claim``, match
    it), turn to the person's left until :func:`nose_offset` reaches
    ``settings.turn``, then to their right until it reaches ``-settings.turn``, all
    within ``settings.time_limit`` seconds of the first sight of the face.  Once the face
    has matched the claim, every later frame whose match rejects it fails the challenge.

    Parameters
    ----------
    claim : str or None
        The claimed identity; None checks liveness only (``matched`` stays None).
    settings : LivenessSettings, optional
        Time limit and angles.

    Notes
    -----
    Pure Python and NumPy, no Qt.  Not thread-safe: feed it from one thread (the worker
    that runs the pipeline) and hand out the immutable :class:`ChallengeState` values.
    Feed it results of a :class:`~faceapp.core.pipeline.FacePipeline` that has a
    :class:`~faceapp.core.tracking.FaceTracker`: its matches are the track's vote, so a
    single poor frame does not flip the identity, and a different person taking the
    place of the face gets a new track id, which ends the challenge.
    """

    def __init__(self, claim: str | None = None, settings: LivenessSettings | None = None) -> None:
        self.claim = claim
        self.settings = settings or LivenessSettings()
        self.reset()

    def reset(self) -> None:
        """Start again from the first step (for another try)."""
        self._state = ChallengeState(
            Step.FACE_CAMERA, PROMPTS[Step.FACE_CAMERA], time_limit=self.settings.time_limit
        )
        self._start: float | None = None
        self._last_seen = 0.0
        self._reference: tuple[Point, ...] | None = None
        self._recent: deque[float] = deque(maxlen=self.settings.smoothing)
        self._max_tilt = 0.0
        self._best_distance = math.inf
        self._worst_distance = 0.0
        self._matched_once = False
        self._identity_failed = False
        self._frontal_seen = False

    @property
    def state(self) -> ChallengeState:
        """The latest state."""
        return self._state

    def update_frame(self, result: FrameResult) -> ChallengeState:
        """Feed one :class:`FrameResult`: the locked face if present, else the largest face."""
        return self.update(pick_face(result.faces, self._state.track_id), result.timestamp)

    def update(self, face: FaceResult | None, timestamp: float) -> ChallengeState:
        """Feed the followed face of one frame (None when it is not in the frame).

        Parameters
        ----------
        face : FaceResult or None
            The face with its landmarks, match and ``track_id``.  A face of another track
            than the locked one counts as "not in the frame".
        timestamp : float
            Seconds, non-decreasing (a camera's clock or a video's media time).

        Returns
        -------
        ChallengeState
            The new state; once ``done`` it never changes until :meth:`reset`.

        Raises
        ------
        ValueError
            When ``face`` has no track id (the pipeline needs a tracker).
        """
        st = self._state
        if st.done:
            return st
        if face is not None and face.track_id is None:
            raise ValueError("the liveness challenge needs tracked faces (a FaceTracker)")
        if self._start is None:
            if face is None:
                return st  # the clock starts at the first sight of a face
            self._start = self._last_seen = timestamp
            st = replace(st, track_id=face.track_id)
        elapsed = max(0.0, timestamp - self._start)
        st = replace(st, elapsed=elapsed)
        if elapsed > self.settings.time_limit:
            return self._end(st, self._timeout_reason(st))
        if face is not None and face.track_id != st.track_id:
            face = None
        if face is None:
            if timestamp - self._last_seen > self.settings.lost_seconds:
                return self._end(st, "the face left the view before the challenge ended")
            return self._set(st)
        self._last_seen = timestamp
        return self._set(self._observe(st, face))

    def finish(self) -> ChallengeState:
        """End a challenge whose frames ran out (the video ended) and return the final state."""
        st = self._state
        if st.done:
            return st
        if self._start is None:
            return self._end(st, "no face was seen")
        return self._end(st, "the video ended before the challenge was complete")

    # --- internals -------------------------------------------------------------------

    def _set(self, st: ChallengeState) -> ChallengeState:
        self._state = st
        return st

    def _observe(self, st: ChallengeState, face: FaceResult) -> ChallengeState:
        s = self.settings
        st = replace(st, frames=st.frames + 1)
        identity_failure = self._check_identity(st, face)
        st = replace(
            st,
            distance=self._reported_distance(),
            threshold=face.match.threshold if face.match is not None else st.threshold,
        )
        if identity_failure is not None:
            return self._end(st, identity_failure)
        offset = nose_offset(face.face.landmarks)
        if offset is None:
            return replace(st, offset=None)
        self._recent.append(offset[0])
        x = float(np.median(self._recent))
        lo, hi = st.offset_range or (x, x)
        st = replace(st, offset=x, offset_range=(min(lo, x), max(hi, x)))
        if self._reference is None:
            self._reference = face.face.landmarks
        else:
            tilt = foreshortening(self._reference, face.face.landmarks)
            if tilt is not None:
                self._max_tilt = max(self._max_tilt, tilt)
        if st.step is Step.FACE_CAMERA:
            if abs(x) <= s.frontal:
                self._frontal_seen = True
                if self.claim is None or self._is_claim(face):
                    return self._advance(st, Step.TURN_LEFT, 1 / 3)
            return st
        if st.step is Step.TURN_LEFT:
            if x >= s.turn:
                return self._advance(st, Step.TURN_RIGHT, 2 / 3)
            return replace(st, progress=1 / 3 + max(0.0, x) / s.turn / 3)
        if x <= -s.turn:  # Step.TURN_RIGHT
            matched = None if self.claim is None else True
            return replace(
                st,
                step=Step.PASSED,
                prompt=PROMPTS[Step.PASSED],
                progress=1.0,
                live=True,
                matched=matched,
                reason="turned left and right, with depth"
                + ("" if self.claim is None else f", and matched {self.claim}"),
            )
        return replace(st, progress=2 / 3 + max(0.0, -x) / s.turn / 3)

    def _is_claim(self, face: FaceResult) -> bool:
        m = face.match
        return m is not None and m.accepted and m.name == self.claim

    def _check_identity(self, st: ChallengeState, face: FaceResult) -> str | None:
        """Track distances; return a failure reason once a matched face stops matching."""
        if self.claim is None or face.match is None:
            return None
        m = face.match
        distance = m.distance if m.name == self.claim else math.inf
        self._best_distance = min(self._best_distance, distance)
        if self._matched_once:
            self._worst_distance = max(self._worst_distance, distance)
            if not self._is_claim(face):
                self._identity_failed = True
                return f"the face stopped matching {self.claim} during the challenge"
        elif st.step is Step.FACE_CAMERA and self._is_claim(face):
            self._matched_once = True
            self._worst_distance = distance
        return None

    def _reported_distance(self) -> float | None:
        d = self._worst_distance if self._matched_once else self._best_distance
        return None if math.isinf(d) or self.claim is None else float(d)

    def _advance(self, st: ChallengeState, step: Step, progress: float) -> ChallengeState:
        return replace(st, step=step, prompt=PROMPTS[step], progress=progress)

    def _end(self, st: ChallengeState, reason: str) -> ChallengeState:
        matched = None
        if self.claim is not None:
            matched = self._matched_once and not self._identity_failed
        st = replace(
            st,
            step=Step.FAILED,
            prompt=f"{PROMPTS[Step.FAILED]}: {reason}",
            live=False,
            matched=matched,
            reason=reason,
            distance=self._reported_distance(),
        )
        return self._set(st)

    def _timeout_reason(self, st: ChallengeState) -> str:
        limit = f"within {self.settings.time_limit:g} s"
        if st.step is Step.FACE_CAMERA:
            if self.claim is not None and self._frontal_seen:
                return f"the face did not match {self.claim}"
            return f"the face did not look straight at the camera {limit}"
        lo, hi = st.offset_range or (0.0, 0.0)
        if self._max_tilt >= FLAT_TILT and hi - lo < self.settings.turn / 2:
            return (
                "the face tilted like a flat picture, with no depth behind the nose "
                "(a photo or a screen?)"
            )
        side = "left" if st.step is Step.TURN_LEFT else "right"
        return f"no head turn to the {side} {limit}"


def pick_face(faces: Iterable[FaceResult], track_id: int | None) -> FaceResult | None:
    """Return the face of ``track_id``, or the largest face when ``track_id`` is None.

    Returns None when ``track_id`` is given and no face carries it, or when there are no
    faces at all.
    """
    faces = list(faces)
    if track_id is not None:
        return next((f for f in faces if f.track_id == track_id), None)
    return max(faces, key=lambda f: f.face.box.area, default=None)


def run_challenge(results: Iterable[FrameResult], challenge: LivenessChallenge) -> ChallengeState:
    """Feed frame results to ``challenge`` until it is done or they run out; return the end state.

    Stops reading ``results`` as soon as the challenge is decided, so a lazy iterator over
    a long video is not read to its end.
    """
    for result in results:
        if challenge.update_frame(result).done:
            return challenge.state
    return challenge.finish()
