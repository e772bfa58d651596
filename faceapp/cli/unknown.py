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
        n = history.forget_faces(group.event_ids)
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
    """``name`` (a new person) or ``add`` (an enrolled person): enrol the group's best faces."""
    from faceapp.storage.gallery import normalise_name
    from faceapp.storage.history import plan_enrolment

    store = history.store
    name = normalise_name(args.name)
    person = store.find_person(name)
    if args.action == "name" and person is not None:
        raise UsageError(
            f"{shown(name)} is enrolled already; add the group to them with "
            f"'faceapp unknown add {group.id} NAME'"
        )
    if args.action == "add" and person is None:
        raise UsageError(
            f"nobody called {shown(name)} is enrolled; name a new person with "
            f"'faceapp unknown name {group.id} NAME'"
        )
    plan = plan_enrolment(
        group,
        store.index(),
        name,
        threshold_from(args),
        stranger_rate_from(args),
        n=args.samples,
        allow_poor=args.force,
    )
    if not plan.faces:
        raise UsageError(
            f"no face of group {group.id} passes the enrolment quality checks (size, "
            "sharpness, pose); nothing enrolled (add --force to enrol the best anyway)"
        )
    refused = plan.refused
    if refused and not args.force:
        more = f" (and {len(refused) - 1} more face(s))" if len(refused) > 1 else ""
        raise UsageError(
            f"group {group.id}: {refused[0].message}{more}; nothing enrolled "
            "(add --force to enrol it anyway)"
        )
    crops = {f.event_id: history.crop(f.event_id) for f in plan.faces}
    items = [
        (f.embedding, crops[f.event_id], f"unknown faces: history event {f.event_id}", f.quality)
        for f in plan.faces
    ]
    store.add_samples(name, items, create=args.action == "name")
    # The group's faces are named now: they leave the unknown faces (crops stay in history).
    history.forget_faces(group.event_ids, keep_crops=True)
    for v in refused:
        note(args, f"group {group.id}: {v.message}; enrolled (--force)")
    person = store.find_person(name)
    doc = {
        "group": group.id,
        "name": name,
        "added": len(items),
        "samples": person.n_samples,
        "faces": group.count,
        "event_ids": [f.event_id for f in plan.faces],
        "checks": [
            dict(v.as_dict(), event_id=f.event_id, forced=not v.ok)
            for f, v in zip(plan.faces, plan.verdicts, strict=True)
        ],
    }
    verb = "enrolled" if args.action == "name" else "added"
    lines = [
        f"{verb} {len(items)} sample(s) of group {group.id} ({group.count} face(s)) as "
        f"{shown(name)} ({person.n_samples} in total)"
    ]
    emit(args, doc, lines)
    return EXIT_OK


def _merge(args: argparse.Namespace, history: Any, groups: list[Any]) -> int:
    chosen = [_group(groups, g) for g in dict.fromkeys(args.groups)]
    if len(chosen) < 2:
        raise UsageError("merge: give two or more different groups")
    target = min(g.id for g in chosen)
    ids = [i for g in chosen for i in g.event_ids]
    history.new_face_group(ids)
    doc = {"group": target, "merged": [g.id for g in chosen], "faces": len(ids)}
    emit(args, doc, [f"merged {len(chosen)} groups into group {target} ({len(ids)} faces)"])
    return EXIT_OK


def _remove(args: argparse.Namespace, history: Any) -> int:
    """Take one face out of its group: it becomes a group of its own."""
    faces = {f.event_id: f for f in history.unknown_faces()}
    if args.event not in faces:
        raise UsageError(f"event {args.event} is not an unknown face kept in the history")
    history.new_face_group([args.event])
    emit(
        args,
        {"event_id": args.event, "group": args.event},
        [f"event {args.event} taken out of its group (now group {args.event})"],
    )
    return EXIT_OK
