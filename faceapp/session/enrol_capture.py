"""The capture dialog's state: the frame offered, its quality check, the guided samples."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import numpy as np

from faceapp.core.guided_capture import Decision, GuidedCapture
from faceapp.core.pipeline import largest_face
from faceapp.core.quality import QualityReport, face_turn
from faceapp.core.sources import Frame
from faceapp.core.types import Box, Face, FrameResult
from faceapp.session.enrol_text import sentence

Snapshot = tuple[Frame, FrameResult]

#: How a face box is drawn: the chosen or offered face (passed its check: "ok", or not
#: yet: "offered"), another face dimmed ("other") or merely listed ("plain").
BoxRole = Literal["ok", "offered", "other", "plain"]

#: A guided sample: the BGR frame, the face and its quality report.
TakenShot = tuple[np.ndarray, Face, QualityReport]


class CaptureOffer:
    """The frame whose largest face the capture dialog offers, and the check awaited.

    :meth:`take` offers the newest processed frame; the front end starts the quality
    check of :attr:`face` off its thread and calls :meth:`checking_as` with the check's
    ticket, then :meth:`checked` with each report that arrives (older ones are stale).
    """

    def __init__(self) -> None:
        self.frame: Frame | None = None
        self.face: Face | None = None
        self.faces: list[Face] = []
        self.report: QualityReport | None = None
        self.ticket = 0

    @property
    def checking(self) -> bool:
        """True while the report of the offered face is awaited."""
        return self.ticket != 0

    @property
    def face_ok(self) -> bool:
        """True when the offered face passed its quality check."""
        return self.report is not None and self.report.ok

    @property
    def n_faces(self) -> int | None:
        """How many faces the frame offered holds; None when there is no frame."""
        return None if self.frame is None else len(self.faces)

    def take(self, snapshot: Snapshot | None) -> Face | None:
        """Offer ``snapshot`` (a frame and its result, or None); return the face to check."""
        self.frame, self.face, self.report, self.faces, self.ticket = None, None, None, [], 0
        if snapshot is not None:
            self.frame = snapshot[0]
            self.faces = [fr.face for fr in snapshot[1].faces]
            self.face = largest_face(self.faces)
        return self.face

    def checking_as(self, ticket: int) -> None:
        """Await the report of the check that has ``ticket`` (not 0)."""
        self.ticket = ticket

    def checked(self, ticket: int, report: QualityReport | None) -> bool:
        """Take in the report of check ``ticket``; False when it is stale (a newer frame)."""
        if ticket != self.ticket or self.frame is None:
            return False
        self.ticket, self.report = 0, report
        return True

    def is_newer(self, snapshot: Snapshot | None) -> bool:
        """Return True when ``snapshot`` holds another frame than the one offered."""
        return snapshot is not None and snapshot[0] is not self.frame

    def boxes(self) -> list[tuple[Box, BoxRole]]:
        """Return each face box of the frame with how to draw it."""
        offered: BoxRole = "ok" if self.face_ok else "offered"
        return [(f.box, offered if f is self.face else "other") for f in self.faces]

    def request(self, name: str | None) -> tuple[str, np.ndarray, Face, QualityReport] | None:
        """Return what a single capture enrols: name, frame, face and report; None if not ready."""
        if name is None or self.frame is None or self.face is None or not self.face_ok:
            return None
        assert self.report is not None  # face_ok
        return name, self.frame.image, self.face, self.report


class GuidedShots:
    """The samples a guided capture took, by the rules of a :class:`GuidedCapture`.

    Parameters
    ----------
    clock : callable, optional
        Seconds on a clock that does not go back, for spacing samples in time.
    capture : GuidedCapture, optional
        The decision rules; a default one (3 to 5 samples) when None.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, capture: GuidedCapture | None = None
    ) -> None:
        self._clock = clock
        self.capture = capture if capture is not None else GuidedCapture()
        self._shots: list[TakenShot] = []

    @property
    def shots(self) -> list[TakenShot]:
        """The samples taken, as ``(BGR frame, face, its quality report)`` in order (a copy)."""
        return list(self._shots)

    def offer(self, image: np.ndarray, face: Face, report: QualityReport) -> Decision:
        """Take ``face`` of ``image`` as a sample when the rules allow; return the decision."""
        turn, _ = face_turn(face)
        decision = self.capture.consider(report, turn, self._clock())
        if decision.taken:
            self._shots.append((image, face, report))
        return decision

    def hint(self, decision: Decision) -> str:
        """Return what the panel says after ``decision``: taken, all taken, or why not."""
        if self.capture.done:
            return "All samples taken."
        return "Taken." if decision.taken else sentence(decision.reason)

    def reset(self) -> None:
        """Forget the samples taken and start again."""
        self.capture.reset()
        self._shots.clear()
