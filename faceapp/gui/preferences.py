"""Loading and saving the user's Settings with QSettings; saving them when they settle."""

from __future__ import annotations

import logging
from dataclasses import fields

from PySide6.QtCore import QByteArray, QObject, QSettings, QTimer, Slot

from faceapp.settings import Settings

log = logging.getLogger(__name__)

#: QSettings group holding the preferences.
GROUP = "preferences"

#: Version of the stored preferences (key ``version`` in :data:`GROUP`).  Version 2 stores
#: only what differs from the defaults, so that a later default applies to whoever never
#: changed the value; files without a version stored every value.
VERSION = 2

#: Values that were stored by version 1 only because they were the default then: a file
#: without a version that holds one of them gets today's default instead.
_OLD_DEFAULTS = {"min_face_px": 40, "threshold": 1.07}


def load_settings(store: QSettings) -> Settings:
    """Return the settings saved in ``store``, defaults for anything missing or unusable."""
    store.beginGroup(GROUP)
    try:
        old = not store.contains("version")
        values = {}
        for f in fields(Settings):
            if store.contains(f.name):
                raw = store.value(f.name)
                values[f.name] = bytes(raw.data()) if isinstance(raw, QByteArray) else raw
    finally:
        store.endGroup()
    if old:
        for key, default in _OLD_DEFAULTS.items():
            if key in values and str(values[key]) == str(default):
                log.info("preferences: %s was the old default (%s); using today's", key, default)
                del values[key]
    return Settings.from_dict(values)


def save_settings(store: QSettings, settings: Settings) -> None:
    """Write what differs from the defaults in ``settings`` to ``store``; flush it to disk."""
    defaults = Settings().to_dict()
    store.beginGroup(GROUP)
    try:
        store.setValue("version", VERSION)
        for key, value in settings.to_dict().items():
            if value is None or value == defaults[key]:
                store.remove(key)
            elif isinstance(value, bytes):
                store.setValue(key, QByteArray(value))
            else:
                store.setValue(key, value)
    finally:
        store.endGroup()
    store.sync()
    if store.status() != QSettings.Status.NoError:
        log.warning("could not save the preferences to %s", store.fileName())


class PreferencesSaver(QObject):
    """Writes the preferences to disk once they stop changing, not on every change.

    A slider dragged over fifty steps changes the settings fifty times; each
    ``save_settings`` rewrites and syncs the file.  :meth:`schedule` keeps only the
    newest settings and writes them ``delay_ms`` after the last change; :meth:`flush`
    writes at once (call it before exiting).  Lives on the GUI thread.

    Parameters
    ----------
    store : QSettings
        Where the preferences go.
    delay_ms : int
        Quiet time before a write, in milliseconds.
    """

    def __init__(
        self, store: QSettings, delay_ms: int = 500, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._pending: Settings | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.flush)
        self.writes = 0

    @Slot(object)
    def schedule(self, settings: Settings) -> None:
        """Remember ``settings`` and write them once nothing changed for ``delay_ms``."""
        self._pending = settings
        self._timer.start()

    @Slot()
    def flush(self, settings: Settings | None = None) -> None:
        """Write ``settings`` (or the pending settings, if any) now."""
        self._timer.stop()
        settings = settings if settings is not None else self._pending
        self._pending = None
        if settings is not None:
            save_settings(self._store, settings)
            self.writes += 1
