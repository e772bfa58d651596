"""Subcommands on photos and videos of faces: enrol, identify, verify (with liveness)."""

from __future__ import annotations

import argparse
from typing import Any

from faceapp.cli.common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    HistoryRecorder,
    UsageError,
    emit,
    loaded_pipeline,
    note,
    open_store,
    shown,
    threshold_from,
)


def cmd_enroll(args: argparse.Namespace) -> int:
    """Enrol photos of one person; all or nothing, and only faces that look like them."""
    from faceapp.core.enrolment_check import check_enrolment, with_sample
    from faceapp.core.images import display_name, load_image
    from faceapp.enrolment import prepare_sample
    from faceapp.storage.gallery import normalise_name

    name = normalise_name(args.name)  # a refused name fails before anything is read
    threshold = threshold_from(args)
    store = open_store(args)
    frames = [(load_image(p), str(p)) for p in args.images]  # bad files fail before the model loads
    pipeline = loaded_pipeline(args)
    samples = [prepare_sample(pipeline, frame, src, args.largest) for frame, src in frames]
    # Each photo is checked against the gallery and the photos of this run before it.
    index, verdicts = store.index(), []
    for sample in samples:
        verdict = check_enrolment(sample.embedding, index, name, threshold)
        verdicts.append(verdict)
        if verdict.ok:
            index = with_sample(index, name, sample.embedding)
    refused = [(s, v) for s, v in zip(samples, verdicts) if not v.ok]
    if refused and not args.force:
        sample, verdict = refused[0]
        more = f" (and {len(refused) - 1} more photo(s))" if len(refused) > 1 else ""
        raise UsageError(
            f"{display_name(sample.source)}: {verdict.message}{more}; nothing enrolled "
            "(add --force to enrol it anyway)"
        )
    for sample, verdict in refused:
        note(args, f"{display_name(sample.source)}: {verdict.message}; enrolled (--force)")
    store.add_samples(name, [s.stored() for s in samples])
    person = store.find_person(name)
    lines = [f"enrolled {len(samples)} sample(s) for {name} ({person.n_samples} in total)"]
    doc = {
        "name": name,
        "added": len(samples),
        "samples": person.n_samples,
        "checks": [
            dict(v.as_dict(), source=s.source, forced=not v.ok) for s, v in zip(samples, verdicts)
        ],
    }
    emit(args, doc, lines)
    return EXIT_OK


def cmd_identify(args: argparse.Namespace) -> int:
    """Name every face in each photo."""
    from faceapp.core.images import display_name, load_image
    from faceapp.core.pipeline import MatchSettings

    threshold = threshold_from(args)
    store = open_store(args)
    index = store.index()
    frames = [(p, load_image(p)) for p in args.images]  # fail on bad input before the model loads
    pipeline = loaded_pipeline(args)
    recorder = HistoryRecorder(args, store)
    doc, lines, any_known = [], [], False
    for path, frame in frames:
        result = pipeline.process(frame, index, MatchSettings(threshold=threshold))
        recorder.add_frame(frame, result, "recognition", display_name(path), still=True)
        faces = [fr.to_json() for fr in result.faces]
        any_known |= any(f["name"] for f in faces)
        doc.append({"image": str(path), "faces": faces})
        if not faces:
            lines.append(f"{path}: no face found")
        for f in faces:
            dist = "-" if f["distance"] is None else f"{f['distance']:.3f}"
            label = shown(f["name"]) if f["name"] else "unknown"
            lines.append(f"{path}: {label} (distance {dist}) at {f['box']}")
    if args.history and recorder.active:
        lines.append(f"recorded {recorder.flush()} event(s) in the history")
    emit(args, doc, lines)
    return EXIT_OK if any_known else EXIT_NEGATIVE


def cmd_verify(args: argparse.Namespace) -> int:
    """Accept or reject a claimed identity."""
    from faceapp.core.appearances import Appearance
    from faceapp.core.images import display_name, load_image
    from faceapp.core.matching import DEFAULT_VERIFICATION_FAR, lfw_operating_point, verify
    from faceapp.enrolment import choose_face

    if args.video is not None or args.liveness or args.image is None:
        return cmd_verify_video(args)
    threshold = threshold_from(args, "verification")
    store = open_store(args)
    person = store.find_person(args.name)  # the same name rules as enroll and gallery
    if person is None:
        raise UsageError(f"nobody called {args.name!r} is enrolled (see 'faceapp gallery list')")
    index = store.index()
    name = person.name
    if name not in index.names:
        raise UsageError(f"{shown(name)} has no face samples; enrol a photo of them first")
    frame = load_image(args.image)
    pipeline = loaded_pipeline(args)
    face = choose_face(pipeline.detect(frame), args.largest, str(args.image))
    match = verify(pipeline.embed(frame, [face])[0], index, name, threshold)
    verdict = "accepted" if match.accepted else "rejected"
    lfw = lfw_operating_point(threshold)
    doc = {
        "name": name,
        "accepted": match.accepted,
        "distance": round(match.distance, 4),
        "threshold": threshold,
        "threshold_source": "--threshold"
        if args.threshold is not None
        else f"verification default: false-accept rate {DEFAULT_VERIFICATION_FAR:g} on LFW",
        "lfw_false_accept_rate": None if lfw is None else float(f"{lfw.far:.4g}"),
        "lfw_impostor_pairs_accepted": None if lfw is None else lfw.impostor_accepted,
        "lfw_impostor_pairs": None if lfw is None else lfw.impostor_pairs,
    }
    how = "default for verification" if args.threshold is None else "given"
    lines = [
        f"{verdict}: {shown(name)} (distance {match.distance:.3f}, threshold "
        f"{threshold:.4g}, {how})"
    ]
    recorder = HistoryRecorder(args, store)
    if recorder.active:
        event = Appearance(None, 0, 0.0, face, match, "verification", verdict)
        recorder.add(frame, [event], display_name(args.image), still=True)
        doc["history_recorded"] = recorder.flush()
        lines.append(f"recorded {doc['history_recorded']} event(s) in the history")
    emit(args, doc, lines)
    return EXIT_OK if match.accepted else EXIT_NEGATIVE


#: Frames whose faces are embedded when a video is verified without the liveness check.


VIDEO_BEST_FRAMES = 3


def cmd_verify_video(args: argparse.Namespace) -> int:
    """Accept or reject a claimed identity from a video, with or without the liveness challenge.

    With ``--liveness`` the claim is accepted only when the face matches it throughout and
    passes :class:`~faceapp.core.liveness.LivenessChallenge`; without it, the faces of the
    :data:`VIDEO_BEST_FRAMES` best frames are verified together, as a photo would be.
    """
    from faceapp.core.sources import VideoCaptureSource

    if args.video is None:
        if args.liveness:
            raise UsageError(
                "--liveness needs a video: 'faceapp verify NAME --video FILE --liveness'"
            )
        raise UsageError(
            "give a photo or a video: 'faceapp verify NAME PHOTO' or '... --video FILE'"
        )
    if args.image is not None:
        raise UsageError("give either a photo or --video, not both")
    if not args.video.is_file():
        raise UsageError(f"{args.video}: no such video file")
    threshold = threshold_from(args, "verification")
    store = open_store(args)
    person = store.find_person(args.name)  # the same name rules as the photo path
    if person is None:
        raise UsageError(f"nobody called {args.name!r} is enrolled (see 'faceapp gallery list')")
    args.name = person.name
    index = store.index()
    if args.name not in index.names:
        raise UsageError(f"{shown(args.name)} has no face samples; enrol a photo of them first")
    source = VideoCaptureSource(args.video)
    source.open()  # an unreadable file fails here, before the models load
    source.close()
    pipeline = loaded_pipeline(args)
    run = _verify_live if args.liveness else _verify_best_frames
    doc = run(args, pipeline, source, index, threshold)
    accepted = doc["decision"] == "accept"
    lines = [
        f"{'accepted' if accepted else 'rejected'}: {args.name} "
        f"(distance {_fmt(doc['distance'])}, threshold {threshold:.3f})"
        + ("" if doc["live"] is None else f"; live: {'yes' if doc['live'] else 'no'}")
        + (f"; {doc['reason']}" if doc["reason"] else "")
    ]
    emit(args, doc, lines)
    return EXIT_OK if accepted else EXIT_NEGATIVE


def _fmt(distance: float | None) -> str:
    return "-" if distance is None else f"{distance:.3f}"


def _frames_of(source: Any, counter: list[int]) -> Any:
    """Yield the frames of ``source``, counting them in ``counter[0]``."""
    from faceapp.core.sources import iterate

    for frame in iterate(source):
        counter[0] += 1
        yield frame


def _no_frames(args: argparse.Namespace) -> UsageError:
    return UsageError(f"{args.video}: no frames could be read from this video")


def _verify_live(
    args: argparse.Namespace, pipeline: Any, source: Any, index: Any, threshold: float
) -> dict[str, Any]:
    """Run the liveness challenge over the video; return the JSON document."""
    from contextlib import closing

    from faceapp.core.liveness import LivenessChallenge, run_challenge
    from faceapp.core.pipeline import MatchSettings
    from faceapp.core.tracking import FaceTracker

    settings = MatchSettings(threshold=threshold, mode="verification", claim=args.name)
    challenge = LivenessChallenge(args.name)
    read = [0]
    pipeline.tracker = FaceTracker(live=None)  # every frame detected: the landmarks decide
    try:
        frames = _frames_of(source, read)
        with closing(frames):
            results = (
                pipeline.process(f.image, index, settings, f.index, f.timestamp) for f in frames
            )
            state = run_challenge(results, challenge)
    finally:
        pipeline.tracker = None
    if read[0] == 0:
        raise _no_frames(args)
    lo_hi = state.offset_range
    return {
        "name": args.name,
        "decision": "accept" if state.passed else "reject",
        "live": bool(state.live),
        "matched": state.matched,
        "reason": state.reason,
        "distance": None if state.distance is None else round(state.distance, 4),
        "threshold": threshold,
        "seconds": round(state.elapsed, 2),
        "frames": read[0],
        "nose_offset_range": None if lo_hi is None else [round(v, 3) for v in lo_hi],
    }


def _verify_best_frames(
    args: argparse.Namespace, pipeline: Any, source: Any, index: Any, threshold: float
) -> dict[str, Any]:
    """Verify the largest face of the video's best frames together; return the JSON document."""
    import heapq

    from faceapp.core.liveness import nose_offset
    from faceapp.core.matching import l2_normalize, verify
    from faceapp.core.pipeline import largest_face

    best: list[tuple[float, int, Any, Any]] = []  # a min-heap of (quality, index, image, face)
    read = [0]
    for frame in _frames_of(source, read):
        face = largest_face(pipeline.detect(frame.image))
        if face is None:
            continue
        offset = nose_offset(face.landmarks)
        frontal = 0.05 if offset is None else max(0.05, 1.0 - abs(offset[0]) / 0.3)
        quality = face.score * frontal * min(1.0, face.box.w / 112.0)
        item = (quality, frame.index, frame.image, face)
        if len(best) < VIDEO_BEST_FRAMES:
            heapq.heappush(best, item)
        elif quality > best[0][0]:
            heapq.heapreplace(best, item)
    if read[0] == 0:
        raise _no_frames(args)
    if not best:
        raise UsageError(f"{args.video}: no face found in this video")
    embeddings = [pipeline.embed(image, [face])[0] for _, _, image, face in best]
    match = verify(l2_normalize(sum(embeddings)), index, args.name, threshold)
    return {
        "name": args.name,
        "decision": "accept" if match.accepted else "reject",
        "live": None,
        "reason": None,
        "distance": round(match.distance, 4),
        "threshold": threshold,
        "frames": read[0],
        "frames_used": sorted(i for _, i, _, _ in best),
    }
