"""``faceapp correct IMAGE... --not NAME``: tell the gallery a face is not someone ("not X")."""

from __future__ import annotations

import argparse
from typing import Any

from faceapp.cli.common import (
    EXIT_OK,
    UsageError,
    emit,
    loaded_pipeline,
    open_store,
    shown,
    stranger_rate_from,
    threshold_from,
)


def cmd_correct(args: argparse.Namespace) -> int:
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
