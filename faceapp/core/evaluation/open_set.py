"""Open-set recognition on LFW: galleries of K people, their own faces and strangers' faces.

Recognition mode answers "who is this?" for every face a camera sees, and most of them
belong to nobody enrolled.  This module measures that on an LFW-format set of embeddings:
it enrols K people (one photo each, or three), probes with another photo of every
enrolled person and with one photo of every person never enrolled, and counts what
:func:`faceapp.core.matching.identify` (the app's own rule) makes of them.  It also
writes the table that recognition's automatic threshold is read from
(:func:`calibrate`).  Every draw is seeded: the same embeddings and seeds give the same
figures.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.evaluation.far_table import identity_of
from faceapp.core.matching import (
    DEFAULT_STRANGER_RATE,
    OPEN_SET_FORMAT,
    STRANGER_RATES,
    GalleryIndex,
    identify,
    l2_normalize,
    margin_score,
    nearest_two,
)

#: Gallery sizes of the benchmark (None: everyone with enough photos).
BENCHMARK_SIZES: tuple[int | None, ...] = (10, 30, 100, 300, 1000, None)
#: Gallery sizes the shipped table is calibrated at (capped at everyone with two photos).
CALIBRATION_SIZES = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 100_000)
#: Stranger rates of the named-right against strangers-named curve.
CURVE_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)


@dataclass(frozen=True)
class LabelledEmbeddings:
    """Embeddings of a labelled image set, grouped by person.

    Parameters
    ----------
    images : tuple of str
        Relative paths ``Name/Name_0001.jpg``; the folder names the person.
    embeddings : ndarray, shape (n_images, d)
        One embedding per image (L2-normalised here).
    """

    images: tuple[str, ...]
    embeddings: np.ndarray

    def __post_init__(self) -> None:
        if self.embeddings.ndim != 2 or self.embeddings.shape[0] != len(self.images):
            raise ValueError(f"{len(self.images)} images but embeddings {self.embeddings.shape}")
        object.__setattr__(self, "embeddings", l2_normalize(self.embeddings))

    def by_person(self) -> dict[str, list[int]]:
        """Return each person's image rows, in path order."""
        groups: dict[str, list[int]] = defaultdict(list)
        for row in np.argsort(np.array(self.images, dtype=object)):
            groups[identity_of(self.images[row])].append(int(row))
        return dict(sorted(groups.items()))


@dataclass(frozen=True)
class Trial:
    """One gallery and its probes.

    Attributes
    ----------
    gallery : GalleryIndex
        K people, ``photos`` samples each; person ids are ``0 .. K-1``.
    genuine : ndarray, shape (K, d)
        Another photo of each enrolled person, in gallery order.
    strangers : ndarray, shape (n_strangers, d)
        One photo of each person never enrolled.
    """

    gallery: GalleryIndex
    genuine: np.ndarray
    strangers: np.ndarray


def draw_trial(
    data: LabelledEmbeddings,
    people: int | None,
    photos: int = 1,
    seed: int = 0,
    groups: dict[str, list[int]] | None = None,
) -> Trial:
    """Draw a gallery of ``people`` (None: all) who have at least ``photos + 1`` photos.

    Each enrolled person gives ``photos`` random photos to the gallery and one other as
    their probe; every person not enrolled gives one random photo as a stranger.

    Raises
    ------
    ValueError
        When nobody has enough photos.
    """
    groups = groups if groups is not None else data.by_person()
    rng = np.random.default_rng(seed)
    eligible = [p for p, rows in groups.items() if len(rows) > photos]
    if not eligible:
        raise ValueError(f"nobody has {photos + 1} photos")
    k = len(eligible) if people is None else min(people, len(eligible))
    chosen = [eligible[i] for i in np.sort(rng.choice(len(eligible), k, replace=False))]
    samples, probes = [], []
    for pid, person in enumerate(chosen):
        rows = rng.permutation(groups[person])
        samples += [(pid, person, data.embeddings[r]) for r in rows[:photos]]
        probes.append(rows[photos])
    enrolled = set(chosen)
    strangers = [
        rows[int(rng.integers(len(rows)))] for p, rows in groups.items() if p not in enrolled
    ]
    return Trial(
        GalleryIndex.from_samples(samples),
        data.embeddings[np.array(probes)],
        data.embeddings[np.array(strangers, dtype=np.int64)],
    )


@dataclass(frozen=True)
class Outcome:
    """What recognition made of one trial's probes (counts).

    Attributes
    ----------
    people, photos : int
        Gallery size and samples per person.
    named_right, named_wrong, maybe_right, maybe_wrong, unknown : int
        Enrolled people's probes: named as themselves, named as someone else, shown as
        "maybe (themselves)?", "maybe (someone else)?", or left unknown.
    strangers, strangers_named, strangers_maybe : int
        Strangers' probes, those given a name (false positives), and those shown as a
        maybe.
    """

    people: int
    photos: int
    named_right: int
    named_wrong: int
    maybe_right: int
    maybe_wrong: int
    unknown: int
    strangers: int
    strangers_named: int
    strangers_maybe: int

    def rates(self) -> dict[str, float]:
        """Return the counts as fractions of the enrolled people's and the strangers' probes."""
        k, s = max(self.people, 1), max(self.strangers, 1)
        return {
            "named_right": self.named_right / k,
            "named_wrong": self.named_wrong / k,
            "maybe": (self.maybe_right + self.maybe_wrong) / k,
            "unknown": self.unknown / k,
            "fpir": self.strangers_named / s,
            "strangers_maybe": self.strangers_maybe / s,
        }


def outcome(
    trial: Trial,
    photos: int,
    threshold: float | None = None,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
) -> Outcome:
    """Count what :func:`~faceapp.core.matching.identify` answers for a trial's probes.

    ``threshold`` and ``stranger_rate`` are passed to ``identify`` as they are: None is
    the app's automatic rule.
    """
    genuine = identify(trial.genuine, trial.gallery, threshold, stranger_rate)
    strangers = identify(trial.strangers, trial.gallery, threshold, stranger_rate)
    counts = dict.fromkeys(("named_right", "named_wrong", "maybe_right", "maybe_wrong"), 0)
    unknown = 0
    for truth, m in enumerate(genuine):
        if m.name is None or not (m.accepted or m.maybe):
            unknown += 1
            continue
        kind = "named" if m.accepted else "maybe"
        counts[f"{kind}_{'right' if m.person_id == truth else 'wrong'}"] += 1
    return Outcome(
        people=len(trial.gallery),
        photos=photos,
        unknown=unknown,
        strangers=len(strangers),
        strangers_named=sum(m.accepted for m in strangers),
        strangers_maybe=sum(m.maybe for m in strangers),
        **counts,
    )


def _scores(trial: Trial) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Margin scores of the genuine and stranger probes, and whether each genuine is right."""
    best, d1, d2 = nearest_two(trial.genuine, trial.gallery)
    _, s1, s2 = nearest_two(trial.strangers, trial.gallery)
    right = best == np.arange(len(best))
    return margin_score(d1, d2), margin_score(s1, s2), right


def curve(trial: Trial, rates: Sequence[float] = CURVE_RATES) -> list[dict[str, float]]:
    """Return named-right against strangers named, along the automatic rule's threshold.

    For each rate, the threshold that names that fraction of this trial's strangers
    (an oracle threshold, not the shipped table) and the fraction of enrolled people
    named right there.  Empty when the trial has no strangers.
    """
    genuine, strangers, right = _scores(trial)
    if len(strangers) == 0:
        return []
    points = []
    for rate in rates:
        t = _threshold_at(strangers, rate)
        points.append(
            {
                "fpir": float(np.mean(strangers <= t)),
                "named_right": float(np.mean((genuine <= t) & right)),
                "threshold": round(t, 4),
            }
        )
    return points


def _threshold_at(scores: np.ndarray, rate: float) -> float:
    """Return the largest score threshold that names at most ``rate`` of ``scores``."""
    ordered = np.sort(scores)
    n = int(np.floor(rate * len(ordered) + 1e-9))
    if n <= 0:
        return float(ordered[0]) - 1e-6
    if n >= len(ordered):
        return float(ordered[-1])
    return float(ordered[n - 1] + ordered[n]) / 2.0


def benchmark(
    data: LabelledEmbeddings,
    sizes: Sequence[int | None] = BENCHMARK_SIZES,
    photos: Sequence[int] = (1, 3),
    seeds: Sequence[int] = (0, 1, 2),
    threshold: float | None = None,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
) -> list[dict[str, Any]]:
    """Run the open-set benchmark: one row per (photos, size), summed over ``seeds``.

    Parameters
    ----------
    data : LabelledEmbeddings
        An LFW-format set of embeddings.
    sizes : sequence of int or None
        Gallery sizes; None is everyone with enough photos.  A size larger than that
        is run once, at everyone.
    photos : sequence of int
        Samples per enrolled person (mean embedding).
    seeds : sequence of int
        One trial per seed; counts are summed over them.
    threshold, stranger_rate
        The rule, as :func:`outcome` takes it (None: the app's automatic rule).

    Returns
    -------
    list of dict
        ``people``, ``photos``, ``trials``, the summed counts, their rates, and the
        curve of the first seed's trial.
    """
    groups = data.by_person()
    rows = []
    for n_photos in photos:
        done: set[int] = set()
        for size in sizes:
            trials = [draw_trial(data, size, n_photos, seed, groups) for seed in seeds]
            k = len(trials[0].gallery)
            if k in done:
                continue
            done.add(k)
            outs = [outcome(t, n_photos, threshold, stranger_rate) for t in trials]
            sums = {f: sum(getattr(o, f) for o in outs) for f in _COUNTS}
            total = Outcome(people=k * len(outs), photos=n_photos, **sums)
            rows.append(
                {
                    "people": k,
                    "photos": n_photos,
                    "trials": len(outs),
                    "counts": sums,
                    **{key: round(v, 4) for key, v in total.rates().items()},
                    "curve": curve(trials[0]),
                }
            )
    return rows


_COUNTS = (
    "named_right",
    "named_wrong",
    "maybe_right",
    "maybe_wrong",
    "unknown",
    "strangers",
    "strangers_named",
    "strangers_maybe",
)


#: Fraction of the asked rate that the table is calibrated at, so that a gallery drawn
#: otherwise than the calibration galleries still stays within the rate asked for.
CALIBRATION_GUARD = 0.9


def calibrate(
    data: LabelledEmbeddings,
    sizes: Sequence[int] = CALIBRATION_SIZES,
    rates: Sequence[float] = STRANGER_RATES,
    photos: Sequence[int] = (1, 3),
    seeds: Sequence[int] = tuple(range(1000, 1200)),
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Measure the automatic rule's threshold per samples per person, gallery size and rate.

    For each number of photos, size and seed a gallery is drawn (:func:`draw_trial`);
    the strangers' margin scores of all seeds are pooled, and the threshold that names
    :data:`CALIBRATION_GUARD` times ``rate`` of them is taken, with the fraction of
    enrolled people named right there.  Sizes beyond everyone with enough photos are
    run once, at everyone.

    Returns
    -------
    dict
        The ``lfw_open_set.json`` document (:data:`~faceapp.core.matching.OPEN_SET_FORMAT`).
    """
    groups = data.by_person()
    tables = []
    for n_photos in photos:
        people: list[int] = []
        thresholds, named = [], []
        for size in sizes:
            trials = [draw_trial(data, size, n_photos, seed, groups) for seed in seeds]
            k = len(trials[0].gallery)
            if people and k <= people[-1]:
                continue
            scored = [_scores(t) for t in trials]
            genuine = np.concatenate([g for g, _, _ in scored])
            right = np.concatenate([r for _, _, r in scored])
            strangers = np.concatenate([st for _, st, _ in scored])
            ts = [_threshold_at(strangers, CALIBRATION_GUARD * rate) for rate in rates]
            people.append(k)
            thresholds.append([round(t, 4) for t in ts])
            named.append([round(float(np.mean((genuine <= t) & right)), 4) for t in ts])
        tables.append(
            {"photos": n_photos, "people": people, "thresholds": thresholds, "named": named}
        )
    return {
        "format": OPEN_SET_FORMAT,
        "source": source or {},
        "rule": "named when 2 * d1 - min(d2, 1.07) <= threshold (d1, d2: the nearest two "
        "people's distances)",
        "guard": CALIBRATION_GUARD,
        "seeds": [int(s) for s in seeds],
        "rates": [float(r) for r in rates],
        "tables": tables,
    }


def write_table(path: str | Path, doc: dict[str, Any]) -> None:
    """Write a :func:`calibrate` document as JSON, one gallery size per line."""
    head = {k: v for k, v in doc.items() if k != "tables"}
    parts = []
    for table in doc["tables"]:
        rows = {
            key: ",\n".join("    " + json.dumps(r) for r in table[key])
            for key in ("thresholds", "named")
        }
        parts.append(
            f'  {{"photos": {table["photos"]}, "people": {json.dumps(table["people"])},\n'
            f'   "thresholds": [\n{rows["thresholds"]}\n   ],\n'
            f'   "named": [\n{rows["named"]}\n   ]}}'
        )
    text = json.dumps(head, indent=1)[:-2] + ',\n "tables": [\n' + ",\n".join(parts)
    Path(path).write_text(text + "\n ]\n}\n", encoding="utf-8")
