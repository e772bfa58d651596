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
- :mod:`~faceapp.storage.history.store`: :class:`History`, over the gallery file.
- :mod:`~faceapp.storage.history.text`: :func:`write_csv`, :func:`csv_cell`,
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
from faceapp.storage.history.store import History
from faceapp.storage.history.text import (
    CSV_COLUMNS,
    csv_cell,
    local_time,
    parse_since,
    write_csv,
)

__all__ = [
    "CROP_SIZE",
    "CSV_COLUMNS",
    "DEFAULT_RETENTION_DAYS",
    "MAX_CROP_BYTES",
    "MAX_RETENTION_DAYS",
    "MAX_SOURCE_LENGTH",
    "MIN_RETENTION_DAYS",
    "History",
    "HistoryEvent",
    "HistorySettings",
    "NewEvent",
    "csv_cell",
    "local_time",
    "parse_since",
    "write_csv",
]
