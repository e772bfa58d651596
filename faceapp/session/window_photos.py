"""The rows of a folder run's results table, by photo position (no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from faceapp.core.types import FrameResult
from faceapp.session.photo_results import PhotoRow, relative_name, row_from_result

__all__ = ["FolderRows"]


class FolderRows:
    """Which file each position of a folder run is, and the table row each event makes.

    Parameters
    ----------
    folder : str or Path
        The folder run; files are named relative to it.
    photos : sequence of str or Path
        The folder's photos, in the run's order (position 0 first).
    """

    def __init__(self, folder: str | Path, photos: Sequence[str | Path]) -> None:
        self._folder = Path(folder)
        self._photos = list(photos)

    def file(self, position: int) -> str | None:
        """Return the file at ``position``, relative to the folder; None out of range."""
        if not 0 <= position < len(self._photos):
            return None
        return relative_name(self._photos[position], self._folder)

    def rows(self) -> list[PhotoRow]:
        """Return one empty row per photo: the table before any result."""
        return [PhotoRow(i, relative_name(p, self._folder)) for i, p in enumerate(self._photos)]

    def unreadable(self, position: int, path: str, message: str) -> PhotoRow:
        """Return the row of a photo that could not be read (``message``: why)."""
        return PhotoRow(position, relative_name(path, self._folder), error=f"unreadable: {message}")

    def result_row(self, result: FrameResult) -> PhotoRow | None:
        """Return the row of a photo's recognition result; None when not of this run."""
        file = self.file(result.index)
        return None if file is None else row_from_result(result.index, file, result)

    def error_row(self, position: int, message: str) -> PhotoRow | None:
        """Return the row of a photo whose processing failed; None when out of range."""
        file = self.file(position)
        return None if file is None else PhotoRow(position, file, error=message)
