"""What the capture dialog and its guided panel say; where a sample thumbnail is cut (Qt-free)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from faceapp.core.guided_capture import GuidedCapture, Shot
from faceapp.core.types import Box
from faceapp.storage.gallery import Person, clean_name

#: How each pose bucket is named in a sample's caption (None: between buckets).
POSE_WORDS = {"front": "front", "left": "left", "right": "right", None: "in between"}

#: Margin around the face box of a sample's thumbnail, as a share of the box's longer side.
THUMB_MARGIN = 0.2


def sentence(text: str) -> str:
    """Return ``text`` as a sentence: capitalised, one full stop ("" stays "")."""
    text = text.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def gallery_empty(loaded: bool, people: Iterable[Person]) -> bool:
    """Return True once the people list is ``loaded`` and nobody in it has a face sample."""
    return loaded and not any(p.n_samples for p in people)


def faces_text(faces: int | None, guided: bool) -> str:
    """Return what the capture dialog says of the faces in the frame taken.

    Parameters
    ----------
    faces : int or None
        How many faces the frame holds; None when there is no processed frame yet.
    guided : bool
        A guided capture (it retakes by itself; a single capture asks for *Retake*).
    """
    if faces is None:
        return "No processed frame yet: wait for the model and a picture."
    if faces == 0:
        again = "" if guided else " and press Retake"
        return f"No face in view. Face the camera{again}."
    if faces == 1:
        return "One face in view."
    return (
        f"{faces} faces in view: the largest (green) is offered, the others"
        " are ignored. Enrol with one person in view for best results."
    )


def name_hint(text: str, person_named: Callable[[str], Person | None], guided: bool) -> str:
    """Return what enrolling under the name typed would do, or why it cannot.

    Parameters
    ----------
    text : str
        The name as typed.
    person_named : callable
        The enrolled person of a (clean) name, or None.
    guided : bool
        A guided capture saves several samples.
    """
    if not text.strip():
        return "Type a new name, or choose someone enrolled to add a sample."
    try:
        name = clean_name(text)
    except ValueError as exc:
        return f"Not a usable name: {exc}."
    existing = person_named(name)
    if existing is None:
        return f"Enrols {name} as a new person."
    first = f"#{existing.n_samples + 1}"
    if guided:
        return f"Adds the samples, from {first} on, to {existing.name}."
    return f"Adds sample {first} to {existing.name}."


def add_anyway_text(checked: int) -> str:
    """Return the wrong-person warning's add button for ``checked`` ticked samples."""
    return f"Add {checked} anyway" if checked else "Add anyway"


def added_rows(accepted: bool, ticked: Sequence[bool]) -> list[int]:
    """Return the rows of a wrong-person warning to add anyway.

    Parameters
    ----------
    accepted : bool
        The user pressed *Add anyway* (otherwise nothing is added).
    ticked : sequence of bool
        The check box of each row; empty when the one flagged sample has none.
    """
    if not accepted:
        return []
    return [i for i, on in enumerate(ticked) if on] if ticked else [0]


def save_text(samples: int) -> str:
    """Return the text of a guided capture's save button ("Save 3 samples")."""
    return f"Save {samples} sample{'s' if samples != 1 else ''}"


#: What the capture dialog says while the face's quality is checked, and when it cannot be.
CHECKING_TEXT = "Checking the face…"
UNCHECKED_TEXT = "The face could not be checked; press Retake."


def resolved_name(text: str, person_named: Callable[[str], Person | None]) -> str | None:
    """Return the name to enrol under: an enrolled person's spelling when it matches.

    Parameters
    ----------
    text : str
        The name as typed.
    person_named : callable
        The enrolled person of a (clean) name, or None.

    Returns
    -------
    str or None
        None when the text is not a usable name.
    """
    try:
        clean = clean_name(text)
    except ValueError:
        return None
    existing = person_named(clean)
    return existing.name if existing is not None else clean


def enrol_button(guided: bool, samples: int, face_ok: bool, named: bool) -> tuple[str, bool]:
    """Return the capture dialog's enrol button: its text and whether it can be pressed.

    Parameters
    ----------
    guided : bool
        Guided capture: the button saves the samples taken so far.
    samples : int
        The samples a guided capture took.
    face_ok : bool
        Single capture: the face offered passed its quality check.
    named : bool
        The name typed is usable.
    """
    if guided:
        return save_text(samples), samples > 0 and named
    return "Enrol", face_ok and named


def shot_caption(k: int, shot: Shot) -> str:
    """Return the caption under sample ``k`` (from 0) of a guided capture: number and pose."""
    return f"{k + 1} {POSE_WORDS[shot.pose]}"


def shot_tip(k: int, shot: Shot) -> str:
    """Return the tool tip of sample ``k`` (from 0) of a guided capture: pose, turn and tilt."""
    return (
        f"Sample {k + 1}: {POSE_WORDS[shot.pose]}, turn {shot.turn:+.2f},"
        f" tilt {shot.roll_deg:+.0f}°"
    )


def progress_text(capture: GuidedCapture) -> str:
    """Return a guided capture's progress line, saying when enough samples are taken."""
    text = capture.progress()
    if capture.enough and not capture.done:
        text += f" ({len(capture.shots)} are enough to save)"
    return text


def thumbnail_box(box: Box, width: int, height: int) -> tuple[int, int, int, int] | None:
    """Return where a sample's thumbnail is cut: ``(x0, y0, x1, y1)`` in the frame, or None.

    The face box plus :data:`THUMB_MARGIN`, within the ``width`` x ``height`` frame;
    None when less than 2 pixels of it are in the frame.
    """
    m = THUMB_MARGIN * max(box.w, box.h)
    x0, y0 = max(0, int(box.x - m)), max(0, int(box.y - m))
    x1, y1 = min(width, int(box.x2 + m)), min(height, int(box.y2 + m))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1, y1
