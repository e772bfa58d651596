"""Distances between embeddings and the single threshold rule for 1:1 and 1:K decisions.

The rule: two faces are the same person when the Euclidean distance between their
L2-normalised FaceNet embeddings is **at most** the threshold.  Lower thresholds are
stricter (fewer false accepts, more false rejects).

A person with several samples is represented by the L2-normalised mean of their sample
embeddings; the distance from a probe to a person is the distance to that mean (see
``docs/accuracy.md`` for the LFW measurement that chose it over the nearest sample).

Each mode has its default threshold (:func:`default_threshold`): identification the
accuracy-balanced :data:`DEFAULT_THRESHOLD`, verification the stricter threshold at
which 1 in 10,000 different-person pairs of LFW is accepted, read from the shipped table.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np

from faceapp.core.errors import ModelError
from faceapp.core.types import Match

#: Default distance threshold.  Derived with ``faceapp eval-lfw`` on the official LFW
#: pairs: the mean over the ten folds of the threshold that maximises accuracy on the
#: other nine folds (see ``docs/accuracy.md``).
DEFAULT_THRESHOLD = 1.07

#: The two ways of matching: 1:K identification ("who is this?") and 1:1 verification
#: ("is this the claimed person?").
Mode = Literal["recognition", "verification"]
MODES: tuple[Mode, ...] = ("recognition", "verification")

#: Range a user may set; distances between unit vectors lie in ``[0, 2]``.
MIN_THRESHOLD = 0.3
MAX_THRESHOLD = 1.6


def l2_normalize(vectors: np.ndarray, axis: int = -1) -> np.ndarray:
    """Return ``vectors`` scaled to unit Euclidean length along ``axis`` (float32)."""
    v = np.asarray(vectors, dtype=np.float32)
    norm = np.linalg.norm(v, axis=axis, keepdims=True)
    return v / np.maximum(norm, 1e-12)


def face_distance(probes: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Return Euclidean distances between embeddings.

    Parameters
    ----------
    probes : ndarray, shape (d,) or (n, d)
        L2-normalised embeddings.
    references : ndarray, shape (m, d)
        L2-normalised embeddings.

    Returns
    -------
    ndarray, shape (m,) or (n, m)
        Distances in ``[0, 2]``; the shape follows ``probes``.
    """
    p = np.asarray(probes, dtype=np.float32)
    r = np.asarray(references, dtype=np.float32)
    single = p.ndim == 1
    p2 = np.atleast_2d(p)
    if r.size == 0:
        out = np.empty((p2.shape[0], 0), dtype=np.float32)
        return out[0] if single else out
    out = _distance_from_dot(p2 @ r.T)  # one matrix product serves any gallery size
    return out[0] if single else out


def _distance_from_dot(dots: np.ndarray) -> np.ndarray:
    """Euclidean distance between unit vectors from their dot product: |a - b|^2 = 2 - 2 a.b."""
    return np.sqrt(np.clip(2.0 - 2.0 * dots, 0.0, 4.0)).astype(np.float32, copy=False)


def is_match(distance: float, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """Return True when ``distance`` accepts at ``threshold`` (the one threshold rule)."""
    return bool(distance <= threshold)


@dataclass(frozen=True)
class GalleryIndex:
    """A read-only snapshot of the enrolled gallery, ready for matching.

    Parameters
    ----------
    person_ids : tuple of int
        Gallery id of each person.
    names : tuple of str
        Display name of each person, parallel to ``person_ids``.
    embeddings : ndarray, shape (n_samples, d), float32
        Every enrolled sample, L2-normalised; made read-only.
    owners : ndarray, shape (n_samples,), int
        Index into ``names`` of the person each sample belongs to.

    Attributes
    ----------
    centroids : ndarray, shape (n_people, d), float32
        Each person's L2-normalised mean embedding; computed at construction, read-only.

    Raises
    ------
    ValueError
        When the arrays disagree in length or a person has no sample.

    Notes
    -----
    Instances are immutable and may be handed from the GUI thread to a worker thread.
    """

    person_ids: tuple[int, ...]
    names: tuple[str, ...]
    embeddings: np.ndarray
    owners: np.ndarray
    centroids: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.person_ids) != len(self.names):
            raise ValueError("person_ids and names differ in length")
        if self.embeddings.shape[0] != self.owners.shape[0]:
            raise ValueError("embeddings and owners differ in length")
        self.embeddings.setflags(write=False)
        self.owners.setflags(write=False)
        counts = np.bincount(self.owners, minlength=len(self.names))
        if len(counts) != len(self.names) or (counts == 0).any():
            raise ValueError("every person in a GalleryIndex needs at least one sample")
        if len(self.owners) == len(self.names) and np.array_equal(
            self.owners, np.arange(len(self.names))
        ):
            sums = self.embeddings  # one sample each: the samples are the means
        else:
            sums = np.zeros((len(self.names), self.embeddings.shape[1]), np.float32)
            np.add.at(sums, self.owners, self.embeddings)
        centroids = l2_normalize(sums)
        centroids.setflags(write=False)
        object.__setattr__(self, "centroids", centroids)

    @classmethod
    def empty(cls, dim: int = 128) -> GalleryIndex:
        """Return an index with nobody enrolled."""
        return cls((), (), np.zeros((0, dim), np.float32), np.zeros((0,), np.int64))

    @classmethod
    def from_samples(
        cls, samples: list[tuple[int, str, np.ndarray]], dim: int = 128
    ) -> GalleryIndex:
        """Build an index from ``(person_id, name, embedding)`` triples."""
        if not samples:
            return cls.empty(dim)
        order: dict[int, int] = {}
        names: list[str] = []
        owners = np.empty(len(samples), dtype=np.int64)
        for i, (pid, name, _) in enumerate(samples):
            if pid not in order:
                order[pid] = len(names)
                names.append(name)
            owners[i] = order[pid]
        emb = l2_normalize(np.stack([s[2] for s in samples]))
        return cls(tuple(order), tuple(names), emb, owners)

    def __len__(self) -> int:
        """Return the number of people."""
        return len(self.names)

    @property
    def n_samples(self) -> int:
        """Number of enrolled samples over all people."""
        return int(self.embeddings.shape[0])

    def person_index(self, name_or_id: str | int) -> int:
        """Return the position of a person given a display name or a gallery id.

        Raises
        ------
        KeyError
            When nobody by that name or id is enrolled.
        """
        if isinstance(name_or_id, int):
            if name_or_id in self.person_ids:
                return self.person_ids.index(name_or_id)
        elif name_or_id in self.names:
            return self.names.index(name_or_id)
        raise KeyError(f"nobody called {name_or_id!r} is enrolled")


def person_distances(probes: np.ndarray, index: GalleryIndex) -> np.ndarray:
    """Return the distance from each probe to each person's mean embedding.

    Parameters
    ----------
    probes : ndarray, shape (n, d)
        L2-normalised embeddings.
    index : GalleryIndex
        The gallery.

    Returns
    -------
    ndarray, shape (n, len(index))
    """
    return face_distance(np.atleast_2d(probes), index.centroids)


def identify(
    probes: np.ndarray, index: GalleryIndex, threshold: float = DEFAULT_THRESHOLD
) -> list[Match]:
    """Answer "who is this?" (1:K) for each probe.

    Parameters
    ----------
    probes : ndarray, shape (d,) or (n, d)
        L2-normalised embeddings.
    index : GalleryIndex
        The enrolled gallery.
    threshold : float
        Largest distance that still counts as the same person.

    Returns
    -------
    list of Match
        One per probe: the nearest person when within ``threshold``, otherwise a
        ``Match`` with ``name=None`` carrying the nearest distance (``inf`` when the
        gallery is empty).
    """
    p = np.atleast_2d(np.asarray(probes, dtype=np.float32))
    if index.n_samples == 0:
        return [Match(None, float("inf"), threshold, False) for _ in range(p.shape[0])]
    # For unit vectors the nearest mean embedding is the one with the largest dot product.
    dots = p @ index.centroids.T
    best = np.argmax(dots, axis=1)
    nearest = _distance_from_dot(dots[np.arange(len(best)), best])
    matches = []
    for k, dist in zip(best, nearest.tolist()):
        if is_match(dist, threshold):
            matches.append(Match(index.names[k], dist, threshold, True, index.person_ids[k]))
        else:
            matches.append(Match(None, dist, threshold, False))
    return matches


def verify(
    probe: np.ndarray,
    index: GalleryIndex,
    claimed: str | int,
    threshold: float | None = None,
) -> Match:
    """Answer "is this the claimed person?" (1:1).

    Parameters
    ----------
    probe : ndarray, shape (d,)
        L2-normalised embedding of the face presented.
    index : GalleryIndex
        The enrolled gallery.
    claimed : str or int
        Display name or gallery id of the claimed identity.
    threshold : float, optional
        Largest distance that still accepts; default ``default_threshold("verification")``
        (1 in 10,000 false accepts on LFW), stricter than identification's.

    Returns
    -------
    Match
        ``name`` is the claimed person, ``accepted`` the decision.

    Raises
    ------
    KeyError
        When the claimed person is not enrolled.
    ModelError
        When no threshold is given and the shipped LFW table is missing or damaged.
    """
    if threshold is None:
        threshold = default_threshold("verification")
    k = index.person_index(claimed)
    dist = float(face_distance(np.asarray(probe, np.float32), index.centroids[k : k + 1])[0])
    return Match(index.names[k], dist, threshold, is_match(dist, threshold), index.person_ids[k])


_OPERATING_POINTS = Path(__file__).with_name("lfw_operating_points.json")

#: Version of the ``lfw_operating_points.json`` layout this module reads.
OPERATING_POINTS_FORMAT = 2
#: The columns of the table's ``points`` that this module reads, in order.
OPERATING_POINTS_COLUMNS = ("threshold", "far", "tar", "impostor_accepted", "genuine_accepted")

#: False-accept rate that verification mode's default threshold is set to: 1 in 10,000
#: of LFW's different-person pairs (see :func:`threshold_at_far`).
DEFAULT_VERIFICATION_FAR = 1e-4


class LfwOperatingPoint(NamedTuple):
    """What a threshold does on LFW, counted over every pair of its protocol images.

    Attributes
    ----------
    threshold : float
        The distance threshold.
    far, tar : float
        Fraction of different-person pairs accepted (false accepts) and of same-person
        pairs accepted (true accepts), in ``[0, 1]``.
    impostor_accepted, impostor_pairs : int
        Different-person pairs accepted, and all of them.
    genuine_accepted, genuine_pairs : int
        Same-person pairs accepted, and all of them.
    measured : bool
        True when ``threshold`` is a row of the table; False when the figures are
        interpolated between the two rows around it (counts rounded).
    """

    threshold: float
    far: float
    tar: float
    impostor_accepted: int
    impostor_pairs: int
    genuine_accepted: int
    genuine_pairs: int
    measured: bool


class _Table(NamedTuple):
    thresholds: np.ndarray
    impostor_accepted: np.ndarray
    genuine_accepted: np.ndarray
    impostor_pairs: int
    genuine_pairs: int
    far_targets: dict[float, float]


@lru_cache(maxsize=1)
def _table() -> _Table:
    """Read the shipped table; ModelError names the file when it is missing or damaged."""
    try:
        doc = json.loads(_OPERATING_POINTS.read_text(encoding="utf-8"))
        if doc.get("format") != OPERATING_POINTS_FORMAT:
            raise ValueError(f"format {doc.get('format')!r}, expected {OPERATING_POINTS_FORMAT}")
        cols = [doc["columns"].index(c) for c in OPERATING_POINTS_COLUMNS]
        rows = np.asarray(doc["points"], dtype=np.float64)[:, cols]
        targets = {float(t["far"]): float(t["threshold"]) for t in doc["far_targets"]}
        table = _Table(
            rows[:, 0],
            rows[:, 3].astype(np.int64),
            rows[:, 4].astype(np.int64),
            int(doc["impostor_pairs"]),
            int(doc["genuine_pairs"]),
            targets,
        )
        if (
            table.impostor_pairs < 1
            or table.genuine_pairs < 1
            or np.any(np.diff(table.thresholds) <= 0)
        ):
            raise ValueError("no pairs, or thresholds not increasing")
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ModelError(
            f"{_OPERATING_POINTS}: the LFW operating-point table is missing or damaged "
            f"({exc}); reinstall faceapp"
        ) from None
    return table


def lfw_operating_point(threshold: float) -> LfwOperatingPoint | None:
    """Return what ``threshold`` does on LFW: false and true accepts with their counts.

    The shipped table (``lfw_operating_points.json``, written by ``faceapp eval-lfw
    --write-operating-points``) counts every pair of LFW's 7,701 protocol images:
    29,640,749 different-person pairs and 8,101 same-person pairs, at thresholds in
    steps of 0.01 and at the thresholds of FAR = 1e-3 .. 1e-6.  Between two rows the
    figures are interpolated linearly (``measured`` is then False).

    Returns
    -------
    LfwOperatingPoint or None
        None when ``threshold`` lies outside the table.

    Raises
    ------
    ModelError
        When the shipped table is missing or damaged.
    """
    t = _table()
    x = float(threshold)
    if not t.thresholds[0] - 1e-9 <= x <= t.thresholds[-1] + 1e-9:
        return None
    k = int(np.argmin(np.abs(t.thresholds - x)))
    if abs(t.thresholds[k] - x) <= 1e-6:
        imp, gen, measured = int(t.impostor_accepted[k]), int(t.genuine_accepted[k]), True
    else:
        imp = round(float(np.interp(x, t.thresholds, t.impostor_accepted)))
        gen = round(float(np.interp(x, t.thresholds, t.genuine_accepted)))
        measured = False
    return LfwOperatingPoint(
        x,
        imp / t.impostor_pairs,
        gen / t.genuine_pairs,
        imp,
        t.impostor_pairs,
        gen,
        t.genuine_pairs,
        measured,
    )


def false_accept_rate(threshold: float) -> float | None:
    """Return the false-accept rate measured on LFW at ``threshold``, if inside the table.

    The fraction of all different-person pairs of LFW's protocol images whose distance
    is at most ``threshold`` (see :func:`lfw_operating_point`).

    Raises
    ------
    ModelError
        When the shipped table is missing or damaged.
    """
    point = lfw_operating_point(threshold)
    return None if point is None else point.far


def threshold_at_far(far: float) -> float:
    """Return the largest threshold whose false-accept rate on LFW is at most ``far``.

    Exact (to 1e-4) for the rates the table was written for (1e-3, 1e-4, 1e-5, 1e-6);
    for any other rate, the largest tabulated threshold (steps of 0.01) that keeps to it.

    Raises
    ------
    ValueError
        When no tabulated threshold is that strict.
    ModelError
        When the shipped table is missing or damaged.
    """
    t = _table()
    for target, thr in t.far_targets.items():
        if math.isclose(target, far, rel_tol=1e-9):
            return thr
    ok = np.flatnonzero(t.impostor_accepted <= far * t.impostor_pairs)
    if ok.size == 0:
        raise ValueError(f"no threshold in the LFW table has a false-accept rate of {far:g}")
    return float(t.thresholds[ok[-1]])


def default_threshold(mode: str) -> float:
    """Return the default threshold of a mode.

    Recognition (1:K) uses :data:`DEFAULT_THRESHOLD`, the accuracy-balanced 1.07;
    verification (1:1) the threshold at :data:`DEFAULT_VERIFICATION_FAR` (1 in 10,000
    false accepts on LFW), which is stricter.

    Raises
    ------
    ValueError
        For an unknown mode.
    ModelError
        When the shipped table is missing or damaged (verification only).
    """
    if mode == "recognition":
        return DEFAULT_THRESHOLD
    if mode == "verification":
        return threshold_at_far(DEFAULT_VERIFICATION_FAR)
    raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
