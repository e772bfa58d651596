"""'Not X' corrections on LFW: wrong names they remove, and what they cost enrolled people.

Usage::

    faceapp eval-lfw DIR --save-distances run.npz
    python -m benchmarks.corrections run.npz [--seeds 10] [--json]

For each gallery size (100 and 1,000 people) and each seed, people with at least two
photos are drawn at random and enrolled from one photo each; their other photos are the
*enrolled probes*.  Everybody else is a stranger.  Each stranger with at least two
photos keeps one photo (drawn at random) *held out*; up to five of their other photos
are the *correction pool*.  Every face is identified with recognition's automatic rule
(:func:`faceapp.core.matching.identify`, one photo per person) at the stranger rate
asked for.  A stranger who has a photo of the pool wrongly named X is *corrected* as a
user would after seeing the mistake: that photo and up to ``k - 1`` more of the pool
are stored as negatives of X (``k`` = 1, 3, 5).  Then every face is identified again.

Counted per gallery size, ``k`` and rate, summed over the seeds:

- their held-out photos named: held-out photos of the corrected strangers given a name
  (any name: all are wrong), before and after the corrections; in brackets, those
  named X, the person they were corrected as not being;
- other stranger photos named: every stranger photo not used as a correction given a
  name, before and after (corrections can move a face to a runner-up, too);
- enrolled photos named right / named wrong: enrolled probes named as their own person
  or as another, before and after; ``lost``: those named right before and not after
  (the cost of the corrections).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.matching import GalleryIndex, identify

GALLERY_SIZES = (100, 1000)
KS = (1, 3, 5)
RATES = (0.01, 0.1)
POOL = 5


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return the embeddings of an ``eval-lfw --save-distances`` file and each face's person."""
    with np.load(path, allow_pickle=False) as saved:
        x = np.asarray(saved["embeddings"], np.float32)
        people = np.array([str(rel).split("/")[0] for rel in saved["images"]])
    return x, people


def named_as(x: np.ndarray, index: GalleryIndex, rate: float) -> np.ndarray:
    """Return the person id each face is named as (-1: not named) under the automatic rule."""
    return np.array(
        [m.person_id if m.accepted else -1 for m in identify(x, index, stranger_rate=rate)],
        np.int64,
    )


def one_run(
    x: np.ndarray, people: np.ndarray, size: int, rate: float, seed: int
) -> dict[str, dict[str, int]]:
    """Return the counts of one gallery draw: by ``k`` ("before" for no correction)."""
    rng = np.random.default_rng(seed)
    faces_of: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(0, np.int64))
    for name in np.unique(people):
        faces_of[name] = rng.permutation(np.flatnonzero(people == name))
    several = sorted(n for n, f in faces_of.items() if len(f) >= 2)
    enrolled = rng.choice(several, size, replace=False).tolist()
    pid = {name: i for i, name in enumerate(enrolled)}
    index = GalleryIndex.from_samples([(pid[n], n, x[faces_of[n][0]]) for n in enrolled])
    owner = np.array([pid.get(p, -1) for p in people], np.int64)
    enrolled_probe = np.zeros(len(x), bool)
    for n in enrolled:
        enrolled_probe[faces_of[n][1:]] = True
    held_out, pool = {}, {}
    for n, f in faces_of.items():
        if n not in pid and len(f) >= 2:
            held_out[n], pool[n] = f[0], f[1 : 1 + POOL]
    before = named_as(x, index, rate)
    triggers = {}
    for n, faces in pool.items():
        wrong = [i for i in faces.tolist() if before[i] >= 0]
        if wrong:
            triggers[n] = wrong[0]
    held = np.array([held_out[n] for n in triggers], np.int64)
    x_of_held = np.array([before[t] for t in triggers.values()], np.int64)
    right_before = enrolled_probe & (before == owner)
    out = {}
    for k in KS:
        negatives, used = [], np.zeros(len(x), bool)
        for n, first in triggers.items():
            chosen = [first] + [i for i in pool[n].tolist() if i != first][: k - 1]
            negatives += [(int(before[first]), x[i]) for i in chosen]
            used[chosen] = True
        corrected = GalleryIndex.from_samples(
            [(pid[n], n, x[faces_of[n][0]]) for n in enrolled], negatives=negatives
        )
        after = named_as(x, corrected, rate)
        stranger = (owner < 0) & ~used  # the same photos before and after
        right_after = enrolled_probe & (after == owner)
        out[k] = {
            "corrected_strangers": len(triggers),
            "negatives": len(negatives),
            "held_out": len(held),
            "stranger_photos": int(stranger.sum()),
            "enrolled_probes": int(enrolled_probe.sum()),
            "lost": int((right_before & ~right_after).sum()),
        }
        for when, named in (("before", before), ("after", after)):
            out[k][f"held_out_named_{when}"] = int((named[held] >= 0).sum())
            out[k][f"held_out_x_{when}"] = int((named[held] == x_of_held).sum())
            out[k][f"strangers_named_{when}"] = int((stranger & (named >= 0)).sum())
            out[k][f"enrolled_right_{when}"] = int((enrolled_probe & (named == owner)).sum())
            wrong = enrolled_probe & (named >= 0) & (named != owner)
            out[k][f"enrolled_wrong_{when}"] = int(wrong.sum())
    return out


def measure(x: np.ndarray, people: np.ndarray, seeds: int) -> list[dict[str, Any]]:
    """Return one row per rate, gallery size and ``k``, summed over the seeds."""
    rows = []
    for rate in RATES:
        for size in GALLERY_SIZES:
            total: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for seed in range(seeds):
                for k, counts in one_run(x, people, size, rate, seed).items():
                    for name, value in counts.items():
                        total[k][name] += value
            rows += [{"rate": rate, "people": size, "k": k, **total[k]} for k in KS]
    return rows


def table(rows: list[dict[str, Any]], seeds: int) -> str:
    """Return the rows as a Markdown table: counts before → after the corrections."""
    lines = [
        f"Sums over {seeds} draws per gallery size; one photo per enrolled person;"
        " each cell before → after the corrections.",
        "",
        "| stranger rate | people | k | corrected strangers (negatives) |"
        " their held-out photos named (as X) | other stranger photos named |"
        " enrolled photos named right | enrolled named wrong | enrolled lost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:

        def change(key: str, r: dict[str, Any] = r) -> str:
            return f"{r[key + '_before']:,} → {r[key + '_after']:,}"

        lines.append(
            f"| {r['rate']:g} | {r['people']:,} | {r['k']} |"
            f" {r['corrected_strangers']:,} ({r['negatives']:,}) |"
            f" {change('held_out_named')} ({change('held_out_x')}) of {r['held_out']:,} |"
            f" {change('strangers_named')} of {r['stranger_photos']:,} |"
            f" {change('enrolled_right')} of {r['enrolled_probes']:,} |"
            f" {change('enrolled_wrong')} | {r['lost']:,} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print the table (or JSON)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("embeddings", type=Path, help="an eval-lfw --save-distances .npz file")
    ap.add_argument("--seeds", type=int, default=10, help="gallery draws per size (10)")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args(argv)
    x, people = load(args.embeddings)
    rows = measure(x, people, args.seeds)
    print(json.dumps(rows, indent=1) if args.json else table(rows, args.seeds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
