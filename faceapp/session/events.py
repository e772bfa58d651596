"""Frame-rate meters and the optional JSON-lines log of processed frames (``--events``)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import IO, Any

from faceapp.core.matching import MODES
from faceapp.core.types import FrameResult

_, VERIFICATION = MODES

log = logging.getLogger(__name__)


def face_events(result: FrameResult, mode: str) -> list[dict[str, Any]]:
    """Return the JSON-ready description of each face of ``result``.

    Each face as :meth:`FaceResult.to_json` gives it (``box``, ``score``, ``name``,
    ``distance``, as the CLI writes them) and, in verification mode, ``decision``
    ("accept" or "reject").
    """
    faces = []
    for fr in result.faces:
        entry = fr.to_json()
        if mode == VERIFICATION:
            accepted = fr.match is not None and fr.match.accepted
            entry["decision"] = "accept" if accepted else "reject"
        faces.append(entry)
    return faces


class EventLog:
    """Appends one JSON line per processed frame to a file.

    Each line: ``{"t": seconds since the log was opened, "frame": index, "ts": source
    timestamp, "latency_ms": ..., "mode": ..., "faces": [...]}`` (see :func:`face_events`).

    Parameters
    ----------
    path : str or Path
        Opened for appending; its folder must exist.

    Raises
    ------
    OSError
        When the file cannot be opened.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._t0 = time.monotonic()
        self.lines = 0

    def record(self, result: FrameResult, mode: str) -> None:
        """Append the line for ``result``; logs (once) and stops writing on an I/O error."""
        if self._file is None:
            return
        doc = {
            "t": round(time.monotonic() - self._t0, 3),
            "frame": result.index,
            "ts": round(result.timestamp, 3),
            "latency_ms": round(result.latency_ms, 1),
            "mode": mode,
            "faces": face_events(result, mode),
        }
        try:
            self._file.write(json.dumps(doc) + "\n")
            self._file.flush()
            self.lines += 1
        except OSError as exc:
            log.error("cannot write events to %s: %s", self.path, exc)
            self.close()

    def close(self) -> None:
        """Close the file; later records are ignored."""
        f, self._file = self._file, None
        if f is not None:
            f.close()
