"""What the side panels say: the verdict, the faces in view, the gallery's counts (Qt-free)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from faceapp.core.liveness import ChallengeState
from faceapp.core.pipeline import largest_face
from faceapp.core.types import FaceResult, FrameResult
from faceapp.session.outlook_text import more_samples_text
from faceapp.session.verdict import Judgement, Verdict, distance_text, verification_verdict
from faceapp.settings import Settings
from faceapp.storage.gallery import Person
from faceapp.storage.people import samples_text


def main_face(result: FrameResult | None) -> FaceResult | None:
    """Return the largest face of ``result`` (the one a verdict is about), or None."""
    if result is None or not result.faces:
        return None
    face = largest_face([fr.face for fr in result.faces])
    return next(fr for fr in result.faces if fr.face is face)


def verdict(
    result: FrameResult | None,
    settings: Settings,
    challenge: ChallengeState | None = None,
    untracked: bool = False,
) -> Verdict:
    """Return the verification verdict for ``result`` (see :func:`verification_verdict`).

    Parameters
    ----------
    result : FrameResult or None
        The result describing the picture on screen.
    settings : Settings
        The claim.
    challenge : ChallengeState, optional
        The liveness challenge's state after ``result`` when one runs: the claim is
        then accepted only when the challenge passed.
    untracked : bool
        True when liveness is wanted but the source's faces are not tracked (a
        slideshow): nothing can be accepted then.
    """
    return verification_verdict(result, settings.claim, Judgement(challenge, untracked))


def in_view_text(result: FrameResult | None) -> str:
    """Return who is in view in recognition mode, nearest first, as one line."""
    if result is None or not result.faces:
        return "No face in view."
    parts = []
    for fr in sorted(result.faces, key=lambda f: -f.face.box.area):
        m = fr.match
        dist = ""
        if m is not None and math.isfinite(m.distance):
            dist = f" ({distance_text(m.distance, m.threshold)})"
        parts.append(f"{fr.label}{dist}")
    return "In view: " + ", ".join(parts)


@dataclass(frozen=True)
class ChallengeView:
    """How the mode panel shows the liveness challenge.

    Attributes
    ----------
    bar : bool
        Whether the progress bar shows (a challenge runs and has not failed).
    percent : int
        The bar's value, 0 to 100.
    retry : bool
        Whether *Try again* shows (the challenge failed).
    """

    bar: bool
    percent: int
    retry: bool


def challenge_view(challenge: ChallengeState | None, verifying: bool) -> ChallengeView:
    """Return how the liveness challenge shows: only in verification, while one runs."""
    c = challenge if verifying else None
    if c is None:
        return ChallengeView(bar=False, percent=0, retry=False)
    return ChallengeView(bar=not c.failed, percent=round(100 * c.progress), retry=c.failed)


def people_count_text(total: int, shown: int, searching: bool) -> str:
    """Return the line under the people list: how many people, and how many the search shows.

    Parameters
    ----------
    total : int
        The people enrolled.
    shown : int
        The people the list shows (after the search).
    searching : bool
        Whether a search narrows the list.
    """
    people = f"{total:,} {'person' if total == 1 else 'people'}"
    if searching:
        return f"{shown:,} of {people}"
    return "" if total == 0 else people


def empty_gallery_text(loaded: bool) -> str:
    """Return what the people list's place says when nobody is listed."""
    if not loaded:
        return "Reading the gallery…"
    return "Nobody enrolled yet.\nCapture a face in view, or add photos."


def add_photos_question(n_files: int) -> str:
    """Return the question *Add photos…* asks about ``n_files`` photos: whose face."""
    several = n_files > 1
    return (
        f"Whose face is in {'these' if several else 'this'} photo{'s' if several else ''}?"
        "\n(type a new name, or the name of someone enrolled)"
    )


def delete_person_question(name: str) -> str:
    """Return the question asked before deleting a person."""
    return f"Delete {name} and all their face samples from the gallery?\nThis cannot be undone."


#: Follows "1 sample" in the gallery list: the person would be named more often with more.
ONE_SAMPLE_MARK = " · add more"


def person_line(person: Person, with_counts: bool) -> str:
    """Return a person's row in a people list: the name, and with counts their samples."""
    if not with_counts:
        return person.name
    more = ONE_SAMPLE_MARK if person.n_samples == 1 else ""
    return f"{person.name}\n{samples_text(person.n_samples)}{more}"


def person_tip(person: Person, people: int, stranger_rate: float) -> str:
    """Return a person's tooltip: samples and enrolment day; with one sample, why more help.

    Parameters
    ----------
    person : Person
    people : int
        The people enrolled (how often a stranger is taken for someone depends on it).
    stranger_rate : float
        The rate of strangers the threshold is set for.
    """
    n = person.n_samples
    tip = f"{person.name}: {samples_text(n)}, enrolled {person.created_at[:10]}"
    if n == 1:
        tip += "\n" + more_samples_text(people, stranger_rate)
    return tip
