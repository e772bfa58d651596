"""The "not X" corrections under way: whom each face embedded is not, what is said (Qt-free)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from faceapp.session.face_labels import correction_job, correction_note

#: What is said when a correction is asked of someone no longer enrolled (or of a store
#: that keeps no corrections).
NOT_CORRECTED = "Not corrected: that person is no longer enrolled"


def can_correct(store: object) -> bool:
    """Return True when ``store`` keeps "not X" corrections (``add_negative``)."""
    return hasattr(store, "add_negative")


@dataclass(frozen=True)
class _Pending:
    person_id: int
    name: str
    source: str


class Corrections:
    """The corrections whose face is being embedded, by the embedding's ticket.

    A "not X" correction embeds the face off the GUI thread first (:meth:`start`); once
    embedded, :meth:`embedded` gives the gallery job that stores it, and :meth:`failed`
    what is said when the embedding failed.  Not thread-safe: one thread (the GUI's)
    calls it.
    """

    def __init__(self) -> None:
        self._pending: dict[int, _Pending] = {}

    def start(self, ticket: int, person_id: int, name: str, source: str) -> None:
        """Note that embedding ``ticket`` is a face of ``source`` that is not ``name``."""
        self._pending[ticket] = _Pending(person_id, name, source)

    def embedded(
        self, ticket: int, embedding: np.ndarray, crop: bytes
    ) -> tuple[Callable[[object], str], str] | None:
        """Return the gallery job storing embedding ``ticket`` and what is said, or None.

        None when ``ticket`` is no correction's (or was already answered).
        """
        pending = self._pending.pop(ticket, None)
        if pending is None:
            return None
        job = correction_job(pending.person_id, pending.name, embedding, crop, pending.source)
        return job, correction_note(pending.name)

    def failed(self, ticket: int, message: str) -> str:
        """Return what is said when embedding ``ticket`` failed with ``message``."""
        pending = self._pending.pop(ticket, None)
        return correction_note(pending.name if pending is not None else "", message)
