"""Subcommands on the gallery file: list, rename, remove, wipe, export, import, history, report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from faceapp.cli.common import (
    EXIT_OK,
    UsageError,
    checked_output,
    emit,
    note,
    open_store,
    shown,
    threshold_from,
)
from faceapp.storage.outputs import open_private


def cmd_gallery(args: argparse.Namespace) -> int:
    """List, rename, remove people, export or import the gallery, or wipe it."""
    from faceapp.core.images import display_name

    store = open_store(args)
    if args.action == "list":
        people = store.people()
        doc = [{"id": p.id, "name": p.name, "samples": p.n_samples} for p in people]
        lines = [f"{shown(p.name)}\t{p.n_samples} sample(s)" for p in people]
        lines = lines or ["the gallery is empty"]
        if args.verbose:
            where = f"gallery {display_name(store.path)}" + (
                "" if store.path.exists() else " (not created yet)"
            )
            if args.json:
                note(args, where)
            else:
                lines.insert(0, where)
        emit(args, doc, lines)
    elif args.action == "rename":
        before = store.find_person(args.old)
        try:
            person = store.rename(args.old, args.new)
        except KeyError:
            raise UsageError(f"nobody called {args.old!r} is enrolled") from None
        old = shown(before.name) if before is not None else args.old
        emit(
            args,
            {"id": person.id, "name": person.name},
            [f"renamed {old} to {shown(person.name)}"],
        )
    elif args.action == "remove":
        try:
            person = store.remove_person(args.name)
        except KeyError:
            raise UsageError(f"nobody called {args.name!r} is enrolled") from None
        emit(
            args,
            {"removed": person.name},
            [f"removed {shown(person.name)} and all their samples"],
        )
    elif args.action == "export":
        return _gallery_export(args, store)
    elif args.action == "import":
        return _gallery_import(args, store)
    elif args.action == "wipe":
        return _gallery_wipe(args, store)
    return EXIT_OK


def _gallery_wipe(args: argparse.Namespace, store: Any) -> int:
    """Delete the gallery file (the file a link points to, when the gallery is a link)."""
    from faceapp.core.images import display_name
    from faceapp.storage.gallery import GalleryStore

    if not args.yes:
        raise UsageError("this deletes every enrolled face; add --yes to confirm")
    link = store.path if store.path.is_symlink() else None
    if link is not None:
        # Unlinking the link would leave every face in the file it points to.
        store = GalleryStore(store.path.resolve())
    where = display_name(store.path)
    existed = store.path.exists()
    backup = store.wipe(backup=not args.no_backup)
    if not existed:
        line = f"no gallery at {where}; nothing to delete"
    elif backup is None:
        line = f"deleted {where} (no backup kept)"
    else:
        line = (
            f"deleted {where}; a backup copy is at {display_name(backup)}"
            " (delete it, or wipe with --no-backup, to remove the faces for good)"
        )
    lines = [line]
    if link is not None:
        lines.insert(0, f"{display_name(link)} is a link to {where}: wiping that file")
    doc = {"wiped": str(store.path), "backup": None if backup is None else str(backup)}
    if link is not None:
        doc["link"] = str(link)
    emit(args, doc, lines)
    return EXIT_OK


def _model_identity() -> str:
    """Return the SHA-256 of the FaceNet weights in use (the model identity of galleries)."""
    from faceapp.session.gallery_files import model_sha256

    return model_sha256()


def _gallery_export(args: argparse.Namespace, store: Any) -> int:
    from faceapp import __version__
    from faceapp.core.images import display_name
    from faceapp.storage.archive import export_gallery

    summary = export_gallery(
        store, args.file, _model_identity(), overwrite=args.overwrite, app_version=__version__
    )
    doc = {
        "file": str(summary.path),
        "people": summary.people,
        "samples": summary.samples,
        "thumbnails_left_out": summary.thumbnails_left_out,
        "negatives": summary.negatives,
    }
    lines = [
        f"exported {summary.people} people with {summary.samples} sample(s) to "
        f"{display_name(summary.path)} (it holds their faces: keep it private)"
    ]
    if summary.negatives:
        lines.append(f"and {summary.negatives} correction(s) ('not X', see faceapp correct --list)")
    if summary.thumbnails_left_out:
        lines.append(f"{summary.thumbnails_left_out} thumbnail(s) were not JPEG and left out")
    emit(args, doc, lines)
    return EXIT_OK


def _gallery_import(args: argparse.Namespace, store: Any) -> int:
    from faceapp.core.embedding.facenet_model import EMBEDDING_DIM
    from faceapp.core.images import display_name
    from faceapp.storage.archive import ConflictError, import_archive, read_archive

    archive = read_archive(args.file, _model_identity(), EMBEDDING_DIM)
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
            + ", ".join(shown(n) for n in summary.skipped)
        )
    for old, new in summary.renamed:
        lines.append(f"{shown(old)} is enrolled already; imported as {shown(new)}")
    if summary.negatives_added:
        lines.append(f"{summary.negatives_added} correction(s) ('not X') added")
    emit(args, doc, lines)
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    """List the recognition history, write it as CSV, or change its settings."""
    from faceapp.core.images import display_name
    from faceapp.storage.history import History, local_time, parse_since, write_csv

    history = History(open_store(args))
    if args.clear:
        if not args.yes:
            raise UsageError("this deletes the whole history; add --yes to confirm")
        n = history.clear()
        emit(args, {"cleared": n}, [f"deleted {n} event(s)"])
        return EXIT_OK
    if args.enable or args.disable or args.retention is not None:
        enabled = True if args.enable else False if args.disable else None
        settings = history.configure(enabled, args.retention)
        doc = {"enabled": settings.enabled, "retention_days": settings.retention_days}
        state = "on" if settings.enabled else "off"
        emit(args, doc, [f"history {state}, events kept {settings.retention_days} days"])
        return EXIT_OK
    if args.csv == "-" and args.json:
        raise UsageError("--csv - and --json both want standard output; choose one")
    csv_path = None if args.csv in (None, "-") else checked_output(args, Path(args.csv), "--csv")
    since = None if args.since is None else parse_since(args.since)
    until = None if args.until is None else parse_since(args.until, option="--until")
    if args.desk is not None and not getattr(history.store, "keeps_desks", False):
        raise UsageError("a gallery file keeps no desk names; --desk is for a shared gallery")
    events = history.events(
        since=since,
        until=until,
        name=args.name,
        decision=args.decision,
        mode=args.mode,
        limit=args.limit,
        desk=args.desk,
    )
    settings = history.settings()
    if args.daily:
        return _history_daily(args, events, csv_path)
    if args.csv == "-":
        write_csv(events, sys.stdout)
        return EXIT_OK
    lines = []
    if csv_path is not None:
        with open_private(csv_path) as fh:
            write_csv(events, fh)
        lines.append(f"wrote {len(events)} event(s) to {display_name(csv_path)}")
    else:
        state = "on" if settings.enabled else "off"
        lines.append(
            f"history {state}, events kept {settings.retention_days} days; {len(events)} shown"
        )
        for e in events:
            who = shown(e.name) if e.name else "-"
            if e.decision == "corrected":
                who = f"not {who}"
            dist = "-" if e.distance is None else f"{e.distance:.3f}"
            where = display_name(e.source) if e.source else ""
            if e.position is not None:
                where += f" @ {e.position:.1f}s"
            desk = f"  [{e.desk}]" if e.desk is not None else ""
            lines.append(
                f"{local_time(e.at)}  {e.decision:<8}  {who:<24}  {dist:>6}  {where}{desk}"
            )
    doc = {
        "settings": {"enabled": settings.enabled, "retention_days": settings.retention_days},
        "events": [e.as_dict() for e in events],
        "csv": args.csv,
    }
    emit(args, doc, lines)
    return EXIT_OK


def _history_daily(args: argparse.Namespace, events: list[Any], csv_path: Path | None) -> int:
    """``history --daily``: per person and day, first and last seen and appearances."""
    from faceapp.core.images import display_name
    from faceapp.storage.history import PRESENT_DECISIONS, daily_rows, write_daily_csv

    rows = daily_rows(events, args.decision or PRESENT_DECISIONS)
    if args.csv == "-":
        write_daily_csv(rows, sys.stdout)
        return EXIT_OK
    lines = []
    if csv_path is not None:
        with open_private(csv_path) as fh:
            write_daily_csv(rows, fh)
        lines.append(f"wrote {len(rows)} day(s) of attendance to {display_name(csv_path)}")
    else:
        lines.append(f"{len(rows)} person-day(s)")
        for r in rows:
            lines.append(
                f"{r.day.isoformat()}  {shown(r.name):<24}  {r.first_seen:%H:%M:%S}  "
                f"{r.last_seen:%H:%M:%S}  {r.appearances:>5}"
            )
    emit(args, {"daily": [r.as_dict() for r in rows], "csv": args.csv}, lines)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write the calibration report of the gallery as an HTML page."""
    from faceapp.core.calibration import calibration_report
    from faceapp.core.images import display_name
    from faceapp.core.matching import automatic_distance
    from faceapp.report import write_report

    pinned = threshold_from(args)
    verification = threshold_from(
        argparse.Namespace(threshold=args.verification_threshold), "verification"
    )
    out = checked_output(args, args.out, "--out")
    store = open_store(args)
    index = store.index()
    # The same recognition rule as everywhere: the gallery's automatic threshold unless pinned.
    recognition = automatic_distance(index) if pinned is None else pinned
    thresholds = {"recognition": recognition, "verification": verification}
    report = calibration_report(index, thresholds)
    with open_private(out) as fh:
        write_report(report, fh, store.path.name)
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
            f"close: {shown(c.person)} / {shown(c.other)} (samples {c.distance:.3f}, "
            f"means {c.centroid_distance:.3f})"
        )
    lines.append(f"report written to {display_name(out)}")
    emit(args, dict(report.as_dict(), out=str(out)), lines)
    return EXIT_OK
