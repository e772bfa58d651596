"""What a gallery archive is: member names, format version, errors, the values read or written."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from faceapp.core.quality import QualityFigures

#: The ``format`` value of the manifest, and the version this package writes and reads.
FORMAT_NAME = "faceapp-gallery"
#: Version 2 added the "not X" corrections (``negatives``); version 1 files still import.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
EMBEDDINGS = "embeddings.f32"
THUMBNAIL_DIR = "thumbnails"
#: The corrections' embeddings and crops (format 2).
NEGATIVES = "negatives.f32"
NEGATIVE_DIR = "negatives"
#: The model whose embeddings faceapp stores; informative, the identity is the SHA-256.
MODEL_NAME = "FaceNet Inception-ResNet-v1, 128-d (facenet_keras.h5)"

#: What :func:`~faceapp.storage.archive.import_archive` does with someone already enrolled.
OnConflict = Literal["fail", "merge", "skip", "rename"]
ON_CONFLICT: tuple[OnConflict, ...] = ("fail", "merge", "skip", "rename")

#: A model identity: the lower-case hex SHA-256 of the FaceNet weights.
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class ArchiveError(ValueError):
    """The file cannot be exported to or imported from; ``str(error)`` is one line."""


class ConflictError(ArchiveError):
    """People in the archive are already enrolled and no way to resolve that was chosen.

    Attributes
    ----------
    names : tuple of str
        The names enrolled in both.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        shown = ", ".join(self.names[:5]) + (", ..." if len(self.names) > 5 else "")
        super().__init__(
            f"{len(self.names)} of the people in the file are already enrolled ({shown});"
            " choose what to do with them: merge their samples, skip them, or rename them"
        )


@dataclass(frozen=True)
class ArchiveSample:
    """One sample of an archive.

    Parameters
    ----------
    embedding : bytes
        ``4 * dim`` bytes: the little-endian float32 embedding, exactly as stored.
    thumbnail : bytes or None
        JPEG bytes.
    source : str or None
    created_at : str or None
        ISO 8601.
    quality : QualityFigures or None
        The enrolment quality figures, when the sample has them.
    """

    embedding: bytes = field(repr=False)
    thumbnail: bytes | None = field(repr=False)
    source: str | None
    created_at: str | None
    quality: QualityFigures | None = None


@dataclass(frozen=True)
class ArchiveNegative:
    """One "not X" correction of an archive: a face the user said is not the person.

    Parameters
    ----------
    embedding : bytes
        ``4 * dim`` bytes: the little-endian float32 embedding, exactly as stored.
    crop : bytes or None
        JPEG bytes of the face.
    source : str or None
    created_at : str or None
        ISO 8601.
    """

    embedding: bytes = field(repr=False)
    crop: bytes | None = field(repr=False)
    source: str | None
    created_at: str | None


@dataclass(frozen=True)
class ArchivePerson:
    """One person of an archive: the normalised name, enrolment time, samples, corrections."""

    name: str
    created_at: str | None
    samples: tuple[ArchiveSample, ...]
    negatives: tuple[ArchiveNegative, ...] = ()


@dataclass(frozen=True)
class GalleryArchive:
    """A checked archive held in memory.

    Parameters
    ----------
    format_version : int
    model_sha256 : str
        SHA-256 of the FaceNet weights the embeddings were made with.
    dim : int
        Embedding dimension.
    created_at : str or None
    people : tuple of ArchivePerson
    """

    format_version: int
    model_sha256: str
    dim: int
    created_at: str | None
    people: tuple[ArchivePerson, ...]

    @property
    def n_samples(self) -> int:
        """Samples over all people."""
        return sum(len(p.samples) for p in self.people)

    @property
    def n_negatives(self) -> int:
        """The "not X" corrections over all people (none in a format-1 file)."""
        return sum(len(p.negatives) for p in self.people)


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: file, people, samples, thumbnails left out (not JPEG), corrections."""

    path: Path
    people: int
    samples: int
    thumbnails_left_out: int
    negatives: int = 0


@dataclass(frozen=True)
class ImportSummary:
    """What an import did.

    Parameters
    ----------
    added : tuple of str
        People new to the gallery.
    merged : tuple of str
        People already enrolled who received the archive's samples.
    skipped : tuple of str
        People already enrolled and left as they were.
    renamed : tuple of (str, str)
        ``(name in the archive, name given)`` for people imported under a new name.
    samples_added : int
    samples_already_there : int
        Samples of merged people that the gallery already held (same embedding bytes).
    negatives_added : int
        "Not X" corrections added (those a merged person already had are not added twice).
    """

    added: tuple[str, ...]
    merged: tuple[str, ...]
    skipped: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...]
    samples_added: int
    samples_already_there: int
    negatives_added: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready values."""
        return {
            "added": list(self.added),
            "merged": list(self.merged),
            "skipped": list(self.skipped),
            "renamed": [{"from": a, "to": b} for a, b in self.renamed],
            "samples_added": self.samples_added,
            "samples_already_there": self.samples_already_there,
            "negatives_added": self.negatives_added,
        }


def thumbnail_name(index: int) -> str:
    """Return the member name of the thumbnail of sample ``index`` (``thumbnails/NNNNNN.jpg``)."""
    return f"{THUMBNAIL_DIR}/{index:06d}.jpg"


def negative_crop_name(index: int) -> str:
    """Return the member name of the crop of correction ``index`` (``negatives/NNNNNN.jpg``)."""
    return f"{NEGATIVE_DIR}/{index:06d}.jpg"


def now_iso() -> str:
    """Return the current UTC time in ISO 8601, to the second (the archive's time stamps)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
