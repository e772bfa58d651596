"""Distances between embeddings and the single threshold rule for 1:1 and 1:K decisions.

The rule: two faces are the same person when the Euclidean distance between their
L2-normalised FaceNet embeddings is **at most** the threshold.  Lower thresholds are
stricter (fewer false accepts, more false rejects).

A person with several samples is represented by the L2-normalised mean of their sample
embeddings; the distance from a probe to a person is the distance to that mean (see
``docs/accuracy.md`` for the LFW measurement that chose it over the nearest sample).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

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
    threshold: float = DEFAULT_THRESHOLD,
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
    threshold : float
        Largest distance that still accepts.

    Returns
    -------
    Match
        ``name`` is the claimed person, ``accepted`` the decision.

    Raises
    ------
    KeyError
        When the claimed person is not enrolled.
    """
    k = index.person_index(claimed)
    dist = float(face_distance(np.asarray(probe, np.float32), index.centroids[k : k + 1])[0])
    return Match(index.names[k], dist, threshold, is_match(dist, threshold), index.person_ids[k])


_OPERATING_POINTS = Path(__file__).with_name("lfw_operating_points.json")


@lru_cache(maxsize=1)
def _operating_points() -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    try:
        doc = json.loads(_OPERATING_POINTS.read_text(encoding="utf-8"))
        table = np.asarray(doc["points"], dtype=np.float64)
    except (OSError, ValueError, KeyError):
        return None
    return table[:, 0], table[:, 1], table[:, 2]


def false_accept_rate(threshold: float) -> float | None:
    """Return the false-accept rate measured on LFW at ``threshold``, if known.

    The rate is the fraction of LFW's 3,000 different-person pairs whose distance is
    at most ``threshold`` (linear interpolation between tabulated thresholds), as
    written by ``faceapp eval-lfw --write-operating-points``.  ``None`` when no table
    ships with this installation or the threshold lies outside it.
    """
    table = _operating_points()
    if table is None:
        return None
    thresholds, far, _ = table
    if not thresholds[0] <= threshold <= thresholds[-1]:
        return None
    return float(np.interp(threshold, thresholds, far))
