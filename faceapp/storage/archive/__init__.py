"""Gallery export and import: one versioned zip file (JSON manifest, float32 embeddings, JPEGs).

The format is described in ``docs/gallery-format.md``.  Nothing in it is executable or
pickled: a JSON manifest, one little-endian float32 matrix and JPEG thumbnails.  Import
reads and checks the whole file in memory before anything is written (member names and
kinds, sizes, the manifest's types, the model identity, the dimension, the names, every
embedding and every JPEG) and then writes everything in one transaction, or nothing.

- :mod:`~faceapp.storage.archive.format`: member names, version, errors, the values.
- :mod:`~faceapp.storage.archive.export`: :func:`export_gallery`.
- :mod:`~faceapp.storage.archive.reading`: :func:`read_archive`, every check and limit.
- :mod:`~faceapp.storage.archive.importing`: :func:`conflicts`, :func:`import_archive`.
"""

from faceapp.storage.archive.export import export_gallery
from faceapp.storage.archive.format import (
    EMBEDDINGS,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    MODEL_NAME,
    NEGATIVES,
    ON_CONFLICT,
    THUMBNAIL_DIR,
    ArchiveError,
    ArchiveNegative,
    ArchivePerson,
    ArchiveSample,
    ConflictError,
    ExportSummary,
    GalleryArchive,
    ImportSummary,
    OnConflict,
)
from faceapp.storage.archive.importing import conflicts, import_archive
from faceapp.storage.archive.reading import (
    MAX_ARCHIVE_BYTES,
    MAX_DIM,
    MAX_MANIFEST_BYTES,
    MAX_NEGATIVES,
    MAX_PEOPLE,
    MAX_SAMPLES,
    MAX_SOURCE_LENGTH,
    MAX_THUMBNAIL_BYTES,
    MAX_THUMBNAIL_SIDE,
    MAX_TOTAL_BYTES,
    NORM_TOLERANCE,
    read_archive,
)

__all__ = [
    "EMBEDDINGS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST",
    "MAX_ARCHIVE_BYTES",
    "MAX_DIM",
    "MAX_MANIFEST_BYTES",
    "MAX_NEGATIVES",
    "MAX_PEOPLE",
    "MAX_SAMPLES",
    "MAX_SOURCE_LENGTH",
    "MAX_THUMBNAIL_BYTES",
    "MAX_THUMBNAIL_SIDE",
    "MAX_TOTAL_BYTES",
    "MODEL_NAME",
    "NEGATIVES",
    "NORM_TOLERANCE",
    "ON_CONFLICT",
    "THUMBNAIL_DIR",
    "ArchiveError",
    "ArchiveNegative",
    "ArchivePerson",
    "ArchiveSample",
    "ConflictError",
    "ExportSummary",
    "GalleryArchive",
    "ImportSummary",
    "OnConflict",
    "conflicts",
    "export_gallery",
    "import_archive",
    "read_archive",
]
