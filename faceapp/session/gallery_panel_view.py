"""What the gallery panel shows of the selected person, and the edits it awaits."""

from __future__ import annotations

from faceapp.session.gallery import GalleryEdit
from faceapp.session.outlook_text import more_samples_text
from faceapp.storage.gallery import Person


def one_sample_hint(person: Person | None, n_people: int, stranger_rate: float) -> str:
    """Return why the selected ``person`` needs more samples, or "" when they have several.

    Parameters
    ----------
    person : Person or None
        The person selected (None: nobody).
    n_people : int
        The people enrolled.
    stranger_rate : float
        The rate of strangers named as someone accepted in the settings.
    """
    if person is None or person.n_samples != 1:
        return ""
    return f"{person.name}: {more_samples_text(n_people, stranger_rate)}"


class PendingEdits:
    """The gallery edits a window asked for, each with the title of its failure message."""

    def __init__(self) -> None:
        self._titles: dict[int, str] = {}

    def add(self, ticket: int, title: str) -> None:
        """Await the edit ``ticket``; a failure is told under ``title``."""
        self._titles[ticket] = title

    def failure(self, edit: GalleryEdit) -> tuple[str, str] | None:
        """End ``edit`` and return its failure message's title and text.

        None when ``edit`` is not awaited here (another window's) or went well.
        """
        title = self._titles.pop(edit.ticket, None)
        if title is None or edit.error is None:
            return None
        return title, edit.error
