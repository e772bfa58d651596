"""Liveness against attacks it was not tuned to (issue 17): folded prints, photo swaps, real turns.

Every video is run once through the product's pipeline as ``faceapp verify NAME --video
FILE --liveness`` runs it (fast MTCNN every frame, a ``FaceTracker``, the claim checked
by the track's vote), and the same frame results are fed to two challenges: the first
rule (``FIRST_RULE``: the turn's end points only) and the default one (continuity of
the turn and the nose's depth).  People: the 5-celebrity set (enrolled from their
``train`` photos) and LFW people with a near-frontal photo and turns of 20 degrees or
more both ways by MediaPipe's yaw (enrolled from their first photo; skipped when LFW is
absent).

Attacks and real turns (``tests/liveness_media.py``):

* ``fold-20/40/60``: the person's most frontal photo printed, folded along the vertical
  line through the nose by 20, 40 or 60 degrees, held to the camera, then turned +-45;
* ``swap-0.5s/1s/2s``: three still photos of the person (facing the camera, turned to
  their left, turned to their right) cut together, each held that long; ``swap-1s-hand``
  the same held in a moving hand; ``swap-1s-5fps`` seen by a 5 fps camera;
* ``lfw-sequence``: the earlier benchmark's "real" sequences (LFW only): all of the
  person's photos ordered by yaw and cut together at 60 degrees a second -- a swap of
  many photos;
* ``replay-tilt/blur/jpeg-q5``: the most frontal photo printed flat and tilted sideways
  +-55 degrees (``replay_frames``' ``tilt-sideways``, ``blur``, ``jpeg-q5``);
* ``relief-60/120/60-5fps``: the most frontal photo's face lifted onto a head-shaped
  relief and turned +-40 degrees continuously at 60 or 120 degrees a second, at 15 fps,
  or 60 degrees a second seen at 5 fps: a stand-in for a real head turning;
  ``relief-60-blur`` and ``relief-60-jpeg-q5`` the same blurred (sigma 2.5 px) or
  through JPEG at quality 5, as the replays.

Three rules are fed the same frame results: the first rule (``FIRST_RULE``), the
landmark rules of the first change for issue 17 (``LANDMARK_RULE``: continuity and the
landmarks' depth) and the default (those plus the nose's relief in the texture).  The
relief threshold was chosen on the 5 celebrities; the LFW people are held out.

Run from the repository root; it prints a table and one JSON line::

    python -m benchmarks.liveness_attacks [--people N] [--kinds K ...] [--out rows.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.data import LFW_DIR
from benchmarks.liveness import faceapp, read_labels

#: The kinds of video, in the table's order.
KINDS = (
    "fold-20",
    "fold-40",
    "fold-60",
    "swap-0.5s",
    "swap-1s",
    "swap-2s",
    "swap-1s-hand",
    "swap-1s-5fps",
    "lfw-sequence",
    "replay-tilt",
    "replay-blur",
    "replay-jpeg-q5",
    "relief-60",
    "relief-120",
    "relief-60-5fps",
    "relief-60-blur",
    "relief-60-jpeg-q5",
)

#: Kinds that are attacks (every other kind is a stand-in for a real turn).
ATTACKS = tuple(k for k in KINDS if not k.startswith("relief"))


def run_video(pipeline, index, claim, frames, times, threshold) -> dict:
    """Run both challenges over one video's frames; return their verdicts and a frame trace."""
    from faceapp.core.liveness import (
        FIRST_RULE,
        LANDMARK_RULE,
        LivenessChallenge,
        face_patch,
        nose_depth,
        nose_offset,
        patch_resemblance,
    )
    from faceapp.core.pipeline import MatchSettings
    from faceapp.core.tracking import FaceTracker

    settings = MatchSettings(threshold=threshold, mode="verification", claim=claim)
    old, new = LivenessChallenge(claim, FIRST_RULE), LivenessChallenge(claim)
    mid = LivenessChallenge(claim, LANDMARK_RULE)
    costs = []
    pipeline.tracker = FaceTracker(live=None)
    trace = []
    last_patch = None
    reference = None
    try:
        for i, (frame, t) in enumerate(zip(frames, times)):
            result = pipeline.process(frame, index, settings, i, t)
            if not old.state.done:
                old.update_frame(result)
            if not mid.state.done:
                mid.update_frame(result, frame)
            if not new.state.done:
                t0 = time.perf_counter()
                new.update_frame(result, frame)
                costs.append(time.perf_counter() - t0)
            face = None if not result.faces else result.faces[0]
            off = None if face is None else nose_offset(face.face.landmarks)
            patch = None if face is None else face_patch(frame, face.face.landmarks)
            res = None
            if patch is not None and last_patch is not None:
                res = round(patch_resemblance(patch, last_patch), 3)
            last_patch = patch if patch is not None else last_patch
            depth = None
            if off is not None and reference is None and abs(off[0]) <= 0.1:
                reference = (face.face.landmarks, off[0])
            elif off is not None and reference is not None:
                depth = nose_depth(reference[0], face.face.landmarks, reference[1])
            trace.append(
                [
                    round(t, 3),
                    None if off is None else round(off[0], 3),
                    res,
                    None if depth is None else round(min(depth, 9.0), 3),
                ]
            )
            if old.state.done and mid.state.done and new.state.done:
                break
    finally:
        pipeline.tracker = None
    old_state, mid_state, new_state = old.finish(), mid.finish(), new.finish()
    return {
        "old": old_state.passed,
        "mid": mid_state.passed,
        "new": new_state.passed,
        "ms": [round(1000 * c, 3) for c in costs],
        "old_reason": old_state.reason,
        "new_reason": new_state.reason,
        "matched": new_state.matched,
        "trace": trace,
    }


def celebrity_people(pipeline, work: Path, log) -> list[dict]:
    """The 5-celebrity people: enrolled from ``train``; photos ranked by nose offset."""
    from faceapp import paths
    from faceapp.core.images import load_image
    from faceapp.core.liveness import nose_offset
    from faceapp.core.pipeline import largest_face
    from tests.conftest import person_photos

    root = paths.celebrity_dir()
    if not (root / "train").is_dir():
        log("5-celebrity photos absent: skipped")
        return []
    train, val = person_photos(root, "train"), person_photos(root, "val")
    gallery = work / "celebrities.sqlite3"
    people = []
    for person in train:
        for p in train[person]:
            faceapp("enroll", person, str(p), "--gallery", str(gallery))
        posed = []
        for p in val[person] + train[person]:
            image = load_image(p)
            face = largest_face(pipeline.detect(image))
            off = None if face is None else nose_offset(face.landmarks)
            if off is not None:
                posed.append((off[0], image, face))
        posed.sort(key=lambda x: x[0])
        front = min(posed, key=lambda x: abs(x[0]))
        people.append(
            {
                "name": person,
                "set": "celebrities",
                "gallery": gallery,
                "front": front,
                "left": posed[-1],  # largest offset: turned to their left
                "right": posed[0],
                "sequence": None,
            }
        )
    return people


def lfw_people(pipeline, work: Path, limit: int, log) -> list[dict]:
    """LFW people with a photo within 8 degrees of frontal and turns of 20 or more both ways."""
    from faceapp.core.images import load_image
    from faceapp.core.pipeline import largest_face

    if not (LFW_DIR / "pairs.txt").is_file():
        log(f"LFW absent at {LFW_DIR}: skipped")
        return []
    gallery = work / "lfw.sqlite3"
    people = []
    for person, labelled in sorted(read_labels(LFW_DIR).items()):
        if len(people) >= limit or len(labelled) < 4:
            continue
        enrol, rest = labelled[0], labelled[1:]
        yaws = [y for _, y in rest]
        if min(abs(y) for y in yaws) > 8 or max(yaws) < 20 or min(yaws) > -20:
            continue
        if faceapp("enroll", person, str(enrol[0]), "--largest", "--gallery", str(gallery))[0]:
            continue
        loaded = [(load_image(p), y) for p, y in rest]
        picks = {}
        for role, key in (
            ("front", lambda r: abs(r[1])),
            ("left", lambda r: -r[1]),
            ("right", lambda r: r[1]),
        ):
            image, yaw = min(loaded, key=key)
            face = largest_face(pipeline.detect(image))
            picks[role] = (yaw, image, face)
        if any(v[2] is None for v in picks.values()):
            continue
        people.append(
            {"name": person, "set": "lfw", "gallery": gallery, **picks, "sequence": loaded}
        )
    return people


def same_place(posed: list) -> list:
    """The photos of ``posed`` ``(pose, image, face)`` scaled and shifted so the faces sit
    where the first one's does, on a canvas of the first one's size (a held photo swapped
    for another in the same place)."""
    from tests.liveness_media import recentre

    first = posed[0][1]
    size = (first.shape[1], first.shape[0])
    target = None
    out = []
    for _, image, face in posed:
        box = (face.box.x, face.box.y, face.box.w, face.box.h)
        target = target or box
        out.append(recentre(image, box, target, size))
    return out


def videos_of(person: dict, pipeline, kinds: list[str]):
    """Yield ``(kind, frames, timestamps)`` for every kind in ``kinds`` for one person."""
    from tests.liveness_media import (
        FPS,
        folded_print_frames,
        held_in_place,
        photo_swap_frames,
        relief_turn_frames,
        replay_frames,
        turn_sequence,
    )

    def at(fps: float, frames: list) -> tuple[list, list]:
        return frames, [i / fps for i in range(len(frames))]

    _, front, front_face = person["front"]
    trio_images = same_place([person[k] for k in ("front", "left", "right")])
    makers = {
        f"fold-{fold}": lambda fold=fold: at(
            FPS, folded_print_frames(front, front_face.landmarks[2][0], fold, seed=fold)
        )
        for fold in (20, 40, 60)
    }
    for hold, name in ((0.5, "swap-0.5s"), (1.0, "swap-1s"), (2.0, "swap-2s")):
        makers[name] = lambda hold=hold: at(FPS, photo_swap_frames(trio_images, hold))
    makers["swap-1s-hand"] = lambda: at(FPS, photo_swap_frames(trio_images, 1.0, hand_held=True))
    makers["swap-1s-5fps"] = lambda: at(5.0, photo_swap_frames(trio_images, 1.0, fps=5.0))
    for name, replay in (
        ("replay-tilt", "tilt-sideways"),
        ("replay-blur", "blur"),
        ("replay-jpeg-q5", "jpeg-q5"),
    ):
        makers[name] = lambda replay=replay: at(FPS, replay_frames(front, replay).frames)
    if person["sequence"] is not None:
        makers["lfw-sequence"] = lambda: at(
            FPS, turn_sequence(held_in_place(person["sequence"], pipeline.detect))
        )
    for name, speed, drop in (
        ("relief-60", 60, 0),
        ("relief-120", 120, 0),
        ("relief-60-5fps", 60, 3),
    ):
        makers[name] = lambda speed=speed, drop=drop: relief_turn_frames(
            front, front_face.landmarks, peak=40.0, degrees_per_second=speed, drop_every=drop
        )
    for name, spoil in (("relief-60-blur", _blur), ("relief-60-jpeg-q5", _jpeg_q5)):
        makers[name] = lambda spoil=spoil: _spoilt(
            spoil, relief_turn_frames(front, front_face.landmarks, peak=40.0)
        )
    for kind in KINDS:
        if kind in kinds and kind in makers:
            frames, times = makers[kind]()
            yield kind, frames, times


def _blur(frame):
    import cv2

    return cv2.GaussianBlur(frame, (0, 0), 2.5)


def _jpeg_q5(frame):
    import cv2

    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 5])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def _spoilt(spoil, video):
    frames, times = video
    return [spoil(f) for f in frames], times


def table(rows: list[dict]) -> str:
    """The markdown table: kind x people accepted by each rule."""
    by: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by[r["kind"]].append(r)
    lines = [
        "| video | set | people | accepted: first rule | landmark rules | default (+ relief) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind in KINDS:
        for which in ("celebrities", "lfw"):
            sel = [r for r in by.get(kind, []) if r["set"] == which]
            if sel:
                lines.append(
                    f"| {kind} | {which} | {len(sel)} | {sum(r['old'] for r in sel)} "
                    f"| {sum(r['mid'] for r in sel)} | {sum(r['new'] for r in sel)} |"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5, help="LFW people (default 5)")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), help="only these kinds")
    parser.add_argument("--out", type=Path, default=None, help="write every row here (JSON)")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    from faceapp.cli.common import loaded_pipeline
    from faceapp.storage.gallery import GalleryStore

    pipeline = loaded_pipeline(argparse.Namespace())
    start = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="faceapp-liveness-attacks-") as tmp:
        work = Path(tmp)
        people = celebrity_people(pipeline, work, log) + lfw_people(
            pipeline, work, args.people, log
        )
        for person in people:
            index = GalleryStore(person["gallery"]).index()
            for kind, frames, times in videos_of(person, pipeline, args.kinds):
                row = run_video(pipeline, index, person["name"], frames, times, 1.07)
                row.update(kind=kind, person=person["name"], set=person["set"])
                rows.append(row)
                log(
                    f"{person['name']:22s} {kind:18s} first={row['old']!s:5s} "
                    f"landmarks={row['mid']!s:5s} new={row['new']!s:5s} ({row['new_reason']})"
                )
    if args.out:
        args.out.write_text(json.dumps(rows), encoding="utf-8")
    print(table(rows))
    summary = {
        kind: {
            "videos": sum(r["kind"] == kind for r in rows),
            "first_rule": sum(r["old"] for r in rows if r["kind"] == kind),
            "landmark_rules": sum(r["mid"] for r in rows if r["kind"] == kind),
            "default_rule": sum(r["new"] for r in rows if r["kind"] == kind),
        }
        for kind in KINDS
    }
    ms = sorted(c for r in rows for c in r["ms"])
    cost = {}
    if ms:
        cost = {"median": ms[len(ms) // 2], "p95": ms[int(0.95 * (len(ms) - 1))], "max": ms[-1]}
    print(
        json.dumps(
            {
                "summary": summary,
                "challenge_ms_per_frame": cost,
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
