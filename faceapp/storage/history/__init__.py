"""The recognition history: who was named or verified, when, how close, with a small face crop.

Events live in the gallery file (table ``history``, schema 3), so they travel and are
wiped with it; removing a person removes their events (``ON DELETE CASCADE``, and
``secure_delete`` overwrites them).  An event stores the person's gallery id, not their
name: it shows the current name after a rename.

The switch and the retention are settings of the gallery file itself (rows of its
``meta`` table), so the window and the command line agree on them:

- ``enabled`` (default on): :meth:`History.record` writes nothing while it is off.
  Turning it off keeps what was recorded until it expires or is cleared.
- ``retention_days`` (default :data:`DEFAULT_RETENTION_DAYS`): older events are
  deleted by every write of the history and never returned by a query.

Who records is the caller's choice: the window records what it shows while history is
on; the command line records only when given ``--history``.  Each :meth:`History.record`
call is one write transaction (with the gallery's integrity check), so callers collect
events and record them in batches, every few seconds or at the end of a run.

- :mod:`~faceapp.storage.history.events`: the values (:class:`NewEvent`,
  :class:`HistoryEvent`, :class:`HistorySettings`) and the checks on an event.
- :mod:`~faceapp.storage.history.faces`: unknown faces kept with their embedding
  (:class:`UnknownFace`), grouped by person (:func:`group_faces`, :class:`FaceGroup`),
  and the samples a group is enrolled from (:func:`plan_enrolment`).  An unknown event
  may carry its embedding and quality figures (schema 5); they follow the event's
  rules (retention, clear, secure delete, never exported) and are deleted when the
  face is forgotten or named (:meth:`History.forget_faces`).
- :mod:`~faceapp.storage.history.store`: :class:`History`, over the gallery file.
- :mod:`~faceapp.storage.history.text`: :func:`write_csv`, :func:`csv_cell`,
  :func:`daily_rows` and :func:`write_daily_csv` (attendance per person and day),
  :func:`parse_since`, :func:`local_time`.
"""

from faceapp.storage.history.events import (
    CROP_SIZE,
    DEFAULT_RETENTION_DAYS,
    MAX_CROP_BYTES,
    MAX_RETENTION_DAYS,
    MAX_SOURCE_LENGTH,
    MIN_RETENTION_DAYS,
    HistoryEvent,
    HistorySettings,
    NewEvent,
)
from faceapp.storage.history.faces import (
    MAX_GROUP_SAMPLES,
    FaceGroup,
    GroupEnrolment,
    UnknownFace,
    best_faces,
    group_faces,
    plan_enrolment,
)
from faceapp.storage.history.store import History
from faceapp.storage.history.text import (
    CSV_COLUMNS,
    DAILY_COLUMNS,
    PRESENT_DECISIONS,
    DayRow,
    csv_cell,
    daily_rows,
    local_time,
    parse_since,
    write_csv,
    write_daily_csv,
)

__all__ = [
    "CROP_SIZE",
    "CSV_COLUMNS",
    "DAILY_COLUMNS",
    "PRESENT_DECISIONS",
    "DayRow",
    "DEFAULT_RETENTION_DAYS",
    "MAX_GROUP_SAMPLES",
    "MAX_CROP_BYTES",
    "MAX_RETENTION_DAYS",
    "MAX_SOURCE_LENGTH",
    "MIN_RETENTION_DAYS",
    "FaceGroup",
    "GroupEnrolment",
    "History",
    "HistoryEvent",
    "HistorySettings",
    "NewEvent",
    "UnknownFace",
    "best_faces",
    "csv_cell",
    "daily_rows",
    "group_faces",
    "local_time",
    "parse_since",
    "plan_enrolment",
    "write_csv",
    "write_daily_csv",
]
