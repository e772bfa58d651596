"""Grouping unknown faces by person: agglomerative clustering of embeddings with a distance cut."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np

#: How two groups' distance is measured: the mean of their faces' pairwise distances.
#: Complete linkage (the largest) and HDBSCAN were measured too (docs/accuracy.md,
#: ``python -m benchmarks.grouping``): at equal precision average linkage keeps more of
#: each person together, and HDBSCAN, which has no distance cut, joins different people.
Linkage = Literal["average", "complete"]
DEFAULT_LINKAGE: Linkage = "average"

#: Largest average distance at which two groups of faces are still joined (Euclidean
#: distance between L2-normalised FaceNet embeddings; lower is stricter: fewer people
#: mixed, more people split).  Calibrated with ``python -m benchmarks.grouping`` on half of
#: the LFW people: the largest cut whose BCubed precision there is at least 0.99 (0.98 is
#: the goal on all of them, and precision falls as people are added).
DEFAULT_CUT = 0.80

#: Megabytes of pairwise distances computed at once while linking faces.
WORKING_MEMORY_MB = 32


def group_embeddings(
    embeddings: np.ndarray,
    cut: float = DEFAULT_CUT,
    linkage: Linkage = DEFAULT_LINKAGE,
    frames: Sequence[Hashable | None] | None = None,
) -> np.ndarray:
    """Return a group label for each face: faces with the same label are taken for one person.

    Agglomerative clustering (scikit-learn) joins the two closest groups while their
    linkage distance is at most ``cut``.  It runs on each connected component of the
    graph linking faces at most ``cut`` apart, never on all faces at once: a group is
    joined only through a pair of faces within ``cut`` (for average and complete
    linkage), so the result is the same as clustering everything, without the
    ``n x n`` distance matrix (10,000 faces: seconds and tens of megabytes, see
    docs/accuracy.md).

    One photo or video frame never shows one person twice: when ``frames`` says two
    faces of a group were seen in the same frame (a cannot-link constraint), the group
    is split (:func:`_kept_apart`): each face of that frame starts a part and every
    other face of the group joins the part it is nearest to.

    Parameters
    ----------
    embeddings : ndarray, shape (n, d)
        L2-normalised embeddings, float32 or float64.
    cut : float
        Largest linkage distance at which groups are joined, > 0.
    linkage : {"average", "complete"}
    frames : sequence, optional
        For each face, where it was seen (any hashable: a photo, a source and frame
        time), or None when unknown.  Faces of the same frame are never grouped
        together; faces of None frames are free.

    Returns
    -------
    ndarray, shape (n,), int64
        Labels ``0 .. k-1``, numbered in the order of each group's first face (so the
        same input gives the same labels).

    Raises
    ------
    ValueError
        When ``embeddings`` is not a finite 2-d array, ``cut`` is not positive, or
        ``frames`` does not have one entry per face.
    """
    x = np.asarray(embeddings, dtype=np.float32)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"embeddings must be a finite (n, d) array, got shape {x.shape}")
    if not (np.isfinite(cut) and cut > 0):
        raise ValueError(f"the cut must be a positive distance, got {cut}")
    if linkage not in ("average", "complete"):
        raise ValueError(f"linkage must be 'average' or 'complete', got {linkage!r}")
    n = len(x)
    if frames is not None and len(frames) != n:
        raise ValueError(f"one frame per face is needed: {len(frames)} frames for {n} faces")
    if n < 2:
        return np.zeros(n, np.int64)
    from scipy.sparse.csgraph import connected_components
    from sklearn import config_context
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.neighbors import radius_neighbors_graph

    # Distances are computed in blocks of WORKING_MEMORY_MB (scikit-learn's default: 1 GB).
    with config_context(working_memory=WORKING_MEMORY_MB):
        graph = radius_neighbors_graph(x, cut, mode="connectivity", include_self=False)
    n_parts, part = connected_components(graph, directed=False)
    labels = np.empty(n, np.int64)
    next_label = 0
    for members in _members_of(part, n_parts):
        if len(members) <= 2:  # one face, or two within the cut: one group
            labels[members] = next_label
            next_label += 1
            continue
        # The threshold is exclusive in scikit-learn; nextafter makes the cut inclusive.
        sub = AgglomerativeClustering(
            n_clusters=None,
            distance_threshold=float(np.nextafter(cut, np.inf)),
            linkage=linkage,
        ).fit_predict(x[members])
        labels[members] = sub + next_label
        next_label += int(sub.max()) + 1
    if frames is not None:
        labels = _kept_apart(x, labels, frames)
    return _renumbered(labels)


def _kept_apart(x: np.ndarray, labels: np.ndarray, frames: Sequence[Hashable | None]) -> np.ndarray:
    """Return ``labels`` with every group holding two faces of one frame split apart.

    The faces of the frame with the most faces in the group each start a part; the
    group's other faces, nearest to one of them first, each join the part whose mean
    embedding is nearest, unless that part already holds a face of its frame (then the
    next nearest; a new part when none will do).  So no part holds two faces of a frame.
    """
    out = labels.copy()
    next_label = int(labels.max()) + 1 if len(labels) else 0
    framed: dict[int, Counter[Hashable]] = {}
    for g, f in zip(labels.tolist(), frames, strict=True):
        if f is not None:
            framed.setdefault(g, Counter())[f] += 1
    for g, counts in framed.items():
        frame, most = counts.most_common(1)[0]
        if most < 2:
            continue
        for part in _split(x, np.flatnonzero(labels == g), frames, frame):
            out[part] = next_label
            next_label += 1
    return out


def _split(
    x: np.ndarray, members: np.ndarray, frames: Sequence[Hashable | None], frame: Hashable
) -> list[list[int]]:
    """Split one group's ``members`` into parts, seeded by the faces of ``frame`` (see above)."""
    seeds = [int(i) for i in members if frames[i] == frame]
    parts = [[i] for i in seeds]
    sums = [x[i].astype(np.float64) for i in seeds]
    seen = [{frame} for _ in seeds]
    rest = np.array([i for i in members if frames[i] != frame], np.int64)
    if len(rest):
        near = np.linalg.norm(x[rest, None, :] - x[None, seeds, :], axis=2).min(axis=1)
        rest = rest[np.argsort(near, kind="stable")]
    for i in rest.tolist():
        f = frames[i]
        centres = np.stack([s / len(p) for s, p in zip(sums, parts, strict=True)])
        for k in np.argsort(np.linalg.norm(centres - x[i], axis=1), kind="stable").tolist():
            if f is None or f not in seen[k]:
                parts[k].append(i)
                sums[k] = sums[k] + x[i]
                if f is not None:
                    seen[k].add(f)
                break
        else:
            parts.append([i])
            sums.append(x[i].astype(np.float64))
            seen.append({f})
    return parts


def _members_of(part: np.ndarray, n_parts: int) -> list[np.ndarray]:
    """Return the indices of each component, in the order of its first index."""
    order = np.argsort(part, kind="stable")
    bounds = np.cumsum(np.bincount(part, minlength=n_parts))[:-1]
    groups = np.split(order, bounds)
    return sorted(groups, key=lambda g: int(g[0]))


def _renumbered(labels: np.ndarray) -> np.ndarray:
    """Return ``labels`` renumbered ``0 .. k-1`` in the order of first appearance."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.reshape(-1)]


def bcubed(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> tuple[float, float]:
    """Return the BCubed precision and recall of a grouping against the true people.

    For each face, precision is the share of its group that is the same person, and
    recall the share of that person's faces that are in its group; both are averaged
    over faces (Bagga and Baldwin 1998; Amigó et al. 2009).  A grouping that mixes
    people loses precision; one that splits a person loses recall.

    Parameters
    ----------
    truth : sequence
        The person of each face.
    predicted : sequence
        The group of each face (same length).

    Returns
    -------
    (float, float)
        Precision and recall in ``[0, 1]``; ``(1.0, 1.0)`` for no faces.

    Raises
    ------
    ValueError
        When the two sequences differ in length.
    """
    t, p = list(truth), list(predicted)
    if len(t) != len(p):
        raise ValueError(f"{len(t)} true labels but {len(p)} predicted")
    if not t:
        return 1.0, 1.0
    both = Counter(zip(t, p))
    per_person, per_group = Counter(t), Counter(p)
    precision = sum(c * c / per_group[g] for (_, g), c in both.items()) / len(t)
    recall = sum(c * c / per_person[who] for (who, _), c in both.items()) / len(t)
    return precision, recall
