"""False- and true-accept rates over every pair of a labelled image set, counted in blocks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.matching import (
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    OPERATING_POINTS_COLUMNS,
    OPERATING_POINTS_FORMAT,
)

#: Width of the distance bins the pairs are counted in.
BIN_WIDTH = 1e-4
#: False-accept rates whose thresholds the table states.
FAR_TARGETS = (1e-3, 1e-4, 1e-5, 1e-6)
#: Step of the regular threshold grid in the table (the threshold slider's step).
GRID_STEP = 0.01

# A distance within this many bins of a bin edge counts as on the edge (float rounding).
_EDGE_TOLERANCE = 1e-6


def identity_of(rel_path: str) -> str:
    """Return the person an LFW image shows: the folder of ``Name/Name_0001.jpg``."""
    parts = rel_path.replace("\\", "/").split("/")
    if len(parts) < 2 or not parts[-2]:
        raise ValueError(f"{rel_path!r} is not of the form 'Name/Name_0001.jpg'")
    return parts[-2]


@dataclass(frozen=True)
class PairCounts:
    """How many same-person and different-person pairs lie within each distance.

    Attributes
    ----------
    bin_width : float
        Distances are counted at thresholds ``k * bin_width``, ``k = 0 .. n_bins - 1``.
    genuine : ndarray of int64, shape (n_bins,)
        ``genuine[k]``: same-person pairs with distance at most ``k * bin_width``.
    impostor : ndarray of int64, shape (n_bins,)
        ``impostor[k]``: different-person pairs with distance at most ``k * bin_width``.
    n_images, n_identities : int
        Images and distinct people the pairs were formed from.
    """

    bin_width: float
    genuine: np.ndarray
    impostor: np.ndarray
    n_images: int
    n_identities: int

    @property
    def genuine_pairs(self) -> int:
        """Number of same-person pairs."""
        return int(self.genuine[-1])

    @property
    def impostor_pairs(self) -> int:
        """Number of different-person pairs."""
        return int(self.impostor[-1])

    def _bin(self, threshold: float) -> int:
        k = int(np.floor(threshold / self.bin_width + _EDGE_TOLERANCE))
        return min(max(k, 0), self.genuine.size - 1)

    def accepted(self, threshold: float) -> tuple[int, int]:
        """Return ``(impostor, genuine)`` pairs at distance at most ``threshold``.

        ``threshold`` is taken down to the bin edge at or below it.
        """
        k = self._bin(threshold)
        return int(self.impostor[k]), int(self.genuine[k])

    def threshold_at_far(self, far: float) -> float:
        """Return the largest bin edge whose false-accept rate is at most ``far``.

        Raises
        ------
        ValueError
            When ``far`` is negative or there are no different-person pairs.
        """
        if far < 0:
            raise ValueError(f"far must be at least 0, got {far}")
        if self.impostor_pairs == 0:
            raise ValueError("no different-person pairs to measure a false-accept rate on")
        allowed = far * self.impostor_pairs
        k = int(np.searchsorted(self.impostor, allowed, side="right")) - 1
        return round(max(k, 0) * self.bin_width, 10)


def count_pairs(
    embeddings: np.ndarray,
    identities: Sequence[str],
    bin_width: float = BIN_WIDTH,
    block: int = 256,
) -> PairCounts:
    """Count the distances of all pairs of images, split by same or different person.

    Every unordered pair of distinct images is counted once.  Distances are computed
    in blocks of ``block`` rows (float64, ``|a - b| = sqrt(2 - 2 a.b)`` for unit
    vectors) and only their histogram is kept, so memory stays at a few
    ``block x n_images`` arrays however many pairs there are.

    Parameters
    ----------
    embeddings : ndarray, shape (n, d)
        One embedding per image; L2-normalised here.
    identities : sequence of str, length n
        The person each image shows.
    bin_width : float
        Resolution of the counts, in distance units.
    block : int
        Rows per block.

    Returns
    -------
    PairCounts

    Raises
    ------
    ValueError
        When the inputs disagree in length, there are fewer than two images, or the
        embeddings are not finite.
    """
    e = np.asarray(embeddings, dtype=np.float64)
    if e.ndim != 2 or e.shape[0] != len(identities):
        raise ValueError(
            f"need one identity per embedding row, got {e.shape} and {len(identities)}"
        )
    if e.shape[0] < 2:
        raise ValueError("need at least two images to form a pair")
    if not np.all(np.isfinite(e)):
        raise ValueError("embeddings contain NaN or infinite values")
    if bin_width <= 0 or block < 1:
        raise ValueError("bin_width and block must be positive")
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    names, labels = np.unique(np.asarray(identities, dtype=str), return_inverse=True)
    n = e.shape[0]
    n_bins = int(round(2.0 / bin_width)) + 1
    inv = 1.0 / bin_width
    genuine = np.zeros(n_bins, np.int64)
    impostor = np.zeros(n_bins, np.int64)
    for i0 in range(0, n - 1, block):
        i1 = min(n, i0 + block)
        dots = e[i0:i1] @ e[i0:].T
        dist = np.sqrt(np.clip(2.0 - 2.0 * dots, 0.0, 4.0))
        # Bin k holds distances in ((k - 1) w, k w], so a cumulative sum up to k counts
        # the pairs at distance <= k w: the matching rule's "at most".
        bins = np.ceil(dist * inv - _EDGE_TOLERANCE).astype(np.int64)
        np.clip(bins, 0, n_bins - 1, out=bins)
        rows = np.arange(i1 - i0)[:, None]
        cols = np.arange(n - i0)[None, :]
        upper = cols > rows  # each unordered pair once, never an image with itself
        same = labels[i0:i1, None] == labels[None, i0:]
        genuine += np.bincount(bins[upper & same], minlength=n_bins)
        impostor += np.bincount(bins[upper & ~same], minlength=n_bins)
    return PairCounts(
        bin_width=bin_width,
        genuine=np.cumsum(genuine),
        impostor=np.cumsum(impostor),
        n_images=n,
        n_identities=len(names),
    )


def threshold_grid(step: float = GRID_STEP) -> np.ndarray:
    """Return the thresholds ``MIN_THRESHOLD .. MAX_THRESHOLD`` in steps of ``step``."""
    return np.round(np.arange(MIN_THRESHOLD, MAX_THRESHOLD + step / 2, step), 4)


def _rate(num: int, den: int) -> float:
    return float(f"{num / den:.4g}") if den else 0.0


def far_table(
    counts: PairCounts,
    thresholds: Sequence[float] | np.ndarray | None = None,
    far_targets: Sequence[float] = FAR_TARGETS,
    protocol: tuple[np.ndarray, np.ndarray] | None = None,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the operating-point table that ``faceapp.core.matching`` reads.

    Parameters
    ----------
    counts : PairCounts
        All-pairs counts (:func:`count_pairs`).
    thresholds : sequence of float, optional
        Rows of the table; default :func:`threshold_grid`.  The thresholds of the
        ``far_targets`` are added as rows too.
    far_targets : sequence of float
        False-accept rates whose largest threshold the table names.
    protocol : (distances, same), optional
        Distances and labels of a pairs protocol (LFW's 6,000 pairs); adds the columns
        ``protocol_far`` and ``protocol_tar`` so both measurements sit side by side.
    source : dict, optional
        How the embeddings were made (command, pipeline); copied into the document.

    Returns
    -------
    dict
        A JSON-ready document: ``format``, totals, ``far_targets`` and ``points``
        (columns :data:`faceapp.core.matching.OPERATING_POINTS_COLUMNS`, then the
        protocol columns when given), rows sorted by threshold.
    """
    grid = threshold_grid() if thresholds is None else np.asarray(thresholds, np.float64)
    targets = [
        {"far": float(f), "threshold": counts.threshold_at_far(float(f))} for f in far_targets
    ]
    rows = sorted({round(float(t), 4) for t in grid} | {t["threshold"] for t in targets})
    columns = list(OPERATING_POINTS_COLUMNS)
    if protocol is not None:
        pd = np.asarray(protocol[0], np.float64)
        ps = np.asarray(protocol[1], bool)
        p_imp, p_gen = np.sort(pd[~ps]), np.sort(pd[ps])
        columns += ["protocol_far", "protocol_tar"]
    points = []
    for t in rows:
        imp, gen = counts.accepted(t)
        row: list[float | int] = [
            t,
            _rate(imp, counts.impostor_pairs),
            _rate(gen, counts.genuine_pairs),
            imp,
            gen,
        ]
        if protocol is not None:
            row.append(_rate(int(np.searchsorted(p_imp, t, side="right")), p_imp.size))
            row.append(_rate(int(np.searchsorted(p_gen, t, side="right")), p_gen.size))
        points.append(row)
    doc: dict[str, Any] = {
        "format": OPERATING_POINTS_FORMAT,
        "source": source or {},
        "images": counts.n_images,
        "identities": counts.n_identities,
        "impostor_pairs": counts.impostor_pairs,
        "genuine_pairs": counts.genuine_pairs,
        "bin_width": counts.bin_width,
    }
    if protocol is not None:
        doc["protocol_impostor_pairs"] = int(p_imp.size)
        doc["protocol_genuine_pairs"] = int(p_gen.size)
    doc.update(far_targets=targets, columns=columns, points=points)
    return doc


def write_far_table(path: str | Path, doc: dict[str, Any]) -> None:
    """Write a :func:`far_table` document as JSON, one table row per line."""
    head = {k: v for k, v in doc.items() if k != "points"}
    rows = ",\n".join("  " + json.dumps(row) for row in doc["points"])
    text = json.dumps(head, indent=1)[:-2] + ',\n "points": [\n' + rows + "\n ]\n}\n"
    Path(path).write_text(text, encoding="utf-8")
