"""Compare crop methods on LFW with the same detections, each with flip fusion off and on.

Usage::

    python -m benchmarks.align_study [--lfw DIR] [--pairs FILE] [VARIANT ...]

Variants: ``similarity`` (the app's :data:`TEMPLATE_160`), ``similarity-boxlayout`` (the
same transform onto :data:`BOX_LAYOUT_TEMPLATE`) and ``box`` (box plus margin,
unrotated).  Detection runs once per image and is kept in ``.cache/`` (JSON, per
detector); images are then cropped by :func:`faceapp.core.embedding.align.align_face`
and embedded by :meth:`FaceNetEmbedder.embed` with ``flip`` off and on, as
``faceapp eval-lfw`` does.  Prints one JSON object per variant and flip setting.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.data import LFW_DIR, REPO
from faceapp.core.detection import create_detector
from faceapp.core.embedding import create_embedder
from faceapp.core.embedding.align import TEMPLATE_160, align_face
from faceapp.core.evaluation.lfw import fallback_face
from faceapp.core.evaluation.protocol import evaluate, parse_pairs
from faceapp.core.images import load_image
from faceapp.core.pipeline import central_face
from faceapp.core.types import Box, Face

#: Alternative similarity template: the mean landmark layout inside 32 % box crops.
BOX_LAYOUT_TEMPLATE = np.array(
    [[60.5, 66.0], [100.5, 66.0], [80.5, 91.0], [63.5, 109.8], [97.5, 109.8]]
)

#: variant -> (align method, similarity template)
VARIANTS = {
    "similarity": ("similarity", TEMPLATE_160),
    "similarity-boxlayout": ("similarity", BOX_LAYOUT_TEMPLATE),
    "box": ("box", TEMPLATE_160),
}

BATCH = 64


def detections(lfw: Path, images: list[str], detector: str, cache: Path) -> dict[str, Face | None]:
    """Detect once per image (kept in ``cache`` as JSON) and keep the most central face."""
    raw = json.loads(cache.read_text()) if cache.is_file() else {}
    todo = [rel for rel in images if rel not in raw]
    if todo:
        det = create_detector(detector)  # type: ignore[arg-type]
        det.prepare()
        for rel in todo:
            faces = det.detect(load_image(lfw / rel))
            raw[rel] = [[*f.box.as_ints(), f.score, [list(p) for p in f.landmarks]] for f in faces]
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(raw))
    out: dict[str, Face | None] = {}
    for rel in images:
        faces = [Face(Box(*d[:4]), tuple(map(tuple, d[5])), d[4]) for d in raw[rel]]
        out[rel] = central_face(faces, 250, 250)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, default=LFW_DIR, help="LFW folder")
    parser.add_argument("--pairs", type=Path, default=None, help="pairs file (LFW/pairs.txt)")
    parser.add_argument("--detector", default="mtcnn-package")
    parser.add_argument("--cache", type=Path, help="detections cache (.cache/lfw_faces_*.json)")
    parser.add_argument("variants", nargs="*", help=f"some of {', '.join(VARIANTS)} (all)")
    args = parser.parse_args(argv)
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from {', '.join(VARIANTS)}")
    variants = args.variants or list(VARIANTS)
    pairs = parse_pairs(args.pairs or args.lfw / "pairs.txt")
    images = sorted({p.path_a_rel for p in pairs.pairs} | {p.path_b_rel for p in pairs.pairs})
    cache = args.cache or REPO / ".cache" / f"lfw_faces_{args.detector}.json"
    faces = detections(args.lfw, images, args.detector, cache)
    found = [f for f in faces.values() if f is not None]
    typical = tuple(np.median([(f.box.x, f.box.y, f.box.w, f.box.h) for f in found], axis=0) / 250)
    embedders = {"no": create_embedder(flip=False), "yes": create_embedder(flip=True)}
    row = {rel: i for i, rel in enumerate(images)}
    ia = [row[p.path_a_rel] for p in pairs.pairs]
    ib = [row[p.path_b_rel] for p in pairs.pairs]
    for variant in variants:
        method, template = VARIANTS[variant]
        emb = {flip: np.zeros((len(images), 128), np.float32) for flip in embedders}
        for start in range(0, len(images), BATCH):
            chunk = images[start : start + BATCH]
            crops = np.stack(
                [
                    align_face(
                        load_image(args.lfw / rel),
                        faces[rel] or fallback_face(250, 250, typical),
                        160,
                        method,  # type: ignore[arg-type]
                        template,
                    )
                    for rel in chunk
                ]
            )
            for flip, embedder in embedders.items():
                emb[flip][start : start + len(chunk)] = embedder.embed(crops)
        for flip, e in emb.items():
            s = evaluate(np.linalg.norm(e[ia] - e[ib], axis=1), pairs.same, pairs.folds)
            keys = ("accuracy", "accuracy_std", "tar_at_far_1e-3", "auc", "threshold")
            print(
                json.dumps({"variant": variant, "flip": flip} | {k: round(s[k], 4) for k in keys})
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
