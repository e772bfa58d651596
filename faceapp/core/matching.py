"""Distances between embeddings and the decision rules for 1:1 and 1:K matching.

The pair rule: two faces are the same person when the Euclidean distance between their
L2-normalised FaceNet embeddings is **at most** the threshold.  Lower thresholds are
stricter (fewer false accepts, more false rejects).

A person with several samples is represented by the L2-normalised mean of their sample
embeddings; the distance from a probe to a person is the distance to that mean (see
``docs/accuracy.md`` for the LFW measurement that chose it over the nearest sample).

Recognition (1:K) is open-set: most faces a camera sees belong to nobody enrolled, and a
stranger is compared with everyone.  Its default is therefore not a distance but a rate,
how often a stranger may be given someone's name (:data:`DEFAULT_STRANGER_RATE`, 1 in
100); :func:`gallery_threshold` turns it into a distance for the number of people
enrolled, from the nearest-of-K distances of strangers measured on LFW
(``lfw_open_set.json``).  A face is named when it is near its nearest person *and*
clearly nearer to them than to the runner-up (:func:`face_threshold`); a face inside the
pair threshold but outside that rule is a "maybe" (:attr:`Match.maybe`), neither a name
nor silence.  A user may pin a fixed distance instead; the plain pair rule then applies.

"Not X" corrections: a face a user said is not X is kept as one of X's negatives
(:attr:`GalleryIndex.negatives`).  A face **strictly nearer** to one of X's negatives
than to the nearest of X's own samples is never named X (nor "maybe X?"): X is out of
the running for that face, which is then matched against the others under the same
rule, and its :class:`Match` says whom it was kept from (``corrected``).

Verification (1:1) keeps the pair rule at the threshold where 1 in 10,000
different-person pairs of LFW is accepted, read from the shipped table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from faceapp.core.errors import ModelError
from faceapp.core.types import Match

#: The pair threshold of best accuracy.  Derived with ``faceapp eval-lfw`` on the official
#: LFW pairs: the mean over the ten folds of the threshold that maximises accuracy on the
#: other nine folds (see ``docs/accuracy.md``).  It accepts about 1 in 200
#: different-person pairs: right for "are these two photos the same person?", far too
#: loose for naming a stranger against hundreds of people (recognition's automatic
#: threshold is :func:`gallery_threshold`).  Recognition shows a face within it but
#: outside the automatic rule as "maybe X?".
PAIR_THRESHOLD = 1.07

#: Recognition's default: about 1 stranger in 100 may be given someone's name, whatever
#: the number of people enrolled (the false-positive identification rate, FPIR).
DEFAULT_STRANGER_RATE = 0.01
#: The rate that bounds recognition's "maybe X?" band: a face that 1 stranger in 10 (or
#: fewer) would come as near to someone is shown as a maybe, never farther out than
#: :data:`PAIR_THRESHOLD`.
MAYBE_STRANGER_RATE = 0.1
#: The stranger rates a user may choose, from the loosest to the strictest.
STRANGER_RATES = (0.1, 0.03, 0.01, 0.003, 0.001)

#: The two ways of matching: 1:K identification ("who is this?") and 1:1 verification
#: ("is this the claimed person?").
Mode = Literal["recognition", "verification"]
MODES: tuple[Mode, ...] = ("recognition", "verification")

#: Range a user may set; distances between unit vectors lie in ``[0, 2]``.
MIN_THRESHOLD = 0.3
MAX_THRESHOLD = 1.6


#: Rows normalised at a time (4 MB of 128-d float32): a whole 100,000-person gallery at
#: once made two 56 MB temporaries and stalled the window 50-180 ms.
_NORMALISE_ROWS = 8192


def l2_normalize(vectors: np.ndarray, axis: int = -1) -> np.ndarray:
    """Return ``vectors`` scaled to unit Euclidean length along ``axis`` (float32).

    A large batch of rows is done in slices of :data:`_NORMALISE_ROWS` rows; each row's
    result is the same bits as in one pass.
    """
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim != 2 or axis not in (-1, 1) or v.shape[0] <= _NORMALISE_ROWS:
        norm = np.linalg.norm(v, axis=axis, keepdims=True)
        return v / np.maximum(norm, 1e-12)
    out = np.empty_like(v)
    for start in range(0, v.shape[0], _NORMALISE_ROWS):
        part = v[start : start + _NORMALISE_ROWS]
        norm = np.linalg.norm(part, axis=-1, keepdims=True)
        np.divide(part, np.maximum(norm, 1e-12), out=out[start : start + _NORMALISE_ROWS])
    return out


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


def distances_to_mean(embeddings: np.ndarray) -> tuple[float, ...]:
    """Return each embedding's distance to the L2-normalised mean of all of them.

    The mean is the one matching compares faces with (see :class:`GalleryIndex`), so a
    sample far from it (another person's face, a blurred one) is the one that weakens
    the person's matches.

    Parameters
    ----------
    embeddings : ndarray, shape (n, d)
        One person's L2-normalised sample embeddings; ``n`` may be 0.

    Returns
    -------
    tuple of float
        ``n`` distances in ``[0, 2]``, in the order of ``embeddings``.
    """
    e = np.asarray(embeddings, dtype=np.float32)
    if e.size == 0:
        return ()
    mean = l2_normalize(e.reshape(len(e), -1).mean(axis=0))
    return tuple(float(d) for d in face_distance(e, mean[None, :])[:, 0])


def _distance_from_dot(dots: np.ndarray) -> np.ndarray:
    """Euclidean distance between unit vectors from their dot product: |a - b|^2 = 2 - 2 a.b."""
    return np.sqrt(np.clip(2.0 - 2.0 * dots, 0.0, 4.0)).astype(np.float32, copy=False)


def is_match(distance: float, threshold: float = PAIR_THRESHOLD) -> bool:
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
    negatives : ndarray, shape (n_negatives, d), float32, optional
        Faces users said are *not* the person ("not X" corrections), L2-normalised;
        made read-only.  None of them by default.
    negative_owners : ndarray, shape (n_negatives,), int, optional
        Index into ``names`` of the person each negative is not.
    given_centroids : ndarray, shape (n_people, d), float32, optional, keyword only
        The people's mean embeddings when the caller already has them (an index patched
        by the people who changed keeps the others'); they must be what would be
        computed.  Not kept: read :attr:`centroids`.

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
    negatives: np.ndarray = field(
        default_factory=lambda: np.zeros((0, 0), np.float32), repr=False, compare=False
    )
    negative_owners: np.ndarray = field(
        default_factory=lambda: np.zeros((0,), np.int64), repr=False, compare=False
    )
    centroids: np.ndarray = field(init=False, repr=False, compare=False)
    given_centroids: np.ndarray | None = field(
        default=None, repr=False, compare=False, kw_only=True
    )

    def __post_init__(self) -> None:
        if len(self.person_ids) != len(self.names):
            raise ValueError("person_ids and names differ in length")
        if self.embeddings.shape[0] != self.owners.shape[0]:
            raise ValueError("embeddings and owners differ in length")
        if self.negatives.shape[0] != self.negative_owners.shape[0]:
            raise ValueError("negatives and negative_owners differ in length")
        if self.negatives.shape[0] == 0:
            empty = np.zeros((0, self.embeddings.shape[1]), np.float32)
            object.__setattr__(self, "negatives", empty)
        elif self.negatives.shape[1] != self.embeddings.shape[1] or not (
            self.negative_owners.min() >= 0 and self.negative_owners.max() < len(self.names)
        ):
            raise ValueError("a negative has another dimension or names nobody in the index")
        for array in (self.embeddings, self.owners, self.negatives, self.negative_owners):
            array.setflags(write=False)
        counts = np.bincount(self.owners, minlength=len(self.names))
        if len(counts) != len(self.names) or (counts == 0).any():
            raise ValueError("every person in a GalleryIndex needs at least one sample")
        given = self.given_centroids
        object.__setattr__(self, "given_centroids", None)
        if given is not None:
            if given.shape != (len(self.names), self.embeddings.shape[1]):
                raise ValueError("given_centroids do not match the people and dimension")
            given.setflags(write=False)
            object.__setattr__(self, "centroids", given)
            return
        if len(self.owners) == len(self.names) and np.array_equal(
            self.owners, np.arange(len(self.names))
        ):
            sums = self.embeddings  # one sample each: the samples are the means
        else:
            sums = _sums_by_owner(self.embeddings, self.owners, len(self.names))
        centroids = l2_normalize(sums)
        centroids.setflags(write=False)
        object.__setattr__(self, "centroids", centroids)

    @classmethod
    def empty(cls, dim: int = 128) -> GalleryIndex:
        """Return an index with nobody enrolled."""
        return cls((), (), np.zeros((0, dim), np.float32), np.zeros((0,), np.int64))

    @classmethod
    def from_samples(
        cls,
        samples: list[tuple[int, str, np.ndarray]],
        dim: int = 128,
        negatives: Sequence[tuple[int, np.ndarray]] = (),
    ) -> GalleryIndex:
        """Build an index from ``(person_id, name, embedding)`` triples.

        ``negatives`` are ``(person_id, embedding)`` pairs: faces that are not that
        person ("not X" corrections); those of people without a sample are left out.
        """
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
        dim_ = emb.shape[1]
        kept = [(order[pid], e) for pid, e in negatives if pid in order and e.shape == (dim_,)]
        neg = l2_normalize(np.stack([e for _, e in kept])) if kept else None
        neg_owners = np.array([k for k, _ in kept], np.int64)
        if neg is None:
            return cls(tuple(order), tuple(names), emb, owners)
        return cls(tuple(order), tuple(names), emb, owners, neg, neg_owners)

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


def face_threshold(base: float, runner_up: float) -> float:
    """Return the distance a face must be within to be named, given its runner-up.

    The automatic recognition rule asks a face to be near its nearest person and
    clearly nearer to them than to anyone else: its threshold lies halfway between the
    gallery's ``base`` threshold and its distance to the second-nearest person, so a
    face with a close runner-up must be nearer.  A runner-up farther than
    :data:`PAIR_THRESHOLD` (or none, with one person enrolled) counts as at that
    distance.  Equivalently, a face is named when ``2 * d1 - min(d2, PAIR_THRESHOLD)
    <= base``; on LFW this names 2-3 % more enrolled people than the nearest distance
    alone at the same rate of strangers named (``docs/accuracy.md``).

    Parameters
    ----------
    base : float
        The gallery's threshold (:func:`gallery_threshold`), lower is stricter.
    runner_up : float
        Distance to the second-nearest person (``inf`` when there is none).

    Returns
    -------
    float
        The face's own threshold: ``distance <= threshold`` names it.
    """
    return 0.5 * (float(base) + min(float(runner_up), PAIR_THRESHOLD))


def margin_score(nearest: np.ndarray, runner_up: np.ndarray) -> np.ndarray:
    """Return the automatic rule's score, ``2 * nearest - min(runner_up, PAIR_THRESHOLD)``.

    A face is named when this is at most the gallery's threshold (the same rule as
    :func:`face_threshold`, in the form used to calibrate it).
    """
    d1 = np.asarray(nearest, np.float64)
    return 2.0 * d1 - np.minimum(np.asarray(runner_up, np.float64), PAIR_THRESHOLD)


def _sums_by_owner(embeddings: np.ndarray, owners: np.ndarray, n_people: int) -> np.ndarray:
    """Return each person's sum of samples, added in sample order (``np.add.at``'s bits).

    Every person's first samples are added at once, then their second ones, and so on:
    a few vectorised passes where ``np.add.at`` took ~280 ms holding the GIL for
    110,000 samples.  Every person must own a sample.
    """
    sums = np.zeros((n_people, embeddings.shape[1]), np.float32)
    owners = np.asarray(owners, np.int64)
    in_order = bool(np.all(owners[1:] >= owners[:-1]))
    order = None if in_order else np.argsort(owners, kind="stable")
    sorted_owners = owners if order is None else owners[order]
    starts = np.flatnonzero(np.r_[True, sorted_owners[1:] != sorted_owners[:-1]])
    ranked = np.arange(len(owners)) - np.repeat(starts, np.diff(np.r_[starts, len(owners)]))
    if order is None:
        rank = ranked
        np.add(sums, embeddings[starts], out=sums)  # the first samples: person k in row k
        first = 1
    else:
        rank = np.empty_like(ranked)
        rank[order] = ranked
        first = 0
    for r in range(first, int(ranked.max()) + 1 if len(ranked) else 0):
        rows = np.flatnonzero(rank == r)
        sums[owners[rows]] += embeddings[rows]  # one row per person: no repeats
    return sums


def _min_by_owner(distances: np.ndarray, owners: np.ndarray, n_people: int) -> np.ndarray:
    """Return, per row and person, the smallest of ``distances`` whose column they own.

    ``distances`` is (n, m), ``owners`` (m,) positions in ``[0, n_people)``; a person
    owning no column gets ``inf``.
    """
    out = np.full((distances.shape[0], n_people), np.inf, np.float32)
    if owners.size == 0:
        return out
    order = np.argsort(owners, kind="stable")
    sorted_owners = owners[order]
    starts = np.flatnonzero(np.r_[True, sorted_owners[1:] != sorted_owners[:-1]])
    out[:, sorted_owners[starts]] = np.minimum.reduceat(distances[:, order], starts, axis=1)
    return out


def corrected_people(probes: np.ndarray, index: GalleryIndex) -> np.ndarray:
    """Return which people each probe may not be named as, because of "not X" corrections.

    A probe is kept from person X when it is strictly nearer to one of X's negatives
    (:attr:`GalleryIndex.negatives`) than to the nearest of X's own samples.

    Parameters
    ----------
    probes : ndarray, shape (n, d)
        L2-normalised embeddings.
    index : GalleryIndex
        The gallery.

    Returns
    -------
    ndarray of bool, shape (n, len(index))
        True where the probe is kept from that person; all False without negatives.
    """
    p = np.atleast_2d(np.asarray(probes, dtype=np.float32))
    out = np.zeros((p.shape[0], len(index)), bool)
    if index.negatives.shape[0] == 0:
        return out
    people = np.unique(index.negative_owners)
    nearest_negative = _min_by_owner(
        face_distance(p, index.negatives), index.negative_owners, len(index)
    )[:, people]
    rows = np.flatnonzero(np.isin(index.owners, people))
    nearest_sample = _min_by_owner(
        face_distance(p, index.embeddings[rows]), index.owners[rows], len(index)
    )[:, people]
    out[:, people] = nearest_negative < nearest_sample
    return out


def nearest_two(
    probes: np.ndarray, index: GalleryIndex, excluded: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Return each probe's nearest person, its distance, and the runner-up's distance.

    Parameters
    ----------
    probes : ndarray, shape (n, d)
        L2-normalised embeddings.
    index : GalleryIndex
        A gallery with at least one person.
    excluded : ndarray of bool, shape (n, len(index)), optional
        People left out for a probe (:func:`corrected_people`): they are neither its
        nearest nor its runner-up; a probe with everyone left out is at distance 2
        (the farthest two unit vectors can be) from its "nearest".

    Returns
    -------
    best : ndarray of int, shape (n,)
        Position of the nearest person in ``index``.
    nearest, runner_up : ndarray of float32, shape (n,)
        Distances to the nearest and the second-nearest person (``inf`` with one person).
    """
    p = np.atleast_2d(np.asarray(probes, dtype=np.float32))
    # For unit vectors the nearest mean embedding is the one with the largest dot product.
    dots = p @ index.centroids.T
    if excluded is not None:
        dots = np.where(excluded, np.float32(-1.0), dots)  # -1: distance 2, the farthest
    rows = np.arange(p.shape[0])
    if dots.shape[1] == 1:
        best = np.zeros(p.shape[0], np.int64)
        return best, _distance_from_dot(dots[:, 0]), np.full(p.shape[0], np.inf, np.float32)
    # Two maxima, not a partition: np.argpartition over 100,000 people took ~7 ms a frame
    # holding the GIL (the window's stalls); argmax reads the row once, ~0.05 ms.
    best = dots.argmax(axis=1)
    nearest = _distance_from_dot(dots[rows, best])
    dots[rows, best] = -np.inf  # dots is this call's own array
    second = dots.argmax(axis=1)
    return best, nearest, _distance_from_dot(dots[rows, second])


def identify(
    probes: np.ndarray,
    index: GalleryIndex,
    threshold: float | None = None,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
) -> list[Match]:
    """Answer "who is this?" (1:K) for each probe.

    Parameters
    ----------
    probes : ndarray, shape (d,) or (n, d)
        L2-normalised embeddings.
    index : GalleryIndex
        The enrolled gallery.
    threshold : float, optional
        A pinned distance: the nearest person is named when within it (the pair rule),
        and a face between it and :data:`PAIR_THRESHOLD` is a maybe.  When None (the
        default), the automatic rule: the gallery's threshold for ``len(index)`` people
        at ``stranger_rate`` (:func:`gallery_threshold`), applied per face with its
        runner-up (:func:`face_threshold`); a face that the same rule at
        :data:`MAYBE_STRANGER_RATE` would name, within :data:`PAIR_THRESHOLD`, is a maybe.
    stranger_rate : float
        With the automatic rule: the fraction of strangers that may be given a name, in
        ``(0, 1)``; lower is stricter.

    Returns
    -------
    list of Match
        One per probe.  Named: ``name`` the nearest person, ``accepted`` True.  Maybe:
        ``name`` the nearest person, ``accepted`` False, ``maybe`` True.  Unknown:
        ``name`` None.  ``distance`` is always the distance to the nearest person
        (``inf`` when the gallery is empty) and ``threshold`` the face's own threshold.
        A face kept from its nearest person X by a "not X" correction (see the module
        docstring and :func:`corrected_people`) is matched among the others by the same
        rule, X counting neither as nearest nor as runner-up; its ``corrected`` and
        ``corrected_id`` name X, and ``distance`` is to the nearest person left (to X
        when nobody is left).

    Raises
    ------
    ModelError
        With the automatic rule, when the shipped open-set table is missing or damaged.
    """
    p = np.atleast_2d(np.asarray(probes, dtype=np.float32))
    if index.n_samples == 0:
        limit = PAIR_THRESHOLD if threshold is None else threshold
        return [Match(None, float("inf"), limit, False) for _ in range(p.shape[0])]
    best, nearest, runner_up = nearest_two(p, index)
    kept_from = np.full(len(best), -1, np.int64)
    if index.negatives.shape[0]:
        excluded = corrected_people(p, index)
        kept_from = np.where(excluded[np.arange(len(best)), best], best, -1)
    if (kept_from >= 0).any():  # someone's "not X": match those faces among the others
        left = excluded.sum(axis=1) < len(index)
        best_c, nearest_c, runner_up_c = nearest_two(p, index, excluded)
        redo = (kept_from >= 0) & left
        best = np.where(redo, best_c, best)
        nearest = np.where(redo, nearest_c, nearest)
        runner_up = np.where(kept_from >= 0, runner_up_c, runner_up)
    if threshold is None:
        base = index_outlook(index, stranger_rate).threshold
        loose = index_outlook(index, max(stranger_rate, MAYBE_STRANGER_RATE)).threshold
    matches = []
    for row, (k, dist, second) in enumerate(
        zip(best.tolist(), nearest.tolist(), runner_up.tolist())
    ):
        if threshold is None:
            limit = face_threshold(base, second)
            maybe_limit = min(face_threshold(loose, second), PAIR_THRESHOLD)
        else:
            limit, maybe_limit = threshold, PAIR_THRESHOLD
        name, pid = index.names[k], index.person_ids[k]
        x = int(kept_from[row])
        c_name, c_id = (index.names[x], index.person_ids[x]) if x >= 0 else (None, None)
        if x >= 0 and excluded[row, k]:  # everybody is out for this face
            matches.append(Match(None, dist, limit, False, None, False, c_name, c_id))
        elif is_match(dist, limit):
            matches.append(Match(name, dist, limit, True, pid, False, c_name, c_id))
        elif is_match(dist, maybe_limit):
            matches.append(Match(name, dist, limit, False, pid, True, c_name, c_id))
        else:
            matches.append(Match(None, dist, limit, False, None, False, c_name, c_id))
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


def _versioned_json(path: Path, version: int) -> dict[str, Any]:
    """Read a shipped JSON table; ValueError when its ``format`` is not ``version``."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != version:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise ValueError(f"format {found!r}, expected {version}")
    return doc


@lru_cache(maxsize=1)
def _table() -> _Table:
    """Read the shipped table; ModelError names the file when it is missing or damaged."""
    try:
        doc = _versioned_json(_OPERATING_POINTS, OPERATING_POINTS_FORMAT)
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

    Recognition (1:K) gives the pair threshold :data:`PAIR_THRESHOLD` (1.07), what a
    pinned recognition threshold starts from; recognition's automatic rule follows the
    gallery instead (:func:`gallery_threshold`).  Verification (1:1) gives the
    threshold at :data:`DEFAULT_VERIFICATION_FAR` (1 in 10,000 false accepts on LFW),
    which is stricter.

    Raises
    ------
    ValueError
        For an unknown mode.
    ModelError
        When the shipped table is missing or damaged (verification only).
    """
    if mode == "recognition":
        return PAIR_THRESHOLD
    if mode == "verification":
        return threshold_at_far(DEFAULT_VERIFICATION_FAR)
    raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")


_OPEN_SET = Path(__file__).with_name("lfw_open_set.json")

#: Version of the ``lfw_open_set.json`` layout this module reads.
OPEN_SET_FORMAT = 1


class GalleryOutlook(NamedTuple):
    """What recognition's automatic rule does with a gallery of a given size, on LFW.

    Attributes
    ----------
    people : int
        People enrolled.
    stranger_rate : float
        Fraction of strangers that would be given someone's name (the rate asked for).
    threshold : float
        The gallery's threshold for the margin rule (:func:`face_threshold`).
    named : float
        Fraction of enrolled people (one photo each) named right at that threshold on
        LFW, in ``[0, 1]``.
    measured : bool
        False when ``people`` lies beyond the largest gallery measured (the figures are
        extrapolated).
    """

    people: int
    stranger_rate: float
    threshold: float
    named: float
    measured: bool


class _SizeTable(NamedTuple):
    photos: int
    log_people: np.ndarray  # (n_sizes,), increasing
    thresholds: np.ndarray  # (n_sizes, n_rates)
    named: np.ndarray  # (n_sizes, n_rates)


class _OpenSetTable(NamedTuple):
    log_rates: np.ndarray  # (n_rates,), increasing
    tables: tuple[_SizeTable, ...]  # by samples per person, increasing
    #: Outlooks computed from this table, by (people, rate, samples per person): the
    #: slider and every frame ask again for the same gallery.
    outlooks: dict[tuple[int, float, float], GalleryOutlook]


@lru_cache(maxsize=1)
def _open_set_table() -> _OpenSetTable:
    """Read the shipped open-set table; ModelError names the file when it is unusable."""
    try:
        doc = _versioned_json(_OPEN_SET, OPEN_SET_FORMAT)
        rates = np.asarray(doc["rates"], np.float64)
        order = np.argsort(rates)
        if rates.ndim != 1 or np.any(rates <= 0) or np.any(rates >= 1):
            raise ValueError("rates outside (0, 1)")
        tables = []
        for part in doc["tables"]:
            people = np.asarray(part["people"], np.float64)
            thresholds = np.asarray(part["thresholds"], np.float64)
            named = np.asarray(part["named"], np.float64)
            shape = (len(people), len(rates))
            if (
                len(people) < 2
                or people[0] != 1
                or np.any(np.diff(people) <= 0)
                or thresholds.shape != shape
                or named.shape != shape
                or not np.all(np.isfinite(thresholds))
            ):
                raise ValueError("gallery sizes or thresholds out of shape or order")
            tables.append(
                _SizeTable(
                    int(part["photos"]),
                    np.log(people),
                    thresholds[:, order],
                    named[:, order],
                )
            )
        tables.sort(key=lambda t: t.photos)
        if not tables or tables[0].photos != 1:
            raise ValueError("no table for one photo per person")
        table = _OpenSetTable(np.log(rates[order]), tuple(tables), {})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(
            f"{_OPEN_SET}: the LFW open-set table is missing or damaged ({exc}); reinstall faceapp"
        ) from None
    return table


def _along_sizes(values: np.ndarray, log_people: np.ndarray, log_k: float) -> float:
    """Interpolate a column at ``log_k``; beyond the last size, continue its last slope."""
    if log_k <= log_people[-1]:
        return float(np.interp(log_k, log_people, values))
    slope = (values[-1] - values[-2]) / (log_people[-1] - log_people[-2])
    return float(values[-1] + slope * (log_k - log_people[-1]))


def gallery_outlook(
    n_people: int,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
    samples_per_person: float = 1.0,
) -> GalleryOutlook:
    """Return the automatic threshold for a gallery and what it does on LFW.

    The shipped table (``lfw_open_set.json``, written by ``faceapp eval-lfw --open-set
    --write-open-set-table``) holds, for galleries of LFW people with one photo each
    (1 to 1,559 people) and with three (1 to 439), the threshold of the margin rule at
    which a given fraction of people never enrolled gets someone's name, and the
    fraction of enrolled people named right there.  Between sizes and rates it is
    interpolated on log scales, between one and three samples per person linearly;
    beyond the largest gallery measured it continues the last slope (``measured`` is
    then False).  Several samples per person make a person's mean embedding a better
    target for strangers too, so their threshold is a little stricter.

    Parameters
    ----------
    n_people : int
        People enrolled; 0 is treated as 1.
    stranger_rate : float
        Fraction of strangers allowed a name, within the table's rates (1e-3 .. 0.1).
    samples_per_person : float
        Mean samples per enrolled person; outside the table's range (1 .. 3) it is
        clipped to it.

    Raises
    ------
    ValueError
        When ``stranger_rate`` lies outside the table's rates.
    ModelError
        When the shipped table is missing or damaged.
    """
    t = _open_set_table()
    log_rate = math.log(stranger_rate) if stranger_rate > 0 else -math.inf
    if not t.log_rates[0] - 1e-9 <= log_rate <= t.log_rates[-1] + 1e-9:
        low, high = math.exp(t.log_rates[0]), math.exp(t.log_rates[-1])
        raise ValueError(f"stranger rate {stranger_rate:g} is outside {low:g} .. {high:g}")
    people = max(1, int(n_people))
    key = (people, float(stranger_rate), float(samples_per_person))
    known = t.outlooks.get(key)
    if known is not None:
        return known
    log_k = math.log(people)

    def read(part: _SizeTable) -> tuple[float, float]:
        at_rate = [
            np.array([np.interp(log_rate, t.log_rates, row) for row in values])
            for values in (part.thresholds, part.named)
        ]
        return (
            _along_sizes(at_rate[0], part.log_people, log_k),
            _along_sizes(at_rate[1], part.log_people, log_k),
        )

    read_off = [(read(part), w) for part, w in _parts_for(t, samples_per_person)]
    threshold = sum(w * figures[0] for figures, w in read_off)
    named = min(1.0, max(0.0, sum(w * figures[1] for figures, w in read_off)))
    measured = people <= measured_people(samples_per_person)
    outlook = GalleryOutlook(people, float(stranger_rate), max(0.0, threshold), named, measured)
    if len(t.outlooks) >= 1024:  # galleries come and go: keep the memory bounded
        t.outlooks.clear()
    t.outlooks[key] = outlook
    return outlook


def _parts_for(t: _OpenSetTable, samples_per_person: float) -> list[tuple[_SizeTable, float]]:
    """Return the tables a gallery's figures are read from, with their weights (sum 1).

    Samples per person are clipped to the tables' range and interpolated linearly
    between the two tables around them; a table of weight 0 is left out.
    """
    photos = [part.photos for part in t.tables]
    s = min(max(float(samples_per_person), photos[0]), photos[-1])
    upper = min(int(np.searchsorted(photos, s)), len(photos) - 1)
    lower = max(upper - 1, 0)
    w = 0.0 if upper == lower else (s - photos[lower]) / (photos[upper] - photos[lower])
    parts = [(t.tables[lower], 1.0 - w), (t.tables[upper], w)]
    return [(part, weight) for part, weight in parts if weight > 0.0]


def measured_people(samples_per_person: float = 1.0) -> int:
    """Return the largest gallery whose open-set figures were measured on LFW.

    Galleries up to it are read from the shipped table (1,559 people with one photo
    each, 439 with three, the smaller of the two in between); larger ones are
    extrapolated (:attr:`GalleryOutlook.measured` is False).

    Raises
    ------
    ModelError
        When the shipped open-set table is missing or damaged.
    """
    parts = _parts_for(_open_set_table(), samples_per_person)
    return min(round(math.exp(part.log_people[-1])) for part, _ in parts)


def gallery_threshold(
    n_people: int,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
    samples_per_person: float = 1.0,
) -> float:
    """Return recognition's automatic threshold for a gallery of ``n_people``.

    The threshold of the margin rule (:func:`face_threshold`) at which about
    ``stranger_rate`` of the faces of people never enrolled get someone's name; it falls
    as the gallery grows (see :func:`gallery_outlook`).

    Raises
    ------
    ValueError
        When ``stranger_rate`` lies outside the table's rates.
    ModelError
        When the shipped table is missing or damaged.
    """
    return gallery_outlook(n_people, stranger_rate, samples_per_person).threshold


def index_outlook(
    index: GalleryIndex, stranger_rate: float = DEFAULT_STRANGER_RATE
) -> GalleryOutlook:
    """Return :func:`gallery_outlook` for an enrolled gallery (its people and samples)."""
    per_person = index.n_samples / len(index) if len(index) else 1.0
    return gallery_outlook(len(index), stranger_rate, per_person)


def automatic_distance(index: GalleryIndex, stranger_rate: float = DEFAULT_STRANGER_RATE) -> float:
    """Return the farthest a face may be from someone in ``index`` and still be named.

    The automatic rule's threshold for a face whose runner-up is far away
    (:func:`face_threshold` with no runner-up): a face nearer to a second person must be
    nearer still.  It is the one distance to mark where a single threshold is drawn (the
    calibration charts, the report).

    Raises
    ------
    ModelError
        When the shipped open-set table is missing or damaged.
    """
    return face_threshold(index_outlook(index, stranger_rate).threshold, math.inf)
