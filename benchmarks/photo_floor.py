"""What the detection-score floor does to still photos: phantoms dropped, real faces kept.

``python -m benchmarks.photo_floor`` runs ``FacePipeline.process`` (the code ``faceapp
identify`` and the window's photo mode run) on every 5-celebrity photo, once with nobody
enrolled and once with the five people enrolled from the other split (every photo, its
largest face), and counts the detections under the floor (judged by eye in
``benchmarks/phantom_audit.json`` where it has a verdict) and which of them are reported.
Prints one JSON document.

Usage::

    python -m benchmarks.photo_floor [--photos N]

``--photos N`` takes only the first N photos of each person in each split (a smoke test's
tiny run; the enrolled galleries come from those photos too).  Default: every photo.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from faceapp import paths
from faceapp.cli.common import positive_int
from faceapp.core.images import load_image
from faceapp.core.live import LIVE_SCORE_FLOOR
from faceapp.core.matching import GalleryIndex
from faceapp.core.pipeline import FacePipeline, largest_face

AUDIT = Path(__file__).with_name("phantom_audit.json")


def _photos(root: Path, split: str, each: int | None = None) -> list[tuple[str, Path]]:
    """Return ``(person, photo)`` for the split's photos, the first ``each`` of each person."""
    out = []
    for folder in sorted(p for p in (root / split).iterdir() if p.is_dir()):
        photos = sorted(p for p in folder.iterdir() if p.is_file())
        out += [(folder.name, p) for p in photos[:each]]
    return out


def _gallery(pipeline: FacePipeline, photos: list[tuple[str, Path]]) -> GalleryIndex:
    people: dict[str, int] = {}
    samples = []
    for person, path in photos:
        image = load_image(path)
        face = largest_face(pipeline.detect(image))
        if face is not None:
            pid = people.setdefault(person, len(people))
            samples.append((pid, person, pipeline.embed(image, [face])[0]))
    return GalleryIndex.from_samples(samples)


def _verdict(audit: dict[str, str], rel: str, box: Any) -> str:
    for key, verdict in audit.items():
        where, _, xyw = key.partition("#")
        if where == f"celebrity/{rel}@1":
            x, y, w = (int(v) for v in xyw.split(","))
            if abs(x - box.x) <= 3 and abs(y - box.y) <= 3 and abs(w - box.w) <= 3:
                return verdict
    return "not audited"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--photos", type=positive_int, metavar="N", help="first N photos of each person per split"
    )
    args = parser.parse_args(argv)
    root = paths.celebrity_dir()
    audit = json.loads(AUDIT.read_text())["verdicts"]
    pipeline = FacePipeline()
    pipeline.prepare()
    splits = {s: _photos(root, s, args.photos) for s in ("train", "val")}
    galleries = {
        "train": _gallery(pipeline, splits["val"]),
        "val": _gallery(pipeline, splits["train"]),
    }
    rows = []
    detections = 0  # every detection, over and under the floor
    for split, photos in splits.items():
        for person, path in photos:
            image = load_image(path)
            faces = pipeline.detect(image)
            detections += len(faces)
            under = [f for f in faces if f.score < LIVE_SCORE_FLOOR]
            if not under:
                continue
            alone = pipeline.process(image, GalleryIndex.empty()).faces
            named = pipeline.process(image, galleries[split]).faces
            for f in under:
                rel = f"{split}/{person}/{path.name}"
                shown = [r for r in named if r.face.box.iou(f.box) > 0.5]
                rows.append(
                    {
                        "photo": rel,
                        "score": round(f.score, 4),
                        "box": [round(v) for v in (f.box.x, f.box.y, f.box.w, f.box.h)],
                        "subject": f is largest_face(faces),
                        "verdict": _verdict(audit, rel, f.box),
                        "shown_nobody_enrolled": any(r.face.box.iou(f.box) > 0.5 for r in alone),
                        "shown_enrolled": bool(shown),
                        "named": shown[0].match.name if shown and shown[0].known else None,
                    }
                )
    doc = {
        "photos": sum(len(p) for p in splits.values()),
        "detections": detections,
        "floor": LIVE_SCORE_FLOOR,
        "under_floor": len(rows),
        "under_floor_subjects": sum(r["subject"] for r in rows),
        "shown_with_the_other_split_enrolled": sum(r["shown_enrolled"] for r in rows),
        "under_floor_detections": rows,
    }
    json.dump(doc, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
