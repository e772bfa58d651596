"""Compare crop methods on LFW with the same detections: ``python benchmarks/align_study.py``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from faceapp.core.detection import create_detector  # noqa: E402
from faceapp.core.embedding import align  # noqa: E402
from faceapp.core.embedding.facenet import FaceNetEmbedder, prewhiten  # noqa: E402
from faceapp.core.evaluation.lfw import fallback_face  # noqa: E402
from faceapp.core.evaluation.protocol import evaluate, parse_pairs  # noqa: E402
from faceapp.core.images import load_image  # noqa: E402
from faceapp.core.matching import l2_normalize  # noqa: E402
from faceapp.core.pipeline import central_face  # noqa: E402
from faceapp.core.types import Box, Face  # noqa: E402

#: Alternative similarity template: the mean landmark layout inside 32 % box crops.
BOX_LAYOUT_TEMPLATE = np.array(
    [[60.5, 66.0], [100.5, 66.0], [80.5, 91.0], [63.5, 109.8], [97.5, 109.8]]
)


def detections(lfw: Path, images: list[str], detector: str, cache: Path) -> dict[str, Face | None]:
    """Detect once per image (cached as JSON) and keep the most central face."""
    if cache.is_file():
        raw = json.loads(cache.read_text())
    else:
        det = create_detector(detector)
        det.prepare()
        raw = {}
        for rel in images:
            faces = det.detect(load_image(lfw / rel))
            raw[rel] = [[*f.box.as_ints(), f.score, [list(p) for p in f.landmarks]] for f in faces]
        cache.write_text(json.dumps(raw))
    out: dict[str, Face | None] = {}
    for rel in images:
        faces = [Face(Box(*d[:4]), tuple(map(tuple, d[5])), d[4]) for d in raw[rel]]
        out[rel] = central_face(faces, 250, 250)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lfw", type=Path, default=REPO.parent / "shared" / "data" / "lfw")
    parser.add_argument("--detector", default="mtcnn-package")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "lfw_faces.json")
    parser.add_argument(
        "variants", nargs="*", default=["similarity", "box", "similarity-boxlayout"]
    )
    args = parser.parse_args()
    pairs = parse_pairs(args.lfw / "pairs.txt")
    images = sorted({p.path_a_rel for p in pairs.pairs} | {p.path_b_rel for p in pairs.pairs})
    args.cache.parent.mkdir(exist_ok=True)
    faces = detections(args.lfw, images, args.detector, args.cache)
    found = [f for f in faces.values() if f is not None]
    typical = tuple(np.median([(f.box.x, f.box.y, f.box.w, f.box.h) for f in found], axis=0) / 250)
    frames = {rel: load_image(args.lfw / rel) for rel in images}
    embedder = FaceNetEmbedder(flip=False)
    embedder.prepare()
    row = {rel: i for i, rel in enumerate(images)}
    ia = [row[p.path_a_rel] for p in pairs.pairs]
    ib = [row[p.path_b_rel] for p in pairs.pairs]
    default_template = align.TEMPLATE_160.copy()
    for variant in args.variants:
        method = "box" if variant == "box" else "similarity"
        align.TEMPLATE_160 = (
            BOX_LAYOUT_TEMPLATE if variant.endswith("boxlayout") else default_template
        )
        crops = prewhiten(
            np.stack(
                [
                    align.align_face(
                        frames[r], faces[r] or fallback_face(250, 250, typical), 160, method
                    )
                    for r in images
                ]
            )
        )
        raw, mirrored = embedder.raw(crops), embedder.raw(crops[:, :, ::-1])
        for flip, emb in (("no", l2_normalize(raw)), ("yes", l2_normalize(raw + mirrored))):
            d = np.linalg.norm(emb[ia] - emb[ib], axis=1)
            s = evaluate(d, pairs.same, pairs.folds)
            keys = ("accuracy", "accuracy_std", "tar_at_far_1e-3", "auc", "threshold")
            print(
                json.dumps({"variant": variant, "flip": flip} | {k: round(s[k], 4) for k in keys})
            )


if __name__ == "__main__":
    main()
