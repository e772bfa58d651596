"""Several samples per person: mean embedding, nearest sample or mean distance, on LFW embeddings.

Usage::

    faceapp eval-lfw DIR --save-distances run.npz
    python -m benchmarks.aggregation_study run.npz [--enrol 2 3 5]

Every person with more than *k* images among the saved embeddings has their first *k*
(by file name) enrolled; all their other images are probes, identified 1:K against all
those people.  Three rules for the distance from a probe to a person:

* ``mean_embedding``: what the app does, :class:`GalleryIndex` over the samples (it
  averages them) and :func:`identify`;
* ``nearest_sample``: the smallest :func:`face_distance` to any of the person's samples;
* ``mean_distance``: the mean of the distances to the person's samples.

Prints one JSON object per *k*.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from faceapp.core.matching import (
    PAIR_THRESHOLD,
    GalleryIndex,
    face_distance,
    identify,
    is_match,
)

#: Threshold at which every unit-vector distance accepts: closed-set identification.
CLOSED_SET = 2.0


def _scores(named: list[str | None], truth: list[str], closed: list[str | None]) -> dict:
    """Rank-1 (closed set) and the right and wrong names at the default threshold."""
    return {
        "rank1": round(float(np.mean([c == t for c, t in zip(closed, truth)])), 4),
        "named_correctly_at_default": round(
            float(np.mean([n == t for n, t in zip(named, truth)])), 4
        ),
        "named_wrongly_at_default": round(
            float(np.mean([n not in (None, t) for n, t in zip(named, truth)])), 4
        ),
    }


def study(images: list[str], embeddings: np.ndarray, enrol: int) -> dict[str, object]:
    """Enrol ``enrol`` images of each person with more than that, probe with the rest.

    Parameters
    ----------
    images : list of str
        Relative LFW paths (``<Name>/<Name>_NNNN.jpg``), parallel to ``embeddings``.
    embeddings : ndarray, shape (n, 128)
        L2-normalised embeddings, as ``faceapp eval-lfw --save-distances`` keeps them.
    enrol : int
        Samples enrolled per person.
    """
    by_person: dict[str, list[int]] = defaultdict(list)
    for i, rel in enumerate(images):
        by_person[rel.split("/")[0]].append(i)
    people = sorted(p for p, idx in by_person.items() if len(idx) > enrol)
    samples: list[tuple[int, str, np.ndarray]] = []
    probes: list[int] = []
    truth: list[str] = []
    for pid, person in enumerate(people):
        idx = sorted(by_person[person], key=lambda i: images[i])
        samples += [(pid, person, embeddings[i]) for i in idx[:enrol]]
        probes += idx[enrol:]
        truth += [person] * (len(idx) - enrol)
    probe_emb = embeddings[probes]
    out: dict[str, object] = {"enrolled_each": enrol, "people": len(people), "probes": len(probes)}

    # The app's rule: GalleryIndex averages each person's samples; identify() matches.
    index = GalleryIndex.from_samples(samples)
    out["mean_embedding"] = _scores(
        [m.name for m in identify(probe_emb, index, PAIR_THRESHOLD)],
        truth,
        [m.name for m in identify(probe_emb, index, CLOSED_SET)],
    )

    # Per-sample rules: the distance to every sample (``enrol`` consecutive samples per
    # person), reduced over each person's samples.
    to_samples = face_distance(probe_emb, np.stack([s[2] for s in samples]))
    grouped = to_samples.reshape(len(probes), len(people), enrol)
    for rule, per_person in (
        ("nearest_sample", grouped.min(axis=2)),
        ("mean_distance", grouped.mean(axis=2)),
    ):
        best = per_person.argmin(axis=1)
        nearest = per_person[np.arange(len(probes)), best]
        closed = [people[k] for k in best]
        named = [
            people[k] if is_match(float(d), PAIR_THRESHOLD) else None for k, d in zip(best, nearest)
        ]
        out[rule] = _scores(named, truth, closed)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("npz", type=Path, help="file written by faceapp eval-lfw --save-distances")
    parser.add_argument("--enrol", type=int, nargs="+", default=[2, 3, 5], help="samples each")
    args = parser.parse_args(argv)
    data = np.load(args.npz)
    images = [str(rel) for rel in data["images"]]
    for k in args.enrol:
        print(json.dumps(study(images, data["embeddings"], k)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
