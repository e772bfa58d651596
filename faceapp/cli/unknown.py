"""``faceapp unknown``: the unknown faces of the history, grouped by person, named or forgotten."""

from __future__ import annotations

import argparse
from typing import Any

from faceapp.cli.common import (
    EXIT_OK,
    UsageError,
    check_writable,
    emit,
    note,
    open_store,
    shown,
    stranger_rate_from,
    threshold_from,
)


def cmd_unknown(args: argparse.Namespace) -> int:
    """List the groups of unknown faces, name them, add them to someone, ignore, merge, split."""
    from faceapp.storage.history import History

    history = History(open_store(args))
    action = args.action
    if action == "list":
        return _list(args, history)
    check_writable(history.store.path)
    if action == "remove":
        return _remove(args, history)
    groups = _groups(history)
    if action == "merge":
        return _merge(args, history, groups)
    group = _group(groups, args.group)
    if action == "ignore":
        from faceapp.session.unknown_faces import ignore_faces

        n = ignore_faces(history.store, group.event_ids)
        emit(args, {"group": group.id, "forgotten": n}, [f"forgot {n} face(s) of group {group.id}"])
        return EXIT_OK
    return _enrol(args, history, group)


def _groups(history: Any) -> list[Any]:
    from faceapp.storage.history import group_faces

    return group_faces(history.unknown_faces())


def _group(groups: list[Any], group_id: int) -> Any:
    for g in groups:
        if g.id == group_id:
            return g
    raise UsageError(f"no group {group_id} of unknown faces (see 'faceapp unknown list')")


def _list(args: argparse.Namespace, history: Any) -> int:
    from pathlib import PurePath

    from faceapp.storage.history import local_time

    groups = _groups(history)
    doc = {"groups": [g.as_dict() for g in groups]}
    lines = [f"{len(groups)} group(s) of unknown faces, largest first"]
    for g, d in zip(groups, doc["groups"], strict=True):
        where = ", ".join(shown(PurePath(s).name) for s in g.sources[:3])
        if len(g.sources) > 3:
            where += f" and {len(g.sources) - 3} more"
        best = " ".join(str(i) for i in d["best_event_ids"])
        lines.append(
            f"group {g.id}: {g.count} face(s), {local_time(g.first_seen)} .. "
            f"{local_time(g.last_seen)}, {where or '-'}; best faces: events {best or '-'}"
        )
    emit(args, doc, lines)
    return EXIT_OK


def _enrol(args: argparse.Namespace, history: Any, group: Any) -> int:
    """``name`` (a new person) or ``add`` (an enrolled person): enrol the group's best faces.

    The naming step is the window's (:func:`faceapp.session.unknown_faces.name_faces`);
    only its refusals are worded here, with the command that helps.
    """
    from faceapp.session import unknown_faces

    store = history.store
    new = args.action == "name"
    try:
        naming = unknown_faces.name_faces(
            store,
            group.event_ids,
            args.name,
            new,
            threshold_from(args),
            stranger_rate_from(args),
            force=args.force,
            samples=args.samples,
        )
    except unknown_faces.NamingRefused as refusal:
        raise UsageError(_refusal(refusal, group.id, args.name)) from None
    name = naming.name
    for message in naming.warnings:
        note(args, f"group {group.id}: {message}; enrolled (--force)")
    person = store.find_person(name)
    doc = {
        "group": group.id,
        "name": name,
        "added": naming.added,
        "samples": person.n_samples,
        "faces": naming.faces,
        "event_ids": list(naming.event_ids),
        "checks": list(naming.checks),
    }
    verb = "enrolled" if new else "added"
    lines = [
        f"{verb} {naming.added} sample(s) of group {group.id} ({naming.faces} face(s)) as "
        f"{shown(name)} ({person.n_samples} in total)"
    ]
    emit(args, doc, lines)
    return EXIT_OK


def _refusal(refusal: Any, group_id: int, name: str) -> str:
    """Word a :class:`~faceapp.session.unknown_faces.NamingRefused` for the command line."""
    from faceapp.storage.gallery import normalise_name

    who = shown(normalise_name(name))
    if refusal.reason == "enrolled":
        return (
            f"{who} is enrolled already; add the group to them with "
            f"'faceapp unknown add {group_id} NAME'"
        )
    if refusal.reason == "nobody":
        return (
            f"nobody called {who} is enrolled; name a new person with "
            f"'faceapp unknown name {group_id} NAME'"
        )
    if refusal.reason == "quality":
        return (
            f"no face of group {group_id} passes the enrolment quality checks (size, "
            "sharpness, pose); nothing enrolled (add --force to enrol the best anyway)"
        )
    if refusal.reason == "gone":
        return f"group {group_id}: {refusal}"
    return f"group {group_id}: {refusal}; nothing enrolled (add --force to enrol it anyway)"


def _merge(args: argparse.Namespace, history: Any, groups: list[Any]) -> int:
    """Merge groups: the window's step (:func:`faceapp.session.unknown_faces.group_together`)."""
    from faceapp.session.unknown_faces import group_together

    chosen = [_group(groups, g) for g in dict.fromkeys(args.groups)]
    if len(chosen) < 2:
        raise UsageError("merge: give two or more different groups")
    target = min(g.id for g in chosen)
    ids = [i for g in chosen for i in g.event_ids]
    group_together(history.store, ids)
    doc = {"group": target, "merged": [g.id for g in chosen], "faces": len(ids)}
    emit(args, doc, [f"merged {len(chosen)} groups into group {target} ({len(ids)} faces)"])
    return EXIT_OK


def _remove(args: argparse.Namespace, history: Any) -> int:
    """Take one face out of its group: it becomes a group of its own."""
    from faceapp.session.unknown_faces import group_together

    faces = {f.event_id: f for f in history.unknown_faces()}
    if args.event not in faces:
        raise UsageError(f"event {args.event} is not an unknown face kept in the history")
    group_together(history.store, [args.event])
    emit(
        args,
        {"event_id": args.event, "group": args.event},
        [f"event {args.event} taken out of its group (now group {args.event})"],
    )
    return EXIT_OK
