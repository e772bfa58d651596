"""Grouping unknown faces on LFW: BCubed precision and recall per method and cut, and speed.

Usage::

    faceapp eval-lfw DIR --save-distances run.npz
    python -m benchmarks.grouping run.npz [--seed 0] [--json]

Every face of the file (7,701 LFW faces of 4,281 people; one group per person expected)
is grouped by each method: agglomerative clustering with average and with complete
linkage at a sweep of distance cuts (:func:`faceapp.core.grouping.group_embeddings`),
and scikit-learn's HDBSCAN (no cut: ``min_cluster_size`` 2, noise as single faces).
The people are split at random into two halves: the cut of each linkage is chosen on
the first (the largest cut whose BCubed precision there is at least 0.99:
precision falls as people are added, and the goal, 0.98, is for all of them) and reported on the
second.  Then the speed on 10,000 faces (all the LFW faces plus 2,299 of them again with
noise, as another photo of the same person), each timing in a fresh process that reports
its peak memory growth: the app's grouping (per connected component) and scikit-learn's
agglomerative clustering on all faces at once.

Faces of one photo are never grouped together (``group_embeddings(..., frames=...)``).
Each LFW image gives one face, so with each image as its frame the groups must be the
ones without (checked: ``frames_change_nothing``); to see the constraint work, in each
held-out group that mixes people a face of each of two of them is said to share a photo,
and the faces are grouped with and without it (``same_photo``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.grouping import bcubed, group_embeddings

CUTS = tuple(round(c, 2) for c in np.arange(0.60, 1.01, 0.05))
#: The goal is BCubed precision 0.98 on every LFW face.  Precision falls as people are
#: added (more look-alikes), so the cut is chosen where the calibration half, half the
#: people, reaches 0.99.
PRECISION_GOAL = 0.98
CALIBRATION_PRECISION = 0.99
N_TIMED = 10_000


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return the embeddings of an ``eval-lfw --save-distances`` file and each face's person."""
    with np.load(path, allow_pickle=False) as saved:
        x = np.asarray(saved["embeddings"], np.float32)
        people = np.array([str(rel).split("/")[0] for rel in saved["images"]])
    return x, people


def halves(people: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the face masks of two halves of the people, drawn at random."""
    names = np.unique(people)
    rng = np.random.default_rng(seed)
    first = set(rng.permutation(names)[: len(names) // 2].tolist())
    mask = np.array([p in first for p in people])
    return mask, ~mask


def hdbscan_labels(x: np.ndarray) -> np.ndarray:
    """Return HDBSCAN's groups, each face it calls noise a group of its own."""
    from sklearn.cluster import HDBSCAN

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        labels = HDBSCAN(min_cluster_size=2, min_samples=1, copy=True).fit(x).labels_.copy()
    noise = labels < 0
    labels[noise] = labels.max() + 1 + np.arange(int(noise.sum()))
    return labels


def scores(x: np.ndarray, people: np.ndarray) -> list[dict[str, Any]]:
    """Return a row per method and cut: BCubed precision, recall, groups."""
    rows = []
    for linkage in ("average", "complete"):
        for cut in CUTS:
            labels = group_embeddings(x, cut, linkage)
            p, r = bcubed(people, labels)
            rows.append(
                {
                    "method": linkage,
                    "cut": cut,
                    "precision": p,
                    "recall": r,
                    "groups": int(labels.max()) + 1,
                }
            )
    labels = hdbscan_labels(x)
    p, r = bcubed(people, labels)
    rows.append(
        {
            "method": "hdbscan",
            "cut": None,
            "precision": p,
            "recall": r,
            "groups": int(labels.max()) + 1,
        }
    )
    return rows


def chosen(rows: list[dict[str, Any]], method: str) -> float | None:
    """Return the largest cut of ``method`` whose precision reaches the goal."""
    ok = [
        r["cut"] for r in rows if r["method"] == method and r["precision"] >= CALIBRATION_PRECISION
    ]
    return max(ok, default=None)


def same_photo(x: np.ndarray, people: np.ndarray, cut: float, seed: int) -> dict[str, Any]:
    """Group faces with made-up two-person photos, with and without the constraint.

    The hard case: in every group that mixes people (grouped without the constraint),
    a face of each of its two largest people (drawn at random) is said to come from one
    photo.  Returns BCubed precision and recall without and with ``frames``, and how
    many of those photos end with both their faces in one group.
    """
    rng = np.random.default_rng(seed)
    plain = group_embeddings(x, cut)
    frames: list[int | None] = [None] * len(x)
    pairs = []
    for g in np.unique(plain):
        members = np.flatnonzero(plain == g)
        names, counts = np.unique(people[members], return_counts=True)
        if len(names) < 2:
            continue
        two = names[np.argsort(-counts, kind="stable")[:2]]
        a, b = (int(rng.choice(members[people[members] == who])) for who in two)
        frames[a] = frames[b] = int(g)
        pairs.append((a, b))
    out: dict[str, Any] = {"photos": len(pairs), "cut": cut}
    for name, given in (("without", None), ("with", frames)):
        labels = plain if given is None else group_embeddings(x, cut, frames=given)
        p, r = bcubed(people, labels)
        out[name] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "groups": int(labels.max()) + 1,
            "photos_grouped_as_one": sum(int(labels[a] == labels[b]) for a, b in pairs),
        }
    return out


def ten_thousand(x: np.ndarray, seed: int) -> np.ndarray:
    """Return :data:`N_TIMED` faces: ``x`` and some of its faces again, with noise."""
    rng = np.random.default_rng(seed)
    extra = x[rng.choice(len(x), N_TIMED - len(x), replace=False)]
    extra = extra + rng.normal(0, 0.03, extra.shape).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.concatenate([x, extra])


def _status_mb(field: str) -> float:
    """Return a memory figure of this process (``VmRSS``, ``VmHWM``: its peak) in MB.

    ``VmHWM`` belongs to the process's own address space; ``ru_maxrss`` would also count
    the parent it was forked from.
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def time_one(path: Path, method: str, cut: float, seed: int) -> dict[str, Any]:
    """Group 10,000 faces once in this process; return seconds and peak memory growth."""
    import sklearn.cluster  # noqa: F401  (imported before the baseline, as the app has it)
    import sklearn.neighbors  # noqa: F401

    x = ten_thousand(load(path)[0], seed)
    base = _status_mb("VmRSS")
    start = time.perf_counter()
    if method == "components":
        labels = group_embeddings(x, cut)
    else:
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(
            n_clusters=None, distance_threshold=cut, linkage="average"
        ).fit_predict(x)
    seconds = time.perf_counter() - start
    peak = _status_mb("VmHWM")
    return {
        "method": method,
        "faces": len(x),
        "seconds": round(seconds, 2),
        "peak_growth_mb": round(peak - base, 1),
        "groups": int(labels.max()) + 1,
    }


def timed(path: Path, method: str, cut: float, seed: int) -> dict[str, Any]:
    """Run :func:`time_one` in a fresh process (so its peak memory is its own)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.grouping",
            str(path),
            "--time",
            method,
            "--cut",
            str(cut),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Print the table (or, with ``--json``, one JSON object)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("npz", type=Path, help="an 'eval-lfw --save-distances' file")
    ap.add_argument("--seed", type=int, default=0, help="the split of the people")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--time", choices=["components", "dense"], help=argparse.SUPPRESS)
    ap.add_argument("--cut", type=float, default=0.75, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.time:
        print(json.dumps(time_one(args.npz, args.time, args.cut, args.seed)))
        return 0
    x, people = load(args.npz)
    calib, held = halves(people, args.seed)
    calib_rows, held_rows = scores(x[calib], people[calib]), scores(x[held], people[held])
    all_rows = scores(x, people)
    picks = {m: chosen(calib_rows, m) for m in ("average", "complete")}
    summary = []
    for method, cut in [*picks.items(), ("hdbscan", None)]:
        (h,) = [r for r in held_rows if r["method"] == method and r["cut"] == cut]
        (a,) = [r for r in all_rows if r["method"] == method and r["cut"] == cut]
        summary.append(
            {
                "method": method,
                "cut": cut,
                "held_out_precision": round(h["precision"], 4),
                "held_out_recall": round(h["recall"], 4),
                "all_precision": round(a["precision"], 4),
                "all_recall": round(a["recall"], 4),
            }
        )
    cut = picks["average"] or 0.75
    own_frames = [str(i) for i in range(len(x))]  # each LFW image: one face, its own frame
    unchanged = bool(
        np.array_equal(group_embeddings(x, cut), group_embeddings(x, cut, frames=own_frames))
    )
    photos = same_photo(x[held], people[held], cut, args.seed)
    speed = [timed(args.npz, m, cut, args.seed) for m in ("components", "dense")]
    doc = {
        "faces": len(x),
        "people": len(np.unique(people)),
        "calibration_faces": int(calib.sum()),
        "held_out_faces": int(held.sum()),
        "summary": summary,
        "frames_change_nothing": unchanged,
        "same_photo": photos,
        "speed": speed,
        "sweep_calibration": calib_rows,
    }
    if args.json:
        print(json.dumps(doc))
        return 0
    print(
        f"{doc['faces']} faces of {doc['people']} people; cut chosen on "
        f"{doc['calibration_faces']} faces, reported on the other {doc['held_out_faces']}"
    )
    print("method    cut   held-out P  held-out R   all P   all R")
    for s in summary:
        c = "-" if s["cut"] is None else f"{s['cut']:.2f}"
        print(
            f"{s['method']:<9} {c:>4}   {s['held_out_precision']:>10.4f}  "
            f"{s['held_out_recall']:>10.4f}  {s['all_precision']:.4f}  {s['all_recall']:.4f}"
        )
    print("sweep on the calibration half (method cut P R groups):")
    for r in calib_rows:
        c = "-" if r["cut"] is None else f"{r['cut']:.2f}"
        print(f"  {r['method']:<9} {c:>4}  {r['precision']:.4f}  {r['recall']:.4f}  {r['groups']}")
    print(f"each image its own frame changes nothing: {unchanged}")
    print(
        f"held-out faces, {photos['photos']} made-up two-person photos from the mixed groups,"
        f" cut {cut}:"
    )
    for name in ("without", "with"):
        r = photos[name]
        print(
            f"  {name:<7} the constraint: P {r['precision']:.4f}  R {r['recall']:.4f}, "
            f"{r['groups']} groups, {r['photos_grouped_as_one']} photos with both faces together"
        )
    for s in speed:
        print(
            f"10,000 faces, {s['method']}: {s['seconds']} s, peak memory +{s['peak_growth_mb']} MB,"
            f" {s['groups']} groups"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
