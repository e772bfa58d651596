"""Subcommands on photos and videos of faces: enrol, identify, verify (with liveness)."""

from __future__ import annotations

import argparse
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceapp.cli.common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    HistoryRecorder,
    UsageError,
    check_writable,
    checked_output,
    emit,
    loaded_pipeline,
    log,
    note,
    open_store,
    progress_bar,
    shown,
    stranger_rate_from,
    threshold_from,
)
from faceapp.storage.outputs import open_private


def enrolment_check(args: argparse.Namespace) -> Callable[..., Any]:
    """Return the wrong-person check as ``enroll``'s options set it.

    ``check(embedding, index, name) -> EnrolmentVerdict``
    (:func:`~faceapp.core.enrolment_check.check_enrolment` with :func:`threshold_from` and
    :func:`stranger_rate_from`).
    """
    from faceapp.core.enrolment_check import check_enrolment

    threshold, rate = threshold_from(args), stranger_rate_from(args)

    def check(embedding: Any, index: Any, name: str) -> Any:
        return check_enrolment(embedding, index, name, threshold, rate)

    return check


def cmd_enroll(args: argparse.Namespace) -> int:
    """Enrol photos of one person; all or nothing, and only faces that look like them."""
    from faceapp.core.enrolment_check import screen_embeddings
    from faceapp.core.images import display_name, load_image
    from faceapp.enrolment import prepare_sample
    from faceapp.storage.gallery import normalise_name

    if args.folders is not None:
        if args.name is not None:
            raise UsageError("give either NAME IMAGE... or --folders DIR, not both")
        return cmd_enroll_folders(args)
    if args.name is None or not args.images:
        raise UsageError(
            "enroll: give a name and at least one photo ('faceapp enroll NAME IMAGE...') "
            "or a folder of people ('faceapp enroll --folders DIR')"
        )
    name = normalise_name(args.name)  # a refused name fails before anything is read
    threshold = threshold_from(args)
    store = open_store(args)
    check_writable(store.path)
    frames = [(load_image(p), str(p)) for p in args.images]  # bad files fail before the model loads
    pipeline = loaded_pipeline(args)
    samples = [prepare_sample(pipeline, frame, src, args.largest) for frame, src in frames]
    # Each photo is checked against the gallery and the photos of this run before it.
    pairs = [(name, sample.embedding) for sample in samples]
    verdicts = screen_embeddings(pairs, store.index(), threshold, stranger_rate_from(args))
    refused = [(s, v) for s, v in zip(samples, verdicts) if not v.ok]
    if refused and not args.force:
        sample, verdict = refused[0]
        more = f" (and {len(refused) - 1} more photo(s))" if len(refused) > 1 else ""
        raise UsageError(
            f"{display_name(sample.source)}: {verdict.message}{more}; nothing enrolled "
            "(add --force to enrol it anyway)"
        )
    store.add_samples(name, [s.stored() for s in samples])
    # Said only once the samples are stored: a gallery that cannot be written fails above.
    for sample, verdict in refused:
        note(args, f"{display_name(sample.source)}: {verdict.message}; enrolled (--force)")
    person = store.find_person(name)
    lines = [f"enrolled {len(samples)} sample(s) for {shown(name)} ({person.n_samples} in total)"]
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


def cmd_enroll_folders(args: argparse.Namespace) -> int:
    """Enrol everybody in a folder of people: one model load, one write per person.

    Every photo is reported (enrolled, or refused and why); bad photos and refused names
    never stop the batch.  Exit 0 when everything was enrolled, 1 when something was
    refused, 2 when the folder is missing or holds no photos.
    """
    from faceapp.bulk_enrolment import BulkEnrolment, prepare_photo, scan_people_folder
    from faceapp.core.images import display_name

    if args.images:
        raise UsageError("give either NAME IMAGE... or --folders DIR, not both")
    root = args.folders
    if not root.is_dir():
        raise UsageError(f"--folders {display_name(root)}: no such folder")
    check = enrolment_check(args)
    scan = scan_people_folder(root)
    if not scan.n_photos:
        raise UsageError(
            f"{display_name(root)}: no photos found (expected one sub-folder of photos per "
            "person, or photos named after their person)"
        )
    store = open_store(args)
    check_writable(store.path)
    batch = BulkEnrolment(store, check, force=args.force, ignored=scan.ignored)
    pipeline = loaded_pipeline(args)
    show = progress_bar("enrolling")
    done, total = 0, scan.n_photos
    for person in scan.people:
        if person.problem is not None:
            batch.skip(person)
            continue
        attempts = []
        for path in person.photos:
            attempts.append(prepare_photo(pipeline, path, args.largest))
            done += 1
            if show is not None:
                show(done, total)
        result = batch.enrol(person.name, attempts)
        log.info("%s: %d of %d photo(s) enrolled", person.name, result.added, len(person.photos))
    summary = batch.summary()
    lines = []
    for person_result in batch.people:
        if person_result.problem is not None:
            lines.append(f"{shown(person_result.name)}: {person_result.problem}; skipped")
        lines.extend(r.line for r in person_result.photos if r.message is not None)
    if scan.ignored:
        lines.append(f"{scan.ignored} file(s) in {display_name(root)} are not photos; left out")
    lines.append(summary.line)
    emit(args, batch.as_dict(), lines)
    if summary.refused or summary.skipped:
        return EXIT_NEGATIVE
    return EXIT_OK if summary.samples else EXIT_NEGATIVE


def photos_of(paths: list[Path]) -> list[tuple[Path, bool]]:
    """Return each photo to read, and whether it was named itself (rather than found in a folder).

    Folders are searched recursively (:func:`~faceapp.core.images.image_files`); a folder
    without photos is bad input.
    """
    from faceapp.core.images import display_name, image_files

    out: list[tuple[Path, bool]] = []
    for path in paths:
        if not path.is_dir():
            out.append((path, True))
            continue
        found = image_files(path)
        if not found:
            raise UsageError(f"{display_name(path)}: no photos in this folder")
        out.extend((p, False) for p in found)
    return out


#: Columns of ``identify --csv``, one row per face.
IDENTIFY_CSV_COLUMNS = ("image", "x", "y", "w", "h", "name", "maybe", "distance", "note")


def write_faces_csv(doc: list[dict[str, Any]], stream: Any) -> int:
    """Write ``identify``'s answer as CSV, one row per face; return the number of rows.

    A photo without a face, or that could not be read, gets one row with an empty box and
    a ``note``.  File and person names go through
    :func:`~faceapp.storage.history.csv_cell`, so a spreadsheet never runs them.
    """
    import csv

    from faceapp.storage.history import csv_cell

    writer = csv.writer(stream)
    writer.writerow(IDENTIFY_CSV_COLUMNS)
    rows = 0
    for entry in doc:
        image = csv_cell(entry["image"])
        if not entry["faces"]:
            note_text = entry.get("error") or "no face found"
            writer.writerow([image, "", "", "", "", "", "", "", csv_cell(note_text)])
            rows += 1
        for face in entry["faces"]:
            x, y, w, h = (f"{v:g}" for v in face["box"])
            dist = "" if face["distance"] is None else f"{face['distance']:.4f}"
            name, maybe = csv_cell(face["name"]), csv_cell(face["maybe"])
            writer.writerow([image, x, y, w, h, name, maybe, dist, ""])
            rows += 1
    return rows


def cmd_identify(args: argparse.Namespace) -> int:
    """Name every face in each photo, and in the photos of each folder."""
    import sys

    from faceapp.core.errors import ImageError
    from faceapp.core.images import display_name, load_image
    from faceapp.core.matching import GalleryIndex
    from faceapp.core.pipeline import MatchSettings

    settings = MatchSettings(threshold=threshold_from(args), stranger_rate=stranger_rate_from(args))
    if args.csv == "-" and args.json:
        raise UsageError("--csv - and --json both want standard output; choose one")
    csv_path = None if args.csv in (None, "-") else checked_output(args, Path(args.csv), "--csv")
    store = open_store(args)
    # A large shared gallery whose server has pgvector answers 1:K itself (issue 20).
    search = store.server_search() if hasattr(store, "server_search") else None
    index = store.index() if search is None else GalleryIndex.empty()
    photos = photos_of(args.images)
    for path, named in photos:
        if named:
            load_image(path)  # a bad photo named on the command line fails before the model loads
    pipeline = loaded_pipeline(args)
    if search is not None:  # a copy: the models are shared, the matcher is the server's
        pipeline = copy.copy(pipeline)
        pipeline.match = search.match  # type: ignore[method-assign]
    recorder = HistoryRecorder(args, store, pipeline)  # unknown faces kept with their embedding
    doc: list[dict[str, Any]] = []
    lines, any_known = [], False
    for path, _ in photos:
        shown_path = display_name(path)
        try:
            frame = load_image(path)
        except ImageError as exc:
            note(args, str(exc))
            doc.append({"image": str(path), "faces": [], "error": str(exc)})
            continue
        result = pipeline.process(frame, index, settings)
        recorder.add_frame(frame, result, "recognition", shown_path, still=True)
        faces = [fr.to_json() for fr in result.faces]
        any_known |= any(f["name"] for f in faces)
        doc.append({"image": str(path), "faces": faces})
        if not faces:
            lines.append(f"{shown_path}: no face found")
        for f in faces:
            dist = "-" if f["distance"] is None else f"{f['distance']:.3f}"
            label = (
                shown(f["name"])
                if f["name"]
                else f"maybe {shown(f['maybe'])}?"
                if f["maybe"]
                else "unknown"
            )
            lines.append(f"{shown_path}: {label} (distance {dist}) at {f['box']}")
    if args.history and recorder.active:
        lines.append(f"recorded {recorder.flush()} event(s) in the history")
    if args.csv == "-":
        write_faces_csv(doc, sys.stdout)
    else:
        if csv_path is not None:
            with open_private(csv_path) as fh:
                rows = write_faces_csv(doc, fh)
            lines.append(f"wrote {rows} row(s) to {display_name(csv_path)}")
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

#: Frames read from a camera's stream (``verify --video rtsp://...``) without the
#: liveness check: a few seconds of a camera, whose best frames are verified.
STREAM_FRAMES = 50


def cmd_verify_video(args: argparse.Namespace) -> int:
    """Accept or reject a claimed identity from a video, with or without the liveness challenge.

    With ``--liveness`` the claim is accepted only when the face matches it throughout and
    passes :class:`~faceapp.core.liveness.LivenessChallenge`; without it, the faces of the
    :data:`VIDEO_BEST_FRAMES` best frames are verified together, as a photo would be.
    """
    from faceapp.core.images import display_name
    from faceapp.core.sources import (
        NetworkSource,
        VideoCaptureSource,
        network_scheme,
        redact_source,
    )

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
    address = network_scheme(args.video) is not None
    if address:  # a network camera: its name never shows the password
        args.video_name = redact_source(args.video)
    elif not Path(args.video).is_file():
        raise UsageError(f"{display_name(args.video)}: no such video file or camera address")
    else:
        args.video_name = display_name(args.video)
    threshold = threshold_from(args, "verification")
    store = open_store(args)
    person = store.find_person(args.name)  # the same name rules as the photo path
    if person is None:
        raise UsageError(f"nobody called {args.name!r} is enrolled (see 'faceapp gallery list')")
    args.name = person.name
    index = store.index()
    if args.name not in index.names:
        raise UsageError(f"{shown(args.name)} has no face samples; enrol a photo of them first")
    source = NetworkSource(args.video) if address else VideoCaptureSource(Path(args.video))
    source.open()  # an unreadable file or a dead address fails here, before the models load
    source.close()
    pipeline = loaded_pipeline(args)
    run = _verify_live if args.liveness else _verify_best_frames
    doc = run(args, pipeline, source, index, threshold)
    accepted = doc["decision"] == "accept"
    lines = [
        f"{'accepted' if accepted else 'rejected'}: {shown(args.name)} "
        f"(distance {_fmt(doc['distance'])}, threshold {threshold:.3f})"
        + ("" if doc["live"] is None else f"; live: {'yes' if doc['live'] else 'no'}")
        + (f"; {doc['reason']}" if doc["reason"] else "")
    ]
    emit(args, doc, lines)
    return EXIT_OK if accepted else EXIT_NEGATIVE


def _fmt(distance: float | None) -> str:
    return "-" if distance is None else f"{distance:.3f}"


def _frames_of(source: Any, counter: list[int]) -> Any:
    """Yield the frames of ``source`` (a live one's first :data:`STREAM_FRAMES`), counted."""
    from faceapp.core.sources import iterate

    for frame in iterate(source):
        counter[0] += 1
        yield frame
        if source.live and counter[0] >= STREAM_FRAMES:
            return


def _no_frames(args: argparse.Namespace) -> UsageError:
    return UsageError(f"{args.video_name}: no frames could be read from this video")


def _verify_live(
    args: argparse.Namespace, pipeline: Any, source: Any, index: Any, threshold: float
) -> dict[str, Any]:
    """Run the liveness challenge over the video; return the JSON document.

    The video goes through the window's live loop (:mod:`faceapp.session.live`), every
    frame in order, detected in full (verification's tracker); the challenge judges each
    result with its frame and ends the run as soon as it is decided.
    """
    from faceapp.core.liveness import LivenessChallenge
    from faceapp.core.pipeline import MatchSettings
    from faceapp.core.sources import SourceError
    from faceapp.session.live import CaptureLoop, LiveResult, RecognitionLoop, run_source

    settings = MatchSettings(threshold=threshold, mode="verification", claim=args.name)
    challenge = LivenessChallenge(args.name)
    read = [0]
    failures: list[str] = []
    errors: list[Exception] = []
    loop = RecognitionLoop(pipeline, index, settings)
    loop.clear_frames(tracking=True)  # every frame detected: the landmarks decide

    def judge(live: LiveResult) -> None:
        read[0] += 1
        try:  # with each frame's image: the face's look must change smoothly
            done = challenge.update_frame(live.result, live.frame.image).done
        except Exception as exc:  # raised below, in the command's own flow
            errors.append(exc)
            done = True
        if done:
            loop.stop()

    loop.add_tap(judge)
    capture = CaptureLoop(
        source,
        lambda frame: loop.submit_frame(frame, wait=True),
        on_failed=failures.append,
        paced=False,
        reconnect=False,  # a few seconds' check: a stream that stops fails it
    )
    try:
        run_source(capture, loop)
    finally:
        pipeline.tracker = None
    if errors:
        raise errors[0]
    if failures:
        raise SourceError(failures[0])
    state = challenge.state if challenge.state.done else challenge.finish()
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
        raise UsageError(f"{args.video_name}: no face found in this video")
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
