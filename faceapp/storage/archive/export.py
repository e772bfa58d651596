"""Writing a gallery archive: the whole gallery to one zip file, private, renamed into place."""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import secrets
import shutil
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from faceapp.storage.archive.format import (
    EMBEDDINGS,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    MODEL_NAME,
    NEGATIVES,
    SHA256_PATTERN,
    ArchiveError,
    ExportSummary,
    negative_crop_name,
    now_iso,
    thumbnail_name,
)
from faceapp.storage.gallery import FILE_MODE, GalleryStore
from faceapp.storage.samples import quality_column, quality_dict, quality_from_json
from faceapp.storage.schema import NEGATIVES_SCHEMA

log = logging.getLogger(__name__)


def export_gallery(
    store: GalleryStore,
    out: Path,
    model_sha256: str,
    overwrite: bool = False,
    app_version: str | None = None,
) -> ExportSummary:
    """Write the whole gallery (people, samples, thumbnails, "not X" corrections) to one file.

    The file is written next to ``out`` without a name, or under a hidden temporary
    name where the system cannot (mode 0600: it holds biometric data), and renamed into
    place when complete; partial files that killed exports left in that folder are
    removed first (:func:`remove_stale_partials`).  The history is not exported.

    Parameters
    ----------
    store : GalleryStore
    out : Path
        The archive to write (``.zip`` is customary; any name is accepted).
    model_sha256 : str
        SHA-256 of the FaceNet weights the gallery's embeddings were made with
        (``FaceNetEmbedder.weights_sha256()``): the archive's model identity.
    overwrite : bool
        Replace an existing file; otherwise an existing ``out`` is an error.
    app_version : str, optional
        Recorded in the manifest.

    Raises
    ------
    ArchiveError
        When ``out`` exists (without ``overwrite``), is a folder, or its folder is missing.
    OSError
        When the file cannot be written (a full disk included); the error names ``out``
        and nothing is left behind.
    GalleryError
        When the gallery cannot be read.
    """
    if not SHA256_PATTERN.match(model_sha256):
        raise ArchiveError(f"not a SHA-256: {model_sha256!r}")
    out = Path(out)
    if out.is_dir():
        raise ArchiveError(f"{out}: is a folder")
    if not out.parent.is_dir():
        raise ArchiveError(f"{out}: the folder {out.parent} does not exist")
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise ArchiveError(f"{out}: exists; choose another name, or overwrite it (--overwrite)")
    with store.read_transaction(check=True) as conn:
        people = conn.execute("SELECT id, name, created_at FROM people ORDER BY id").fetchall()
        rows = conn.execute(
            "SELECT person_id, embedding, dim, thumbnail, source, created_at,"
            f" {quality_column(conn)} FROM samples ORDER BY person_id, id"
        ).fetchall()
        negative_rows = []
        if conn.execute("PRAGMA user_version").fetchone()[0] >= NEGATIVES_SCHEMA:
            negative_rows = conn.execute(
                "SELECT person_id, embedding, dim, crop, source, created_at"
                " FROM negatives ORDER BY person_id, id"
            ).fetchall()
    dims = {r[2] for r in rows} | {r[2] for r in negative_rows}
    if len(dims) > 1:
        raise ArchiveError(f"{store.path}: samples of several dimensions {sorted(dims)}")
    dim = dims.pop() if dims else 128
    by_person: dict[int, list[tuple[Any, ...]]] = {}
    for r in rows:
        if len(r[1]) != 4 * dim:
            raise ArchiveError(f"{store.path}: a damaged sample ({len(r[1])} bytes for {dim})")
        by_person.setdefault(r[0], []).append(r)
    negatives_of: dict[int, list[tuple[Any, ...]]] = {}
    for r in negative_rows:
        if len(r[1]) != 4 * dim:
            raise ArchiveError(f"{store.path}: a damaged correction ({len(r[1])} bytes for {dim})")
        negatives_of.setdefault(r[0], []).append(r)
    manifest_people = []
    negative_blobs: list[bytes] = []
    blobs: list[bytes] = []
    thumbnails: list[tuple[str, bytes]] = []
    left_out = 0
    for pid, name, created in people:
        samples = []
        for _, blob, _, thumb, source, s_created, quality in by_person.get(pid, []):
            k = len(blobs)
            blobs.append(bytes(blob))
            thumb_name = None
            if thumb is not None and bytes(thumb[:3]) == b"\xff\xd8\xff":
                thumb_name = thumbnail_name(k)
                thumbnails.append((thumb_name, bytes(thumb)))
            elif thumb is not None:
                left_out += 1
            sample = {
                "index": k,
                "source": source,
                "created_at": s_created,
                "thumbnail": thumb_name,
            }
            figures = quality_from_json(quality)
            if figures is not None:  # an optional key: left out when not recorded
                sample["quality"] = quality_dict(figures)
            samples.append(sample)
        negatives = []
        for _, blob, _, crop, source, n_created in negatives_of.get(pid, []):
            k = len(negative_blobs)
            negative_blobs.append(bytes(blob))
            crop_name = None
            if crop is not None and bytes(crop[:3]) == b"\xff\xd8\xff":
                crop_name = negative_crop_name(k)
                thumbnails.append((crop_name, bytes(crop)))
            negatives.append(
                {"index": k, "source": source, "created_at": n_created, "crop": crop_name}
            )
        manifest_people.append(
            {"name": name, "created_at": created, "samples": samples, "negatives": negatives}
        )
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": now_iso(),
        "created_by": f"faceapp {app_version}" if app_version else "faceapp",
        "model": {"name": MODEL_NAME, "weights_sha256": model_sha256},
        "embeddings": {"file": EMBEDDINGS, "dtype": "<f4", "count": len(blobs), "dim": dim},
        "negatives": {
            "file": NEGATIVES,
            "dtype": "<f4",
            "count": len(negative_blobs),
            "dim": dim,
        },
        "people": manifest_people,
    }
    remove_stale_partials(out.parent)
    text = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    try:
        with _partial(out) as fh, zipfile.ZipFile(fh, "w") as zf:
            zf.writestr(MANIFEST, text, compress_type=zipfile.ZIP_DEFLATED)
            zf.writestr(EMBEDDINGS, b"".join(blobs), compress_type=zipfile.ZIP_STORED)
            zf.writestr(NEGATIVES, b"".join(negative_blobs), compress_type=zipfile.ZIP_STORED)
            for name, data in thumbnails:
                zf.writestr(name, data, compress_type=zipfile.ZIP_STORED)
    except OSError as exc:
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise OSError(
            exc.errno, f"cannot write the gallery file: {reason}; nothing was written", str(out)
        ) from exc
    return ExportSummary(out, len(people), len(blobs), left_out, len(negative_blobs))


#: A partial archive of ``export_gallery`` on the fallback path: ``.NAME.PID-HEX.new``.
_PARTIAL = re.compile(r"^\..+\.(?P<pid>[0-9]+)-[0-9a-f]{8}\.new$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_partials(folder: Path) -> list[Path]:
    """Delete the partial archives that exports killed before they finished left in ``folder``.

    A partial archive is a hidden ``.NAME.PID-HEX.new`` file, owned by this user, whose
    process ``PID`` no longer runs (on systems where ``export_gallery`` cannot write an
    unnamed file, a ``kill -9`` leaves one behind).  Files that cannot be removed are
    logged and left.

    Parameters
    ----------
    folder : Path

    Returns
    -------
    list of Path
        The files removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        log.debug("cannot list %s: %s", folder, exc)
        return removed
    for entry in entries:
        match = _PARTIAL.match(entry.name)
        if match is None or _pid_alive(int(match["pid"])):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
                continue
            os.unlink(entry.path)
        except OSError as exc:
            log.warning("cannot remove the partial export %s: %s", entry.path, exc)
            continue
        log.info("removed %s, left by an export that did not finish", entry.path)
        removed.append(Path(entry.path))
    return removed


def _name_unnamed(fh: BinaryIO, tmp: Path) -> None:
    """Give the complete unnamed file ``fh`` the name ``tmp`` (a copy when linking fails)."""
    os.fchmod(fh.fileno(), FILE_MODE)
    folder = os.open(tmp.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        # dst_dir_fd makes Python call linkat(..., AT_SYMLINK_FOLLOW): the file, not the link
        os.link(f"/proc/self/fd/{fh.fileno()}", tmp.name, dst_dir_fd=folder)
        return
    except OSError as exc:
        log.debug("cannot link the unnamed export file (%s); copying it", exc)
    finally:
        os.close(folder)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as copy:
        fh.seek(0)
        shutil.copyfileobj(fh, copy)
        copy.flush()
        os.fsync(copy.fileno())


@contextmanager
def _partial(out: Path) -> Iterator[BinaryIO]:
    """Yield a private file that becomes ``out`` when the block ends without an error.

    Where the system allows (Linux ``O_TMPFILE``), the file has no name until it is
    complete, so a process killed mid-export leaves nothing behind.  Elsewhere it is a
    hidden ``.NAME.PID-HEX.new`` next to ``out``, removed on errors, and by the next
    export (:func:`remove_stale_partials`) when the process was killed.
    """
    tmp = out.with_name(f".{out.name}.{os.getpid()}-{secrets.token_hex(4)}.new")
    unnamed = getattr(os, "O_TMPFILE", 0)
    fd = -1
    if unnamed and Path("/proc/self/fd").is_dir():
        try:
            fd = os.open(out.parent, unnamed | os.O_RDWR, FILE_MODE)
        except OSError:
            fd = -1  # a file system without unnamed files: the named way below
    named = fd < 0
    if named:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb" if named else "w+b") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            if not named:
                _name_unnamed(fh, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
