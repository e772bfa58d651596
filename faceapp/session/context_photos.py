"""A photo of a folder run read again, as recognised, for the face menu of its results."""

from __future__ import annotations

import logging

from faceapp.core.errors import ImageError
from faceapp.core.sources import Frame, ImageFolderSource
from faceapp.session.window_photos import FolderRows

log = logging.getLogger(__name__)


def photo_frame(
    source: ImageFolderSource | None, rows: FolderRows, position: int
) -> tuple[Frame, str] | None:
    """Return photo ``position`` of a folder run as recognised, and its file name.

    Read again from the file (letterboxed like the run); None when no folder is run,
    there is no such photo, or it cannot be read now (moved, deleted or damaged since
    it was shown: logged).

    Parameters
    ----------
    source : ImageFolderSource or None
        The folder being run (None: none is).
    rows : FolderRows
        The run's files by position.
    position : int
        The photo's position in the run (its frame index).
    """
    file = rows.file(position)
    if source is None or file is None:
        return None
    try:
        image = source.photo(position)
    except (ImageError, IndexError) as exc:  # moved, deleted or damaged since shown
        log.warning("cannot read photo %d again: %s", position, exc)
        return None
    return Frame(image, position, float(position)), file
