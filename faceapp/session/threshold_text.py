"""What a distance threshold means, in words: against the default, on LFW, the defaults."""

from __future__ import annotations

from dataclasses import dataclass

from faceapp.core import matching
from faceapp.core.matching import (
    DEFAULT_STRANGER_RATE,
    DEFAULT_VERIFICATION_FAR,
    MODES,
    GalleryIndex,
    GalleryOutlook,
    default_threshold,
    index_outlook,
)
from faceapp.session.outlook_text import gallery_sentence, one_in_n, pinned_sentence
from faceapp.settings import Settings

RECOGNITION, VERIFICATION = MODES

#: Slider steps per unit of distance (the slider moves in steps of 0.01).
STEPS = 100


def describe_threshold(
    threshold: float, mode: str = RECOGNITION, reference: float | None = None
) -> str:
    """Return a short sentence saying what ``threshold`` means compared with a reference.

    The reference is ``mode``'s default (:func:`~faceapp.core.matching.default_threshold`)
    unless given; recognition's pinned distance is compared with the automatic one.
    """
    automatic = reference is not None and mode != VERIFICATION
    delta = threshold - (default_threshold(mode) if reference is None else reference)
    if abs(delta) < 0.00005:
        if automatic:
            return "The automatic distance of today's gallery, kept as the gallery grows."
        if mode == VERIFICATION:
            return "Default for verification: few false accepts, some true faces refused."
        return "Default: the best balance measured on LFW."
    verifying = mode == VERIFICATION
    than = " than automatic" if automatic else ""
    if delta < 0:
        much = "Much stricter" if delta <= -0.25 else "Stricter"
        cost = "more true claims refused" if verifying else "more faces left unknown"
        return f"{much}{than}: fewer false accepts, {cost}."
    much = "Much looser" if delta >= 0.25 else "Looser"
    gain = "more claims accepted" if verifying else "more faces named"
    false = "more false accepts" if verifying else "more strangers given a name"
    return f"{much}{than}: {gain}, {false}."


def format_threshold(threshold: float) -> str:
    """Return ``threshold`` with two decimals, or four when it lies between slider steps."""
    if abs(threshold * STEPS - round(threshold * STEPS)) < 1e-6:
        return f"{threshold:.2f}"
    return f"{threshold:.4f}"


def _one_in(far: float) -> str:
    n = 1.0 / far
    if n >= 100:  # two significant figures: "1 in 12,000", not a false "1 in 12,345"
        n = round(n, 1 - len(str(int(n))))
    return f"1\u00a0in\u00a0{max(1, round(n)):,}"  # no break inside "1 in 210"


def _pairs(n: int) -> str:
    return f"{n / 1e6:.1f}\u00a0M" if n >= 1_000_000 else f"{n:,}"


def false_accept_text(threshold: float) -> str:
    """Return what ``threshold`` does on LFW in words: false accepts with their counts.

    Raises
    ------
    faceapp.core.errors.ModelError
        When the LFW table shipped with the engine is missing or damaged.
    """
    point = matching.lfw_operating_point(threshold)
    if point is None:
        return "False accepts on LFW: not measured at this threshold."
    if point.impostor_accepted == 0:
        rate = f"none of {_pairs(point.impostor_pairs)} different-person pairs"
    else:
        counted = (
            f"{point.impostor_accepted:,} of {_pairs(point.impostor_pairs)} different-person pairs"
            if point.measured
            else "interpolated between measured thresholds"
        )
        rate = f"about {_one_in(point.far)} ({counted})"
    return f"False accepts on LFW: {rate}; same person accepted {point.tar * 100:.1f}\u00a0%."


def default_text(mode: str) -> str:
    """Return the default threshold of ``mode`` and why it is the default."""
    if mode == VERIFICATION:
        t = default_threshold(mode)
        return (
            f"Verification default: {format_threshold(t)}, about "
            f"{_one_in(DEFAULT_VERIFICATION_FAR)} false accepts on LFW."
        )
    n = one_in_n(DEFAULT_STRANGER_RATE)
    return f"Recognition default: automatic, about 1 stranger in\u00a0{n:,} named."


def gallery_outlook(
    index: GalleryIndex | None, stranger_rate: float
) -> tuple[GalleryOutlook | None, float]:
    """Return a gallery's outlook at ``stranger_rate`` and its samples per person.

    None and 1.0 before the gallery is read; an empty gallery counts no people.
    """
    if index is None:
        return None, 1.0
    per_person = index.n_samples / len(index) if len(index) else 1.0
    outlook = index_outlook(index, stranger_rate)
    if not len(index):
        outlook = outlook._replace(people=0)
    return outlook, per_person


def slider_in_force(mode: str, pinned: float | None) -> bool:
    """Return True when the slider's distance is in force (so the slider is enabled).

    Always in verification; in recognition only when the distance is fixed (``pinned``
    not None), the automatic rule setting it otherwise.
    """
    return mode == VERIFICATION or pinned is not None


@dataclass(frozen=True)
class ThresholdView:
    """What the threshold panel says of the distance in force.

    Attributes
    ----------
    value : str
        The distance, with "automatic" when recognition's rule sets it.
    meaning : str
        What the distance does.
    outlook : str or None
        What recognition's rule does with the gallery (None in verification).
    far : str or None
        The false accepts on LFW at the distance (None when the rule sets it).
    reset_tip : str
        What *Reset* goes back to.
    reset_enabled : bool
        The settings differ from the defaults.
    """

    value: str
    meaning: str
    outlook: str | None
    far: str | None
    reset_tip: str
    reset_enabled: bool


def threshold_view(
    mode: str,
    threshold: float,
    pinned: float | None,
    stranger_rate: float,
    automatic: float,
    index: GalleryIndex | None,
) -> ThresholdView:
    """Return what the threshold panel says.

    Parameters
    ----------
    mode : str
        "recognition" or "verification".
    threshold : float
        The distance in force.
    pinned : float or None
        The distance the user fixed for ``mode``, or None (the default, or the rule).
    stranger_rate : float
        Recognition's chosen rate of strangers given a name.
    automatic : float
        The distance the automatic rule would set (compared with a pinned one).
    index : GalleryIndex or None
        The gallery (None before it is read).
    """
    if mode == VERIFICATION:
        return ThresholdView(
            format_threshold(threshold),
            describe_threshold(threshold, mode),
            None,
            false_accept_text(threshold),
            "Use the verification default again",
            abs(threshold - default_threshold(mode)) >= 0.00005,
        )
    outlook, per_person = gallery_outlook(index, stranger_rate)
    n = one_in_n(DEFAULT_STRANGER_RATE)
    tip = f"Use the automatic threshold at 1 stranger in {n:,} again"
    changed = pinned is not None or stranger_rate != DEFAULT_STRANGER_RATE
    if pinned is None:
        meaning = (
            f"A face is named within {threshold:.2f} of its nearest person, nearer "
            "when two people look alike."
        )
        said = gallery_sentence(outlook, per_person)
        return ThresholdView(f"{threshold:.2f} automatic", meaning, said, None, tip, changed)
    meaning = (
        f"Fixed at {format_threshold(threshold)} — does not follow the gallery. "
        + describe_threshold(threshold, mode, automatic)
    )
    said = pinned_sentence(None if outlook is None else outlook.people)
    far = false_accept_text(threshold)
    return ThresholdView(format_threshold(threshold), meaning, said, far, tip, changed)


def slider_change(mode: str, steps: int) -> dict[str, float]:
    """Return the settings the threshold slider sets at ``steps``: the mode's pinned distance."""
    return {Settings.threshold_field(mode): steps / STEPS}


def fixed_change(fixed: bool, in_force: float) -> dict[str, float | None]:
    """Return the settings *Fixed distance* sets: pinned where the automatic rule stands now.

    Rounded to the slider's steps, so nothing jumps until the slider is moved; None
    (unchecked) goes back to the automatic rule.
    """
    return {"threshold": round(in_force * STEPS) / STEPS if fixed else None}


def reset_change(mode: str) -> dict[str, float | None]:
    """Return the settings *Reset* sets: the mode's default (recognition: the default rate)."""
    if mode == VERIFICATION:
        return {"verification_threshold": None}
    return {"threshold": None, "stranger_rate": DEFAULT_STRANGER_RATE}
