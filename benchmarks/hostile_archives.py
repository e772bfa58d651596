"""Hostile gallery archives: build them, import each in a child process, measure memory and growth.

Usage::

    python -m benchmarks.hostile_archives [--lying-mb 94] [--padded-faces 2000] [--keep DIR]

Two files, both made here from scratch:

* **lying member list**: a small real archive whose central directory is followed by
  ``--lying-mb`` megabytes of extra member entries while its end record still declares
  the original count.  ``read_archive`` must refuse it; the figures are the child
  process's peak resident memory (``ru_maxrss``) and the time to the refusal.
* **padded JPEGs**: ``--padded-faces`` samples whose thumbnails are small real JPEGs
  followed by zeros up to the 1 MiB thumbnail limit (deflated, so the file stays
  small).  The figure is how much the gallery file grows when it is imported.

Prints one JSON object per file.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

#: A model identity for the made-up archives (any SHA-256 will do: nothing compares it).
FAKE_SHA = "ab" * 32

_EOCD = struct.Struct(
    "<4s4H2LH"
)  # signature, disk, cd disk, entries here, entries, size, offset, comment


def _unit_rows(count: int, dim: int = 128, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(count, dim))
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m.astype("<f4").tobytes()


def _manifest(people: list[dict], count: int) -> bytes:
    doc = {
        "format": "faceapp-gallery",
        "format_version": 1,
        "created_at": "2026-01-01T00:00:00+00:00",
        "created_by": "benchmarks.hostile_archives",
        "model": {"name": "test", "weights_sha256": FAKE_SHA},
        "embeddings": {"file": "embeddings.f32", "dtype": "<f4", "count": count, "dim": 128},
        "people": people,
    }
    return json.dumps(doc).encode()


def small_jpeg(seed: int = 0, side: int = 96) -> bytes:
    """Return a real JPEG of ``side`` x ``side`` noise (what a face thumbnail weighs)."""
    from faceapp.core.images import encode_jpeg

    rng = np.random.default_rng(seed)
    img = np.clip(rng.normal(128, 40, size=(side, side, 3)), 0, 255).astype(np.uint8)
    return encode_jpeg(img, quality=85)


def lying_zip(path: Path, extra_entries: int) -> Path:
    """Write a real one-person archive whose member list holds ``extra_entries`` more
    entries than its end record declares (each a copy of the manifest's entry, renamed).

    Returns ``path``.
    """
    plain = Path(str(path) + ".plain")
    people = [{"name": "Ann", "created_at": None, "samples": [{"index": 0, "thumbnail": None}]}]
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("manifest.json", _manifest(people, 1))
        zf.writestr("embeddings.f32", _unit_rows(1))
    data = plain.read_bytes()
    plain.unlink()
    at = data.rfind(b"PK\x05\x06")
    sig, disk, cd_disk, here, entries, size, offset, comment = _EOCD.unpack_from(data, at)
    directory = data[offset : offset + size]
    first_len = 46 + sum(struct.unpack_from("<3H", directory, 28))
    template = bytearray(directory[:first_len])
    name_len = struct.unpack_from("<H", template, 28)[0]
    with open(path, "wb") as fh:
        fh.write(data[:offset])
        fh.write(directory)
        for k in range(extra_entries):
            name = f"x/{k:0{name_len - 2}d}".encode()[:name_len]
            template[46 : 46 + name_len] = name
            fh.write(template)
        new_size = size + extra_entries * len(template)
        fh.write(_EOCD.pack(sig, disk, cd_disk, here, entries, new_size, offset, 0))
    return path


def padded_jpeg_zip(path: Path, faces: int, pad_to: int = 1 << 20) -> Path:
    """Write an archive of ``faces`` samples whose thumbnails are real small JPEGs padded
    with zeros after their end marker up to ``pad_to`` bytes, deflated.

    Returns ``path``.
    """
    thumb = small_jpeg()
    padded = thumb + bytes(pad_to - len(thumb))
    samples = [
        {"index": k, "source": None, "created_at": None, "thumbnail": f"thumbnails/{k:06d}.jpg"}
        for k in range(faces)
    ]
    people = [{"name": "Padded", "created_at": None, "samples": samples}]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", _manifest(people, faces))
        zf.writestr("embeddings.f32", _unit_rows(faces), compress_type=zipfile.ZIP_STORED)
        for k in range(faces):
            zf.writestr(f"thumbnails/{k:06d}.jpg", padded)
    return path


_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from faceapp.storage.archive import ArchiveError, import_archive, read_archive
from faceapp.storage.gallery import GalleryStore
archive, gallery = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
try:
    a = read_archive(archive, None, 128)
    import_archive(GalleryStore(gallery), a)
    outcome = "imported"
except ArchiveError as exc:
    outcome = "refused: " + str(exc)[-160:]
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"outcome": outcome, "seconds": round(seconds, 2), "peak_rss_bytes": peak}))
"""


def import_in_child(archive: Path, gallery: Path) -> dict:
    """Import ``archive`` into a new gallery at ``gallery`` in a fresh Python process.

    Returns
    -------
    dict
        ``outcome`` ("imported" or "refused: ..."), ``seconds`` (read and import),
        ``peak_rss_bytes`` (the child's peak resident memory, interpreter included),
        ``archive_bytes`` and ``gallery_bytes`` (0 when no gallery was written).
    """
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(archive), str(gallery)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["archive_bytes"] = archive.stat().st_size
    result["gallery_bytes"] = gallery.stat().st_size if gallery.exists() else 0
    return result


def main(argv: list[str] | None = None) -> int:
    """Build both files, import each in a child process and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lying-mb", type=float, default=94.0)
    parser.add_argument("--padded-faces", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="build the files in this folder and keep them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        entry = 46 + len("manifest.json")
        lying = lying_zip(folder / "lying.zip", int(args.lying_mb * 1e6 / entry))
        padded = padded_jpeg_zip(folder / "padded.zip", args.padded_faces)
        for label, path in (("lying member list", lying), ("padded JPEGs", padded)):
            result = import_in_child(path, folder / f"{path.stem}.db")
            print(json.dumps({"file": label, **result}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
