"""A lone face's label, which face a click was about, its right-click menu and "not X" (Qt-free)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from faceapp.core.liveness import ChallengeState
from faceapp.core.matching import Mode
from faceapp.core.pipeline import FacePipeline
from faceapp.core.types import Box, Face, FaceResult, FrameResult
from faceapp.session.live import ModelState
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


#: A rectangle in view pixels: ``(x, y, width, height)``.
Rect = tuple[float, float, float, float]


def fitted_rect(width: float, height: float, view_w: float, view_h: float) -> Rect:
    """Return where a ``width`` x ``height`` picture is drawn in a view: scaled to fit, centred.

    The aspect ratio is kept; the picture touches two sides of the view.
    """
    k = min(view_w / width, view_h / height)
    w, h = width * k, height * k
    return (view_w - w) / 2, (view_h - h) / 2, w, h


def box_in_view(box: Box, picture: Rect, scale: float) -> Rect:
    """Return where a face box of the frame is drawn, clipped to the ``picture``.

    The frame is drawn ``scale`` times its size at the picture's corner; a box wholly
    outside the picture comes back with no width or height.
    """
    px, py, pw, ph = picture
    x0, y0 = max(px + box.x * scale, px), max(py + box.y * scale, py)
    x1 = min(px + (box.x + box.w) * scale, px + pw)
    y1 = min(py + (box.y + box.h) * scale, py + ph)
    return x0, y0, max(x1 - x0, 0.0), max(y1 - y0, 0.0)


def face_alone(result: FrameResult, box: Box) -> FrameResult | None:
    """Return ``result`` with only the face at ``box`` (:func:`same_face`), or None when gone.

    The enrolment dialog opened on a face right-clicked offers that face alone.
    """
    face = same_face(result.faces, box)
    return None if face is None else FrameResult(result.index, result.timestamp, (face,))


#: What the window says when the face or photo right-clicked cannot be had any more.
FACE_GONE = "That face is no longer in view"
PHOTO_GONE = "That photo can no longer be read"


def correction_note(name: str, error: str | None = None) -> str:
    """Return what storing a "not X" correction of ``name`` says, or why it failed."""
    if error is not None:
        return f"Not corrected ({name}): {error}"
    return f"Noted: that face is not {name}"


#: Room around a face label's text, in pixels.
LABEL_PAD = 4.0


def label_rect(text_w: float, text_h: float, box: Rect, picture: Rect) -> Rect:
    """Return where a face's label is drawn: above its box, wholly inside the picture.

    The label is left-aligned with the box, below it when there is no room above, and
    moved as little as needed to stay inside the picture (no wider than it).

    Parameters
    ----------
    text_w, text_h : float
        The width of the label's text and the height of its font's line.
    box : Rect
        The face box as drawn (:func:`box_in_view`).
    picture : Rect
        Where the picture is drawn.
    """
    bx, by, _, bh = box
    px, py, pw, ph = picture
    w = min(text_w + 2 * LABEL_PAD, pw)
    h = text_h + LABEL_PAD
    x = max(min(bx - 1, px + pw - w), px)
    y = by - h - 2 if by - h - 2 >= py else by + bh + 2
    return x, min(y, py + ph - h), w, h


def face_under(x: float, y: float, boxes: Sequence[Rect]) -> int | None:
    """Return the index of the smallest of ``boxes`` holding the point ``(x, y)``, or None."""
    hits = [
        (w * h, i)
        for i, (bx, by, w, h) in enumerate(boxes)
        if w > 0 and h > 0 and bx <= x <= bx + w and by <= y <= by + h
    ]
    return min(hits)[1] if hits else None


def near_name(fr: FaceResult) -> str | None:
    """Return who a face is or may be (named or "maybe X?"), or None."""
    m = fr.match
    return m.name if m is not None and m.name is not None and (fr.known or fr.maybe) else None


#: What a face menu entry does: enrol a new person, add to someone, store "not X".
MenuAction = Literal["name", "add", "not"]


@dataclass(frozen=True)
class MenuEntry:
    """One entry of a face's right-click menu.

    Attributes
    ----------
    text : str
        The entry's text.
    action : {"name", "add", "not"}
        *Name this face…*, *Add to* a person, *This is not X*.
    value : str or int or None
        The name added to ("add"), X's gallery id ("not"), None ("name").
    submenu : str
        The submenu holding the entry ("" for the menu itself).
    separated : bool
        A separator goes before the entry.
    enabled : bool
    tip : str
        The entry's tool tip ("" for none).
    """

    text: str
    action: MenuAction
    value: str | int | None = None
    submenu: str = ""
    separated: bool = False
    enabled: bool = True
    tip: str = ""


def face_menu(
    fr: FaceResult, people: Sequence[str], can_correct: bool, recognition: bool = True
) -> tuple[MenuEntry, ...]:
    """Return the right-click menu of a face, in order.

    *Name this face…* (a new person), *Add to X…* for the person the face is or may be
    (in recognition mode), an *Add to* submenu of the others enrolled, and on a named
    face *This is not X* (disabled when the gallery cannot store corrections).

    Parameters
    ----------
    fr : FaceResult
    people : sequence of str
        The names enrolled, in the order shown.
    can_correct : bool
        The gallery stores corrections (``add_negative``).
    recognition : bool
        The window is in recognition mode (offers *Add to X…* for the face's match).
    """
    entries = [MenuEntry("Name this face…", "name")]
    near = near_name(fr)
    if near is not None and recognition:
        entries.append(MenuEntry(f"Add to {near}…", "add", near))
    entries += [MenuEntry(p, "add", p, submenu="Add to") for p in people if p != near]
    m = fr.match
    if fr.known and m is not None and m.person_id is not None:
        if can_correct:
            tip = f"Remember this face as not {m.name}"
        else:
            tip = "This gallery cannot store corrections"
        wrong = f"This is not {m.name}"
        entries.append(
            MenuEntry(wrong, "not", m.person_id, separated=True, enabled=can_correct, tip=tip)
        )
    return tuple(entries)


def model_notice(state: str) -> tuple[str, bool] | None:
    """Return the notice over the video while the face model is not ready, or None.

    The text, and whether it tells of a failure (the model could not be loaded).
    """
    if state == ModelState.LOADING:
        return "Loading the face model…", False
    if state == ModelState.FAILED:
        return "The face model could not be loaded: faces are not recognised", True
    return None


def correction_of(
    pipeline: FacePipeline, image: np.ndarray, face: Face
) -> tuple[np.ndarray, bytes]:
    """Return a face's embedding and JPEG crop, to store as a "not X" correction.

    Runs the embedder: call it off the GUI thread.
    """
    from faceapp.enrolment import thumbnail_of

    return pipeline.embed(image, [face])[0], thumbnail_of(image, face)


def correction_job(
    person_id: int, name: str, embedding: np.ndarray, crop: bytes, source: str
) -> Callable[[object], str]:
    """Return the gallery job storing a face as not ``name`` (``person_id``); it returns the name.

    The store must keep corrections (``add_negative``).
    """

    def job(store: object) -> str:
        store.add_negative(person_id, embedding, crop, source=source)  # type: ignore[attr-defined]
        return name

    return job
