"""The head-turn challenge: a state machine fed one tracked face per frame."""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from faceapp.core.liveness.geometry import (
    face_patch,
    foreshortening,
    nose_depth,
    nose_offset,
    patch_resemblance,
)
from faceapp.core.liveness.texture import FaceSurface
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

#: Fastest a head is taken to turn, in nose-offset units per second (1.5 is about 125
#: degrees a second at 0.012 per degree; the prompt asks for a slow turn).  Between two
#: measured frames ``dt`` seconds apart the nose offset may move by at most
#: ``JUMP_NOISE + MAX_SPEED * dt``; a larger jump is a cut (photos swapped), not a turn.
MAX_SPEED = 1.5

#: Landmark noise allowed on top of :data:`MAX_SPEED` between two frames (nose-offset units).
JUMP_NOISE = 0.15

#: Two measured frames of the face further apart than this (seconds) break the turn's
#: continuity: the challenge goes back to "look straight at the camera" (it does not fail).
MAX_GAP = 0.5

#: Smallest correlation of the face patches (:func:`face_patch`) of two consecutive
#: measured frames: below it the face's look changed at once (a cut to another photo),
#: which breaks the turn's continuity.  Checked only when the frames' images are given.
MIN_RESEMBLANCE = 0.40

#: Smallest nose depth (:func:`nose_depth`) a turn must show when it reaches
#: ``turn``: a head's nose moves far for how little the face squashes; a folded or bent
#: picture must be turned much further (and squashes much more) to move it as far.
MIN_DEPTH = 0.30

#: Smallest nose relief (:meth:`FaceSurface.relief <faceapp.core.liveness.FaceSurface>`,
#: eye-distances) a turn must show when it reaches ``turn``, checked when the frames'
#: images are given: how far the texture along the nose strays from both cheeks'
#: planes since the frontal frame.  A print, flat or folded along the nose, keeps it at
#: the tracking noise (at most 0.044 on the 5 celebrities' 40 and 60 degree folds);
#: turns of the same photos lifted onto a head-shaped relief reached 0.063 or more
#: (see ``docs/liveness.md``: chosen on those 5 people, measured on others).
MIN_RELIEF = 0.055


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
    max_speed : float or None
        Fastest turn, nose-offset units per second (:data:`MAX_SPEED`); a larger jump
        between two frames breaks the turn's continuity.  None: no jump rule.
    jump_noise : float
        Landmark noise allowed per frame on top of ``max_speed`` (:data:`JUMP_NOISE`).
    max_gap : float or None
        Seconds between two measured frames beyond which continuity breaks
        (:data:`MAX_GAP`).  None: no gap rule.
    min_resemblance : float or None
        Smallest face-patch correlation between consecutive frames
        (:data:`MIN_RESEMBLANCE`), checked when frames are given.  None: not checked.
    min_depth : float or None
        Smallest nose depth a turn must show (:data:`MIN_DEPTH`).  None: not checked.
    min_relief : float or None
        Smallest relief of the nose's texture out of the cheeks' planes a turn must show
        (:data:`MIN_RELIEF`), checked when frames are given.  None: not checked.
    """

    time_limit: float = TIME_LIMIT
    turn: float = TURN_OFFSET
    frontal: float = FRONTAL_OFFSET
    lost_seconds: float = LOST_SECONDS
    smoothing: int = SMOOTHING_FRAMES
    max_speed: float | None = MAX_SPEED
    jump_noise: float = JUMP_NOISE
    max_gap: float | None = MAX_GAP
    min_resemblance: float | None = MIN_RESEMBLANCE
    min_depth: float | None = MIN_DEPTH
    min_relief: float | None = MIN_RELIEF

    def __post_init__(self) -> None:
        if not (self.time_limit > 0 and self.lost_seconds > 0):
            raise ValueError("time_limit and lost_seconds must be positive")
        if self.smoothing < 1:
            raise ValueError("smoothing must be at least one frame")
        if not 0 <= self.frontal < self.turn:
            raise ValueError("need 0 <= frontal < turn")
        if self.max_speed is not None and self.max_speed <= 0:
            raise ValueError("max_speed must be positive (or None)")
        if self.max_gap is not None and self.max_gap <= 0:
            raise ValueError("max_gap must be positive (or None)")
        if self.jump_noise < 0:
            raise ValueError("jump_noise must not be negative")


#: The check as it was before issue 17: the turn's end points only, no continuity, no
#: depth rule (kept to measure what the new rules add).
FIRST_RULE = LivenessSettings(
    max_speed=None, max_gap=None, min_resemblance=None, min_depth=None, min_relief=None
)

#: The rules of the first change for issue 17: continuity and the landmarks' depth, no
#: texture relief (kept to measure what the relief rule adds).
LANDMARK_RULE = LivenessSettings(min_relief=None)


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
        self._last: tuple[float, float, np.ndarray | None] | None = None
        self._frontal: tuple[tuple[Point, ...], float] | None = None
        self._depths: deque[float] = deque(maxlen=self.settings.smoothing)
        self._broken: str | None = None
        self._shallow = False
        self._surface = FaceSurface()
        self._surface_step: Step | None = None
        self._reliefs: deque[float] = deque(maxlen=self.settings.smoothing)
        self._flat = False
        self._cause: str | None = None  # the latest of "broken", "shallow", "flat"

    @property
    def state(self) -> ChallengeState:
        """The latest state."""
        return self._state

    def update_frame(self, result: FrameResult, frame: np.ndarray | None = None) -> ChallengeState:
        """Feed one :class:`FrameResult`: the locked face if present, else the largest face.

        ``frame`` is the image the result was made from (BGR); with it the face's look
        is checked to change smoothly from frame to frame (see :meth:`update`).
        """
        face = pick_face(result.faces, self._state.track_id)
        return self.update(face, result.timestamp, frame)

    def update(
        self, face: FaceResult | None, timestamp: float, frame: np.ndarray | None = None
    ) -> ChallengeState:
        """Feed the followed face of one frame (None when it is not in the frame).

        Parameters
        ----------
        face : FaceResult or None
            The face with its landmarks, match and ``track_id``.  A face of another track
            than the locked one counts as "not in the frame".
        timestamp : float
            Seconds, non-decreasing (a camera's clock or a video's media time).
        frame : ndarray, optional
            The frame's BGR image.  With it, a face whose look changes at once between
            two frames (a cut to another photo) breaks the turn's continuity; without
            it only the landmarks' continuity is checked.

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
        return self._set(self._observe(st, face, timestamp, frame))

    def finish(self) -> ChallengeState:
        """End a challenge whose frames ran out (the video ended) and return the final state."""
        st = self._state
        if st.done:
            return st
        if self._start is None:
            return self._end(st, "no face was seen")
        better = self._evidence_reason("before the video ended")
        return self._end(st, better or "the video ended before the challenge was complete")

    # --- internals -------------------------------------------------------------------

    def _set(self, st: ChallengeState) -> ChallengeState:
        self._state = st
        return st

    def _observe(
        self, st: ChallengeState, face: FaceResult, timestamp: float, frame: np.ndarray | None
    ) -> ChallengeState:
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
        patch = None
        if frame is not None and s.min_resemblance is not None:
            patch = face_patch(frame, face.face.landmarks)
        broken = self._discontinuity(timestamp, offset[0], patch)
        self._last = (timestamp, offset[0], patch)
        if broken is not None:  # the turn so far does not count: start it again
            self._recent.clear()
            self._depths.clear()
            self._reliefs.clear()
            self._surface.clear()
            if st.step is not Step.FACE_CAMERA:
                self._broken, self._cause = broken, "broken"
                st = self._advance(st, Step.FACE_CAMERA, 0.0)
        textured = frame is not None and s.min_relief is not None
        if frame is not None and textured:
            self._follow_surface(st.step, frame, face.face.landmarks, offset[0])
            # A face with no texture at all (synthetic frames) is judged on its landmarks.
            textured = not self._surface.textureless
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
                    self._frontal = (face.face.landmarks, x)
                    return self._advance(st, Step.TURN_LEFT, 1 / 3)
            return st
        landmarks = face.face.landmarks
        if st.step is Step.TURN_LEFT:
            if x >= s.turn and self._deep_enough(landmarks, textured):
                self._depths.clear()
                self._reliefs.clear()
                return self._advance(st, Step.TURN_RIGHT, 2 / 3)
            return replace(st, progress=1 / 3 + min(1.0, max(0.0, x) / s.turn) / 3)
        if x <= -s.turn and self._deep_enough(landmarks, textured):  # Step.TURN_RIGHT
            matched = None if self.claim is None else True
            return replace(
                st,
                step=Step.PASSED,
                prompt=PROMPTS[Step.PASSED],
                progress=1.0,
                live=True,
                matched=matched,
                reason="turned left and right, with depth"
                + (", the nose standing out of the cheeks" if textured else "")
                + ("" if self.claim is None else f", and matched {self.claim}"),
            )
        return replace(st, progress=2 / 3 + min(1.0, max(0.0, -x) / s.turn) / 3)

    def _discontinuity(self, timestamp: float, raw: float, patch: np.ndarray | None) -> str | None:
        """Return why this measured frame does not continue the last one, or None."""
        s = self.settings
        if self._last is None:
            return None
        t0, raw0, patch0 = self._last
        dt = max(0.0, timestamp - t0)
        if s.max_gap is not None and dt > s.max_gap:
            return "gap"
        if s.max_speed is not None and abs(raw - raw0) > s.jump_noise + s.max_speed * dt:
            return "jump"
        if (
            s.min_resemblance is not None
            and patch is not None
            and patch0 is not None
            and patch_resemblance(patch, patch0) < s.min_resemblance
        ):
            return "cut"
        return None

    def _follow_surface(
        self, step: Step, frame: np.ndarray, landmarks: tuple[Point, ...], raw: float
    ) -> None:
        """Seed the face's texture on the most frontal frame of each step, else track it."""
        surface = self._surface
        if abs(raw) <= self.settings.frontal and (
            not surface.seeded
            or self._surface_step is not step
            or abs(raw) < abs(surface.seed_offset or 0.0)
        ):
            if surface.seed(frame, landmarks, raw):
                self._surface_step = step
        elif surface.seeded:
            surface.track(frame)

    def _deep_enough(self, landmarks: tuple[Point, ...], textured: bool) -> bool:
        """Return True when this turned frame (and the last few) show a head's depth.

        Called only on frames turned past ``turn``.  The landmarks' depth is checked
        without a frame too; the nose's relief in the texture (``textured``) only with
        frames.  Always True without either rule.
        """
        s = self.settings
        if s.min_depth is not None and self._frontal is not None:
            depth = nose_depth(self._frontal[0], landmarks, self._frontal[1])
            if depth is not None:
                self._depths.append(depth)
            if not self._depths:
                return False
            if float(np.median(self._depths)) < s.min_depth:
                self._shallow, self._cause = True, "shallow"
                return False
        if textured and s.min_relief is not None:
            relief = self._surface.relief()
            if relief is not None:
                self._reliefs.append(relief)
            if not self._reliefs or float(np.median(self._reliefs)) < s.min_relief:
                self._flat, self._cause = True, "flat"
                return False
        return True

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

    def _evidence_reason(self, limit: str) -> str | None:
        """Why the turn did not count, when a continuity or depth rule refused it."""
        if self._broken is not None and self._cause == "broken":
            what = {
                "gap": "the face was not seen for a while in the middle of the turn",
                "jump": "the nose jumped between frames",
                "cut": "the face's look changed at once between frames",
            }[self._broken]
            return (
                f"no continuous head turn {limit}: {what} "
                "(photos swapped in front of the camera, or a cut video?)"
            )
        if self._shallow and self._cause == "shallow":
            return (
                "the face turned like a bent or folded picture: its nose moved too little "
                "for how far it turned"
            )
        if self._flat and self._cause == "flat":
            return (
                "the face turned like a flat or folded picture: the texture along its nose "
                "stayed in the planes of its cheeks"
            )
        return None

    def _timeout_reason(self, st: ChallengeState) -> str:
        limit = f"within {self.settings.time_limit:g} s"
        better = self._evidence_reason(limit)
        if better is not None:
            return better
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


def run_challenge(
    results: Iterable[FrameResult | tuple[FrameResult, np.ndarray]],
    challenge: LivenessChallenge,
) -> ChallengeState:
    """Feed frame results to ``challenge`` until it is done or they run out; return the end state.

    Each item is a :class:`FrameResult`, or a ``(FrameResult, BGR image)`` pair so the
    face's look is checked too (see :meth:`LivenessChallenge.update`).  Stops reading
    ``results`` as soon as the challenge is decided, so a lazy iterator over a long
    video is not read to its end.
    """
    for item in results:
        result, frame = item if isinstance(item, tuple) else (item, None)
        if challenge.update_frame(result, frame).done:
            return challenge.state
    return challenge.finish()
