"""Running the pipeline over an LFW-format dataset and scoring it with the official protocol."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faceapp.core.evaluation.protocol import PairsFile, evaluate, parse_pairs
from faceapp.core.images import ImageError, load_image
from faceapp.core.pipeline import FacePipeline, central_face
from faceapp.core.types import Box, Face

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class LfwRun:
    """Everything one evaluation produced.

    Attributes
    ----------
    summary : dict
        :func:`faceapp.core.evaluation.evaluate` output plus counts and timings.
    distances : ndarray
        Distance of each pair, in file order.
    pairs : PairsFile
        The protocol that was run.
    timings : dict
        Seconds spent reading, detecting, aligning and embedding.
    images : tuple of str
        Relative paths of the images, parallel to ``embeddings``.
    embeddings : ndarray, shape (n_images, 128)
        One embedding per image.
    """

    summary: dict[str, object]
    distances: np.ndarray
    pairs: PairsFile
    timings: dict[str, float] = field(default_factory=dict)
    images: tuple[str, ...] = ()
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 128), np.float32))


def fallback_face(width: int, height: int, typical: tuple[float, float, float, float]) -> Face:
    """Return a face placed where faces usually are in this dataset's images.

    LFW-format images are centred on one face, so an image in which the detector finds
    nothing is cropped at the median relative box of the images where it did find one.

    Parameters
    ----------
    typical : tuple
        Median ``(x, y, w, h)`` of the detected boxes, as fractions of the image size.
    """
    fx, fy, fw, fh = typical
    box = Box(fx * width, fy * height, fw * width, fh * height)
    cx, cy = box.center
    # Landmarks in canonical proportions of the box (used only by the similarity method).
    rel = ((-0.18, -0.12), (0.18, -0.12), (0.0, 0.06), (-0.15, 0.24), (0.15, 0.24))
    pts = tuple((cx + dx * box.w, cy + dy * box.h) for dx, dy in rel)
    return Face(box, pts, 0.0)  # type: ignore[arg-type]


def run_lfw(
    pipeline: FacePipeline,
    lfw_dir: Path,
    pairs_file: Path | None = None,
    progress: Progress | None = None,
    batch_size: int = 16,
) -> LfwRun:
    """Embed every image of the protocol and evaluate it.

    Each image contributes its most central face (:func:`central_face`); images where no
    face is found are counted in ``no_face`` and cropped at the dataset's median box
    (:func:`fallback_face`), so every pair is scored, as the protocol requires.

    Raises
    ------
    FileNotFoundError
        When the pairs file or an image it names is missing.
    ValueError
        When the pairs file is malformed.
    """
    pairs = parse_pairs(pairs_file or lfw_dir / "pairs.txt")
    images = sorted({p.path_a_rel for p in pairs.pairs} | {p.path_b_rel for p in pairs.pairs})
    missing = [rel for rel in images if not (lfw_dir / rel).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} images of the pairs file are missing, e.g. {lfw_dir / missing[0]}"
        )
    t = {"read": 0.0, "detect": 0.0, "align": 0.0, "embed": 0.0}
    start = time.perf_counter()

    found: dict[str, tuple[np.ndarray, Face]] = {}
    undetected: dict[str, np.ndarray] = {}
    unreadable: list[str] = []
    for i, rel in enumerate(images):
        t0 = time.perf_counter()
        try:
            frame = load_image(lfw_dir / rel)
        except ImageError as exc:
            log.warning("%s", exc)
            unreadable.append(rel)
            continue
        t1 = time.perf_counter()
        face = central_face(pipeline.detect(frame), frame.shape[1], frame.shape[0])
        t["read"] += t1 - t0
        t["detect"] += time.perf_counter() - t1
        if face is None:
            undetected[rel] = frame
        else:
            found[rel] = (frame, face)
        if progress:
            progress(i + 1, 2 * len(images))
    if unreadable:
        raise ValueError(f"{len(unreadable)} images cannot be read, e.g. {unreadable[0]}")

    rel_boxes = np.array(
        [
            (
                f.box.x / fr.shape[1],
                f.box.y / fr.shape[0],
                f.box.w / fr.shape[1],
                f.box.h / fr.shape[0],
            )
            for fr, f in found.values()
        ]
    )
    typical = tuple(np.median(rel_boxes, axis=0)) if len(rel_boxes) else (0.25, 0.2, 0.5, 0.6)
    for rel, frame in undetected.items():
        found[rel] = (frame, fallback_face(frame.shape[1], frame.shape[0], typical))

    order = list(found)
    embeddings = np.zeros((len(order), pipeline.embedder.dim), np.float32)
    for s in range(0, len(order), batch_size):
        chunk = order[s : s + batch_size]
        t0 = time.perf_counter()
        crops = np.stack([pipeline.crops(found[r][0], [found[r][1]])[0] for r in chunk])
        t1 = time.perf_counter()
        embeddings[s : s + len(chunk)] = pipeline.embedder.embed(crops)
        t["align"] += t1 - t0
        t["embed"] += time.perf_counter() - t1
        if progress:
            progress(len(images) + s + len(chunk), 2 * len(images))
    row = {rel: k for k, rel in enumerate(order)}
    a = embeddings[[row[p.path_a_rel] for p in pairs.pairs]]
    b = embeddings[[row[p.path_b_rel] for p in pairs.pairs]]
    distances = np.linalg.norm(a - b, axis=1).astype(np.float32)

    seconds = time.perf_counter() - start
    summary: dict[str, object] = dict(evaluate(distances, pairs.same, pairs.folds))
    summary.update(
        pairs=len(pairs.pairs),
        images=len(images),
        no_face=len(undetected),
        no_face_handling="cropped at the dataset's median face box",
        seconds=round(seconds, 2),
        images_per_second=round(len(images) / seconds, 2),
        time_split={k: round(v, 2) for k, v in t.items()},
        align=pipeline.align,
    )
    return LfwRun(summary, distances, pairs, t, tuple(order), embeddings)


def run_from_embeddings(
    images: tuple[str, ...] | list[str],
    embeddings: np.ndarray,
    pairs_file: Path,
    align: str = "",
) -> LfwRun:
    """Score embeddings saved by an earlier run (``eval-lfw --save-distances``) again.

    Nothing is detected or embedded: the pairs of ``pairs_file`` are looked up among
    ``images`` and scored with the protocol, so the summary has no timings.

    Parameters
    ----------
    images : sequence of str
        Relative image paths (``Name/Name_0001.jpg``), parallel to ``embeddings``.
    embeddings : ndarray, shape (n_images, d)
        L2-normalised embeddings.
    pairs_file : Path
        The protocol.
    align : str
        How the saved run aligned faces, recorded in the summary.

    Raises
    ------
    ValueError
        When the arrays disagree or an image of the pairs file has no embedding.
    """
    pairs = parse_pairs(pairs_file)
    emb = np.asarray(embeddings, np.float32)
    if emb.ndim != 2 or emb.shape[0] != len(images):
        raise ValueError(f"{len(images)} images but embeddings of shape {emb.shape}")
    row = {rel: k for k, rel in enumerate(images)}
    needed = {p.path_a_rel for p in pairs.pairs} | {p.path_b_rel for p in pairs.pairs}
    missing = sorted(needed - row.keys())
    if missing:
        raise ValueError(
            f"{len(missing)} images of the pairs file have no embedding, e.g. {missing[0]}"
        )
    a = emb[[row[p.path_a_rel] for p in pairs.pairs]]
    b = emb[[row[p.path_b_rel] for p in pairs.pairs]]
    distances = np.linalg.norm(a - b, axis=1).astype(np.float32)
    summary: dict[str, object] = dict(evaluate(distances, pairs.same, pairs.folds))
    summary.update(pairs=len(pairs.pairs), images=len(needed), align=align)
    return LfwRun(summary, distances, pairs, {}, tuple(images), emb)
