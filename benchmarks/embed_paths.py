"""Embedding benchmark: FaceNet under each TensorFlow execution path, on real face crops.

Usage::

    python benchmarks/embed_paths.py [--repeats R] [--photos N] [--cache]

Crops come from the 5-celebrity photos: MTCNN finds the most central face of each photo
and :meth:`FacePipeline.crops` aligns it to 160 x 160.  Every engine of
:class:`faceapp.core.embedder.FaceNetEmbedder` is loaded, plus ``previous``: the path
before engines existed (a ``tf.function`` over the Keras network as loaded, batch norms
not folded).  Equivalence is the cosine of each engine's embeddings to the ``graph``
engine's (and to ``previous``), with flip fusion off and on.

Timing is interleaved: each repeat runs every case on every engine, rotating which
engine goes first, so load from other processes hits all alike.  Cases:

* ``b16 net``   -- 16 crops through :meth:`raw` (network only, flip off), ms per face;
* ``b16 app``   -- 16 crops through :meth:`embed` with flip fusion (32 images), ms per face;
* ``1 net``     -- one crop through :meth:`raw`, ms;
* ``1 app``     -- one crop through :meth:`embed` with flip fusion (2 images), ms.

The float32 floor is 18.0 ms per image (2.83 GFLOP at 157 GFLOP/s, the issue's peak
for two AVX2 cores at 2.45 GHz); ``floor`` columns are ``18.0 / (ms per image)``, so 1.0
means at that floor (an app case computes two images per face).  ``others`` is the CPU
(in cores) that other processes used during an engine's samples, from ``/proc/stat``.
The last line of output is one JSON object.

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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from faceapp.core.embedder import (  # noqa: E402
    AUTO_ENGINE,
    ENGINES,
    QUANTIZED_ENGINES,
    FaceNetEmbedder,
    prewhiten,
)

from faceapp.core.matching import l2_normalize  # noqa: E402

#: ms per 160 x 160 image at the float32 peak the issue states (2.83 GFLOP / 157 GFLOP/s).
FLOOR_MS = 18.0
CASES = ("b16 net", "b16 app", "1 net", "1 app")
#: Images the network computes per face in each case (flip fusion doubles them).
IMAGES_PER_FACE = {"b16 net": 1, "b16 app": 2, "1 net": 1, "1 app": 2}

log = logging.getLogger("embed_paths")


def real_crops(max_photos: int) -> np.ndarray:
    """Return aligned RGB crops of the most central face of the 5-celebrity photos."""
    import cv2

    from faceapp import paths
    from faceapp.core.pipeline import FacePipeline, central_face

    photos = sorted(paths.celebrity_dir().glob("*/*/*.jpg"))[:max_photos]
    if not photos:
        raise SystemExit(f"no photos under {paths.celebrity_dir()}; run 'faceapp weights fetch'")
    pipeline = FacePipeline()
    pipeline.detector.prepare()
    crops = []
    for photo in photos:
        frame = cv2.imread(str(photo))
        if frame is None:
            continue
        face = central_face(pipeline.detect(frame), frame.shape[1], frame.shape[0])
        if face is not None:
            crops.append(pipeline.crops(frame, [face])[0])
    return np.stack(crops)


class Runner:
    """``raw`` (network only) and ``embed`` (app path, flip fusion on or off) of one engine."""

    def __init__(
        self,
        raw: Callable[[np.ndarray], np.ndarray],
        embed: Callable[[np.ndarray, bool], np.ndarray],
    ):
        self.raw = raw
        self.embed = embed


def engine_runner(embedder: FaceNetEmbedder) -> Runner:
    def embed(crops: np.ndarray, flip: bool) -> np.ndarray:
        embedder.flip = flip
        return embedder.embed(crops)

    return Runner(embedder.raw, embed)


def previous_runner(embedder: FaceNetEmbedder) -> Runner:
    """The pre-engine path: tf.function over the unfolded Keras model, padded to buckets."""
    import tensorflow as tf

    model = embedder.model
    infer = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def raw(batch: np.ndarray) -> np.ndarray:
        out = []
        for s in range(0, len(batch), 16):
            chunk = np.asarray(batch[s : s + 16], np.float32)
            size = next(b for b in (1, 2, 4, 8, 16) if len(chunk) <= b)
            pad = np.zeros((size - len(chunk), *chunk.shape[1:]), np.float32)
            out.append(np.asarray(infer(np.concatenate([chunk, pad])))[: len(chunk)])
        return np.concatenate(out)

    def embed(crops: np.ndarray, flip: bool) -> np.ndarray:
        x = prewhiten(crops)
        if not flip:
            return l2_normalize(raw(x))
        both = raw(np.concatenate([x, x[:, :, ::-1]]))
        return l2_normalize(both[: len(x)] + both[len(x) :])

    return Runner(raw, embed)


def cpu_snapshot() -> tuple[int, int] | None:
    """Return (busy jiffies of the machine, jiffies of this process), or None off Linux."""
    try:
        with open("/proc/stat") as fh:
            v = [int(f) for f in fh.readline().split()[1:]]
        with open("/proc/self/stat") as fh:
            s = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7], int(s[11]) + int(s[12])


def others_cpu(a: tuple[int, int] | None, b: tuple[int, int] | None, wall: float) -> float:
    """CPU cores other processes used between two snapshots (NaN when unknown)."""
    if a is None or b is None or wall <= 0:
        return float("nan")
    # Clock ticks are 10 ms, so short samples read a little off; never below zero.
    return max(0.0, ((b[0] - a[0]) - (b[1] - a[1])) / os.sysconf("SC_CLK_TCK") / wall)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)


def stats(values: list[float]) -> dict[str, float]:
    v = np.asarray(values)
    return {
        "min": round(float(v.min()), 2),
        "median": round(float(np.median(v)), 2),
        "max": round(float(v.max()), 2),
    }


def lfw_comparison(lfw_dir: Path, engines: list[str]) -> dict[str, Any]:
    """Score each engine on the LFW protocol, sharing one detection pass."""
    from faceapp.core.evaluation.lfw import run_lfw
    from faceapp.core.evaluation.protocol import evaluate
    from faceapp.core.pipeline import FacePipeline

    embedders = {name: FaceNetEmbedder(engine=name) for name in engines}  # type: ignore[arg-type]
    for embedder in embedders.values():
        embedder.prepare()
    raws: dict[str, list[np.ndarray]] = {name: [] for name in engines}

    class Tee:
        """Embeds with every engine; hands the first engine's result to the pipeline."""

        input_size, dim = 160, 128

        def prepare(self) -> None:
            pass

        def embed(self, crops: np.ndarray) -> np.ndarray:
            x = prewhiten(crops)
            both = np.concatenate([x, x[:, :, ::-1]])
            for name, embedder in embedders.items():
                raws[name].append(embedder.raw(both).reshape(2, len(x), -1))
            first = raws[engines[0]][-1]
            return l2_normalize(first[0] + first[1])

    pipeline = FacePipeline(embedder=Tee())
    pipeline.detector.prepare()
    run = run_lfw(pipeline, lfw_dir)
    row = {rel: k for k, rel in enumerate(run.images)}
    ia = [row[p.path_a_rel] for p in run.pairs.pairs]
    ib = [row[p.path_b_rel] for p in run.pairs.pairs]
    out: dict[str, Any] = {}
    base: dict[bool, np.ndarray] = {}
    for name in engines:
        raw = np.concatenate(raws[name], axis=1)
        for flip in (False, True):
            emb = l2_normalize(raw[0] + raw[1]) if flip else l2_normalize(raw[0])
            base.setdefault(flip, emb)
            summary = evaluate(
                np.linalg.norm(emb[ia] - emb[ib], axis=1), run.pairs.same, run.pairs.folds
            )
            c = np.sum(emb * base[flip], axis=1)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=12, help="timed rounds (>= 10)")
    parser.add_argument("--photos", type=int, default=200, help="photos to crop faces from")
    parser.add_argument("--cache", action="store_true", help="let tflite use its cached conversion")
    parser.add_argument("--lfw", type=Path, help="LFW folder: compare tflite and tflite-int8 on it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.lfw:
        print(json.dumps(lfw_comparison(args.lfw, ["tflite", *QUANTIZED_ENGINES])))
        return 0

    crops = real_crops(args.photos)
    print(f"{len(crops)} real face crops")

    runners: dict[str, Runner] = {}
    prepare_s: dict[str, float] = {}
    graph_embedder: FaceNetEmbedder | None = None
    for name in ENGINES + QUANTIZED_ENGINES:
        embedder = FaceNetEmbedder(engine=name, cache=args.cache)  # type: ignore[arg-type]
        t = time.perf_counter()
        embedder.prepare()
        prepare_s[name] = round(time.perf_counter() - t, 2)
        runners[name] = engine_runner(embedder)
        if name == "graph":
            graph_embedder = embedder
    assert graph_embedder is not None
    runners["previous"] = previous_runner(graph_embedder)
    names = ["previous", *ENGINES, *QUANTIZED_ENGINES]

    # Equivalence on every crop, flip off and on; warms every shape used below as well.
    outputs = {
        (name, flip): runners[name].embed(crops, flip) for name in names for flip in (False, True)
    }
    for name in names:
        for n in (1, 2, 16):
            runners[name].raw(prewhiten(crops[:n]))
    equivalence: dict[str, dict[str, float]] = {}
    for name in names:
        row = {}
        for ref in ("graph", "previous"):
            for flip in (False, True):
                c = cosines(outputs[(name, flip)], outputs[(ref, flip)])
                row[f"cos_min_vs_{ref}_flip_{'on' if flip else 'off'}"] = float(c.min())
        equivalence[name] = row

    samples: dict[str, dict[str, list[float]]] = {n: {c: [] for c in CASES} for n in names}
    others: dict[str, list[float]] = {n: [] for n in names}
    repeats = max(10, args.repeats)
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        start = (r * 16) % max(1, len(crops) - 16)
        b16 = crops[start : start + 16]
        one = crops[start : start + 1]
        x16, x1 = prewhiten(b16), prewhiten(one)
        jobs: dict[str, tuple[Callable[[Runner], Any], int]] = {
            "b16 net": (lambda run, x=x16: run.raw(x), len(x16)),
            "b16 app": (lambda run, x=b16: run.embed(x, True), len(b16)),
            "1 net": (lambda run, x=x1: run.raw(x), 1),
            "1 app": (lambda run, x=one: run.embed(x, True), 1),
        }
        for case, (job, faces) in jobs.items():
            for name in order:
                a = cpu_snapshot()
                t = time.perf_counter()
                job(runners[name])
                wall = time.perf_counter() - t
                samples[name][case].append(wall * 1000 / faces)
                others[name].append(others_cpu(a, cpu_snapshot(), wall))

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
        floor = {c: FLOOR_MS * IMAGES_PER_FACE[c] / med[c] for c in CASES}
        cos = min(equivalence[name][k] for k in equivalence[name] if "_vs_graph_" in k)
        load = float(np.nanmean(others[name])) if others[name] else float("nan")
        print(
            f"{name:<12}{cells}{floor['b16 net']:>11.2f}{floor['1 net']:>9.2f}"
            f"{cos:>12.7f}{load:>8.2f}"
        )
        result[name] = {
            "ms": {c: stats(samples[name][c]) for c in CASES},
            "floor_fraction_median": {c: round(v, 3) for c, v in floor.items()},
            "prepare_s": prepare_s.get(name),
            "others_cpu": round(load, 2),
            **equivalence[name],
        }
    fastest = {c: min(ENGINES, key=lambda n: np.median(samples[n][c])) for c in CASES}
    print(f"\nfastest float32 engine per case (median): {fastest}; 'auto' runs {AUTO_ENGINE}")
    print(f"prepare seconds (TF already imported; tflite cache {'on' if args.cache else 'off'}):")
    print("  " + ", ".join(f"{k} {v:.1f}" for k, v in prepare_s.items()))
    print(
        json.dumps(
            {
                "crops": len(crops),
                "repeats": repeats,
                "floor_ms": FLOOR_MS,
                "auto": AUTO_ENGINE,
                "fastest": fastest,
                "engines": result,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
