"""The wrong-person check before a sample is enrolled: does the face belong to the target.

A sample about to be added to a person is compared with the gallery, the way
recognition compares a face (distance to each person's mean embedding, see
:mod:`faceapp.core.matching`), and refused when

- the target already has samples and the face is closer to another enrolled person
  than to the target ("closer to someone else"), or
- the target already has samples and the face is farther from them than the threshold
  ("far from the target"), or
- the target has no samples yet (a new person) and recognition would name the face as
  another enrolled person ("already enrolled as someone else": the same person, or a
  twin or relative).

The target's own samples are compared with the pair threshold (a 1:1 question); the
look-alike check asks recognition's question with its rule (by default the automatic
threshold that follows the gallery, :func:`faceapp.core.matching.identify`).

The function is pure: it reads an immutable :class:`~faceapp.core.matching.GalleryIndex`
and returns an immutable :class:`EnrolmentVerdict`; the caller decides what to do with a
refusal (the command line requires ``--force``, the GUI asks for a confirmation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from faceapp.core.matching import (
    DEFAULT_STRANGER_RATE,
    PAIR_THRESHOLD,
    GalleryIndex,
    identify,
    is_match,
    l2_normalize,
    person_distances,
)

#: Why a sample was refused, or ``"ok"``.
Reason = Literal["ok", "closer_to_other", "far_from_target", "matches_other"]


@dataclass(frozen=True)
class EnrolmentVerdict:
    """What the wrong-person check found for one sample; safe to hand across threads.

    Parameters
    ----------
    target : str
        The person the sample is meant for (display name).
    reason : {"ok", "closer_to_other", "far_from_target", "matches_other"}
        ``"ok"`` when the sample may be added; otherwise why not (see the module
        docstring).
    threshold : float
        The distance threshold the check used (lower is stricter).
    target_distance : float or None
        Distance from the sample to the target's mean embedding; None when the target
        has no samples yet.
    nearest_other : str or None
        The nearest enrolled person other than the target; None when there is nobody else.
    nearest_other_distance : float or None
        Distance to ``nearest_other``'s mean embedding.
    """

    target: str
    reason: Reason
    threshold: float
    target_distance: float | None
    nearest_other: str | None
    nearest_other_distance: float | None

    @property
    def ok(self) -> bool:
        """True when the sample may be added without asking."""
        return self.reason == "ok"

    @property
    def message(self) -> str:
        """One line for the user: why the sample is refused, or that it fits the target."""
        if self.reason in ("closer_to_other", "matches_other"):
            text = f"this face looks like {self.nearest_other} ({self.nearest_other_distance:.2f})"
            if self.target_distance is None:
                return (
                    f"{text}, who is already enrolled (the same person, or a twin or "
                    f"relative?); {self.target} has no samples yet"
                )
            return f"{text}, not like {self.target} ({self.target_distance:.2f})"
        if self.reason == "far_from_target":
            return (
                f"this face does not look like {self.target}'s other samples (distance "
                f"{self.target_distance:.2f}, more than the threshold {self.threshold:.2f})"
            )
        if self.target_distance is None:
            return f"first sample of {self.target}"
        return f"this face looks like {self.target} ({self.target_distance:.2f})"

    def as_dict(self) -> dict[str, object]:
        """Return the verdict as plain JSON-ready values (distances rounded to 4 places)."""
        return {
            "target": self.target,
            "ok": self.ok,
            "reason": self.reason,
            "message": self.message,
            "threshold": self.threshold,
            "target_distance": _rounded(self.target_distance),
            "nearest_other": self.nearest_other,
            "nearest_other_distance": _rounded(self.nearest_other_distance),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def check_enrolment(
    embedding: np.ndarray,
    index: GalleryIndex,
    target: str,
    threshold: float | None = None,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
) -> EnrolmentVerdict:
    """Say whether a sample may be added to ``target`` without asking.

    Parameters
    ----------
    embedding : ndarray, shape (d,)
        L2-normalised embedding of the face to enrol.
    index : GalleryIndex
        The gallery as it is now (people without samples are absent from it, and so
        count as new).
    target : str
        Display name of the person the sample is meant for, as stored
        (see :func:`faceapp.storage.gallery.normalise_name`).
    threshold : float, optional
        A pinned distance: a face within it counts as the same person, for the target
        and for everyone else.  By default the target's samples are compared with the
        pair threshold (:data:`~faceapp.core.matching.PAIR_THRESHOLD`) and the
        look-alike check uses recognition's automatic rule at ``stranger_rate``.
    stranger_rate : float
        The automatic rule's rate of strangers named (used when ``threshold`` is None).

    Returns
    -------
    EnrolmentVerdict
        ``ok`` is False when the face is closer to another person than to the target,
        farther than the threshold from the target's samples, or (for a target with no
        samples yet) when recognition would name it as another person.  ``threshold``
        is the one that decided.

    Raises
    ------
    ValueError
        When ``embedding`` does not have the gallery's dimension.
    """
    probe = np.asarray(embedding, np.float32).reshape(-1)
    if len(index) and probe.shape[0] != index.embeddings.shape[1]:
        raise ValueError(
            f"embedding has {probe.shape[0]} values, the gallery uses {index.embeddings.shape[1]}"
        )
    dists = person_distances(probe, index)[0] if len(index) else np.zeros(0, np.float32)
    target_distance: float | None = None
    others: list[tuple[float, str]] = []
    for name, dist in zip(index.names, dists.tolist()):
        if name == target:
            target_distance = float(dist)
        else:
            others.append((float(dist), name))
    nearest = min(others, default=None)
    other_distance = None if nearest is None else nearest[0]
    reason: Reason = "ok"
    limit = PAIR_THRESHOLD if threshold is None else threshold
    if target_distance is None:
        if len(index):
            match = identify(probe, index, threshold, stranger_rate)[0]
            limit = match.threshold
            if match.accepted:
                reason = "matches_other"
    elif other_distance is not None and other_distance < target_distance:
        reason = "closer_to_other"
    elif not is_match(target_distance, limit):
        reason = "far_from_target"
    return EnrolmentVerdict(
        target=target,
        reason=reason,
        threshold=float(limit),
        target_distance=target_distance,
        nearest_other=None if nearest is None else nearest[1],
        nearest_other_distance=other_distance,
    )


def with_sample(index: GalleryIndex, name: str, embedding: np.ndarray) -> GalleryIndex:
    """Return a new index that also holds ``embedding`` as a sample of ``name``.

    For checking several photos of one enrolment in turn: each is checked against the
    gallery plus the photos before it.  A person not yet in ``index`` gets a negative
    placeholder id.

    Parameters
    ----------
    index : GalleryIndex
        The gallery; left unchanged.
    name : str
        Display name of the sample's owner.
    embedding : ndarray, shape (d,)
        L2-normalised embedding.
    """
    sample = l2_normalize(np.asarray(embedding, np.float32).reshape(1, -1))
    if index.embeddings.shape[0] == 0:
        return GalleryIndex.from_samples([(-1, name, sample[0])], dim=sample.shape[1])
    # The arrays are extended, not rebuilt from one tuple per sample: at 100,000 samples
    # that rebuild held the interpreter lock for about 200 ms (a GUI stall at enrolment).
    embeddings = np.concatenate([index.embeddings, sample])
    if name in index.names:
        k = index.names.index(name)
        person_ids, names = index.person_ids, index.names
        owners = np.append(index.owners, k)
        rows = np.flatnonzero(owners == k)
        total = embeddings[rows[0]].copy()
        for r in rows[1:]:  # in sample order, as the index sums them (the same bits)
            total += embeddings[r]
        centroids = index.centroids.copy()
        centroids[k] = l2_normalize(total.reshape(1, -1))[0]
    else:
        pid = min((p for p in index.person_ids if p < 0), default=0) - 1
        person_ids, names = (*index.person_ids, pid), (*index.names, name)
        owners = np.append(index.owners, len(index.names))
        centroids = np.concatenate([index.centroids, l2_normalize(sample)])
    return GalleryIndex(
        person_ids,
        names,
        embeddings,
        owners,
        index.negatives,
        index.negative_owners,
        given_centroids=centroids,
    )


def screen_embeddings(
    candidates: Iterable[tuple[str, np.ndarray]],
    index: GalleryIndex,
    threshold: float | None,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
) -> list[EnrolmentVerdict]:
    """Return the wrong-person verdict of each ``(name, embedding)``, in order.

    Each one is checked against the gallery and the candidates before it that passed
    (they are added to a copy of ``index``), so the photos of a new person are checked
    against each other too.  ``threshold`` and ``stranger_rate`` are recognition's
    settings (see :func:`check_enrolment`).  The one loop behind ``faceapp enroll``,
    the window's enrolment jobs and naming a group of unknown faces.
    """
    verdicts = []
    for name, embedding in candidates:
        verdict = check_enrolment(embedding, index, name, threshold, stranger_rate)
        verdicts.append(verdict)
        if verdict.ok:
            index = with_sample(index, name, embedding)
    return verdicts
