"""The ``faceapp`` subcommands that need no window (enrol, identify, verify, eval-lfw, ...)."""

from __future__ import annotations

import argparse
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
    p.add_argument("--json", action="store_true", help="print one JSON document as the last line")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="faceapp", description="Face recognition on your own computer.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("weights", help="fetch, verify and convert the model weights")
    p.add_argument("action", choices=["fetch", "check", "convert"])
    p.add_argument("--force", action="store_true")
    _common(p)

    p = sub.add_parser("enroll", aliases=["enrol"], help="add photos of a person to the gallery")
    p.add_argument("name")
    p.add_argument("images", nargs="+", type=Path)
    p.add_argument("--largest", action="store_true", help="take the largest face of a group photo")
    _common(p)

    p = sub.add_parser("identify", help="name every face in photos (1:K)")
    p.add_argument("images", nargs="+", type=Path)
    p.add_argument("--threshold", type=float, default=None)
    _common(p)

    p = sub.add_parser("verify", help="is the face in a photo the claimed person? (1:1)")
    p.add_argument("name")
    p.add_argument("image", type=Path)
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("--largest", action="store_true", help="use the largest face of a group photo")
    _common(p)

    p = sub.add_parser("gallery", help="list, rename or remove enrolled people")
    gsub = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    _common(gsub.add_parser("list"))
    g = gsub.add_parser("rename")
    g.add_argument("old")
    g.add_argument("new")
    _common(g)
    g = gsub.add_parser("remove")
    g.add_argument("name")
    _common(g)
    g = gsub.add_parser("wipe", help="delete the whole gallery file")
    g.add_argument("--yes", action="store_true", help="confirm")
    _common(g)

    p = sub.add_parser(
        "video", help="recognise faces in a video file, optionally writing it annotated"
    )
    p.add_argument("input", help="video file, image folder, camera index or 'demo'")
    p.add_argument("--out", type=Path, default=None, help="annotated video to write (.mp4 or .avi)")
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("--max-frames", type=int, default=None)
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
        "--write-operating-points",
        type=Path,
        default=None,
        help="write the FAR/TAR table the threshold slider shows (JSON)",
    )
    _common(p)

    p = sub.add_parser("bench", help="speed benchmark against peers measured in the same run")
    p.add_argument("--quick", action="store_true", help="fewer frames and repeats")
    _common(p)
    return parser


def _store(args: argparse.Namespace) -> Any:
    from faceapp.storage.gallery import GalleryStore

    return GalleryStore(args.gallery or paths.default_gallery_path())


_pipelines: dict[str, Any] = {}


def _pipeline(args: argparse.Namespace) -> Any:
    """Return the loaded default pipeline (kept for the life of the process)."""
    from faceapp.core.pipeline import FacePipeline

    if "default" not in _pipelines:
        pipeline = FacePipeline()
        pipeline.prepare()
        _pipelines["default"] = pipeline
    return _pipelines["default"]


def _threshold(args: argparse.Namespace) -> float:
    from faceapp.core.matching import DEFAULT_THRESHOLD, MAX_THRESHOLD, MIN_THRESHOLD

    t = DEFAULT_THRESHOLD if args.threshold is None else float(args.threshold)
    if not MIN_THRESHOLD <= t <= MAX_THRESHOLD:
        raise UsageError(
            f"--threshold must be between {MIN_THRESHOLD} and {MAX_THRESHOLD}, got {t}"
        )
    return t


def _face_json(fr: Any) -> dict[str, Any]:
    m = fr.match
    return {
        "box": [round(v, 1) for v in (fr.face.box.x, fr.face.box.y, fr.face.box.w, fr.face.box.h)],
        "score": round(fr.face.score, 4),
        "name": m.name if m is not None and m.accepted else None,
        "distance": None if m is None or m.distance == float("inf") else round(m.distance, 4),
    }


def _emit(args: argparse.Namespace, doc: Any, lines: list[str]) -> None:
    for line in lines:
        print(line)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False))


def cmd_weights(args: argparse.Namespace) -> int:
    """Fetch (or check) the FaceNet weights and the sample photos, or convert the weights."""
    from faceapp import weights

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


def cmd_enroll(args: argparse.Namespace) -> int:
    """Enrol photos of one person; all or nothing."""
    from faceapp.core.images import load_image
    from faceapp.enrolment import prepare_sample

    name = args.name.strip()
    if not name:
        raise UsageError("the name must not be empty")
    store = _store(args)
    frames = [(load_image(p), str(p)) for p in args.images]  # bad files fail before the model loads
    pipeline = _pipeline(args)
    samples = [prepare_sample(pipeline, frame, src, args.largest) for frame, src in frames]
    store.add_samples(name, [(s.embedding, s.thumbnail, s.source) for s in samples])
    person = store.find_person(name)
    lines = [f"enrolled {len(samples)} sample(s) for {name} ({person.n_samples} in total)"]
    _emit(args, {"name": name, "added": len(samples), "samples": person.n_samples}, lines)
    return EXIT_OK


def cmd_identify(args: argparse.Namespace) -> int:
    """Name every face in each photo."""
    from faceapp.core.images import load_image
    from faceapp.core.pipeline import MatchSettings

    threshold = _threshold(args)
    index = _store(args).index()
    frames = [(p, load_image(p)) for p in args.images]  # fail on bad input before the model loads
    pipeline = _pipeline(args)
    doc, lines, any_known = [], [], False
    for path, frame in frames:
        result = pipeline.process(frame, index, MatchSettings(threshold=threshold))
        faces = [_face_json(fr) for fr in result.faces]
        any_known |= any(f["name"] for f in faces)
        doc.append({"image": str(path), "faces": faces})
        if not faces:
            lines.append(f"{path}: no face found")
        for f in faces:
            dist = "-" if f["distance"] is None else f"{f['distance']:.3f}"
            lines.append(f"{path}: {f['name'] or 'unknown'} (distance {dist}) at {f['box']}")
    _emit(args, doc, lines)
    return EXIT_OK if any_known else EXIT_NEGATIVE


def cmd_verify(args: argparse.Namespace) -> int:
    """Accept or reject a claimed identity."""
    from faceapp.core.images import load_image
    from faceapp.core.matching import verify
    from faceapp.enrolment import choose_face

    threshold = _threshold(args)
    index = _store(args).index()
    if args.name not in index.names:
        raise UsageError(f"nobody called {args.name!r} is enrolled (see 'faceapp gallery list')")
    frame = load_image(args.image)
    pipeline = _pipeline(args)
    face = choose_face(pipeline.detect(frame), args.largest, str(args.image))
    match = verify(pipeline.embed(frame, [face])[0], index, args.name, threshold)
    verdict = "accepted" if match.accepted else "rejected"
    doc = {
        "name": args.name,
        "accepted": match.accepted,
        "distance": round(match.distance, 4),
        "threshold": threshold,
    }
    _emit(
        args,
        doc,
        [f"{verdict}: {args.name} (distance {match.distance:.3f}, threshold {threshold:.3f})"],
    )
    return EXIT_OK if match.accepted else EXIT_NEGATIVE


def cmd_gallery(args: argparse.Namespace) -> int:
    """List, rename, remove people, or wipe the gallery."""
    store = _store(args)
    if args.action == "list":
        people = store.people()
        doc = [{"id": p.id, "name": p.name, "samples": p.n_samples} for p in people]
        lines = [f"{p.name}\t{p.n_samples} sample(s)" for p in people] or ["the gallery is empty"]
        _emit(args, doc, lines)
    elif args.action == "rename":
        try:
            person = store.rename(args.old, args.new)
        except KeyError:
            raise UsageError(f"nobody called {args.old!r} is enrolled") from None
        _emit(
            args, {"id": person.id, "name": person.name}, [f"renamed {args.old} to {person.name}"]
        )
    elif args.action == "remove":
        try:
            store.remove_person(args.name)
        except KeyError:
            raise UsageError(f"nobody called {args.name!r} is enrolled") from None
        _emit(args, {"removed": args.name}, [f"removed {args.name} and all their samples"])
    elif args.action == "wipe":
        if not args.yes:
            raise UsageError("this deletes every enrolled face; add --yes to confirm")
        store.wipe()
        _emit(args, {"wiped": str(store.path)}, [f"deleted {store.path}"])
    return EXIT_OK


def cmd_video(args: argparse.Namespace) -> int:
    """Run the pipeline over a video and optionally write it annotated."""
    from faceapp.core.draw import annotate
    from faceapp.core.pipeline import MatchSettings
    from faceapp.core.sources import VideoCaptureSource, iterate, letterbox, open_source
    from faceapp.core.tracking import FaceTracker

    threshold = _threshold(args)
    index = _store(args).index()
    source = open_source(args.input)
    pipeline = _pipeline(args)
    # Follow faces across frames of a real video; an image folder is a set of unrelated photos.
    # Every frame through the full detector, every face reported (not the GUI's live mode).
    pipeline.tracker = FaceTracker(live=None) if isinstance(source, VideoCaptureSource) else None
    writer, frames, named, size = None, [], 0, None
    try:
        for frame in iterate(source):
            if args.max_frames is not None and frame.index >= args.max_frames:
                break
            result = pipeline.process(
                frame.image, index, MatchSettings(threshold=threshold), frame.index, frame.timestamp
            )
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
        if writer is not None:
            writer.release()
    if args.json:
        print(
            json.dumps(
                {"frames": frames, "out": str(args.out) if args.out else None}, ensure_ascii=False
            )
        )
    return EXIT_OK if named else EXIT_NEGATIVE


def _video_writer(path: Path, fps: float, size: tuple[int, int]) -> Any:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    writer = cv2.VideoWriter(str(path), fourcc, fps, size)
    if not writer.isOpened():
        raise UsageError(f"cannot write a video to {path}")
    return writer


def cmd_eval_lfw(args: argparse.Namespace) -> int:
    """Run the LFW protocol and print accuracy, TAR@FAR=1e-3, AUC and speed."""
    from faceapp.core.detection import create_detector
    from faceapp.core.embedding import create_embedder
    from faceapp.core.evaluation.lfw import run_lfw
    from faceapp.core.pipeline import FacePipeline

    if not args.dir.is_dir():
        raise UsageError(f"{args.dir}: no such folder")
    pairs = args.pairs or args.dir / "pairs.txt"
    if not pairs.is_file():
        raise UsageError(f"{pairs}: no pairs file (give one with --pairs)")
    kwargs: dict[str, Any] = {} if args.align is None else {"align": args.align}
    pipeline = FacePipeline(
        create_detector(args.detector), create_embedder(flip=not args.no_flip), **kwargs
    )
    pipeline.prepare()
    run = run_lfw(pipeline, args.dir, pairs, progress=_progress_bar("eval-lfw"))
    s = run.summary
    if args.save_distances:
        import numpy as np

        np.savez(
            args.save_distances,
            distances=run.distances,
            images=np.array(run.images),
            embeddings=run.embeddings,
        )
    if args.write_operating_points:
        _write_operating_points(args.write_operating_points, run)
    lines = [
        f"pairs {s['pairs']}, images {s['images']} ({s['no_face']} without a detected face: "
        f"{s['no_face_handling']})",
        f"accuracy {s['accuracy']:.4f} ± {s['accuracy_std']:.4f} (10-fold)",
        f"TAR@FAR=1e-3 {s['tar_at_far_1e-3']:.4f}   AUC {s['auc']:.5f}",
        f"threshold {s['threshold']:.3f} (mean of the fold thresholds)",
        f"{s['images_per_second']} images/s; seconds by stage {s['time_split']}",
    ]
    _emit(args, s, lines)
    return EXIT_OK


def _write_operating_points(path: Path, run: Any) -> None:
    import numpy as np

    from faceapp.core.evaluation.protocol import operating_points
    from faceapp.core.matching import MAX_THRESHOLD, MIN_THRESHOLD

    grid = np.round(np.arange(MIN_THRESHOLD, MAX_THRESHOLD + 1e-9, 0.01), 2)
    points = operating_points(run.distances, run.pairs.same, grid)
    doc = {
        "source": "faceapp eval-lfw on the official LFW pairs.txt",
        "align": run.summary["align"],
        "pairs": run.summary["pairs"],
        "columns": ["threshold", "far", "tar"],
        "points": [[round(p.threshold, 2), round(p.far, 6), round(p.tar, 6)] for p in points],
    }
    rows = ",\n".join("  " + json.dumps(row) for row in doc.pop("points"))
    path.write_text(json.dumps(doc)[:-1] + ', "points": [\n' + rows + "\n]}\n", encoding="utf-8")


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the speed benchmark (the code lives in the source tree's benchmarks/)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "benchmarks" / "suite.py").is_file():
        raise UsageError("the benchmarks ship with the source tree only (benchmarks/suite.py)")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.suite import run_benchmark

    try:
        result = run_benchmark(quick=args.quick, progress=None if args.json else print)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    _emit(args, result, [])
    return EXIT_OK


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
    "enroll": cmd_enroll,
    "enrol": cmd_enroll,
    "identify": cmd_identify,
    "verify": cmd_verify,
    "gallery": cmd_gallery,
    "video": cmd_video,
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
    except KeyboardInterrupt:
        print("faceapp: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: a one-line message, the details in the log
        log.debug("unexpected error", exc_info=True)
        print(f"faceapp: unexpected error: {exc!r} (run with -v for details)", file=sys.stderr)
        return EXIT_BAD_INPUT
