"""Open-set rules compared on LFW embeddings: what each names at the same rate of strangers.

Usage::

    faceapp eval-lfw DIR --save-distances run.npz
    python -m benchmarks.open_set_rules run.npz [--seeds 6]

Galleries are drawn as the open-set benchmark draws them
(:func:`faceapp.core.evaluation.open_set.draw_trial`).  Each rule turns a probe into a
score; for every trial the score threshold that names 1 stranger in 100 is taken from
that trial's own strangers (an oracle, the same for every rule), and the fraction of
enrolled people named right there is reported, averaged over the seeds:

* ``nearest_mean``: the distance to the nearest person's mean embedding (the rule before
  issue #16, thresholded by gallery size);
* ``nearest_sample``: the distance to the nearest single sample (three photos only);
* ``margin``: the app's automatic rule, ``2 d1 - min(d2, 1.07)``
  (:func:`faceapp.core.matching.margin_score`);
* ``margin_half``: ``1.5 d1 - 0.5 min(d2, 1.07)``, a weaker margin.

Then two checks of the shipped rule without an oracle: the old fixed default (1.07),
and the automatic rule calibrated on one half of the people and measured on the other
(people split at random; the table is made by :func:`calibrate` on the first half).
Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from unittest import mock

import numpy as np

from faceapp.core import matching
from faceapp.core.evaluation.open_set import (
    LabelledEmbeddings,
    benchmark,
    calibrate,
    draw_trial,
    write_table,
)
from faceapp.core.matching import PAIR_THRESHOLD, margin_score, nearest_two

SIZES = (10, 100, 300, 1000, None)
RATE = 0.01


def _nearest_sample(probes: np.ndarray, index: matching.GalleryIndex) -> tuple[np.ndarray, ...]:
    dots = probes @ index.embeddings.T
    best = np.argmax(dots, axis=1)
    return index.owners[best], np.sqrt(np.clip(2 - 2 * dots.max(axis=1), 0, 4))


def _rules(trial, photos: int) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per rule: genuine scores, stranger scores, and whether each genuine's nearest is right."""
    gb, g1, g2 = nearest_two(trial.genuine, trial.gallery)
    _, s1, s2 = nearest_two(trial.strangers, trial.gallery)
    right = gb == np.arange(len(gb))
    cap = PAIR_THRESHOLD
    rules = {
        "nearest_mean": (g1, s1, right),
        "margin": (margin_score(g1, g2), margin_score(s1, s2), right),
        "margin_half": (
            1.5 * g1 - 0.5 * np.minimum(g2, cap),
            1.5 * s1 - 0.5 * np.minimum(s2, cap),
            right,
        ),
    }
    if photos > 1:
        owner, gd = _nearest_sample(trial.genuine, trial.gallery)
        _, sd = _nearest_sample(trial.strangers, trial.gallery)
        rules["nearest_sample"] = (gd, sd, owner == np.arange(len(owner)))
    return rules


def rule_study(data: LabelledEmbeddings, seeds: int) -> list[dict]:
    groups = data.by_person()
    rows = []
    for photos in (1, 3):
        for size in SIZES:
            named: dict[str, list[float]] = {}
            for seed in range(seeds):
                trial = draw_trial(data, size, photos, seed, groups)
                for rule, (g, s, right) in _rules(trial, photos).items():
                    t = np.quantile(s, RATE)
                    named.setdefault(rule, []).append(float(np.mean((g <= t) & right)))
            rows.append(
                {
                    "study": "rules at 1 stranger in 100 (oracle threshold)",
                    "photos": photos,
                    "people": len(trial.gallery),
                    **{rule: round(float(np.mean(v)), 4) for rule, v in named.items()},
                }
            )
    return rows


def held_out(data: LabelledEmbeddings, seeds: int, table: Path) -> list[dict]:
    """Calibrate on a random half of the people, benchmark on the other half."""
    people = sorted(data.by_person())
    rng = np.random.default_rng(7)
    first = set(rng.choice(people, len(people) // 2, replace=False).tolist())
    halves = [[], []]
    for row, rel in enumerate(data.images):
        halves[rel.split("/")[0] not in first].append(row)
    parts = [
        LabelledEmbeddings(tuple(data.images[r] for r in rows), data.embeddings[rows])
        for rows in halves
    ]
    write_table(table, calibrate(parts[0]))
    with mock.patch.object(matching, "_OPEN_SET", table):
        matching._open_set_table.cache_clear()
        rows = benchmark(parts[1], sizes=(10, 100, 300, None), seeds=tuple(range(seeds)))
    matching._open_set_table.cache_clear()
    return [dict(r, study="held out: calibrated on the other half of the people") for r in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("embeddings", type=Path)
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args(argv)
    with np.load(args.embeddings, allow_pickle=False) as saved:
        data = LabelledEmbeddings(
            tuple(str(x) for x in saved["images"]), np.asarray(saved["embeddings"], np.float32)
        )
    for row in rule_study(data, args.seeds):
        print(json.dumps(row))
    seeds = tuple(range(args.seeds))
    for row in benchmark(data, seeds=seeds, threshold=PAIR_THRESHOLD):
        row.pop("curve")
        print(json.dumps(dict(row, study="the old fixed default, 1.07")))
    table = args.embeddings.with_suffix(".half-table.json")
    for row in held_out(data, args.seeds, table):
        row.pop("curve")
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
