"""``faceapp correct IMAGE... --not NAME`` ("not X" corrections), ``--list`` and ``--remove ID``."""

from __future__ import annotations

import argparse
from typing import Any

from faceapp.cli.common import (
    EXIT_OK,
    UsageError,
    check_writable,
    emit,
    loaded_pipeline,
    open_store,
    shown,
    stranger_rate_from,
    threshold_from,
)


def cmd_correct(args: argparse.Namespace) -> int:
    """Store corrections (``IMAGE... --not NAME``), list (``--list``), undo (``--remove``)."""
    if args.list:
        if args.images:
            raise UsageError("--list takes no IMAGE")
        return _list(args)
    if args.remove:
        if args.images or args.not_name:
            raise UsageError("--remove takes only correction ids (see 'faceapp correct --list')")
        return _remove(args)
    if not args.images:
        raise UsageError("give the IMAGE(s) of the face, or --list / --remove ID")
    if not args.not_name:
        raise UsageError("say who the face is not: --not NAME")
    return _correct(args)


def _corrections(store: Any, name: str | None) -> list[tuple[Any, Any]]:
    """Return ``[(person, negative)]``: every correction (of ``name``), by person then age."""
    if name is not None:
        person = store.find_person(name)
        if person is None:
            raise UsageError(f"nobody called {name!r} is enrolled")
        people = [person]
    else:
        people = store.people()
    return [(p, n) for p in people for n in store.negatives(p.id)]


def _as_dict(person: Any, negative: Any) -> dict[str, Any]:
    return {
        "id": negative.id,
        "person": person.name,
        "person_id": person.id,
        "source": negative.source,
        "created_at": negative.created_at,
        "crop": negative.crop is not None,
    }


def _when(text: str | None) -> str:
    """Return a stored UTC time stamp as local time for people to read, or as it is."""
    from datetime import datetime, timezone

    from faceapp.storage.history import local_time

    try:
        at = datetime.fromisoformat(text or "")
    except ValueError:
        return text or "-"
    return local_time(at if at.tzinfo else at.replace(tzinfo=timezone.utc))


def _list(args: argparse.Namespace) -> int:
    """``--list``: the corrections stored, one a line (or one JSON document)."""
    rows = _corrections(open_store(args), args.not_name)
    lines = [f"{len(rows)} correction(s)"] + [
        f"{n.id}: not {shown(p.name)}, {shown(n.source or '-')}, {_when(n.created_at)}"
        for p, n in rows
    ]
    emit(args, {"corrections": [_as_dict(p, n) for p, n in rows]}, lines)
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    """``--remove ID...``: undo corrections; all ids are checked before any is removed."""
    store = open_store(args)
    check_writable(store.path)
    known = {n.id: (p, n) for p, n in _corrections(store, None)}
    ids = list(dict.fromkeys(args.remove))
    missing = [i for i in ids if i not in known]
    if missing:
        raise UsageError(
            f"no correction {missing[0]} (see 'faceapp correct --list'); nothing removed"
        )
    for i in ids:
        store.remove_negative(i)
    removed = [known[i] for i in ids]
    doc = {"removed": [{"id": n.id, "person": p.name, "source": n.source} for p, n in removed]}
    lines = [
        f"removed correction {n.id}: not {shown(p.name)} ({shown(n.source or '-')})"
        for p, n in removed
    ]
    emit(args, doc, lines)
    return EXIT_OK


def _correct(args: argparse.Namespace) -> int:
    """Store the face of each photo as a negative of NAME ("this is not NAME").

    In each photo the face taken is the one recognition names (or maybe names) NAME,
    the nearest to NAME when several are; a photo of a single face is taken whatever
    it is named, and a photo of several faces none of which is NAME is refused (there
    is no telling which face was meant).  All photos are checked before anything is
    stored: one bad photo stores nothing.
    """
    from faceapp.core.images import display_name, load_image
    from faceapp.core.matching import face_distance, identify
    from faceapp.enrolment import THUMBNAIL_SIZE, thumbnail_of

    store = open_store(args)
    person = store.find_person(args.not_name)
    if person is None:
        raise UsageError(f"nobody called {args.not_name!r} is enrolled")
    frames = [(path, load_image(path)) for path in args.images]  # bad photos fail first
    pipeline = loaded_pipeline(args)
    index = store.index()
    if person.id not in index.person_ids:
        raise UsageError(f"{shown(person.name)} has no samples: enrol a photo of them first")
    k = index.person_index(person.id)
    picked: list[tuple[Any, bytes, str]] = []
    for path, frame in frames:
        faces = pipeline.detect(frame)
        if not faces:
            raise UsageError(f"{display_name(path)}: no face found")
        embeddings = pipeline.embed(frame, faces)
        matches = identify(embeddings, index, threshold_from(args), stranger_rate_from(args))
        theirs = [i for i, m in enumerate(matches) if m.person_id == person.id]
        if not theirs and len(faces) > 1:
            raise UsageError(
                f"{display_name(path)}: {len(faces)} faces and none of them is taken for "
                f"{shown(person.name)}; crop the photo to the face that is not them"
            )
        near = face_distance(embeddings[theirs or [0]], index.centroids[k : k + 1])[:, 0]
        i = (theirs or [0])[int(near.argmin())]
        crop = thumbnail_of(frame, faces[i], THUMBNAIL_SIZE)
        picked.append((embeddings[i], crop, display_name(path)))
    ids = [store.add_negative(person.id, e, crop=c, source=s) for e, c, s in picked]
    total = len(store.negatives(person.id))
    lines = [
        f"{source}: not {shown(person.name)} (correction {i})"
        for (_, _, source), i in zip(picked, ids)
    ]
    lines.append(f"{shown(person.name)} has {total} correction(s)")
    doc = {
        "person": person.name,
        "person_id": person.id,
        "added": [{"image": s, "id": i} for (_, _, s), i in zip(picked, ids)],
        "corrections": total,
    }
    emit(args, doc, lines)
    return EXIT_OK
