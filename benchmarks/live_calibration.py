"""Calibrating live mode on real faces: how small a face can be named, and the phantom floor.

Two studies, each printing JSON (``python -m benchmarks.live_calibration sizes|phantoms``):

``sizes``
    LFW pairs (the first fold's first ``--pairs`` same and different pairs): the first
    image at full size is the enrolled photo, the second is shrunk until its face's
    shorter box side is ``s`` pixels (as a person further from the camera), then
    detected, aligned and embedded as the live pipeline does.  Per size: how often the
    face is found, and the share of same-person pairs accepted (TAR) and of
    different-person pairs accepted (FAR) at the default threshold.
``phantoms``
    Detection scores of true faces (the central face of LFW images, the largest face of
    every 5-celebrity photo) against detections in the same pictures once every face
    found in them at a low score is painted over (face-free regions of real photos,
    at the picture's own size and enlarged to a camera frame).  Reports, for candidate
    score floors and minimum sizes, the recall of true faces and the phantoms per image.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.data import LFW_DIR

REPO = Path(__file__).resolve().parents[1]

log = logging.getLogger(__name__)

#: Face sizes (shorter side of the detector's box, pixels) the size study shrinks probes to.
SIZES = (24, 32, 40, 48, 56, 64, 80)


def _central(faces: list[Any], image: np.ndarray) -> Any:
    from faceapp.core.pipeline import central_face

    return central_face(faces, image.shape[1], image.shape[0])


def size_study(lfw_dir: Path, n_pairs: int, sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """Return detection rate, TAR and FAR at the default threshold per probe face size."""
    from faceapp.core.detection import create_detector
    from faceapp.core.evaluation.protocol import parse_pairs
    from faceapp.core.images import load_image
    from faceapp.core.matching import PAIR_THRESHOLD, face_distance
    from faceapp.core.pipeline import FacePipeline
    from faceapp.core.quality import face_size_px

    pairs_file = parse_pairs(lfw_dir / "pairs.txt")
    per = pairs_file.n_per_fold
    pairs = [*pairs_file.pairs[:n_pairs], *pairs_file.pairs[per : per + n_pairs]]
    # Small faces need a pyramid that starts small; the study is about naming, not finding.
    pipe = FacePipeline(detector=create_detector(min_face_size=12))
    pipe.prepare()
    out: dict[str, Any] = {"pairs": len(pairs), "threshold": PAIR_THRESHOLD, "sizes": {}}
    gallery: dict[str, np.ndarray | None] = {}
    probes: list[tuple[bool, np.ndarray | None, np.ndarray, Any]] = []
    for pair in pairs:
        if pair.path_a_rel not in gallery:
            img = load_image(lfw_dir / pair.path_a_rel)
            face = _central(pipe.detect(img), img)
            gallery[pair.path_a_rel] = None if face is None else pipe.embed(img, [face])[0]
        probe = load_image(lfw_dir / pair.path_b_rel)
        face = _central(pipe.detect(probe), probe)
        probes.append((pair.same, gallery[pair.path_a_rel], probe, face))
    native = [face_size_px(f) for _, _, _, f in probes if f is not None]
    out["native_face_px_median"] = round(float(np.median(native)), 1)
    for s in (*sizes, 0):
        found = accepted_same = accepted_diff = n_same = n_diff = 0
        dist: dict[bool, list[float]] = {True: [], False: []}
        for same, ref, probe, face in probes:
            if ref is None or face is None:
                continue
            img = probe
            if s:
                k = s / face_size_px(face)
                if k >= 1.0:
                    continue  # already smaller than s: not part of this size's figures
                img = cv2.resize(probe, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
            n_same += same
            n_diff += not same
            small = _central(pipe.detect(img), img)
            if small is None:
                continue
            found += 1
            d = float(face_distance(pipe.embed(img, [small])[0], ref[None])[0])
            dist[same].append(d)
            if d <= PAIR_THRESHOLD:
                accepted_same += same
                accepted_diff += not same
        label = str(s) if s else "native"
        out["sizes"][label] = {
            "probes": n_same + n_diff,
            "found": round(found / max(n_same + n_diff, 1), 4),
            "tar": round(accepted_same / max(n_same, 1), 4),
            "far": round(accepted_diff / max(n_diff, 1), 4),
            "same_distance_median": round(float(np.median(dist[True])), 3) if dist[True] else None,
            "different_distance_median": (
                round(float(np.median(dist[False])), 3) if dist[False] else None
            ),
        }
        log.info("size %s: %s", label, out["sizes"][label])
    return out


#: Scales the photos are searched at: LFW's 250 px photos halved (faces of about 45 px, as
#: a person a few metres from a webcam), as they are, and doubled.
PHANTOM_SCALES = (0.5, 1.0, 2.0)

#: Detections other than the photo's subject scoring at least this are judged by eye
#: (contact sheets written by ``phantoms --sheets``; verdicts in ``phantom_audit.json``).
AUDIT_FROM = 0.85

AUDIT_FILE = Path(__file__).with_name("phantom_audit.json")


def _crop_id(rel: str, scale: float, box: Any) -> str:
    return f"{rel}@{scale:g}#{round(box.x)},{round(box.y)},{round(box.w)}"


def _photos(lfw_dir: Path, celebrity_dir: Path, n_lfw: int) -> list[tuple[str, Path, str]]:
    """Return ``(id, path, kind)``: ``n_lfw`` LFW photos (seeded pick) and every celebrity one."""
    from benchmarks.frames import lfw_images

    files = lfw_images(lfw_dir)
    pick = np.random.default_rng(11).choice(len(files), size=min(n_lfw, len(files)), replace=False)
    out = [(f"lfw/{files[i].parent.name}/{files[i].name}", files[i], "lfw") for i in sorted(pick)]
    for p in sorted(celebrity_dir.glob("*/*/*.jpg")):
        out.append((f"celebrity/{p.relative_to(celebrity_dir).as_posix()}", p, "celebrity"))
    return out


def _detections(lfw_dir: Path, celebrity_dir: Path, n_lfw: int) -> list[dict[str, Any]]:
    """Detect every photo at each scale; mark the subject's face (central or largest)."""
    from faceapp.core.detection import create_detector
    from faceapp.core.pipeline import central_face, largest_face

    detector = create_detector()  # the detector's own settings: 20 px, last stage 0.8
    detector.prepare()
    rows: list[dict[str, Any]] = []
    for rel, path, kind in _photos(lfw_dir, celebrity_dir, n_lfw):
        image = cv2.imread(str(path))
        if image is None:
            continue
        for scale in PHANTOM_SCALES:
            img = image
            if scale != 1.0:
                interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
                img = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interp)
            faces = detector.detect(img)
            h, w = img.shape[:2]
            if kind == "lfw":
                subject = central_face(faces, w, h)
                if subject is not None and (
                    abs(subject.box.center[0] - w / 2) > 0.12 * w
                    or abs(subject.box.center[1] - h / 2) > 0.12 * h
                ):
                    subject = None  # LFW centres its subject: anything else is not them
            else:
                subject = largest_face(faces)
            rows.append(
                {
                    "photo": rel,
                    "scale": scale,
                    "subject": True,
                    "found": subject is not None,
                    "score": subject.score if subject else 0.0,
                    "size": min(subject.box.w, subject.box.h) if subject else 0.0,
                    "id": _crop_id(rel, scale, subject.box) if subject else None,
                    "box": [subject.box.x, subject.box.y, subject.box.w, subject.box.h]
                    if subject
                    else None,
                }
            )
            for f in faces:
                if f is subject:
                    continue
                rows.append(
                    {
                        "photo": rel,
                        "scale": scale,
                        "subject": False,
                        "found": True,
                        "score": f.score,
                        "size": min(f.box.w, f.box.h),
                        "id": _crop_id(rel, scale, f.box),
                        "box": [f.box.x, f.box.y, f.box.w, f.box.h],
                    }
                )
    return rows


def _overlap(a: list[float], b: list[float]) -> float:
    """Intersection over the smaller area of two ``x, y, w, h`` boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / max(min(a[2] * a[3], b[2] * b[3]), 1e-9)


def mark_duplicates(rows: list[dict[str, Any]]) -> None:
    """Mark detections lying mostly inside a better-scored one of the same image.

    A second box on a face already found is a duplicate, not a face of its own nor a
    detection on a face-free region; the studies count duplicates apart.
    """
    groups: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("box") is not None:
            groups.setdefault((r["photo"], r["scale"]), []).append(r)
    for group in groups.values():
        group.sort(key=lambda r: -r["score"])
        for k, r in enumerate(group):
            r["duplicate"] = not r["subject"] and any(
                _overlap(r["box"], better["box"]) >= 0.5 for better in group[:k]
            )


def contact_sheets(
    rows: list[dict[str, Any]], lfw_dir: Path, celebrity_dir: Path, out_dir: Path
) -> list[Path]:
    """Write 10x10 sheets of the detections to judge by eye, numbered in id order."""
    mark_duplicates(rows)
    todo = sorted(
        (r for r in rows if not r["subject"] and not r["duplicate"] and r["score"] >= AUDIT_FROM),
        key=lambda r: r["id"],
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    sheets = []
    for start in range(0, len(todo), 100):
        sheet = np.zeros((10 * 90, 10 * 90, 3), np.uint8)
        for k, r in enumerate(todo[start : start + 100]):
            kind, rest = r["photo"].split("/", 1)
            img = cv2.imread(str((lfw_dir if kind == "lfw" else celebrity_dir) / rest))
            s = r["scale"]
            x, y, w, h = (v / s for v in r["box"])
            m = 0.15 * max(w, h)
            x0, y0 = max(0, int(x - m)), max(0, int(y - m))
            crop = img[y0 : int(y + h + m) + 1, x0 : int(x + w + m) + 1]
            crop = cv2.resize(crop, (80, 80), interpolation=cv2.INTER_AREA)
            row, col = divmod(k, 10)
            sheet[row * 90 : row * 90 + 80, col * 90 : col * 90 + 80] = crop
            label = f"{start + k} {r['score']:.3f}"
            cv2.putText(
                sheet,
                label,
                (col * 90, row * 90 + 89),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.3,
                (0, 255, 255),
                1,
            )
        path = out_dir / f"sheet-{start // 100}.png"
        cv2.imwrite(str(path), sheet)
        sheets.append(path)
    (out_dir / "order.json").write_text(json.dumps([r["id"] for r in todo]))
    return sheets


def phantom_study(rows: list[dict[str, Any]], audit: dict[str, str]) -> dict[str, Any]:
    """Return recall of true faces and phantoms per image for candidate floors and sizes."""
    mark_duplicates(rows)
    true, phantom, unsure, duplicates, unjudged = [], [], [], [], 0
    for r in rows:
        if r["subject"]:
            true.append(r)  # found or not: a subject the detector missed lowers recall
        elif r["duplicate"]:
            duplicates.append(r)
        elif r["score"] >= AUDIT_FROM:
            verdict = audit.get(r["id"])
            if verdict == "face":
                true.append(r)
            elif verdict == "phantom":
                phantom.append(r)
            elif verdict == "unsure":
                unsure.append(r)
            else:
                unjudged += 1
    images = {(r["photo"], r["scale"]) for r in rows}
    out: dict[str, Any] = {
        "photos": len({r["photo"] for r in rows}),
        "images": len(images),
        "true_faces": len(true),
        "phantoms": len(phantom),
        "unsure": len(unsure),
        "unsure_scores": sorted(round(r["score"], 4) for r in unsure),
        "duplicates": len(duplicates),
        "duplicate_scores": sorted(round(r["score"], 4) for r in duplicates),
        "unjudged": unjudged,
        "phantom_scores": sorted(round(r["score"], 4) for r in phantom),
        "table": [],
    }
    for size in (0.0, 24.0, 32.0, 40.0, 48.0):
        for floor in (0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995):
            kept = [r for r in true if r["found"] and r["score"] >= floor and r["size"] >= size]
            eligible = [r for r in true if r["size"] >= size or not r["found"]]
            ph = [r for r in phantom if r["score"] >= floor and r["size"] >= size]
            maybe = [r for r in unsure if r["score"] >= floor and r["size"] >= size]
            out["table"].append(
                {
                    "min_size": size,
                    "floor": floor,
                    "recall": round(len(kept) / max(len(eligible), 1), 4),
                    "recall_vs_default": round(
                        len(kept) / max(sum(r["found"] and r["size"] >= size for r in true), 1), 4
                    ),
                    "subject_recall": round(
                        sum(r["subject"] for r in kept)
                        / max(sum(r["subject"] for r in eligible), 1),
                        4,
                    ),
                    "phantoms": len(ph),
                    "unsure": len(maybe),
                    "phantoms_per_1000_images": round(1000 * len(ph) / len(images), 2),
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    """Run one study and print its JSON."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("study", choices=("sizes", "phantoms"))
    p.add_argument("--pairs", type=int, default=150, help="same and different pairs (sizes)")
    p.add_argument("--lfw", type=Path, default=LFW_DIR)
    p.add_argument("--photos", type=int, default=800, help="LFW photos (phantoms)")
    p.add_argument("--detections", type=Path, help="cache of the detections (phantoms)")
    p.add_argument("--sheets", type=Path, help="write contact sheets to judge here (phantoms)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.study == "sizes":
        result = size_study(args.lfw, args.pairs)
    else:
        from faceapp import paths

        celebrity = paths.celebrity_dir()
        if args.detections is not None and args.detections.is_file():
            rows = json.loads(args.detections.read_text())
        else:
            rows = _detections(args.lfw, celebrity, args.photos)
            if args.detections is not None:
                args.detections.write_text(json.dumps(rows))
        if args.sheets is not None:
            for path in contact_sheets(rows, args.lfw, celebrity, args.sheets):
                log.info("wrote %s", path)
            return 0
        audit = json.loads(AUDIT_FILE.read_text())["verdicts"] if AUDIT_FILE.is_file() else {}
        result = phantom_study(rows, audit)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
