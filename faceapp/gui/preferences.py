"""Loading and saving the user's Settings with QSettings."""

from __future__ import annotations

import logging
from dataclasses import fields

from PySide6.QtCore import QByteArray, QSettings

from faceapp.settings import Settings

log = logging.getLogger(__name__)

#: QSettings group holding the preferences.
GROUP = "preferences"


def load_settings(store: QSettings) -> Settings:
    """Return the settings saved in ``store``, defaults for anything missing or unusable."""
    store.beginGroup(GROUP)
    try:
        values = {}
        for f in fields(Settings):
            if store.contains(f.name):
                raw = store.value(f.name)
                values[f.name] = bytes(raw.data()) if isinstance(raw, QByteArray) else raw
    finally:
        store.endGroup()
    return Settings.from_dict(values)


def save_settings(store: QSettings, settings: Settings) -> None:
    """Write ``settings`` to ``store`` and flush it to disk."""
    store.beginGroup(GROUP)
    try:
        for key, value in settings.to_dict().items():
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
