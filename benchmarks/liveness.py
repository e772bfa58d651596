"""Liveness figures, through ``faceapp verify NAME --video FILE --liveness --json`` itself.

Two measurements:

* **replays** (reject rate): the 5-celebrity people are enrolled from their ``train``
  photos; for each person and each kind in ``tests.liveness_media.REPLAY_KINDS`` a still
  photo of them (their most frontal photo: the attacker's best choice; the enrolled one
  itself for every other kind) is replayed in front of a simulated webcam for 7 s, and
  the claim is checked with the liveness challenge.  ``--baseline`` also checks each
  replay without the challenge (what ``--video`` alone accepts); ``--no-claim`` also runs
  the challenge with no identity to match, to see the liveness part on its own.
* **real** (pass rate): LFW people with at least 4 photos.  The first photo (by name) is
  enrolled; the others are ordered by MediaPipe's yaw (``benchmarks/labels/
  lfw_yaw_mediapipe.tsv``, made by ``benchmarks/lfw_yaw_labels.py``) into "face the
  camera, turn left, turn right" and timed as a head turning at 60 degrees a second.
  These are sequences of real photos, not videos.  Every sequence whose photos include
  a near-frontal start (|yaw| <= 10) and turns of at least ``--min-turn`` degrees both
  ways is run; the figures are split by how far the sequence turns.

Run from the repository root (it prints one JSON document as the last line)::

    python -m benchmarks.liveness --part both --baseline --no-claim
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.data import LFW_DIR

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "benchmarks" / "labels" / "lfw_yaw_mediapipe.tsv"
#: Turn spans (degrees, the smaller of the two directions) the real sequences are split by.
SPAN_BINS = ((10, 15), (15, 20), (20, 30), (30, 90))


def faceapp(*argv: str) -> tuple[int, dict | None, str]:
    """Run one faceapp command in this process; return its exit code, JSON and stderr."""
    from faceapp.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([*argv, "--json"])
    lines = out.getvalue().strip().splitlines()
    doc = json.loads(lines[-1]) if lines and lines[-1].startswith(("{", "[")) else None
    return code, doc, err.getvalue().strip()


def most_frontal(photos: list[Path]) -> Path:
    """The photo whose largest face has the smallest nose offset (an attacker's best pick)."""
    from faceapp.cli.common import loaded_pipeline as _pipeline
    from faceapp.core.images import load_image
    from faceapp.core.liveness import nose_offset
    from faceapp.core.pipeline import largest_face

    pipeline = _pipeline(argparse.Namespace())
    best, best_offset = photos[0], float("inf")
    for photo in photos:
        face = largest_face(pipeline.detect(load_image(photo)))
        offset = None if face is None else nose_offset(face.landmarks)
        if offset is not None and abs(offset[0]) < best_offset:
            best, best_offset = photo, abs(offset[0])
    return best


def liveness_alone(frames: list) -> dict:
    """Run the challenge with no claim over ``frames`` (BGR, 15 fps): liveness on its own."""
    from faceapp.cli.common import loaded_pipeline as _pipeline
    from faceapp.core.liveness import LivenessChallenge, run_challenge
    from faceapp.core.matching import GalleryIndex
    from faceapp.core.tracking import FaceTracker

    pipeline = _pipeline(argparse.Namespace())
    pipeline.tracker = FaceTracker(live=None)  # as faceapp verify --video runs it
    empty = GalleryIndex.empty()
    try:
        results = (
            pipeline.process(f, empty, index=i, timestamp=i / 15.0) for i, f in enumerate(frames)
        )
        state = run_challenge(results, LivenessChallenge(None))
    finally:
        pipeline.tracker = None
    lo_hi = state.offset_range
    return {
        "live": bool(state.live),
        "reason": state.reason,
        "nose_offset_range": None if lo_hi is None else [round(v, 3) for v in lo_hi],
    }


def run_replays(work: Path, baseline: bool, alone: bool, log) -> dict:
    from faceapp import paths
    from faceapp.core.images import load_image
    from tests.conftest import person_photos
    from tests.liveness_media import REPLAY_KINDS, replay_frames, write_video

    celeb = paths.celebrity_dir()
    train, val = person_photos(celeb, "train"), person_photos(celeb, "val")
    gallery = work / "celebrities.sqlite3"
    for person, photos in train.items():
        enrolled = sum(
            faceapp("enroll", person, str(p), "--gallery", str(gallery))[0] == 0 for p in photos
        )
        log(f"enrolled {person}: {enrolled} of {len(photos)} train photos")
    rows = []
    for n, person in enumerate(train):
        choices = {"val": most_frontal(val[person]), "enrolled": most_frontal(train[person])}
        for k, kind in enumerate(REPLAY_KINDS):
            which = "val" if k % 2 == 0 else "enrolled"
            photo = choices[which]
            frames = replay_frames(load_image(photo), kind, seed=100 + 10 * n + k).frames
            video = write_video(frames, work / "replay.avi")
            base = ("verify", person, "--video", str(video), "--gallery", str(gallery))
            code, doc, err = faceapp(*base, "--liveness")
            row = {"person": person, "kind": kind, "photo": which, "exit": code, **(doc or {})}
            if doc is None:
                row["error"] = err
            if baseline:
                code0, doc0, _ = faceapp(*base)
                row["without_liveness"] = None if doc0 is None else doc0["decision"]
            if alone:
                row["without_claim"] = liveness_alone(frames)
            rows.append(row)
            log(
                f"replay {person:15s} {kind:14s} {which:8s} -> {row.get('decision')} "
                f"live={row.get('live')} matched={row.get('matched')} "
                f"range={row.get('nose_offset_range')} ({row.get('reason')})"
                + (f" | without liveness: {row['without_liveness']}" if baseline else "")
                + (f" | no claim: {row['without_claim']}" if alone else "")
            )
    rejected = sum(r.get("decision") == "reject" for r in rows)
    summary = {
        "replays": len(rows),
        "rejected": rejected,
        "reject_rate": round(rejected / len(rows), 4),
        "identity_matched": sum(bool(r.get("matched")) for r in rows),
        "reasons": Counter(r.get("reason") for r in rows if r.get("decision") == "reject"),
        "swung_past_plus_and_minus": what_if(rows),
        "largest_nose_offset_swing": max(
            (r["nose_offset_range"][1] - r["nose_offset_range"][0])
            for r in rows
            if r.get("nose_offset_range")
        ),
    }
    if alone:
        summary["live_without_claim"] = sum(r["without_claim"]["live"] for r in rows)
        summary["swung_past_plus_and_minus_without_claim"] = what_if(
            [r["without_claim"] for r in rows]
        )
    if baseline:
        summary["accepted_without_liveness"] = sum(r["without_liveness"] == "accept" for r in rows)
    return {"summary": summary, "rows": rows}


#: Other turn offsets the summaries estimate the outcome for (see :func:`what_if`).
WHAT_IF_TURNS = (0.12, 0.15, 0.18, 0.21)


def what_if(rows: list[dict]) -> dict[str, int]:
    """How many rows' nose offset swung past +T and -T, for each T in WHAT_IF_TURNS.

    An estimate from the recorded ``nose_offset_range`` (order and timing ignored, so it
    overstates how many replays would pass; a sequence that passed stopped recording at
    its pass, so for T above the one used it understates how many real turns would pass).
    """
    out = {}
    for turn in WHAT_IF_TURNS:
        out[f"{turn:.2f}"] = sum(
            1
            for r in rows
            if r.get("nose_offset_range")
            and r["nose_offset_range"][0] <= -turn
            and r["nose_offset_range"][1] >= turn
        )
    return out


def read_labels(lfw: Path) -> dict[str, list[tuple[Path, float]]]:
    """``{person: [(photo, yaw)]}`` from the MediaPipe labels, photos that have a yaw."""
    people: dict[str, list[tuple[Path, float]]] = defaultdict(list)
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        rel, yaw = line.split("\t")
        if yaw != "nan":
            people[rel.split("/")[0]].append((lfw / rel, float(yaw)))
    return people


def span_bin(span: float) -> str:
    for lo, hi in SPAN_BINS:
        if lo <= span < hi:
            return f"{lo}-{hi}"
    return "other"


def run_real(work: Path, lfw: Path, min_turn: float, limit: int | None, log) -> dict:
    from faceapp.cli.common import loaded_pipeline as _pipeline
    from faceapp.core.images import load_image
    from tests.liveness_media import held_in_place, turn_sequence, write_video

    pipeline = _pipeline(argparse.Namespace())
    gallery = work / "lfw.sqlite3"
    rows, skipped = [], Counter()
    for person, labelled in sorted(read_labels(lfw).items()):
        if len(labelled) < 4:
            skipped["fewer than 4 photos with a yaw"] += 1
            continue
        enrol, rest = labelled[0], labelled[1:]
        yaws = [y for _, y in rest]
        span = min(max(yaws), -min(yaws))
        if min(abs(y) for y in yaws) > 10:
            skipped["no photo within 10 degrees of frontal"] += 1
            continue
        if span < min_turn:
            skipped[f"turns less than {min_turn:g} degrees one way or the other"] += 1
            continue
        if limit is not None and len(rows) >= limit:
            break
        code, _, err = faceapp(
            "enroll", person, str(enrol[0]), "--largest", "--gallery", str(gallery)
        )
        if code != 0:
            skipped["enrolment photo unusable"] += 1
            log(f"skip {person}: {err}")
            continue
        photos = held_in_place([(load_image(p), y) for p, y in rest], pipeline.detect)
        frames = turn_sequence(photos)
        video = write_video(frames, work / "turn.avi")
        code, doc, err = faceapp(
            "verify", person, "--video", str(video), "--liveness", "--gallery", str(gallery)
        )
        row = {
            "person": person,
            "photos": len(rest),
            "span": round(span, 1),
            "bin": span_bin(span),
            "seconds_of_video": round(len(frames) / 15.0, 2),
            "exit": code,
            **(doc or {"error": err}),
        }
        rows.append(row)
        log(
            f"real {person:28s} photos={len(rest):2d} span={span:5.1f} -> {row.get('decision')} "
            f"live={row.get('live')} matched={row.get('matched')} "
            f"range={row.get('nose_offset_range')} ({row.get('reason')})"
        )
    by_bin = {}
    for name in sorted({r["bin"] for r in rows}):
        sel = [r for r in rows if r["bin"] == name]
        by_bin[name] = {
            "sequences": len(sel),
            "accepted": sum(r.get("decision") == "accept" for r in sel),
            "live": sum(bool(r.get("live")) for r in sel),
        }
    accepted = sum(r.get("decision") == "accept" for r in rows)
    summary = {
        "sequences": len(rows),
        "accepted": accepted,
        "pass_rate": round(accepted / max(len(rows), 1), 4),
        "live": sum(bool(r.get("live")) for r in rows),
        "by_turn_span_degrees": by_bin,
        "swung_past_plus_and_minus": {
            name: what_if([r for r in rows if r["bin"] == name]) for name in by_bin
        },
        "reasons": Counter(r.get("reason") for r in rows if r.get("decision") != "accept"),
        "not_run": skipped,
    }
    return {"summary": summary, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["replays", "real", "both"], default="both")
    parser.add_argument("--lfw", type=Path, default=LFW_DIR)
    parser.add_argument("--min-turn", type=float, default=10.0, help="degrees (MediaPipe yaw)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many sequences")
    parser.add_argument("--baseline", action="store_true", help="also verify without liveness")
    parser.add_argument(
        "--no-claim", action="store_true", help="also run each replay's challenge with no claim"
    )
    parser.add_argument("--out", type=Path, default=None, help="write every row as JSON here")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result: dict = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="faceapp-liveness-") as tmp:
        if args.part in ("replays", "both"):
            result["replays"] = run_replays(Path(tmp), args.baseline, args.no_claim, log)
        if args.part in ("real", "both"):
            result["real"] = run_real(Path(tmp), args.lfw, args.min_turn, args.limit, log)
    result["seconds"] = round(time.perf_counter() - start, 1)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    print(json.dumps({k: v["summary"] if isinstance(v, dict) else v for k, v in result.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
