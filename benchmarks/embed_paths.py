"""Embedding benchmark: FaceNet on each engine, on real face crops.

Usage::

    python -m benchmarks.embed_paths [--repeats R] [--photos N] [--cache]
    python -m benchmarks.embed_paths --lfw DIR [--pairs FILE]

Crops come from the 5-celebrity photos: MTCNN finds the most central face of each photo
and :meth:`FacePipeline.crops` aligns it to 160 x 160.  Every engine of
:class:`faceapp.core.embedding.facenet.FaceNetEmbedder` is loaded through
:func:`faceapp.core.embedding.create_embedder`.  Equivalence is the cosine of each
engine's embeddings to the ``graph`` engine's, with flip fusion off and on, and, flip
off, to the Keras network as loaded from the weights (batch norms not folded, run by
Keras' own ``predict``).

Timing is interleaved: each repeat runs every case on every engine, rotating which
engine goes first, so load from other processes hits all alike.  Cases:

* ``b16 net``   -- 16 crops through :meth:`raw` (network only, flip off), ms per face;
* ``b16 app``   -- 16 crops through :meth:`embed` with flip fusion (32 images), ms per face;
* ``1 net``     -- one crop through :meth:`raw`, ms;
* ``1 app``     -- one crop through :meth:`embed` with flip fusion (2 images), ms.

``floor`` columns are :data:`benchmarks.timing.FLOAT32_FLOOR_MS` (18.0 ms per image)
divided by the ms per image, so 1.0 means at that floor (an app case computes two images
per face).  ``others`` is the CPU (in cores) that other processes used during an
engine's samples, from ``/proc/stat``.  The last line of output is one JSON object.
``--repeats`` under 10 (a smoke test's tiny run) gives figures not to quote; it says so.

``tflite-int8`` (opt-in, not "same embeddings") is timed alongside.  With ``--lfw DIR``
the script instead runs the LFW protocol once (detection shared) and scores the float32
``tflite`` engine and ``tflite-int8`` with flip fusion off and on, which is the check that
quantisation keeps LFW accuracy within 0.1 %.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.timing import FLOAT32_FLOOR_MS, stats, time_call
from faceapp.cli.common import positive_int
from faceapp.core.embedding import create_embedder
from faceapp.core.embedding.engines import AUTO_ENGINE, ENGINES, QUANTIZED_ENGINES
from faceapp.core.embedding.facenet import FaceNetEmbedder
from faceapp.core.embedding.facenet_model import prewhiten

CASES = ("b16 net", "b16 app", "1 net", "1 app")
#: Images the network computes per face in each case (flip fusion doubles them).
IMAGES_PER_FACE = {"b16 net": 1, "b16 app": 2, "1 net": 1, "1 app": 2}

log = logging.getLogger("embed_paths")


def real_crops(max_photos: int) -> np.ndarray:
    """Return aligned RGB crops of the most central face of the 5-celebrity photos."""
    from faceapp import paths
    from faceapp.core.images import ImageError, load_image
    from faceapp.core.pipeline import FacePipeline, central_face

    photos = sorted(paths.celebrity_dir().glob("*/*/*.jpg"))[:max_photos]
    if not photos:
        raise SystemExit(f"no photos under {paths.celebrity_dir()}; run 'faceapp weights fetch'")
    pipeline = FacePipeline()
    pipeline.detector.prepare()
    crops = []
    for photo in photos:
        try:
            frame = load_image(photo)
        except ImageError:
            continue
        face = central_face(pipeline.detect(frame), frame.shape[1], frame.shape[0])
        if face is not None:
            crops.append(pipeline.crops(frame, [face])[0])
    return np.stack(crops)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the cosine of each row of ``a`` with the same row of ``b``."""
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)


def lfw_comparison(
    lfw_dir: Path, engines: list[str], pairs_file: Path | None = None
) -> dict[str, Any]:
    """Score each engine with flip fusion off and on on the LFW protocol, detecting once."""
    from faceapp.core.evaluation.lfw import run_lfw
    from faceapp.core.evaluation.protocol import evaluate
    from faceapp.core.pipeline import FacePipeline

    embedders = {
        (name, flip): create_embedder(engine=name, flip=flip)
        for name in engines
        for flip in (False, True)
    }
    for embedder in embedders.values():
        embedder.prepare()
    outputs: dict[tuple[str, bool], list[np.ndarray]] = {key: [] for key in embedders}

    class Tee:
        """Embeds with every embedder; hands the first engine's flip-on result to the run."""

        input_size, dim = 160, 128

        def prepare(self) -> None:
            pass

        def embed(self, crops: np.ndarray) -> np.ndarray:
            for key, embedder in embedders.items():
                outputs[key].append(embedder.embed(crops))
            return outputs[(engines[0], True)][-1]

    pipeline = FacePipeline(embedder=Tee())
    pipeline.detector.prepare()
    run = run_lfw(pipeline, lfw_dir, pairs_file)
    row = {rel: k for k, rel in enumerate(run.images)}
    ia = [row[p.path_a_rel] for p in run.pairs.pairs]
    ib = [row[p.path_b_rel] for p in run.pairs.pairs]
    out: dict[str, Any] = {}
    for (name, flip), parts in outputs.items():
        emb = np.concatenate(parts)
        base = np.concatenate(outputs[(engines[0], flip)])
        summary = evaluate(
            np.linalg.norm(emb[ia] - emb[ib], axis=1), run.pairs.same, run.pairs.folds
        )
        c = np.sum(emb * base, axis=1)
        out[f"{name} flip {'on' if flip else 'off'}"] = {
            "accuracy": summary["accuracy"],
            "accuracy_std": summary["accuracy_std"],
            "tar_at_far_1e-3": summary["tar_at_far_1e-3"],
            "threshold": summary["threshold"],
            f"cos_vs_{engines[0]}_min": float(c.min()),
            f"cos_vs_{engines[0]}_median": float(np.median(c)),
        }
    print(f"{'engine':<22}{'accuracy':>10}{'TAR@1e-3':>10}{'threshold':>11}{'cos min':>9}")
    for key, v in out.items():
        print(
            f"{key:<22}{v['accuracy']:>10.4f}{v['tar_at_far_1e-3']:>10.4f}"
            f"{v['threshold']:>11.3f}{v[f'cos_vs_{engines[0]}_min']:>9.4f}"
        )
    return {"lfw": str(lfw_dir), "images": len(run.images), "pairs": len(ia), "runs": out}


def equivalence(embedders: dict[str, FaceNetEmbedder], crops: np.ndarray) -> dict[str, dict]:
    """Cosines of each engine to ``graph`` (flip off and on) and to the unfolded network."""
    outputs = {}
    for name, embedder in embedders.items():
        for flip in (False, True):
            embedder.flip = flip
            outputs[(name, flip)] = embedder.embed(crops)
        embedder.flip = True
    unfolded = embedders["graph"].model.predict(prewhiten(crops), batch_size=16, verbose=0)
    table: dict[str, dict] = {}
    for name in embedders:
        row = {
            f"cos_min_vs_graph_flip_{'on' if flip else 'off'}": float(
                cosines(outputs[(name, flip)], outputs[("graph", flip)]).min()
            )
            for flip in (False, True)
        }
        row["cos_min_vs_unfolded_flip_off"] = float(
            cosines(outputs[(name, False)], np.asarray(unfolded)).min()
        )
        table[name] = row
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=12,
        help="timed rounds (10 or more for figures to quote)",
    )
    parser.add_argument("--photos", type=int, default=200, help="photos to crop faces from")
    parser.add_argument("--cache", action="store_true", help="let tflite use its cached conversion")
    parser.add_argument("--lfw", type=Path, help="LFW folder: compare tflite and tflite-int8 on it")
    parser.add_argument("--pairs", type=Path, help="with --lfw: pairs file (default LFW/pairs.txt)")
    parser.add_argument(
        "--engines",
        default=",".join([*ENGINES, *QUANTIZED_ENGINES]),
        help="comma-separated engines to time (graph, the reference, is always one)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.lfw:
        print(json.dumps(lfw_comparison(args.lfw, ["tflite", *QUANTIZED_ENGINES], args.pairs)))
        return 0

    crops = real_crops(args.photos)
    print(f"{len(crops)} real face crops")

    names = ["graph", *(n for n in args.engines.split(",") if n and n != "graph")]
    unknown = [n for n in names if n not in (*ENGINES, *QUANTIZED_ENGINES)]
    if unknown:
        parser.error(f"unknown engine {unknown[0]!r}")
    embedders: dict[str, FaceNetEmbedder] = {}
    prepare_s: dict[str, float] = {}
    for name in names:
        embedders[name] = create_embedder(engine=name, cache=args.cache, flip=True)
        prepare_s[name] = round(time_call(embedders[name].prepare).ms / 1000.0, 2)

    # Equivalence on every crop, flip off and on; warms every shape used below as well.
    cos = equivalence(embedders, crops)
    for embedder in embedders.values():
        for n in (1, 2, 16):
            embedder.raw(prewhiten(crops[:n]))

    samples: dict[str, dict[str, list[float]]] = {n: {c: [] for c in CASES} for n in names}
    others: dict[str, list[float]] = {n: [] for n in names}
    repeats = args.repeats
    if repeats < 10:
        log.warning("%d timed rounds: too few for figures to quote (10 or more)", repeats)
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        start = (r * 16) % max(1, len(crops) - 16)
        b16 = crops[start : start + 16]
        one = crops[start : start + 1]
        x16, x1 = prewhiten(b16), prewhiten(one)
        jobs: dict[str, tuple[Callable[[FaceNetEmbedder], Any], int]] = {
            "b16 net": (lambda e, x=x16: e.raw(x), len(x16)),
            "b16 app": (lambda e, x=b16: e.embed(x), len(b16)),
            "1 net": (lambda e, x=x1: e.raw(x), 1),
            "1 app": (lambda e, x=one: e.embed(x), 1),
        }
        for case, (job, faces) in jobs.items():
            for name in order:
                call = time_call(lambda job=job, e=embedders[name]: job(e))
                samples[name][case].append(call.ms / faces)
                others[name].append(call.others_cpu)

    header = f"{'engine':<12}" + "".join(f"{c + ' ms':>22}" for c in CASES)
    header += f"{'floor b16':>11}{'floor 1':>9}{'cos min':>12}{'others':>8}"
    print(f"\nms (per face for b16), min/median/max of {repeats} interleaved repeats")
    print(header)
    result: dict[str, Any] = {}
    for name in names:
        cells = "".join(
            "{:>22}".format("{min:.1f}/{median:.1f}/{max:.1f}".format(**stats(samples[name][c])))
            for c in CASES
        )
        med = {c: float(np.median(samples[name][c])) for c in CASES}
        floor = {c: FLOAT32_FLOOR_MS * IMAGES_PER_FACE[c] / med[c] for c in CASES}
        load = float(np.nanmean(others[name])) if others[name] else float("nan")
        print(
            f"{name:<12}{cells}{floor['b16 net']:>11.2f}{floor['1 net']:>9.2f}"
            f"{min(cos[name].values()):>12.7f}{load:>8.2f}"
        )
        result[name] = {
            "ms": {c: stats(samples[name][c]) for c in CASES},
            "floor_fraction_median": {c: round(v, 3) for c, v in floor.items()},
            "prepare_s": prepare_s[name],
            "others_cpu": round(load, 2),
            **cos[name],
        }
    timed = [n for n in ENGINES if n in names]
    fastest = {c: min(timed, key=lambda n: np.median(samples[n][c])) for c in CASES}
    print(f"\nfastest float32 engine per case (median): {fastest}; 'auto' runs {AUTO_ENGINE}")
    print(f"prepare seconds (tflite cache {'on' if args.cache else 'off'}):")
    print("  " + ", ".join(f"{k} {v:.1f}" for k, v in prepare_s.items()))
    print(
        json.dumps(
            {
                "crops": len(crops),
                "repeats": repeats,
                "floor_ms": round(FLOAT32_FLOOR_MS, 2),
                "auto": AUTO_ENGINE,
                "fastest": fastest,
                "engines": result,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
