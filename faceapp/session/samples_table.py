"""The samples dialog's table without Qt: columns, sort choices, the samples that stand out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from faceapp.session.sample_rows import SampleRow, sample_row
from faceapp.storage.gallery import Sample

#: The table's columns.
PICTURE, ADDED, SOURCE, QUALITY, DISTANCE = range(5)
HEADERS = ("Face", "Added", "Source", "Quality", "Distance to mean")

#: The sort choices offered: label, column, descending.
SORTS = (
    ("Oldest first", ADDED, False),
    ("Newest first", ADDED, True),
    ("Farthest from the mean first", DISTANCE, True),
    ("Closest to the mean first", DISTANCE, False),
    ("Poorest quality first", QUALITY, True),
)


def sort_choice(column: int, descending: bool) -> int:
    """Return the index in :data:`SORTS` of sorting by ``column`` that way, or -1."""
    for index, (_, c, d) in enumerate(SORTS):
        if (c, d) == (column, descending):
            return index
    return -1


def quality_tone(failed: int) -> str:
    """Return how a quality cell is coloured: "failed", "missing" (not recorded) or "".

    ``failed`` is :attr:`~faceapp.session.sample_quality.QualityText.failed`: the
    number of failing checks, -1 when the figures were not recorded.
    """
    if failed > 0:
        return "failed"
    return "missing" if failed < 0 else ""


@dataclass(frozen=True)
class SampleListing:
    """A person's samples as listed, one :class:`SampleRow` each, in the order read.

    Parameters
    ----------
    rows : tuple of SampleRow
    """

    rows: tuple[SampleRow, ...] = ()

    @classmethod
    def of(cls, samples: tuple[Sample, ...], distances: tuple[float, ...]) -> SampleListing:
        """Return the listing of ``samples``, each ``distances[i]`` from its person's mean."""
        return cls(tuple(sample_row(s, d) for s, d in zip(samples, distances, strict=True)))

    @cached_property
    def _distances(self) -> dict[int, float]:
        return {r.sample_id: r.distance for r in self.rows}

    def distance(self, sample_id: int) -> float:
        """Return the distance to the mean of the sample ``sample_id`` (KeyError if unlisted)."""
        return self._distances[sample_id]

    def outliers(self, limit: float, order: list[int]) -> list[int]:
        """Return the ids, in ``order``, of the samples farther than ``limit`` from the mean."""
        far = {r.sample_id for r in self.rows if r.distance > limit}
        return [i for i in order if i in far]

    def poor(self) -> int:
        """Return how many samples have a quality figure that fails its check."""
        return sum(r.quality.failed > 0 for r in self.rows)
