"""The calibration report in words: why it is empty, its summary, its figures, its markers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from faceapp.core.calibration import CalibrationReport, ClosePair, ThresholdFigures
from faceapp.core.matching import MODES
from faceapp.session.threshold_text import format_threshold
from faceapp.settings import Settings

RECOGNITION, VERIFICATION = MODES


@dataclass(frozen=True)
class Marker:
    """A threshold drawn as a vertical line.

    Parameters
    ----------
    label : str
        Which threshold (``"recognition"``, ``"verification"``).
    value : float
        The distance threshold.
    in_use : bool
        The threshold of the current mode: drawn solid and thicker.
    automatic : bool
        Recognition's automatic threshold (it follows the gallery), said so on the line.
    """

    label: str
    value: float
    in_use: bool = False
    automatic: bool = False

    def text(self) -> str:
        """Return the line's caption, e.g. ``"recognition 0.87 automatic (in use)"``.

        An automatic threshold is given to two decimals (it is not a slider step).
        """
        value = f"{self.value:.2f} automatic" if self.automatic else format_threshold(self.value)
        return f"{self.label} {value}" + (" (in use)" if self.in_use else "")


#: The tool tip of the figures table.
FIGURES_TIP = (
    "* Leave one out: each sample of a person with two or more samples is named "
    "against the gallery without it, as recognition would."
)

#: What the closest-pairs table's columns and colour mean.
CLOSEST_NOTE = (
    "Samples: the smallest distance between a sample of one and a sample of the "
    "other.  Means: between their mean faces, which recognition compares a face "
    "with.  Yellow: within the threshold in use, so these two can be mixed up."
)

#: What the charts' lines mean and what good separation looks like.
LINES_HINT = (
    "Lines: the distance thresholds (set in the Threshold panel of the main "
    "window; recognition's automatic line follows the gallery, drawn for a face "
    "with no close runner-up).  Good separation: the green same-person pairs left "
    "of the line, the red different-people pairs right of it."
)


#: People who need two samples or more before the report means anything.
MIN_PEOPLE = 2


def empty_state(report: CalibrationReport) -> str | None:
    """Return why ``report`` cannot tell anything yet, or None when it can.

    The distributions need same-person pairs of at least :data:`MIN_PEOPLE` people
    (a person with one sample has none) and different-person pairs.
    """
    with_two = report.people - len(report.single_sample)
    if with_two >= MIN_PEOPLE:
        return None
    need = (
        "Need at least two people with two samples each to see how well they are told "
        "apart: add photos or capture more samples in the Gallery panel."
    )
    if report.people == 0:
        return f"The gallery is empty.\n\n{need}"
    if report.people == 1:
        return f"The gallery has one person.\n\n{need}"
    return (
        f"The gallery has {report.people:,} people, {with_two:,} of them with two samples "
        f"or more.\n\n{need}"
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def markers_of(settings: Settings, automatic: float) -> tuple[Marker, ...]:
    """Return the recognition and verification thresholds of ``settings`` as markers.

    ``automatic`` is recognition's distance when its threshold is automatic (for a face
    with no close runner-up, :meth:`AppContext.automatic_distance`).
    """
    markers = []
    for mode in (RECOGNITION, VERIFICATION):
        value = settings.threshold_for(mode)
        markers.append(
            Marker(
                mode,
                automatic if value is None else value,
                settings.mode == mode,
                automatic=value is None,
            )
        )
    return tuple(markers)


def percent(count: int, total: int) -> str:
    """Return ``count / total`` in percent: one decimal, two significant digits under 1 %."""
    if not total:
        return "–"
    p = 100.0 * count / total
    if p == 0 or p >= 1:
        return f"{p:.1f} %"
    return f"{p:.2g} %"


def _rate(count: int, total: int) -> str:
    if not total:
        return "–"
    return f"{count:,} / {total:,} · {percent(count, total)}"


def _lfw_far(t: ThresholdFigures) -> str:
    if t.lfw is None:
        return "not measured"
    p = 100.0 * t.lfw.far
    return f"{p:.1f} %" if p == 0 or p >= 1 else f"{p:.2g} %"


def figure_rows(figures: tuple[ThresholdFigures, ...]) -> list[tuple[str, list[str]]]:
    """Return the rows of the figures table: ``(what, one text per threshold)``."""

    def loo(t: ThresholdFigures, n: int) -> str:
        return "–" if not t.loo_total else f"{n:,} of {t.loo_total:,}"

    def lfw_tar(t: ThresholdFigures) -> str:
        return "–" if t.lfw is None else f"{100 * t.lfw.tar:.1f} %"

    cells = {
        "Different people accepted": lambda t: _rate(t.impostor_accepted, t.impostor_pairs),
        "Same person accepted": lambda t: _rate(t.genuine_accepted, t.genuine_pairs),
        "Named rightly*": lambda t: loo(t, t.loo_right),
        "Named as someone else*": lambda t: loo(t, t.loo_wrong),
        "Left unknown*": lambda t: loo(t, t.loo_unknown),
        "LFW: different people": _lfw_far,
        "LFW: same person": lfw_tar,
    }
    return [(what, [cell(t) for t in figures]) for what, cell in cells.items()]


def summary_text(report: CalibrationReport) -> str:
    """Return the report's heading: people, samples and the pairs compared."""
    return (
        f"{_count(report.people, 'person', 'people')}, "
        f"{_count(report.samples, 'sample', 'samples')}: "
        f"{report.genuine_pairs:,} same-person and {report.impostor_pairs:,} "
        "different-people pairs of samples compared"
    )


def singles_text(report: CalibrationReport) -> str:
    """Return the people with one sample only, in a sentence; empty when there are none."""
    if not report.single_sample:
        return ""
    return "One sample only (no same-person pairs): " + ", ".join(report.single_sample)


def column_header(figures: ThresholdFigures, automatic: bool, in_use: bool) -> str:
    """Return a figures column's header: the threshold, then (a second line) its notes.

    Two lines, so that "automatic (in use)" does not push the other column out.
    """
    value = f"{figures.threshold:.2f}" if automatic else format_threshold(figures.threshold)
    notes = ["automatic"] if automatic else []
    notes += ["(in use)"] if in_use else []
    return f"{figures.label.capitalize()} {value}" + ("\n" + " ".join(notes) if notes else "")


def within_text(limit: float) -> str:
    """Return the tool tip of a distance within the threshold in use, ``limit``."""
    return f"within the threshold in use ({format_threshold(limit)})"


def closest_cells(pair: ClosePair) -> list[str]:
    """Return a row of the closest-pairs table: the two people, samples' and means' distance."""
    return [pair.person, pair.other, f"{pair.distance:.3f}", f"{pair.centroid_distance:.3f}"]


def closest_tips(pair: ClosePair, limit: float) -> tuple[str | None, str | None]:
    """Return the tool tips of a closest pair's samples' and means' distances.

    A distance at or under the threshold in use, ``limit``, is marked (the dialog
    colours it) with :func:`within_text`; one above it has no tip (None).
    """
    tip = within_text(limit)
    return (
        tip if pair.distance <= limit else None,
        tip if pair.centroid_distance <= limit else None,
    )


#: One curve of a chart: its x and y values.
Curve = tuple[np.ndarray, np.ndarray]


def histogram_share(hist: Sequence[int], total: int) -> np.ndarray:
    """Return the percentage of ``total`` pairs in each bin of ``hist`` (zeros when none)."""
    counts = np.asarray(hist, np.float64)
    return 100.0 * counts / total if total else np.zeros(len(counts))


def accept_curves(report: CalibrationReport, floor: float) -> dict[str, Curve]:
    """Return the accept-rate curves of the charts, by name.

    ``far`` and ``tar``: the gallery's different-people and same-person pairs accepted
    at each threshold (``far`` at least ``floor``, for its log scale; with no pairs,
    ``far`` is ``floor`` and ``tar`` 0); ``lfw_far`` and ``lfw_tar``: LFW's, when the
    report has them.
    """
    xs, far = report.accepted_fraction(genuine=False)
    curves = {"far": (xs, np.maximum(np.nan_to_num(far, nan=floor), floor))}
    xs, tar = report.accepted_fraction(genuine=True)
    curves["tar"] = (xs, np.nan_to_num(tar, nan=0.0))
    lfw = report.lfw_curve
    if lfw:
        lfw_x = np.array([p.threshold for p in lfw], np.float64)
        curves["lfw_far"] = (lfw_x, np.maximum([p.far for p in lfw], floor))
        curves["lfw_tar"] = (lfw_x, np.array([p.tar for p in lfw], np.float64))
    return curves
