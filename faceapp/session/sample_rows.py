"""A person's stored samples as the samples dialog lists them: one row of texts a sample."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from faceapp.session.capture_check import CAPTURE_SOURCE
from faceapp.session.sample_quality import FAILED_MARK, QualityText, quality_text
from faceapp.storage.gallery import Person, Sample
from faceapp.storage.people import samples_text


def added_text(created_at: str) -> str:
    """Return an ISO 8601 UTC time as local ``YYYY-MM-DD HH:MM``.

    A text that is not such a time, or one that cannot be shown in local time (an
    imported year 1 with a +23:59 offset overflows), is returned as it is stored.
    """
    try:
        when = datetime.fromisoformat(created_at)
        if when.tzinfo is not None:
            when = when.astimezone()
        return when.strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError, OverflowError, OSError):
        return created_at or "unknown"


def source_text(source: str | None) -> str:
    """Return how a sample's source is listed: "Camera capture", a file name or "unknown"."""
    if not source:
        return "unknown"
    if source == CAPTURE_SOURCE:
        return "Camera capture"
    return PurePath(source).name or source


@dataclass(frozen=True)
class SampleRow:
    """One listed sample: its cells' texts and sort keys, and the tool tip of the row.

    ``where`` is the source as stored (the source column's sort key); ``distance`` the
    distance to the person's mean embedding.
    """

    sample_id: int
    added: str
    added_key: tuple[str, int]
    source: str
    where: str
    quality: QualityText
    distance: float
    tip: str


def sample_row(sample: Sample, distance: float) -> SampleRow:
    """Return the row of ``sample``, ``distance`` from its person's mean."""
    where = sample.source or "unknown"
    quality = quality_text(sample.quality)
    tip = (
        f"Sample {sample.id} from {where}, added {sample.created_at}\n"
        f"Distance to the mean: {distance:.4f}.\n{quality.tip}"
    )
    return SampleRow(
        sample.id,
        added_text(sample.created_at),
        (sample.created_at, sample.id),
        source_text(sample.source),
        where,
        quality,
        distance,
        tip,
    )


def distance_text(distance: float, far: bool) -> str:
    """Return a distance to the mean as listed; ``far`` (beyond the threshold) is marked."""
    return f"⚠ {distance:.2f}" if far else f"{distance:.2f}"


def samples_hint(name: str, limit: float, outliers: int, poor: int) -> str:
    """Return the hint above the table: what the distances mean, what to do about them.

    ``outliers`` samples are farther than ``limit`` from ``name``'s mean; ``poor`` have
    a quality figure that fails today's check.
    """
    text = (
        f"Distance of each sample to {name}'s mean: lower is more alike. A red row is"
        f" farther than the threshold ({limit:.2f}) and would not be recognised as"
        f" {name}: probably someone else's face, or a poor picture."
    )
    if outliers:
        s = "s" if outliers != 1 else ""
        text += f"\n{outliers} such sample{s} here: consider deleting."
    if poor:
        text += (
            f"\n{FAILED_MARK} marks a quality figure that fails today's enrolment check"
            " (hover for the limits)."
        )
    return text


def samples_title(person: Person) -> tuple[str, str]:
    """Return the Samples dialog's window title and heading for ``person``."""
    return f"Samples of {person.name}", f"{person.name} — {samples_text(person.n_samples)}"


def delete_text(selected: int) -> str:
    """Return the text of the delete button with ``selected`` samples selected."""
    return "Delete sample…" if selected <= 1 else f"Delete {selected} samples…"


def delete_question(name: str, samples: int) -> str:
    """Return the question asked before deleting ``samples`` samples of ``name``."""
    what = "this sample" if samples == 1 else f"these {samples} samples"
    return f"Delete {what} of {name}?\nThis cannot be undone."
