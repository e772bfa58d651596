"""Loading and saving the user's Settings with QSettings (never from a FIFO), when they settle."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QSettings, QTimer, Slot

from faceapp.core.images import display_name
from faceapp.settings import Settings
from faceapp.storage.credentials import settings_for_file, settings_from_file

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


def preferences_files(organization: str, application: str) -> dict[str, list[Path]]:
    """Return the files QSettings reads on Linux and other Unix, by scope (user, system).

    In the order Qt looks: ``ORGANIZATION/APPLICATION.conf``, then ``ORGANIZATION.conf``,
    under ``$XDG_CONFIG_HOME`` (or ``~/.config``) and under each ``$XDG_CONFIG_DIRS``
    folder (or ``/etc/xdg``).
    """
    home = os.environ.get("XDG_CONFIG_HOME", "")
    user = Path(home) if os.path.isabs(home) else Path.home() / ".config"
    dirs = [d for d in os.environ.get("XDG_CONFIG_DIRS", "").split(":") if os.path.isabs(d)]
    names = (Path(organization) / f"{application}.conf", Path(f"{organization}.conf"))
    return {
        "user": [user / n for n in names],
        "system": [Path(d) / n for d in (dirs or ["/etc/xdg"]) for n in names],
    }


def guard_preferences_files() -> list[Path]:
    """Keep QSettings away from preferences files that are not regular files.

    QSettings reads its files as soon as one is created, on the GUI thread: a FIFO
    there would block the window for ever (past ``--exit-after``), a device would be
    read as settings.  Each file of :func:`preferences_files` is looked at with
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
    if sys.platform in ("win32", "darwin"):
        return []
    app = QCoreApplication
    files = preferences_files(app.organizationName(), app.applicationName())
    refused = []
    for scope, paths in files.items():
        bad = [p for p in paths if _exists_not_regular(p)]
        if not bad:
            continue
        refused += bad
        empty = tempfile.mkdtemp(prefix="faceapp-preferences-")
        atexit.register(shutil.rmtree, empty, True)
        qt_scope = QSettings.Scope.UserScope if scope == "user" else QSettings.Scope.SystemScope
        QSettings.setPath(QSettings.Format.NativeFormat, qt_scope, empty)
        QSettings.setPath(QSettings.Format.IniFormat, qt_scope, empty)
        for p in bad:
            log.warning(
                "preferences: %s is not a regular file (a pipe or a device?); not read, "
                "default preferences used and not saved this time",
                display_name(p),
            )
    return refused


def _exists_not_regular(path: Path) -> bool:
    """Return True when ``path`` exists (following links) and is not a regular file."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:  # absent, a broken link, or not reachable: Qt reads nothing there
        return False


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
    return settings_from_file(Settings.from_dict(values))  # passwords from the keyring


def save_settings(store: QSettings, settings: Settings) -> None:
    """Write what differs from the defaults in ``settings`` to ``store``; flush it to disk.

    Network cameras' passwords go to the desktop's keyring where there is one
    (:func:`faceapp.storage.credentials.settings_for_file`); the file keeps the address.
    """
    defaults = Settings().to_dict()
    settings = settings_for_file(settings)  # cameras' passwords to the keyring, if any
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
        return
    _make_private(Path(store.fileName()))


def _make_private(path: Path) -> None:
    """Make the preferences file 0600: it names people and may hold a camera's password.

    Qt rewrites the file through a temporary one that keeps these permissions, so only
    the very first save is briefly readable by others.
    """
    try:
        if path.is_file() and not path.is_symlink():
            os.chmod(path, 0o600)
    except OSError as exc:
        log.warning("could not make the preferences private (%s): %s", path, exc.strerror)


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
