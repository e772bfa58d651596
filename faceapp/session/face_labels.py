"""A lone face's label as the video view draws it, and which face a click was about (Qt-free)."""

from __future__ import annotations

from faceapp.core.liveness import ChallengeState
from faceapp.core.matching import Mode
from faceapp.core.types import Box, FaceResult, FrameResult
from faceapp.session.verdict import MATCH, Judgement, ShownFace, shown_faces


def shown_alone(fr: FaceResult, mode: Mode, challenge: ChallengeState | None = None) -> ShownFace:
    """Return how a face is shown when alone in its frame, its own match taken as the claim."""
    claim = fr.match.name if fr.match is not None else None
    result = FrameResult(0, 0.0, (fr,))
    return shown_faces(result, mode, claim, Judgement(challenge))[0]


def face_label(
    fr: FaceResult, mode: Mode, challenge: ChallengeState | None = None
) -> tuple[str, bool]:
    """Return the text shown above a lone face and whether it counts as a match.

    Recognition: the name, "maybe X?" (near X, not near enough to be named; not a
    match) or "Unknown", and the distance to the nearest person.
    Verification: the face's verdict (see :func:`~faceapp.session.verdict.shown_faces`):
    a tick and the claimed name when accepted, a cross otherwise; while a liveness
    ``challenge`` runs and has not passed, a matching face is not a match yet (a
    question mark: the head turn decides).
    """
    shown = shown_alone(fr, mode, challenge)
    return shown.text, shown.kind == MATCH


def same_face(faces: tuple[FaceResult, ...], box: Box) -> FaceResult | None:
    """Return the face of ``faces`` whose box overlaps ``box`` most (IoU > 0.3), or None.

    The face right-clicked was drawn from the result on show; the frame enrolled from is
    the newest processed one, a few frames on: its face is the one where the box was.
    """
    best, best_iou = None, 0.3
    for fr in faces:
        b = fr.face.box
        w = min(b.x + b.w, box.x + box.w) - max(b.x, box.x)
        h = min(b.y + b.h, box.y + box.h) - max(b.y, box.y)
        inter = max(w, 0.0) * max(h, 0.0)
        union = b.w * b.h + box.w * box.h - inter
        iou = inter / union if union > 0 else 0.0
        if iou > best_iou:
            best, best_iou = fr, iou
    return best


def near_name(fr: FaceResult) -> str | None:
    """Return who a face is or may be (named or "maybe X?"), or None."""
    m = fr.match
    return m.name if m is not None and m.name is not None and (fr.known or fr.maybe) else None
