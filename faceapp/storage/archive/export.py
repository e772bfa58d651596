"""Writing a gallery archive: the whole gallery to one zip file, private, renamed into place."""

from __future__ import annotations

import json
import os
import secrets
import zipfile
from pathlib import Path
from typing import Any

from faceapp.storage.archive.format import (
    EMBEDDINGS,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    MODEL_NAME,
    SHA256_PATTERN,
    ArchiveError,
    ExportSummary,
    now_iso,
    thumbnail_name,
)
from faceapp.storage.gallery import FILE_MODE, GalleryStore
from faceapp.storage.samples import quality_column, quality_dict, quality_from_json


def export_gallery(
    store: GalleryStore,
    out: Path,
    model_sha256: str,
    overwrite: bool = False,
    app_version: str | None = None,
) -> ExportSummary:
    """Write the whole gallery (people, samples, thumbnails) to one archive file.

    The file is written next to ``out`` under a temporary name (mode 0600: it holds
    biometric data) and renamed into place when complete.  The history is not exported.

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
        When the file cannot be written.
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
    dims = {r[2] for r in rows}
    if len(dims) > 1:
        raise ArchiveError(f"{store.path}: samples of several dimensions {sorted(dims)}")
    dim = dims.pop() if dims else 128
    by_person: dict[int, list[tuple[Any, ...]]] = {}
    for r in rows:
        if len(r[1]) != 4 * dim:
            raise ArchiveError(f"{store.path}: a damaged sample ({len(r[1])} bytes for {dim})")
        by_person.setdefault(r[0], []).append(r)
    manifest_people = []
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
        manifest_people.append({"name": name, "created_at": created, "samples": samples})
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": now_iso(),
        "created_by": f"faceapp {app_version}" if app_version else "faceapp",
        "model": {"name": MODEL_NAME, "weights_sha256": model_sha256},
        "embeddings": {"file": EMBEDDINGS, "dtype": "<f4", "count": len(blobs), "dim": dim},
        "people": manifest_people,
    }
    tmp = out.with_name(f".{out.name}.{os.getpid()}-{secrets.token_hex(4)}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w") as zf:
            text = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            zf.writestr(MANIFEST, text, compress_type=zipfile.ZIP_DEFLATED)
            zf.writestr(EMBEDDINGS, b"".join(blobs), compress_type=zipfile.ZIP_STORED)
            for name, data in thumbnails:
                zf.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return ExportSummary(out, len(people), len(blobs), left_out)
