"""Importing a checked gallery archive into a store: conflicts, and one all-or-nothing write."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from faceapp.storage.archive.format import (
    ON_CONFLICT,
    ArchiveError,
    ArchiveNegative,
    ArchiveSample,
    ConflictError,
    GalleryArchive,
    ImportSummary,
    OnConflict,
    now_iso,
)
from faceapp.storage.gallery import MAX_NAME_LENGTH, GalleryStore, normalise_name
from faceapp.storage.names import lookalike_key
from faceapp.storage.samples import quality_json


def conflicts(store: GalleryStore, archive: GalleryArchive) -> list[str]:
    """Return the names in ``archive`` that are already enrolled in ``store`` (to ask first)."""
    with store.read_transaction() as conn:
        enrolled = {r[0] for r in conn.execute("SELECT name FROM people")}
    return [p.name for p in archive.people if p.name in enrolled]


def _free_name(name: str, taken: set[str]) -> str:
    """Return ``name (2)``, ``name (3)``, ... : the first not in ``taken`` (length-limited)."""
    k = 2
    while True:
        suffix = f" ({k})"
        candidate = normalise_name(name[: MAX_NAME_LENGTH - len(suffix)].rstrip() + suffix)
        if candidate not in taken:
            return candidate
        k += 1


def import_archive(
    store: GalleryStore, archive: GalleryArchive, on_conflict: OnConflict = "fail"
) -> ImportSummary:
    """Add an archive's people, samples and "not X" corrections to the gallery in one transaction.

    Each correction goes to the person it was stored for in the archive, whatever that
    person is called here (a renamed one included); a person skipped takes theirs along.

    Parameters
    ----------
    store : GalleryStore
    archive : GalleryArchive
        From :func:`read_archive` (already checked).
    on_conflict : {"fail", "merge", "skip", "rename"}
        What to do with a person already enrolled under the same name: raise
        :class:`ConflictError` (nothing is written); add their samples to the enrolled
        person (samples and corrections the gallery already holds, same embedding bytes,
        are not added twice); leave the enrolled person as they are; or import them as
        ``"<name> (2)"`` (the first free number).

    Returns
    -------
    ImportSummary

    Raises
    ------
    ConflictError
        With ``on_conflict="fail"`` when someone is already enrolled.
    ArchiveError
        When the gallery's embeddings have another dimension, or a person new to the
        gallery has a name that looks like an enrolled one or another new one (same
        UTS #39 skeleton, :func:`~faceapp.storage.names.lookalike_key`); nothing is
        written then.
    GalleryError
        When the gallery cannot be written.
    """
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict must be one of {', '.join(ON_CONFLICT)}")
    now = now_iso()

    def insert_samples(conn: sqlite3.Connection, pid: int, samples: Sequence[ArchiveSample]) -> int:
        conn.executemany(
            "INSERT INTO samples(person_id, embedding, dim, thumbnail, source, created_at,"
            " quality) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    pid,
                    s.embedding,
                    archive.dim,
                    s.thumbnail,
                    s.source,
                    s.created_at or now,
                    quality_json(s.quality),
                )
                for s in samples
            ],
        )
        return len(samples)

    def insert_negatives(
        conn: sqlite3.Connection, pid: int, negatives: Sequence[ArchiveNegative]
    ) -> int:
        have = {
            bytes(r[0])
            for r in conn.execute("SELECT embedding FROM negatives WHERE person_id = ?", (pid,))
        }
        new = [n for n in negatives if n.embedding not in have]
        conn.executemany(
            "INSERT INTO negatives(person_id, embedding, dim, crop, source, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(pid, n.embedding, archive.dim, n.crop, n.source, n.created_at or now) for n in new],
        )
        return len(new)

    def body(conn: sqlite3.Connection) -> ImportSummary:
        row = conn.execute("SELECT dim FROM samples LIMIT 1").fetchone()
        if row is not None and archive.n_samples and row[0] != archive.dim:
            raise ArchiveError(
                f"the file's embeddings have {archive.dim} values, the gallery's {row[0]}"
            )
        enrolled = {r[1]: r[0] for r in conn.execute("SELECT id, name FROM people")}
        clashes = [p.name for p in archive.people if p.name in enrolled]
        if clashes and on_conflict == "fail":
            raise ConflictError(clashes)
        taken = set(enrolled) | {p.name for p in archive.people}
        looks = {lookalike_key(n): n for n in enrolled}
        added, merged, skipped, renamed = [], [], [], []
        n_added = n_there = n_negatives = 0
        for person in archive.people:
            name = person.name
            if name in enrolled:
                if on_conflict == "skip":
                    skipped.append(name)
                    continue
                if on_conflict == "merge":
                    pid = enrolled[name]
                    have = {
                        bytes(r[0])
                        for r in conn.execute(
                            "SELECT embedding FROM samples WHERE person_id = ?", (pid,)
                        )
                    }
                    new = [s for s in person.samples if s.embedding not in have]
                    n_there += len(person.samples) - len(new)
                    n_added += insert_samples(conn, pid, new)
                    n_negatives += insert_negatives(conn, pid, person.negatives)
                    merged.append(name)
                    continue
                new_name = _free_name(name, taken)
                taken.add(new_name)
                renamed.append((name, new_name))
                name = new_name
            else:
                added.append(name)
            other = looks.setdefault(lookalike_key(name), name)
            if other != name:
                raise ArchiveError(
                    f"{name!r} looks the same as {other!r}, who is already enrolled or earlier"
                    " in the file, but is written with other characters; rename one of them"
                )
            cur = conn.execute(
                "INSERT INTO people(name, created_at) VALUES (?, ?)",
                (name, person.created_at or now),
            )
            pid = int(cur.lastrowid or 0)
            n_added += insert_samples(conn, pid, person.samples)
            n_negatives += insert_negatives(conn, pid, person.negatives)
        return ImportSummary(
            tuple(added),
            tuple(merged),
            tuple(skipped),
            tuple(renamed),
            n_added,
            n_there,
            n_negatives,
        )

    return store.write_transaction(body)
