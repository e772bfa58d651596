"""Nearest sample vs mean embedding for people with several samples, on LFW embeddings.

Usage: ``faceapp eval-lfw DIR --save-distances run.npz`` then
``python benchmarks/aggregation_study.py run.npz``.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faceapp.core.matching import DEFAULT_THRESHOLD, GalleryIndex, identify, l2_normalize  # noqa: E402


def study(npz: Path, enrol: int = 3) -> dict[str, object]:
    """Enrol ``enrol`` images of each person with more than that, probe with the rest."""
    data = np.load(npz)
    by_person: dict[str, list[int]] = defaultdict(list)
    for i, rel in enumerate(data["images"]):
        by_person[str(rel).split("/")[0]].append(i)
    people = sorted(p for p, idx in by_person.items() if len(idx) > enrol)
    emb = data["embeddings"]
    nearest_samples, mean_samples, probes, truth = [], [], [], []
    for pid, person in enumerate(people):
        idx = sorted(by_person[person])
        for i in idx[:enrol]:
            nearest_samples.append((pid, person, emb[i]))
        mean_samples.append((pid, person, l2_normalize(emb[idx[:enrol]].mean(axis=0))))
        probes += idx[enrol:]
        truth += [person] * (len(idx) - enrol)
    out: dict[str, object] = {"people": len(people), "probes": len(probes), "enrolled_each": enrol}
    for label, samples in (("nearest_sample", nearest_samples), ("mean_embedding", mean_samples)):
        index = GalleryIndex.from_samples(samples)
        closed = identify(emb[probes], index, threshold=2.0)
        opened = identify(emb[probes], index, threshold=DEFAULT_THRESHOLD)
        out[label] = {
            "rank1": round(float(np.mean([m.name == t for m, t in zip(closed, truth)])), 4),
            "named_correctly_at_default": round(
                float(np.mean([m.name == t for m, t in zip(opened, truth)])), 4
            ),
            "named_wrongly_at_default": round(
                float(np.mean([m.name not in (None, t) for m, t in zip(opened, truth)])), 4
            ),
        }
    return out


if __name__ == "__main__":
    print(json.dumps(study(Path(sys.argv[1]))))
