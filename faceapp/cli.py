"""The ``faceapp`` subcommands that need no window (enrol, identify, verify, eval-lfw, ...)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceapp import paths

log = logging.getLogger("faceapp")

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: exit 2 with a one-line message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit; we report and return 2
        raise UsageError(f"{self.prog}: {message}")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--gallery", type=Path, default=None, help="gallery database (default: user data dir)"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print exactly one JSON document on standard output and nothing else",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="faceapp", description="Face recognition on your own computer.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("weights", help="fetch, verify and convert the model weights")
    p.add_argument("action", choices=["fetch", "check", "convert"])
    p.add_argument("--force", action="store_true")
    _common(p)

    p = sub.add_parser(
        "install-desktop", help="add faceapp to the desktop's application menu (this user)"
    )
    p.add_argument("--remove", action="store_true", help="take the launcher and icon away again")
    p.add_argument("--json", action="store_true", help="print one JSON document as the last line")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")

    p = sub.add_parser("enroll", aliases=["enrol"], help="add photos of a person to the gallery")
    p.add_argument("name")
    p.add_argument("images", nargs="+", type=Path)
    p.add_argument("--largest", action="store_true", help="take the largest face of a group photo")
    p.add_argument(
        "--force",
        action="store_true",
        help="enrol a face even when it looks like someone else, or unlike the person's "
        "other samples (refused otherwise, exit 2)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="distance beyond which a face does not look like the person (default: 1.07, "
        "the recognition threshold)",
    )
    _common(p)

    p = sub.add_parser("identify", help="name every face in photos (1:K)")
    p.add_argument("images", nargs="+", type=Path)
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="largest distance that still names a person (default: 1.07, the threshold "
        "of best accuracy on LFW; lower is stricter)",
    )
    _history_flag(p)
    _common(p)

    p = sub.add_parser("verify", help="is the face in a photo or a video the claimed person? (1:1)")
    p.add_argument("name")
    p.add_argument("image", type=Path, nargs="?", help="photo of the face (or give --video)")
    p.add_argument(
        "--video", type=Path, default=None, metavar="FILE", help="a video file of the face instead"
    )
    p.add_argument(
        "--liveness",
        action="store_true",
        help="with --video: accept only when the person turns their head left, then right, "
        "within 6 s, matching the claim throughout (see docs/liveness.md)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="largest distance that still accepts (default: the threshold at which 1 in "
        "10,000 different-person pairs of LFW is accepted, stricter than identify's 1.07)",
    )
    p.add_argument("--largest", action="store_true", help="use the largest face of a group photo")
    _history_flag(p)
    _common(p)

    p = sub.add_parser(
        "gallery", help="list, rename or remove enrolled people; export or import the gallery"
    )
    gsub = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    _common(gsub.add_parser("list"))
    g = gsub.add_parser("rename")
    g.add_argument("old")
    g.add_argument("new")
    _common(g)
    g = gsub.add_parser("remove")
    g.add_argument("name")
    _common(g)
    g = gsub.add_parser(
        "export", help="write the gallery to one file (zip: manifest, embeddings, thumbnails)"
    )
    g.add_argument("file", type=Path)
    g.add_argument("--overwrite", action="store_true", help="replace an existing file")
    _common(g)
    g = gsub.add_parser("import", help="add the people of an exported gallery file")
    g.add_argument("file", type=Path)
    g.add_argument(
        "--on-conflict",
        choices=["merge", "skip", "rename"],
        default=None,
        help="for people already enrolled: add their samples, leave them, or import them "
        "as 'NAME (2)' (without it such an import is refused, exit 2)",
    )
    _common(g)
    g = gsub.add_parser("wipe", help="delete the whole gallery file")
    g.add_argument("--yes", action="store_true", help="confirm")
    g.add_argument(
        "--no-backup",
        action="store_true",
        help="keep no backup copy (and delete the one kept before): the faces are gone for good",
    )
    _common(g)

    p = sub.add_parser(
        "video", help="recognise faces in a video file, optionally writing it annotated"
    )
    p.add_argument("input", help="video file, image folder, camera index or 'demo'")
    p.add_argument("--out", type=Path, default=None, help="annotated video to write (.mp4 or .avi)")
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument(
        "--max-frames", type=_positive_int, default=None, help="stop after this many frames"
    )
    _history_flag(p)
    _common(p)

    p = sub.add_parser(
        "history", help="the recognition history: list, filter, export as CSV, settings"
    )
    p.add_argument(
        "--since",
        default=None,
        help="from this date or time (2026-11-01, 2026-11-01T08:30) "
        "or this long ago (30m, 12h, 7d)",
    )
    p.add_argument("--until", default=None, help="before this date or time (same forms)")
    p.add_argument("--name", default=None, help="only the events of this person")
    p.add_argument(
        "--decision", choices=["named", "unknown", "accepted", "rejected"], action="append"
    )
    p.add_argument("--mode", choices=["recognition", "verification"], default=None)
    p.add_argument("--limit", type=_positive_int, default=None, help="the newest N events")
    p.add_argument("--csv", default=None, help="write the events to this CSV file ('-': stdout)")
    on_off = p.add_mutually_exclusive_group()
    on_off.add_argument("--enable", action="store_true", help="record history in this gallery")
    on_off.add_argument(
        "--disable",
        action="store_true",
        help="record no history in this gallery (what was recorded stays)",
    )
    p.add_argument(
        "--retention", type=_positive_int, default=None, help="keep events this many days (30)"
    )
    p.add_argument("--clear", action="store_true", help="delete every event (with --yes)")
    p.add_argument("--yes", action="store_true", help="confirm --clear")
    _common(p)

    p = sub.add_parser("report", help="how well the thresholds separate your people: an HTML page")
    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    p.add_argument(
        "--threshold", type=float, default=None, help="recognition threshold to mark (1.07)"
    )
    p.add_argument(
        "--verification-threshold",
        type=float,
        default=None,
        help="verification threshold to mark (default: 1 in 10,000 false accepts on LFW)",
    )
    _common(p)

    p = sub.add_parser(
        "eval-lfw", help="LFW verification protocol (10-fold accuracy, TAR@FAR, AUC)"
    )
    p.add_argument("dir", type=Path)
    p.add_argument("--pairs", type=Path, default=None, help="pairs file (default: DIR/pairs.txt)")
    p.add_argument("--align", choices=["box", "similarity"], default=None)
    p.add_argument("--no-flip", action="store_true", help="embed without flip fusion")
    p.add_argument("--detector", choices=["mtcnn", "mtcnn-package"], default="mtcnn")
    p.add_argument("--save-distances", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument(
        "--embeddings",
        type=Path,
        default=None,
        help="score the embeddings an earlier --save-distances run saved instead of running "
        "the models (give the same --align/--no-flip/--detector as that run)",
    )
    p.add_argument(
        "--write-operating-points",
        type=Path,
        default=None,
        help="count every pair of the protocol images (same / different person) and write "
        "the FAR/TAR table that verification's default and the threshold panel use (JSON)",
    )
    _common(p)

    p = sub.add_parser("bench", help="speed benchmark against peers measured in the same run")
    p.add_argument("--quick", action="store_true", help="fewer frames and repeats")
    _common(p)
    return parser


def _history_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--history",
        action="store_true",
        help="record what was decided in the gallery's history (when history is on; "
        "see 'faceapp history')",
    )


def _positive_int(text: str) -> int:
    """Argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _store(args: argparse.Namespace) -> Any:
    """Open the gallery (checked, nothing created until a write); GalleryError when unusable."""
    from faceapp.storage.gallery import GalleryStore

    path = args.gallery or paths.default_gallery_path()
    log.info("gallery %s", path)
    return GalleryStore(path)


def _shown(name: str) -> str:
    """Return a stored name as printed: as it is, or escaped when it hides characters.

    Names enrolled before ``normalise_name`` refused invisible and text-direction
    characters may still hold some; printing them raw would let them disguise the line.
    """
    from faceapp.storage.gallery import normalise_name

    try:
        return name if normalise_name(name) == name else repr(name)
    except ValueError:
        return repr(name)


_pipelines: dict[str, Any] = {}


def _pipeline(args: argparse.Namespace) -> Any:
    """Return the loaded default pipeline (kept for the life of the process)."""
    from faceapp.core.pipeline import FacePipeline

    if "default" not in _pipelines:
        pipeline = FacePipeline()
        pipeline.prepare()
        _pipelines["default"] = pipeline
    return _pipelines["default"]


def _threshold(args: argparse.Namespace, mode: str = "recognition") -> float:
    """Return ``--threshold``, or the default of ``mode`` when it is not given."""
    from faceapp.core.matching import MAX_THRESHOLD, MIN_THRESHOLD, default_threshold

    t = default_threshold(mode) if args.threshold is None else float(args.threshold)
    if not MIN_THRESHOLD <= t <= MAX_THRESHOLD:
        raise UsageError(
            f"--threshold must be between {MIN_THRESHOLD} and {MAX_THRESHOLD}, got {t}"
        )
    return t


def _face_json(fr: Any) -> dict[str, Any]:
    return fr.to_json()


def _emit(args: argparse.Namespace, doc: Any, lines: list[str]) -> None:
    """Print ``lines`` for people, or with ``--json`` only ``doc`` (one JSON document)."""
    if args.json:
        print(json.dumps(doc, ensure_ascii=False))
        return
    for line in lines:
        print(line)


def _note(args: argparse.Namespace, line: str) -> None:
    """Tell people something beside the answer: on stderr, so stdout stays the answer."""
    print(f"faceapp: {line}", file=sys.stderr)


def cmd_weights(args: argparse.Namespace) -> int:
    """Fetch (or check) the FaceNet weights and the sample photos, or convert the weights."""
    from faceapp import weights

    if paths.is_frozen() or weights.builtin_manifest() is not None:
        return _builtin_weights(args)
    if args.action == "check":
        ok = weights.is_installed()
        _emit(args, {"installed": ok}, [f"weights {'present and verified' if ok else 'missing'}"])
        return EXIT_OK if ok else EXIT_NEGATIVE
    try:
        if args.action == "convert":
            model = weights.convert(force=args.force)
            _emit(args, {"converted_model": str(model)}, [f"converted model in {model}"])
            return EXIT_OK
        wdir = weights.fetch(force=args.force)
    except weights.WeightsError as exc:
        raise UsageError(str(exc)) from None
    _emit(args, {"weights_dir": str(wdir)}, [f"weights ready in {wdir}"])
    return EXIT_OK


def _builtin_weights(args: argparse.Namespace) -> int:
    """``faceapp weights ...`` in the packaged app: nothing to fetch; check the built-in files."""
    from faceapp import weights

    try:
        status = weights.check_builtin()
    except weights.WeightsError as exc:
        raise UsageError(f"this app was packaged without its weights ({exc})") from None
    ok = all(state == "ok" for state in status.values())
    facenet = paths.pinned_hashes().get(paths.FACENET_WEIGHTS)
    lines = []
    if args.action != "check":
        lines.append(f"the weights are built into this app: nothing to {args.action}")
    lines += [f"{rel}: {state}" for rel, state in status.items()]
    lines.append(
        f"built-in weights verified (SHA-256); FaceNet weights {facenet}"
        if ok
        else "built-in weights damaged: install the app again"
    )
    doc = {"built_in": True, "installed": ok, "files": status, "facenet_sha256": facenet}
    _emit(args, doc, lines)
    return EXIT_OK if ok else EXIT_NEGATIVE


def cmd_install_desktop(args: argparse.Namespace) -> int:
    """Write (or with ``--remove`` delete) the desktop launcher and icon of this faceapp."""
    from faceapp import desktop

    if args.remove:
        files = desktop.remove_desktop()
        _emit(args, {"removed": [str(files.entry), str(files.icon)]}, [f"removed {files.entry}"])
        return EXIT_OK
    try:
        files = desktop.install_desktop()
    except OSError as exc:
        raise UsageError(f"cannot write the launcher: {exc}") from None
    lines = [
        f"launcher: {files.entry}",
        f"icon: {files.icon}",
        "faceapp is now in the application menu (log out and in if it does not show yet)",
    ]
    doc = {"entry": str(files.entry), "icon": str(files.icon), "command": files.command}
    _emit(args, doc, lines)
    return EXIT_OK


def cmd_enroll(args: argparse.Namespace) -> int:
    """Enrol photos of one person; all or nothing, and only faces that look like them."""
    from faceapp.core.enrolment_check import check_enrolment, with_sample
    from faceapp.core.images import display_name, load_image
    from faceapp.enrolment import prepare_sample
    from faceapp.storage.gallery import normalise_name

    name = normalise_name(args.name)  # a refused name fails before anything is read
    threshold = _threshold(args)
    store = _store(args)
    frames = [(load_image(p), str(p)) for p in args.images]  # bad files fail before the model loads
    pipeline = _pipeline(args)
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
        _note(args, f"{display_name(sample.source)}: {verdict.message}; enrolled (--force)")
    store.add_samples(name, [(s.embedding, s.thumbnail, s.source) for s in samples])
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
    _emit(args, doc, lines)
    return EXIT_OK


class _HistoryRecorder:
    """Collects the events of one command run and records them at the end (``--history``)."""

    def __init__(self, args: argparse.Namespace, store: Any) -> None:
        from faceapp.core.appearances import AppearanceFilter
        from faceapp.storage.history import History

        self.history = History(store)
        self.filter = AppearanceFilter()
        self.pending: list[Any] = []
        self.recorded = 0
        self.active = bool(args.history)
        if not self.active:
            return
        if not store.path.exists():
            _note(args, "--history: there is no gallery yet (nobody enrolled); nothing recorded")
            self.active = False
        elif not self.history.settings().enabled:
            _note(
                args,
                "--history: history is off for this gallery; nothing recorded "
                "(turn it on with 'faceapp history --enable')",
            )
            self.active = False

    def add(self, image: Any, appearances: list[Any], source: str, still: bool) -> None:
        """Queue events for ``appearances`` seen in ``image``."""
        if not self.active:
            return
        from datetime import datetime, timezone

        from faceapp.enrolment import thumbnail_of
        from faceapp.storage.history import CROP_SIZE, NewEvent

        seen = datetime.now(timezone.utc)
        for a in appearances:
            crop = thumbnail_of(image, a.face, CROP_SIZE)
            event = NewEvent.from_appearance(a, crop, source, at=seen)
            if still:
                event = dataclasses.replace(event, position=None)
            self.pending.append(event)

    def add_frame(self, image: Any, result: Any, mode: str, source: str, still: bool) -> None:
        """Queue the new appearances of one frame's result."""
        if self.active:
            self.add(image, self.filter.update(result, mode), source, still)

    def flush(self) -> int:
        """Record what is queued; return the number recorded so far."""
        if self.active and self.pending:
            pending, self.pending = self.pending, []
            self.recorded += self.history.record(pending)
        return self.recorded


def cmd_identify(args: argparse.Namespace) -> int:
    """Name every face in each photo."""
    from faceapp.core.images import display_name, load_image
    from faceapp.core.pipeline import MatchSettings

    threshold = _threshold(args)
    store = _store(args)
    index = store.index()
    frames = [(p, load_image(p)) for p in args.images]  # fail on bad input before the model loads
    pipeline = _pipeline(args)
    recorder = _HistoryRecorder(args, store)
    doc, lines, any_known = [], [], False
    for path, frame in frames:
        result = pipeline.process(frame, index, MatchSettings(threshold=threshold))
        recorder.add_frame(frame, result, "recognition", display_name(path), still=True)
        faces = [_face_json(fr) for fr in result.faces]
        any_known |= any(f["name"] for f in faces)
        doc.append({"image": str(path), "faces": faces})
        if not faces:
            lines.append(f"{path}: no face found")
        for f in faces:
            dist = "-" if f["distance"] is None else f"{f['distance']:.3f}"
            shown = _shown(f["name"]) if f["name"] else "unknown"
            lines.append(f"{path}: {shown} (distance {dist}) at {f['box']}")
    if args.history and recorder.active:
        lines.append(f"recorded {recorder.flush()} event(s) in the history")
    _emit(args, doc, lines)
    return EXIT_OK if any_known else EXIT_NEGATIVE


def cmd_verify(args: argparse.Namespace) -> int:
    """Accept or reject a claimed identity."""
    from faceapp.core.appearances import Appearance
    from faceapp.core.images import display_name, load_image
    from faceapp.core.matching import DEFAULT_VERIFICATION_FAR, lfw_operating_point, verify
    from faceapp.enrolment import choose_face

    if args.video is not None or args.liveness or args.image is None:
        return cmd_verify_video(args)
    threshold = _threshold(args, "verification")
    store = _store(args)
    person = store.find_person(args.name)  # the same name rules as enroll and gallery
    if person is None:
        raise UsageError(f"nobody called {args.name!r} is enrolled (see 'faceapp gallery list')")
    index = store.index()
    name = person.name
    if name not in index.names:
        raise UsageError(f"{_shown(name)} has no face samples; enrol a photo of them first")
    frame = load_image(args.image)
    pipeline = _pipeline(args)
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
        f"{verdict}: {_shown(name)} (distance {match.distance:.3f}, threshold "
        f"{threshold:.4g}, {how})"
    ]
    recorder = _HistoryRecorder(args, store)
    if recorder.active:
        event = Appearance(None, 0, 0.0, face, match, "verification", verdict)
        recorder.add(frame, [event], display_name(args.image), still=True)
        doc["history_recorded"] = recorder.flush()
        lines.append(f"recorded {doc['history_recorded']} event(s) in the history")
    _emit(args, doc, lines)
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
    threshold = _threshold(args, "verification")
    store = _store(args)
    person = store.find_person(args.name)  # the same name rules as the photo path
    if person is None:
        raise UsageError(f"nobody called {args.name!r} is enrolled (see 'faceapp gallery list')")
    args.name = person.name
    index = store.index()
    if args.name not in index.names:
        raise UsageError(f"{_shown(args.name)} has no face samples; enrol a photo of them first")
    source = VideoCaptureSource(args.video)
    source.open()  # an unreadable file fails here, before the models load
    source.close()
    pipeline = _pipeline(args)
    run = _verify_live if args.liveness else _verify_best_frames
    doc = run(args, pipeline, source, index, threshold)
    accepted = doc["decision"] == "accept"
    lines = [
        f"{'accepted' if accepted else 'rejected'}: {args.name} "
        f"(distance {_fmt(doc['distance'])}, threshold {threshold:.3f})"
        + ("" if doc["live"] is None else f"; live: {'yes' if doc['live'] else 'no'}")
        + (f"; {doc['reason']}" if doc["reason"] else "")
    ]
    _emit(args, doc, lines)
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
    pipeline.tracker = FaceTracker()  # one face followed from frame to frame
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


def cmd_gallery(args: argparse.Namespace) -> int:
    """List, rename, remove people, export or import the gallery, or wipe it."""
    store = _store(args)
    if args.action == "list":
        people = store.people()
        doc = [{"id": p.id, "name": p.name, "samples": p.n_samples} for p in people]
        lines = [f"{_shown(p.name)}\t{p.n_samples} sample(s)" for p in people]
        lines = lines or ["the gallery is empty"]
        if args.verbose:
            where = f"gallery {store.path}" + ("" if store.path.exists() else " (not created yet)")
            if args.json:
                _note(args, where)
            else:
                lines.insert(0, where)
        _emit(args, doc, lines)
    elif args.action == "rename":
        before = store.find_person(args.old)
        try:
            person = store.rename(args.old, args.new)
        except KeyError:
            raise UsageError(f"nobody called {args.old!r} is enrolled") from None
        old = _shown(before.name) if before is not None else args.old
        _emit(
            args,
            {"id": person.id, "name": person.name},
            [f"renamed {old} to {_shown(person.name)}"],
        )
    elif args.action == "remove":
        try:
            person = store.remove_person(args.name)
        except KeyError:
            raise UsageError(f"nobody called {args.name!r} is enrolled") from None
        _emit(
            args,
            {"removed": person.name},
            [f"removed {_shown(person.name)} and all their samples"],
        )
    elif args.action == "export":
        return _gallery_export(args, store)
    elif args.action == "import":
        return _gallery_import(args, store)
    elif args.action == "wipe":
        if not args.yes:
            raise UsageError("this deletes every enrolled face; add --yes to confirm")
        existed = store.path.exists()
        backup = store.wipe(backup=not args.no_backup)
        if not existed:
            line = f"no gallery at {store.path}; nothing to delete"
        elif backup is None:
            line = f"deleted {store.path} (no backup kept)"
        else:
            line = (
                f"deleted {store.path}; a backup copy is at {backup}"
                " (delete it, or wipe with --no-backup, to remove the faces for good)"
            )
        doc = {"wiped": str(store.path), "backup": None if backup is None else str(backup)}
        _emit(args, doc, [line])
    return EXIT_OK


def _model_sha256() -> str:
    """Return the SHA-256 of the FaceNet weights in use (the model identity of galleries)."""
    from faceapp.core.embedding import create_embedder

    return create_embedder().weights_sha256()


def _gallery_export(args: argparse.Namespace, store: Any) -> int:
    from faceapp import __version__
    from faceapp.core.images import display_name
    from faceapp.storage.archive import export_gallery

    summary = export_gallery(
        store, args.file, _model_sha256(), overwrite=args.overwrite, app_version=__version__
    )
    doc = {
        "file": str(summary.path),
        "people": summary.people,
        "samples": summary.samples,
        "thumbnails_left_out": summary.thumbnails_left_out,
    }
    lines = [
        f"exported {summary.people} people with {summary.samples} sample(s) to "
        f"{display_name(summary.path)} (it holds their faces: keep it private)"
    ]
    if summary.thumbnails_left_out:
        lines.append(f"{summary.thumbnails_left_out} thumbnail(s) were not JPEG and left out")
    _emit(args, doc, lines)
    return EXIT_OK


def _gallery_import(args: argparse.Namespace, store: Any) -> int:
    from faceapp.core.embedding.facenet_model import EMBEDDING_DIM
    from faceapp.core.images import display_name
    from faceapp.storage.archive import ConflictError, import_archive, read_archive

    archive = read_archive(args.file, _model_sha256(), EMBEDDING_DIM)
    try:
        summary = import_archive(store, archive, args.on_conflict or "fail")
    except ConflictError as exc:
        raise UsageError(f"{exc} (--on-conflict merge|skip|rename); nothing imported") from None
    doc = dict(summary.as_dict(), file=str(args.file))
    lines = [
        f"imported {display_name(args.file)}: {len(summary.added)} new people, "
        f"{summary.samples_added} sample(s) added"
    ]
    if summary.merged:
        lines.append(
            f"merged into {len(summary.merged)} enrolled people"
            f" ({summary.samples_already_there} sample(s) were already there)"
        )
    if summary.skipped:
        lines.append(
            f"skipped {len(summary.skipped)} enrolled people: "
            + ", ".join(_shown(n) for n in summary.skipped)
        )
    for old, new in summary.renamed:
        lines.append(f"{_shown(old)} is enrolled already; imported as {_shown(new)}")
    _emit(args, doc, lines)
    return EXIT_OK


def cmd_video(args: argparse.Namespace) -> int:
    """Run the pipeline over a video and optionally write it annotated."""
    from faceapp.core.draw import annotate
    from faceapp.core.images import display_name
    from faceapp.core.pipeline import MatchSettings
    from faceapp.core.sources import VideoCaptureSource, letterbox, open_source
    from faceapp.core.tracking import FaceTracker

    threshold = _threshold(args)
    if args.out is not None:
        _check_video_out(args.out, args.input)
    store = _store(args)
    index = store.index()
    source = open_source(args.input)
    source.open()  # a missing or damaged file fails here, before the model loads
    recorder = _HistoryRecorder(args, store)
    if Path(args.input).exists():
        where = display_name(args.input)
    else:
        where = f"camera {args.input}" if str(args.input).isdigit() else str(args.input)
    writer, frames, named, size = None, [], 0, None
    try:
        pipeline = _pipeline(args)
        # Follow faces across frames of a real video; an image folder is a set of unrelated photos.
        tracked = isinstance(source, VideoCaptureSource)
        pipeline.tracker = FaceTracker() if tracked else None
        while args.max_frames is None or len(frames) < args.max_frames:
            frame = source.read()
            if frame is None:
                break
            result = pipeline.process(
                frame.image, index, MatchSettings(threshold=threshold), frame.index, frame.timestamp
            )
            recorder.add_frame(frame.image, result, "recognition", where, still=not tracked)
            named += sum(1 for fr in result.faces if fr.known)
            frames.append(
                {
                    "frame": frame.index,
                    "t": round(frame.timestamp, 3),
                    "faces": [_face_json(f) for f in result.faces],
                }
            )
            if args.out is not None:
                size = size or (frame.image.shape[1], frame.image.shape[0])
                writer = writer or _video_writer(args.out, source.fps, size)
                picture = annotate(frame.image, result)
                if (picture.shape[1], picture.shape[0]) != size:
                    picture = letterbox(picture, size)
                writer.write(picture)
            if not args.json:
                labels = ", ".join(fr.label for fr in result.faces) or "no face"
                print(f"frame {frame.index} t={frame.timestamp:.2f}s: {labels}")
    finally:
        source.close()
        if writer is not None:
            writer.release()
        recorded = recorder.flush()  # what was seen is kept, also when interrupted
    doc: dict[str, Any] = {"frames": frames, "out": str(args.out) if args.out else None}
    if recorder.active:
        doc["history_recorded"] = recorded
    _emit(args, doc, [f"recorded {recorded} event(s) in the history"] if recorder.active else [])
    return EXIT_OK if named else EXIT_NEGATIVE


def cmd_history(args: argparse.Namespace) -> int:
    """List the recognition history, write it as CSV, or change its settings."""
    from faceapp.storage.history import History, local_time, parse_since, write_csv

    history = History(_store(args))
    if args.clear:
        if not args.yes:
            raise UsageError("this deletes the whole history; add --yes to confirm")
        n = history.clear()
        _emit(args, {"cleared": n}, [f"deleted {n} event(s)"])
        return EXIT_OK
    if args.enable or args.disable or args.retention is not None:
        enabled = True if args.enable else False if args.disable else None
        settings = history.configure(enabled, args.retention)
        doc = {"enabled": settings.enabled, "retention_days": settings.retention_days}
        state = "on" if settings.enabled else "off"
        _emit(args, doc, [f"history {state}, events kept {settings.retention_days} days"])
        return EXIT_OK
    if args.csv == "-" and args.json:
        raise UsageError("--csv - and --json both want standard output; choose one")
    since = None if args.since is None else parse_since(args.since)
    until = None if args.until is None else parse_since(args.until, option="--until")
    events = history.events(
        since=since,
        until=until,
        name=args.name,
        decision=args.decision,
        mode=args.mode,
        limit=args.limit,
    )
    settings = history.settings()
    if args.csv == "-":
        write_csv(events, sys.stdout)
        return EXIT_OK
    lines = []
    if args.csv is not None:
        _write_csv_file(Path(args.csv), events)
        lines.append(f"wrote {len(events)} event(s) to {args.csv}")
    else:
        state = "on" if settings.enabled else "off"
        lines.append(
            f"history {state}, events kept {settings.retention_days} days; {len(events)} shown"
        )
        for e in events:
            who = _shown(e.name) if e.name else "-"
            dist = "-" if e.distance is None else f"{e.distance:.3f}"
            where = e.source or ""
            if e.position is not None:
                where += f" @ {e.position:.1f}s"
            lines.append(f"{local_time(e.at)}  {e.decision:<8}  {who:<24}  {dist:>6}  {where}")
    doc = {
        "settings": {"enabled": settings.enabled, "retention_days": settings.retention_days},
        "events": [e.as_dict() for e in events],
        "csv": args.csv,
    }
    _emit(args, doc, lines)
    return EXIT_OK


def _write_csv_file(path: Path, events: list[Any]) -> None:
    """Write events to ``path`` (mode 0600: it names people), replacing an older file."""
    from faceapp.core.images import display_name
    from faceapp.storage.history import write_csv

    if path.is_dir():
        raise UsageError(f"--csv {display_name(path)}: is a folder")
    if not path.parent.is_dir():
        raise UsageError(f"--csv {display_name(path)}: the folder does not exist")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        write_csv(events, fh)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the calibration report of the gallery as an HTML page."""
    from faceapp.core.calibration import calibration_report
    from faceapp.core.images import display_name
    from faceapp.report import write_report

    thresholds = {
        "recognition": _threshold(args),
        "verification": _threshold(
            argparse.Namespace(threshold=args.verification_threshold), "verification"
        ),
    }
    out = args.out
    if out.is_dir():
        raise UsageError(f"--out {display_name(out)}: is a folder")
    if not out.parent.is_dir():
        raise UsageError(f"--out {display_name(out)}: the folder does not exist")
    store = _store(args)
    report = calibration_report(store.index(), thresholds)
    write_report(report, out, store.path.name)
    lines = [
        f"{report.people} people, {report.samples} samples: {report.genuine_pairs:,} "
        f"same-person and {report.impostor_pairs:,} different-person pairs"
    ]
    for t in report.thresholds:
        far = "-" if t.far is None else f"{t.impostor_accepted}/{t.impostor_pairs}"
        tar = "-" if t.tar is None else f"{t.genuine_accepted}/{t.genuine_pairs}"
        lines.append(
            f"{t.label} threshold {t.threshold:.4g}: different-person pairs accepted {far}, "
            f"same-person pairs accepted {tar}"
        )
    for c in report.closest[:3]:
        lines.append(
            f"close: {_shown(c.person)} / {_shown(c.other)} (samples {c.distance:.3f}, "
            f"means {c.centroid_distance:.3f})"
        )
    lines.append(f"report written to {display_name(out)}")
    _emit(args, dict(report.as_dict(), out=str(out)), lines)
    return EXIT_OK


VIDEO_OUT_SUFFIXES = (".mp4", ".avi")


def _check_video_out(out: Path, source_spec: str) -> None:
    """Refuse, before any work, an ``--out`` path that cannot receive the annotated video."""
    from faceapp.core.images import display_name

    name = display_name(out)
    if out.suffix.lower() not in VIDEO_OUT_SUFFIXES:
        raise UsageError(f"--out {name}: the file name must end in .mp4 or .avi")
    parent = out.parent
    if not parent.exists():
        raise UsageError(f"--out {name}: the folder {display_name(parent)} does not exist")
    if not parent.is_dir():
        raise UsageError(f"--out {name}: {display_name(parent)} is not a folder")
    if out.is_dir():
        raise UsageError(f"--out {name}: is a folder")
    if out.exists() or out.is_symlink():
        if not out.is_file():
            raise UsageError(f"--out {name}: exists and is not a regular file")
        if Path(source_spec).exists() and os.path.samefile(out, source_spec):
            raise UsageError(f"--out {name}: is the input video; choose another file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out {name}: cannot write into the folder {display_name(parent)}")


def _video_writer(path: Path, fps: float, size: tuple[int, int]) -> Any:
    import cv2

    from faceapp.core.images import display_name
    from faceapp.core.runtime import native_stderr_to_log
    from faceapp.core.sources import quiet_video_backends

    quiet_video_backends()
    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    with native_stderr_to_log(f"OpenCV creating {path.name}"):
        writer = cv2.VideoWriter(str(path), fourcc, fps, size)
    if not writer.isOpened():
        raise UsageError(f"--out {display_name(path)}: cannot write a video to this file")
    return writer


def cmd_eval_lfw(args: argparse.Namespace) -> int:
    """Run the LFW protocol and print accuracy, TAR@FAR=1e-3, AUC and speed."""
    from faceapp.core.embedding.align import DEFAULT_METHOD

    if not args.dir.is_dir():
        raise UsageError(f"{args.dir}: no such folder")
    pairs = args.pairs or args.dir / "pairs.txt"
    if not pairs.is_file():
        raise UsageError(f"{pairs}: no pairs file (give one with --pairs)")
    described = {
        "detector": args.detector,
        "align": args.align or DEFAULT_METHOD,
        "flip": not args.no_flip,
    }
    run = _lfw_saved(args, pairs, described) if args.embeddings else _lfw_run(args, pairs)
    s = run.summary
    if args.save_distances:
        import numpy as np

        np.savez(
            args.save_distances,
            distances=run.distances,
            images=np.array(run.images),
            embeddings=run.embeddings,
            pipeline=np.array(json.dumps(described)),
        )
    lines = [
        f"pairs {s['pairs']}, images {s['images']}"
        + (
            f" ({s['no_face']} without a detected face: {s['no_face_handling']})"
            if "no_face" in s
            else f" (embeddings from {args.embeddings.name})"
        ),
        f"accuracy {s['accuracy']:.4f} ± {s['accuracy_std']:.4f} (10-fold)",
        f"TAR@FAR=1e-3 {s['tar_at_far_1e-3']:.4f}   AUC {s['auc']:.5f}",
        f"threshold {s['threshold']:.3f} (mean of the fold thresholds)",
    ]
    if "images_per_second" in s:
        lines.append(f"{s['images_per_second']} images/s; seconds by stage {s['time_split']}")
    if args.write_operating_points:
        table = _write_operating_points(args, run, described)
        s = dict(s, operating_points=table)
        lines.append(
            f"all pairs of {table['images']:,} images: {table['impostor_pairs']:,} "
            f"different-person, {table['genuine_pairs']:,} same-person; "
            f"table written to {args.write_operating_points}"
        )
        lines += [
            f"  FAR {t['far']:g}: threshold {t['threshold']:.4f}" for t in table["far_targets"]
        ]
    _emit(args, s, lines)
    return EXIT_OK


def _lfw_run(args: argparse.Namespace, pairs: Path) -> Any:
    from faceapp.core.detection import create_detector
    from faceapp.core.embedding import create_embedder
    from faceapp.core.evaluation.lfw import run_lfw
    from faceapp.core.pipeline import FacePipeline

    kwargs: dict[str, Any] = {} if args.align is None else {"align": args.align}
    pipeline = FacePipeline(
        create_detector(args.detector), create_embedder(flip=not args.no_flip), **kwargs
    )
    pipeline.prepare()
    return run_lfw(pipeline, args.dir, pairs, progress=_progress_bar("eval-lfw"))


def _lfw_saved(args: argparse.Namespace, pairs: Path, described: dict[str, Any]) -> Any:
    """Load a --save-distances file; its pipeline, when recorded, must be the one described."""
    import numpy as np

    from faceapp.core.evaluation.lfw import run_from_embeddings

    try:
        with np.load(args.embeddings, allow_pickle=False) as saved:
            images = [str(x) for x in saved["images"]]
            embeddings = np.asarray(saved["embeddings"], np.float32)
            recorded = json.loads(str(saved["pipeline"])) if "pipeline" in saved else None
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(
            f"{args.embeddings}: not an 'eval-lfw --save-distances' file ({exc})"
        ) from None
    if recorded is not None and recorded != described:
        raise UsageError(
            f"{args.embeddings} was made with {recorded}, not {described}: give the same "
            "--detector/--align/--no-flip"
        )
    return run_from_embeddings(images, embeddings, pairs, align=described["align"])


def _write_operating_points(
    args: argparse.Namespace, run: Any, described: dict[str, Any]
) -> dict[str, Any]:
    """Count all pairs of the run's images and write the table; return its document."""
    from faceapp.core.evaluation.far_table import (
        count_pairs,
        far_table,
        identity_of,
        write_far_table,
    )

    counts = count_pairs(run.embeddings, [identity_of(rel) for rel in run.images])
    command = ["faceapp", "eval-lfw", args.dir.name]
    if args.embeddings:
        command += ["--embeddings", args.embeddings.name]
    command += ["--write-operating-points", args.write_operating_points.name]
    source = {
        "dataset": f"LFW: every image of {(args.pairs or args.dir / 'pairs.txt').name}",
        "pipeline": described,
        "command": " ".join(command),
        "protocol": "columns protocol_far/protocol_tar: the 6,000 pairs of the pairs file",
    }
    doc = far_table(counts, protocol=(run.distances, run.pairs.same), source=source)
    write_far_table(args.write_operating_points, doc)
    return {k: v for k, v in doc.items() if k not in ("points", "columns")}


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the speed benchmark: ``python -m benchmarks.suite`` in this source checkout.

    The benchmarks are not part of the installed package; they run only where faceapp
    is used from its source tree, in a child Python whose output passes straight through.
    """
    import subprocess

    root = Path(__file__).resolve().parent.parent
    if getattr(sys, "frozen", False) or not (root / "benchmarks" / "suite.py").is_file():
        raise UsageError(
            "faceapp bench runs from a source checkout only (benchmarks/ is not installed)"
        )
    flags = [f for f, on in (("--quick", args.quick), ("--json", args.json)) if on]
    if args.verbose:
        flags.append("--verbose")
    env = dict(os.environ)
    if env.get("FACEAPP_LFW_DIR"):  # the child runs in the checkout: keep the path meaning
        env["FACEAPP_LFW_DIR"] = str(Path(env["FACEAPP_LFW_DIR"]).resolve())
    command = [sys.executable, "-m", "benchmarks.suite", *flags]
    return subprocess.run(command, cwd=root, env=env, check=False).returncode


def _progress_bar(label: str) -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        pct = 100.0 * done / max(total, 1)
        sys.stderr.write(f"\r{label}: {pct:5.1f}% ({done}/{total})")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "weights": cmd_weights,
    "install-desktop": cmd_install_desktop,
    "enroll": cmd_enroll,
    "enrol": cmd_enroll,
    "identify": cmd_identify,
    "verify": cmd_verify,
    "gallery": cmd_gallery,
    "video": cmd_video,
    "history": cmd_history,
    "report": cmd_report,
    "eval-lfw": cmd_eval_lfw,
    "bench": cmd_bench,
}


def run(argv: list[str]) -> int:
    """Parse ``argv`` and run one subcommand; never lets a traceback reach the user."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from faceapp.core.errors import ModelError
    from faceapp.core.images import ImageError
    from faceapp.core.sources import SourceError
    from faceapp.enrolment import EnrolmentError

    try:
        args = _parser().parse_args(argv)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        from faceapp.storage.gallery import GalleryError

        return COMMANDS[args.command](args)
    except (UsageError, ImageError, EnrolmentError, SourceError, ModelError, GalleryError) as exc:
        print(f"faceapp: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:
        print(f"faceapp: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # a file the user named cannot be used: say which and why
        log.info("file error", exc_info=True)
        print(f"faceapp: {_os_error_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("faceapp: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: a one-line message, the details in the log
        log.info("unexpected error", exc_info=True)
        detail = " ".join(repr(exc).split())
        print(f"faceapp: unexpected error: {detail} (run with -v for details)", file=sys.stderr)
        return EXIT_BAD_INPUT


def _os_error_line(exc: OSError) -> str:
    """Return one line naming the file(s) of an ``OSError`` and what went wrong."""
    from faceapp.core.images import display_name

    reason = " ".join((exc.strerror or str(exc) or type(exc).__name__).split())
    names = [display_name(f) for f in (exc.filename, exc.filename2) if f is not None]
    if not names:
        return f"{reason} (run with -v for details)"
    return f"{' -> '.join(names)}: {reason}"
