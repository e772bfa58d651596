"""Subcommands that look after the app: weights, the desktop entry, LFW evaluation, benchmarks."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from faceapp import paths
from faceapp.cli.common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    UsageError,
    checked_output,
    emit,
    progress_bar,
)


def cmd_weights(args: argparse.Namespace) -> int:
    """Fetch (or check) the FaceNet weights and the sample photos, or convert the weights."""
    from faceapp import weights

    if paths.is_frozen() or weights.builtin_manifest() is not None:
        return _builtin_weights(args)
    if args.action == "check":
        ok = weights.is_installed()
        emit(args, {"installed": ok}, [f"weights {'present and verified' if ok else 'missing'}"])
        return EXIT_OK if ok else EXIT_NEGATIVE
    try:
        if args.action == "convert":
            model = weights.convert(force=args.force)
            emit(args, {"converted_model": str(model)}, [f"converted model in {model}"])
            return EXIT_OK
        wdir = weights.fetch(force=args.force)
    except weights.WeightsError as exc:
        raise UsageError(str(exc)) from None
    emit(args, {"weights_dir": str(wdir)}, [f"weights ready in {wdir}"])
    return EXIT_OK


def _builtin_weights(args: argparse.Namespace) -> int:
    """``faceapp weights ...`` in the packaged app: it ships them; check the built-in files."""
    from faceapp import weights

    try:
        status = weights.check_builtin()
    except weights.WeightsError as exc:
        raise UsageError(f"this app was packaged without its weights ({exc})") from None
    ok = all(state == "ok" for state in status.values()) and weights.builtin_demo_present()
    facenet = paths.pinned_hashes().get(paths.FACENET_WEIGHTS)
    lines = []
    if args.action != "check":
        lines.append(weights.builtin_note(status, args.action))
    lines += [f"{rel}: {state}" for rel, state in status.items()]
    lines.append(
        f"built-in weights verified (SHA-256); FaceNet weights {facenet}"
        if ok
        else "built-in weights damaged: install the app again"
    )
    doc = {"built_in": True, "installed": ok, "files": status, "facenet_sha256": facenet}
    emit(args, doc, lines)
    return EXIT_OK if ok else EXIT_NEGATIVE


def cmd_install_desktop(args: argparse.Namespace) -> int:
    """Write (or with ``--remove`` delete) the desktop launcher and icon of this faceapp."""
    from faceapp import desktop

    if args.remove:
        files = desktop.remove_desktop()
        emit(args, {"removed": [str(files.entry), str(files.icon)]}, [f"removed {files.entry}"])
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
    emit(args, doc, lines)
    return EXIT_OK


def cmd_eval_lfw(args: argparse.Namespace) -> int:
    """Run the LFW protocol and print accuracy, TAR@FAR=1e-3, AUC and speed."""
    from faceapp.core.embedding.align import DEFAULT_METHOD

    if not args.dir.is_dir():
        raise UsageError(f"{args.dir}: no such folder")
    for flag in ("--save-distances", "--write-operating-points", "--write-open-set-table"):
        out = getattr(args, flag.lstrip("-").replace("-", "_"))
        if out is not None:
            checked_output(args, Path(out), flag)  # not the gallery, a link or a FIFO
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
    if args.write_open_set_table:
        s = dict(s, open_set_table=_write_open_set_table(args, run, described))
        lines.append(f"open-set table written to {args.write_open_set_table}")
    if args.open_set:
        rows = _open_set(args, run)
        s = dict(s, open_set=rows)
        lines += _open_set_lines(rows)
    emit(args, s, lines)
    return EXIT_OK


def _open_set(args: argparse.Namespace, run: Any) -> list[dict[str, Any]]:
    """Run the open-set benchmark on the run's embeddings, with the shipped table's rule."""
    from faceapp.core import matching
    from faceapp.core.evaluation.open_set import LabelledEmbeddings, benchmark

    matching._open_set_table.cache_clear()  # a table written by this run is the one to use
    data = LabelledEmbeddings(tuple(run.images), run.embeddings)
    return benchmark(data, seeds=tuple(range(args.seeds)))


def _open_set_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Return the open-set benchmark as a table for people."""
    out = [
        "open set (app default: 1 stranger in 100), rates over all trials:",
        "photos  people  named right  wrongly  maybe  unknown  strangers named  maybe",
    ]
    for r in rows:
        out.append(
            f"{r['photos']:>6}  {r['people']:>6}  {r['named_right']:>11.1%}  "
            f"{r['named_wrong']:>7.2%}  {r['maybe']:>5.1%}  {r['unknown']:>7.1%}  "
            f"{r['fpir']:>15.2%}  {r['strangers_maybe']:>5.1%}"
        )
    return out


def _table_source(args: argparse.Namespace, described: dict[str, Any], flag: str) -> dict[str, Any]:
    """Return where a shipped table comes from: the data set, the pipeline, the command."""
    out = getattr(args, flag.lstrip("-").replace("-", "_"))
    command = ["faceapp", "eval-lfw", args.dir.name]
    if args.embeddings:
        command += ["--embeddings", args.embeddings.name]
    command += [flag, out.name]
    return {
        "dataset": f"LFW: every image of {(args.pairs or args.dir / 'pairs.txt').name}",
        "pipeline": described,
        "command": " ".join(command),
    }


def _write_open_set_table(
    args: argparse.Namespace, run: Any, described: dict[str, Any]
) -> dict[str, Any]:
    """Calibrate the automatic threshold on the run's embeddings and write the table."""
    from faceapp.core.evaluation.open_set import LabelledEmbeddings, calibrate, write_table

    source = _table_source(args, described, "--write-open-set-table")
    doc = calibrate(LabelledEmbeddings(tuple(run.images), run.embeddings), source=source)
    write_table(args.write_open_set_table, doc)
    return {k: v for k, v in doc.items() if k != "tables"}


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
    return run_lfw(pipeline, args.dir, pairs, progress=progress_bar("eval-lfw"))


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
    source = dict(
        _table_source(args, described, "--write-operating-points"),
        protocol="columns protocol_far/protocol_tar: the 6,000 pairs of the pairs file",
    )
    doc = far_table(counts, protocol=(run.distances, run.pairs.same), source=source)
    write_far_table(args.write_operating_points, doc)
    return {k: v for k, v in doc.items() if k not in ("points", "columns")}


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the speed benchmark: ``python -m benchmarks.suite`` in this source checkout.

    The benchmarks are not part of the installed package; they run only where faceapp
    is used from its source tree, in a child Python whose output passes straight through.
    """
    import subprocess

    root = Path(__file__).resolve().parents[2]  # the source checkout
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
