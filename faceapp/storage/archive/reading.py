"""Reading a gallery archive: every check on a file before any of it is used, and the limits."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import stat
import struct
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.storage.archive.format import (
    EMBEDDINGS,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    NEGATIVES,
    SHA256_PATTERN,
    ArchiveError,
    ArchiveNegative,
    ArchivePerson,
    ArchiveSample,
    GalleryArchive,
    negative_crop_name,
    thumbnail_name,
)
from faceapp.storage.gallery import normalise_name
from faceapp.storage.samples import figures_of

#: Limits an archive must keep to be imported.
MAX_ARCHIVE_BYTES = 1 << 30
MAX_SAMPLES = 100_000
MAX_PEOPLE = 100_000
#: Most "not X" corrections (format 2): a few per person are the rule.
MAX_NEGATIVES = 10_000
MAX_MANIFEST_BYTES = 64 << 20
MAX_THUMBNAIL_BYTES = 1 << 20
MAX_THUMBNAIL_SIDE = 1024
MAX_TOTAL_BYTES = 2 << 30
MAX_DIM = 4096
MAX_SOURCE_LENGTH = 1000
#: Largest member list (zip central directory), in bytes: 110,003 entries of 610 bytes.
MAX_DIRECTORY_BYTES = 64 << 20
#: The thumbnails stored from one file take at most this many times the file's size.
MAX_THUMBNAIL_GROWTH = 2
#: Earliest and latest year of a time in the manifest (after conversion to UTC).
MIN_YEAR, MAX_YEAR = 1900, 9998
#: Longest number in the manifest, in digits.
MAX_NUMBER_DIGITS = 40
#: Largest departure of a stored embedding's length from 1.
NORM_TOLERANCE = 1e-3

_MAX_MEMBERS = MAX_SAMPLES + MAX_NEGATIVES + 3


def _member_problem(name: str) -> str | None:
    """Say why a member name is not acceptable, or return None."""
    if not name or "\x00" in name or "\\" in name:
        return "an empty name, or one with NUL or backslash characters"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "a path with '..', '.' or an empty part"
    if len(name) > 255:
        return "a name longer than 255 characters"
    return None


def _central_directory(fh: Any, size: int) -> tuple[int, int, int]:
    """Return ``(members declared, start, size)`` of a zip's member list, from its end records.

    The start is found the way :mod:`zipfile` finds it (the list ends where the end
    records begin), so what is checked here is what ``ZipFile`` will parse.  Raises
    ArchiveError when the file is not a zip or its end records are damaged.
    """
    tail_len = min(size, 65536 + 22)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise ArchiveError("not a zip file")
    end_at = size - tail_len + at
    entries, cd_size = struct.unpack("<HL", tail[at + 10 : at + 16])
    # Like zipfile: a zip64 locator right before the end record replaces these values.
    record_at = end_at - 20 - 56
    if record_at >= 0:
        fh.seek(record_at)
        records = fh.read(76)
        if records[56:60] == b"PK\x06\x07" and records[:4] == b"PK\x06\x06":
            entries, cd_size = struct.unpack("<2Q", records[32:48])
            return int(entries), record_at - cd_size, int(cd_size)
    if entries == 0xFFFF:
        raise ArchiveError("a damaged zip file (zip64 records missing)")
    return int(entries), end_at - cd_size, int(cd_size)


def _check_central_directory(fh: Any, size: int) -> None:
    """Refuse a member list that is too large or holds more members than declared.

    :class:`zipfile.ZipFile` reads the whole member list into memory and builds one
    object per entry it finds, whatever count the end record declares; a 94 MB file
    whose list lies about its count took 1 GB before the member count could be checked.
    Here the list's size is checked against :data:`MAX_DIRECTORY_BYTES` and its entries
    are walked (one 46-byte header at a time, no more than the declared count plus one)
    before ``ZipFile`` sees the file.
    """
    declared, start, cd_size = _central_directory(fh, size)
    if declared > _MAX_MEMBERS:
        raise ArchiveError(f"more than {_MAX_MEMBERS:,} members")
    if cd_size > MAX_DIRECTORY_BYTES:
        raise ArchiveError(
            f"its member list takes {cd_size:,} bytes, more than {MAX_DIRECTORY_BYTES:,}"
        )
    if start < 0:
        raise ArchiveError(
            "a damaged zip file: its member list would start before the file does"
            " (the start of the file may be missing)"
        )
    found = 0
    at = 0
    while at < cd_size:
        if found == declared:
            raise ArchiveError(
                f"a damaged or forged zip file: its member list holds more entries than"
                f" the {declared:,} its end record declares"
            )
        fh.seek(start + at)
        header = fh.read(46)
        if len(header) != 46 or header[:4] != b"PK\x01\x02":
            raise ArchiveError("a damaged zip file (a broken entry in its member list)")
        name_len, extra_len, comment_len = struct.unpack("<3H", header[28:34])
        at += 46 + name_len + extra_len + comment_len
        found += 1
    if found != declared:
        raise ArchiveError(
            f"a damaged zip file: its member list holds {found:,} entries, its end record"
            f" declares {declared:,}"
        )


def _strict_json(data: bytes) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise ArchiveError(f"{MANIFEST}: the key {key!r} appears twice")
            out[key] = value
        return out

    def no_constants(word: str) -> Any:
        raise ArchiveError(f"{MANIFEST}: {word} is not a number")

    def number(kind: type) -> Any:
        def parse(text: str) -> Any:
            if len(text) > MAX_NUMBER_DIGITS:
                raise ArchiveError(
                    f"{MANIFEST}: a number of {len(text):,} characters"
                    f" (at most {MAX_NUMBER_DIGITS} are accepted)"
                )
            return kind(text)

        return parse

    try:
        text = data.decode("utf-8")
        return json.loads(
            text,
            object_pairs_hook=pairs,
            parse_constant=no_constants,
            parse_int=number(int),
            parse_float=number(float),
        )
    except UnicodeDecodeError:
        raise ArchiveError(f"{MANIFEST}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"{MANIFEST}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise ArchiveError(f"{MANIFEST}: nested too deeply") from None


def _get(
    obj: Any, key: str, kind: type | tuple[type, ...], where: str, optional: bool = False
) -> Any:
    if not isinstance(obj, dict):
        raise ArchiveError(f"{MANIFEST}: {where} must be an object")
    if key not in obj:
        if optional:
            return None
        raise ArchiveError(f"{MANIFEST}: {where} has no {key!r}")
    value = obj[key]
    if value is None and optional:
        return None
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise ArchiveError(f"{MANIFEST}: {where}.{key} has the wrong type")
    return value


def _time_text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise ArchiveError(f"{MANIFEST}: {where} must be an ISO 8601 time")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ArchiveError(f"{MANIFEST}: {where} is not an ISO 8601 time: {value!r}") from None
    try:
        year = when.astimezone(timezone.utc).year if when.tzinfo is not None else when.year
    except OverflowError:
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ArchiveError(
            f"{MANIFEST}: {where} is {value!r}, outside the years {MIN_YEAR} to {MAX_YEAR}"
        )
    return value


def _lean_jpeg(data: bytes, name: str) -> bytes:
    """Check a thumbnail and return the bytes to store: as given, or re-encoded when leaner.

    The JPEG is decoded completely, then encoded again with its own quantisation tables
    (Pillow's ``quality="keep"``).  Bytes a JPEG can carry without showing them (data
    after its end marker, comment and application segments) vanish in that second
    encoding; when the file is more than ``1.1 x`` the re-encoded size plus 1 KiB, the
    re-encoded picture is stored instead, so a thumbnail padded with zeros (which deflate
    to almost nothing in the archive) cannot inflate the gallery.  faceapp's own
    thumbnails are kept byte for byte.
    """
    from PIL import Image

    if data[:3] != b"\xff\xd8\xff":
        raise ArchiveError(f"{name}: not a JPEG")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "JPEG":
                raise ArchiveError(f"{name}: not a JPEG")
            w, h = img.size
            if max(w, h) > MAX_THUMBNAIL_SIDE or min(w, h) < 1:
                raise ArchiveError(f"{name}: {w}x{h} pixels is not a thumbnail")
            img.load()
            if len(data) <= 1024:
                return data
            out = io.BytesIO()
            try:
                img.save(out, "JPEG", quality="keep")
            except (ValueError, OSError):
                out = io.BytesIO()
                img.convert("RGB").save(out, "JPEG", quality=90)
    except ArchiveError:
        raise
    except Exception as exc:
        raise ArchiveError(f"{name}: a damaged JPEG ({' '.join(str(exc).split())[:80]})") from None
    lean = out.getvalue()
    return data if len(data) <= 1.1 * len(lean) + 1024 else lean


def read_archive(
    path: Path, model_sha256: str | None = None, dim: int | None = None
) -> GalleryArchive:
    """Read and check an archive completely; nothing is written.

    Parameters
    ----------
    path : Path
        The archive.
    model_sha256 : str, optional
        SHA-256 of the weights faceapp uses now; an archive made with other weights is
        refused (their embeddings cannot be compared).  None skips the check.
    dim : int, optional
        The embedding dimension required.

    Returns
    -------
    GalleryArchive

    Raises
    ------
    ArchiveError
        With one line saying what is wrong: not a regular file or too large; not a zip;
        too many members; a member that is encrypted, a symbolic link, a folder, outside
        the archive's own tree (absolute, ``..``), unexpected, duplicated, or larger than
        its limit; a total uncompressed size over :data:`MAX_TOTAL_BYTES`; a manifest
        that is not the format, of a newer version, of another model or dimension, or
        malformed (a number longer than :data:`MAX_NUMBER_DIGITS`, a time outside
        :data:`MIN_YEAR` to :data:`MAX_YEAR`); names that ``normalise_name`` refuses or
        that repeat; embeddings that are not finite unit vectors; thumbnails that are
        not decodable JPEGs, or that would take more than :data:`MAX_THUMBNAIL_GROWTH`
        times the file's size in the gallery; a read error while the zip is read
        (every message starts with the file's name).
    OSError
        When the file cannot be opened (``os.stat``/``open``: the error names it).
    """
    path = Path(path)
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise ArchiveError(f"{path}: is a folder, not a gallery file")
    if not stat.S_ISREG(st.st_mode):
        raise ArchiveError(f"{path}: not a regular file")
    if st.st_size > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"{path}: {st.st_size:,} bytes is larger than {MAX_ARCHIVE_BYTES:,}")
    with open(path, "rb") as fh:
        try:
            _check_central_directory(fh, st.st_size)
            fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                return _read_zip(zf, model_sha256, dim, st.st_size)
        except ArchiveError as exc:
            raise ArchiveError(f"{path}: {exc}") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
            raise ArchiveError(f"{path}: a damaged or unsupported zip file ({exc})") from None
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise ArchiveError(f"{path}: cannot be read ({exc.strerror or exc})") from None
            raise ArchiveError(
                f"{path}: a damaged zip file: a member or its member list would lie outside"
                " the file (its start may be missing)"
            ) from None


def _source(source: str | None, where: str) -> str | None:
    if source is not None and (len(source) > MAX_SOURCE_LENGTH or "\x00" in source):
        raise ArchiveError(f"{where}.source is longer than {MAX_SOURCE_LENGTH} or holds NUL")
    return source


def _matrix(read: Any, block: Any, what: str, dim: int | None) -> np.ndarray:
    """Read and check one float32 matrix of unit rows (``embeddings`` or ``negatives``).

    ``block`` is its manifest entry (``file``, ``dtype``, ``count``, ``dim``); ``read``
    reads a member within a size limit.  Returns an array of shape ``(count, dim)``.
    """
    member = EMBEDDINGS if what == "embeddings" else NEGATIVES
    limit = MAX_SAMPLES if what == "embeddings" else MAX_NEGATIVES
    noun = "embedding" if what == "embeddings" else "negative"
    if _get(block, "file", str, what) != member:
        raise ArchiveError(f"{what}.file must be {member!r}")
    if _get(block, "dtype", str, what) != "<f4":
        raise ArchiveError(f"{what}.dtype must be '<f4' (little-endian float32)")
    count = _get(block, "count", int, what)
    n_dim = _get(block, "dim", int, what)
    if not 0 <= count <= limit:
        raise ArchiveError(f"{what}.count {count} is outside 0..{limit:,}")
    if not 1 <= n_dim <= MAX_DIM:
        raise ArchiveError(f"{what}.dim {n_dim} is outside 1..{MAX_DIM}")
    if dim is not None and count and n_dim != dim:
        raise ArchiveError(f"{what} have {n_dim} values; faceapp uses {dim}")
    raw = read(member, 4 * count * n_dim)
    if len(raw) != 4 * count * n_dim:
        raise ArchiveError(
            f"{member} holds {len(raw):,} bytes, not {4 * count * n_dim:,}"
            f" ({count} x {n_dim} float32)"
        )
    matrix = np.frombuffer(raw, dtype="<f4").reshape(count, n_dim)
    if count:
        if not np.isfinite(matrix).all():
            raise ArchiveError(f"{member}: values that are not finite numbers")
        norms = np.linalg.norm(matrix.astype(np.float64), axis=1)
        bad = np.flatnonzero(np.abs(norms - 1.0) > NORM_TOLERANCE)
        if bad.size:
            raise ArchiveError(f"{member}: {noun} {int(bad[0])} is not of unit length")
    return matrix


def _item(
    doc: Any,
    where: str,
    expected: int,
    count: int,
    of_what: str,
    member_key: str,
    member_name: Callable[[int], str],
) -> tuple[int, str | None, str | None, str | None]:
    """Check the fields a sample and a correction share; return them.

    Returns
    -------
    tuple
        ``(index, source, created_at, member)``: the row of the embedding in its matrix
        (the next one expected, below ``count``), the source and time (checked), and
        the name of its picture in the archive, or None.

    Raises
    ------
    ArchiveError
        Naming ``where`` and the field that is wrong.
    """
    k = _get(doc, "index", int, where)
    if k != expected:
        raise ArchiveError(f"{where}.index is {k}, expected {expected}")
    if k >= count:
        raise ArchiveError(f"{where}.index {k} is beyond the {count} {of_what}")
    source = _source(_get(doc, "source", str, where, optional=True), where)
    created = _time_text(_get(doc, "created_at", str, where, optional=True), f"{where}.created_at")
    member = _get(doc, member_key, str, where, optional=True)
    if member is not None and member != member_name(k):
        raise ArchiveError(f"{where}.{member_key} must be {member_name(k)!r}")
    return k, source, created, member


def _read_zip(
    zf: zipfile.ZipFile, model_sha256: str | None, dim: int | None, file_bytes: int
) -> GalleryArchive:
    infos = zf.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise ArchiveError(f"more than {_MAX_MEMBERS:,} members")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        if info.is_dir():
            raise ArchiveError(f"member {info.filename!r}: a folder entry")
        problem = _member_problem(info.filename)
        if problem:
            raise ArchiveError(f"member {info.filename!r}: {problem}")
        if info.filename in members:
            raise ArchiveError(f"member {info.filename!r} appears twice")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"member {info.filename!r}: a symbolic link")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"member {info.filename!r}: encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ArchiveError(f"member {info.filename!r}: an unsupported compression")
        total += info.file_size
        members[info.filename] = info
    if total > MAX_TOTAL_BYTES:
        raise ArchiveError(f"{total:,} bytes uncompressed is more than {MAX_TOTAL_BYTES:,}")

    def read(name: str, limit: int) -> bytes:
        info = members.get(name)
        if info is None:
            raise ArchiveError(f"no member {name!r}")
        if info.file_size > limit:
            raise ArchiveError(f"member {name!r}: {info.file_size:,} bytes, more than {limit:,}")
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
        if len(data) != info.file_size:
            raise ArchiveError(f"member {name!r}: its size differs from the one recorded")
        return data

    doc = _strict_json(read(MANIFEST, MAX_MANIFEST_BYTES))
    if _get(doc, "format", str, "the manifest") != FORMAT_NAME:
        raise ArchiveError(f"not a faceapp gallery file (format {doc['format']!r})")
    version = _get(doc, "format_version", int, "the manifest")
    if version > FORMAT_VERSION:
        raise ArchiveError(
            f"format version {version} is newer than this faceapp reads ({FORMAT_VERSION});"
            " update faceapp"
        )
    if version < 1:
        raise ArchiveError(f"format version {version} does not exist")
    sha = _get(_get(doc, "model", dict, "the manifest"), "weights_sha256", str, "model").lower()
    if not SHA256_PATTERN.match(sha):
        raise ArchiveError("model.weights_sha256 is not a SHA-256")
    if model_sha256 is not None and sha != model_sha256.lower():
        raise ArchiveError(
            f"made with another model (FaceNet weights {sha[:12]}…; this faceapp uses"
            f" {model_sha256[:12]}…): faces enrolled with different weights cannot be compared"
        )
    matrix = _matrix(read, _get(doc, "embeddings", dict, "the manifest"), "embeddings", dim)
    count, n_dim = matrix.shape
    negatives = np.zeros((0, n_dim), dtype="<f4")
    neg_doc = _get(doc, "negatives", dict, "the manifest", optional=True) if version >= 2 else None
    if neg_doc is not None:
        negatives = _matrix(read, neg_doc, "negatives", n_dim)  # the samples' dimension

    people_doc = _get(doc, "people", list, "the manifest")
    if len(people_doc) > MAX_PEOPLE:
        raise ArchiveError(f"more than {MAX_PEOPLE:,} people")
    expected = {MANIFEST, EMBEDDINGS} | ({NEGATIVES} if neg_doc is not None else set())
    seen_names: set[str] = set()
    thumb_bytes = 0
    thumb_budget = MAX_THUMBNAIL_GROWTH * file_bytes
    next_index = next_negative = 0
    people = []

    def jpeg_member(name: str) -> bytes:
        nonlocal thumb_bytes
        data = _lean_jpeg(read(name, MAX_THUMBNAIL_BYTES), name)
        thumb_bytes += len(data)
        if thumb_bytes > thumb_budget:
            raise ArchiveError(
                f"its thumbnails would take more than {thumb_budget:,} bytes in the"
                f" gallery, over {MAX_THUMBNAIL_GROWTH} times the file's size"
                " (pictures that compress unusually well)"
            )
        expected.add(name)
        return data

    for p_at, p in enumerate(people_doc):
        where = f"people[{p_at}]"
        raw_name = _get(p, "name", str, where)
        try:
            name = normalise_name(raw_name)
        except ValueError as exc:
            raise ArchiveError(f"{where}.name: {exc}") from None
        if name in seen_names:
            raise ArchiveError(f"{where}.name: {name!r} appears twice")
        seen_names.add(name)
        created = _get(p, "created_at", str, where, optional=True)
        created = _time_text(created, f"{where}.created_at")
        samples = []
        for s_at, s in enumerate(_get(p, "samples", list, where)):
            s_where = f"{where}.samples[{s_at}]"
            k, source, s_created, thumb_name = _item(
                s, s_where, next_index, count, "embeddings", "thumbnail", thumbnail_name
            )
            next_index += 1
            thumb = jpeg_member(thumb_name) if thumb_name is not None else None
            quality = _get(s, "quality", dict, s_where, optional=True)
            if quality is not None:
                try:
                    quality = figures_of(quality)
                except ValueError as exc:
                    raise ArchiveError(f"{MANIFEST}: {s_where}.quality: {exc}") from None
            samples.append(ArchiveSample(matrix[k].tobytes(), thumb, source, s_created, quality))
        corrections = []
        n_doc = _get(p, "negatives", list, where, optional=True) if neg_doc is not None else None
        for n_at, n in enumerate(n_doc or []):
            n_where = f"{where}.negatives[{n_at}]"
            k, source, n_created, crop_name = _item(
                n, n_where, next_negative, negatives.shape[0], "negatives", "crop",
                negative_crop_name,
            )  # fmt: skip
            next_negative += 1
            crop = jpeg_member(crop_name) if crop_name is not None else None
            corrections.append(ArchiveNegative(negatives[k].tobytes(), crop, source, n_created))
        people.append(ArchivePerson(name, created, tuple(samples), tuple(corrections)))
    if next_index != count:
        raise ArchiveError(f"{count} embeddings but {next_index} samples")
    if next_negative != negatives.shape[0]:
        raise ArchiveError(f"{negatives.shape[0]} negatives but {next_negative} corrections")
    extra = sorted(set(members) - expected)
    if extra:
        raise ArchiveError(f"unexpected member {extra[0]!r}")
    return GalleryArchive(
        version,
        sha,
        n_dim,
        _time_text(doc.get("created_at"), "created_at"),
        tuple(people),
    )
