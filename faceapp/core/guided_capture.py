"""Guided capture: which live frames become enrolment samples (pose variety, spacing, progress).

The guided mode of the capture dialog looks at each processed frame of the live
stream and takes the face as a sample by itself once the quality checks of
:mod:`faceapp.core.quality` pass, the face is in a pose still missing (front, slightly
to the person's left, slightly to their right), its pose differs from every sample
already taken, and enough time has passed since the last one.  This module holds that
decision and the words telling the user what to do next; it has no clock and no
pictures: the caller passes the frame's time and the quality report.

Poses come from the landmarks (:func:`faceapp.core.quality.face_turn`): the *turn*
is the signed yaw ratio (0 frontal, positive when the nose is towards the image's
right, i.e. the person turned to their left in an unmirrored camera picture), the
*roll* the tilt of the eye line in degrees.  The quality check accepts turns up to
:data:`~faceapp.core.quality.MAX_YAW_RATIO` (0.5), so "slightly" turned means between
:data:`SIDE_MIN_TURN` and that limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from faceapp.core.quality import MAX_YAW_RATIO, QualityReport

#: A pose bucket: the person looks at the camera, or turns slightly to their left or right.
Pose = Literal["front", "left", "right"]

#: The pose buckets the first samples must cover, in the order they are asked for.
POSES: tuple[Pose, ...] = ("front", "left", "right")

#: Largest ``|turn|`` of a frontal face.  On the 5-celebrity photos faces looking at the
#: camera measure up to about 0.1.
FRONT_MAX_TURN = 0.12

#: Smallest ``|turn|`` of a face turned slightly to one side (up to the quality limit,
#: :data:`~faceapp.core.quality.MAX_YAW_RATIO`).  Between the two a face counts as no
#: bucket: neither clearly frontal nor clearly turned.
SIDE_MIN_TURN = 0.15

#: Two samples count as the same pose when their turns differ by less than this ...
TURN_STEP = 0.08

#: ... and their rolls by less than this many degrees.
ROLL_STEP_DEG = 5.0

#: Fewest seconds between two samples, so that a still face is not taken twice in a row.
MIN_INTERVAL_S = 0.8

#: Samples a guided capture collects before it stops by itself.
TARGET_SAMPLES = 5

#: Samples recommended before saving (the progress says when this many are taken).
MIN_SAMPLES = 3

#: What the user is asked to do for each pose, as the end of "now ...".
_ASK = {
    "front": "look straight at the camera",
    "left": "turn your head slightly to your left",
    "right": "turn your head slightly to your right",
}

#: What the user is asked once every pose is covered.
_ASK_ANY = "tilt or turn your head a little differently"


def pose_of(turn: float) -> Pose | None:
    """Return the pose bucket of a signed ``turn``, or None between buckets.

    Parameters
    ----------
    turn : float
        Signed yaw ratio (see the module docstring); ``[-1, 1]``.
    """
    if abs(turn) <= FRONT_MAX_TURN:
        return "front"
    if SIDE_MIN_TURN <= abs(turn) <= MAX_YAW_RATIO:
        return "left" if turn > 0 else "right"
    return None


@dataclass(frozen=True)
class Shot:
    """The pose and time of one sample taken.

    Parameters
    ----------
    turn : float
        Signed yaw ratio, ``[-1, 1]``.
    roll_deg : float
        Tilt of the eye line, degrees, signed.
    timestamp : float
        When the frame was seen, in seconds on the caller's clock.
    """

    turn: float
    roll_deg: float
    timestamp: float

    @property
    def pose(self) -> Pose | None:
        """The pose bucket of this sample (None between buckets)."""
        return pose_of(self.turn)

    def same_pose_as(self, other: Shot) -> bool:
        """Return True when the two poses are too close to count as different samples."""
        return (
            abs(self.turn - other.turn) < TURN_STEP
            and abs(self.roll_deg - other.roll_deg) < ROLL_STEP_DEG
        )


@dataclass(frozen=True)
class Decision:
    """Whether a frame was taken as a sample, and why (not).

    Parameters
    ----------
    taken : bool
        True when the frame became a sample.
    reason : str
        Short sentence for the user ("taken", "hold still a moment", ...).
    """

    taken: bool
    reason: str


class GuidedCapture:
    """Decides which frames of a live stream become samples; keeps what was taken.

    Not thread-safe: one thread (the GUI's) feeds it frames one at a time.

    Parameters
    ----------
    target : int
        Samples to collect before stopping, ``>= 1``.
    minimum : int
        Samples that are enough to save, ``1 <= minimum <= target``.
    min_interval_s : float
        Fewest seconds between two samples.
    """

    def __init__(
        self,
        target: int = TARGET_SAMPLES,
        minimum: int = MIN_SAMPLES,
        min_interval_s: float = MIN_INTERVAL_S,
    ) -> None:
        if not 1 <= minimum <= target:
            raise ValueError(f"need 1 <= minimum <= target, got {minimum} and {target}")
        self.target = target
        self.minimum = minimum
        self.min_interval_s = min_interval_s
        self._shots: list[Shot] = []

    @property
    def shots(self) -> tuple[Shot, ...]:
        """The samples taken so far, in order."""
        return tuple(self._shots)

    @property
    def done(self) -> bool:
        """True once ``target`` samples are taken (no more frames are taken)."""
        return len(self._shots) >= self.target

    @property
    def enough(self) -> bool:
        """True once at least ``minimum`` samples are taken."""
        return len(self._shots) >= self.minimum

    def missing_poses(self) -> tuple[Pose, ...]:
        """Return the pose buckets no sample covers yet, in the order they are asked for."""
        covered = {s.pose for s in self._shots}
        return tuple(p for p in POSES if p not in covered)

    def next_pose(self) -> Pose | None:
        """Return the pose asked for next; None when any new pose will do (or when done)."""
        if self.done:
            return None
        missing = self.missing_poses()
        return missing[0] if missing else None

    def instruction(self) -> str:
        """Return what the user should do now, a short sentence without a full stop."""
        if self.done:
            return "done: save the samples"
        pose = self.next_pose()
        return f"now {_ASK[pose]}" if pose is not None else f"now {_ASK_ANY}"

    def progress(self) -> str:
        """Return the progress line (``"2 of 5 — now turn your head slightly to your left"``)."""
        return f"{len(self._shots)} of {self.target} — {self.instruction()}"

    def reset(self) -> None:
        """Forget every sample taken."""
        self._shots.clear()

    def consider(self, report: QualityReport, turn: float, timestamp: float) -> Decision:
        """Take the frame as a sample when it is good, new and in a pose still wanted.

        Parameters
        ----------
        report : QualityReport
            Quality of the frame's face (its ``roll_deg`` is the roll used here).
        turn : float
            Signed yaw ratio of the face (:func:`faceapp.core.quality.face_turn`).
        timestamp : float
            When the frame was seen, in seconds (any clock that does not go back).

        Returns
        -------
        Decision
            ``taken`` True when the frame was added to :attr:`shots`.
        """
        if self.done:
            return Decision(False, "enough samples")
        if not report.ok:
            return Decision(False, "fix the checklist first")
        shot = Shot(float(turn), float(report.roll_deg), float(timestamp))
        if self._shots and timestamp - self._shots[-1].timestamp < self.min_interval_s:
            return Decision(False, "hold on a moment")
        missing = self.missing_poses()
        if missing and shot.pose not in missing:
            return Decision(False, _ASK[missing[0]])
        if any(shot.same_pose_as(s) for s in self._shots):
            return Decision(False, _ASK_ANY)
        self._shots.append(shot)
        return Decision(True, "taken")
