"""Recognition's open-set figures in words: stranger rates, a gallery's outlook, more samples."""

from __future__ import annotations

import math

from faceapp.core import matching
from faceapp.core.matching import GalleryOutlook

#: The smallest gallery :func:`more_samples_text` quotes (under it every person is named).
SMALL_GALLERY = 100


def one_in_n(rate: float) -> int:
    """Return N of "1 in N" for a stranger rate, to one significant figure (0.03 gives 30).

    The offered rates (:data:`~faceapp.core.matching.STRANGER_RATES`) are half steps of a
    power of ten, read as the round number they stand for.
    """
    n = 1.0 / rate
    return max(1, round(round(n, -math.floor(math.log10(n)))))


def rate_text(rate: float) -> str:
    """Return a stranger rate as "1 in 100" (no line break inside)."""
    return f"1\u00a0in\u00a0{one_in_n(rate):,}"


def people_text(n: int) -> str:
    """Return ``"1 person"`` or ``"<n> people"`` (thousands separated)."""
    return f"{n:,} {'person' if n == 1 else 'people'}"


def _photos_each(samples_per_person: float) -> str:
    if samples_per_person < 1.05:
        return "one photo each"
    if samples_per_person > 2.95:
        return "three photos each"
    return f"{samples_per_person:.1f} photos each on average"


def gallery_sentence(outlook: GalleryOutlook | None, samples_per_person: float = 1.0) -> str:
    """Return what recognition's automatic rule does with a gallery, in one sentence.

    Parameters
    ----------
    outlook : GalleryOutlook or None
        :func:`~faceapp.core.matching.index_outlook` of the gallery, or None while the
        gallery is being read; ``people`` 0 is an empty gallery.
    samples_per_person : float
        Mean samples per enrolled person (LFW's figures are for one to three photos).

    Raises
    ------
    faceapp.core.errors.ModelError
        When the shipped open-set table is missing or damaged.
    """
    if outlook is None:
        return "Reading the gallery…"
    if outlook.people == 0:
        return "Nobody enrolled yet: every face is Unknown."
    text = (
        f"{people_text(outlook.people)} enrolled: about 1 stranger "
        f"in\u00a0{one_in_n(outlook.stranger_rate):,} would get someone's name; enrolled "
        f"people named about {outlook.named * 100:.0f}\u00a0% "
        f"({_photos_each(samples_per_person)}, LFW)."
    )
    if not outlook.measured:
        limit = matching.measured_people(samples_per_person)
        text += f" (estimated beyond {limit:,} people)"
    return text


def pinned_sentence(people: int | None) -> str:
    """Return what a fixed recognition distance means for a gallery of ``people``."""
    if people is None:
        told = ""
    else:
        told = f"{people_text(people)} enrolled. " if people else "Nobody enrolled yet. "
    return f"{told}With a fixed distance, the more people enrolled, the more strangers get a name."


def more_samples_text(n_people: int, stranger_rate: float) -> str:
    """Return why a person with one sample should get more, with LFW's figures.

    How many enrolled people the automatic rule names with three photos each and with
    one, at ``stranger_rate``, for a gallery the size of the user's, but at least
    :data:`SMALL_GALLERY` people (smaller ones name nearly everybody either way) and at
    most the largest gallery measured with three photos each.

    Raises
    ------
    faceapp.core.errors.ModelError
        When the shipped open-set table is missing or damaged.
    """
    size = min(max(n_people, SMALL_GALLERY), matching.measured_people(3.0))
    three = matching.gallery_outlook(size, stranger_rate, 3.0).named
    one = matching.gallery_outlook(size, stranger_rate, 1.0).named
    return (
        f"1 sample — more samples help: people with 3 are named more often "
        f"({three * 100:.0f}\u00a0% against {one * 100:.0f}\u00a0% with one, "
        f"{size:,} people on LFW)."
    )
