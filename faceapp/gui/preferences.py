"""Loading and saving the user's Settings with QSettings (never from a FIFO), when they settle."""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from dataclasses import fields
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QSettings, QTimer, Slot

from faceapp.session.window_preferences import (
    GROUP,
    VERSION,
    make_private,
    refused_files,
    settings_from_stored,
    values_to_store,
)
from faceapp.settings import Settings

log = logging.getLogger(__name__)


def guard_preferences_files() -> list[Path]:
    """Keep QSettings away from preferences files that are not regular files.

    QSettings reads its files as soon as one is created, on the GUI thread: a FIFO
    there would block the window for ever (past ``--exit-after``), a device would be
    read as settings.  Each file of
    :func:`~faceapp.session.window_preferences.preferences_files` is looked at with
    ``stat``, which never blocks; when one exists and is not a regular file (a link to
    a regular file is fine), a warning is logged and QSettings is pointed at an empty
    private folder for that scope: the window starts with the default preferences and
    this session's changes are not kept.  Call it once the application's organisation
    and application names are set, before the first ``QSettings()``.  Only where
    QSettings keeps INI files (not on Windows or macOS).

    Returns
    -------
    list of Path
        The files refused (empty when all is well).
    """
    app = QCoreApplication
    refused = []
    for scope, bad in refused_files(app.organizationName(), app.applicationName()).items():
        refused += bad
        empty = tempfile.mkdtemp(prefix="faceapp-preferences-")
        atexit.register(shutil.rmtree, empty, True)
        qt_scope = QSettings.Scope.UserScope if scope == "user" else QSettings.Scope.SystemScope
        QSettings.setPath(QSettings.Format.NativeFormat, qt_scope, empty)
        QSettings.setPath(QSettings.Format.IniFormat, qt_scope, empty)
    return refused


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
    return settings_from_stored(values, versioned=not old)


def save_settings(store: QSettings, settings: Settings) -> None:
    """Write what differs from the defaults in ``settings`` to ``store``; flush it to disk.

    Network cameras' passwords go to the desktop's keyring where there is one
    (:func:`faceapp.storage.credentials.settings_for_file`); the file keeps the address.
    """
    store.beginGroup(GROUP)
    try:
        store.setValue("version", VERSION)
        for key, value in values_to_store(settings).items():
            if value is None:
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
        return
    make_private(Path(store.fileName()))


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
