"""The stored form of the user's Settings: which files hold them, versions, what is written."""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path
from typing import Any

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


def exists_not_regular(path: Path) -> bool:
    """Return True when ``path`` exists (following links) and is not a regular file."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:  # absent, a broken link, or not reachable: Qt reads nothing there
        return False


def refused_files(organization: str, application: str) -> dict[str, list[Path]]:
    """Return, by scope, the preferences files that exist and are not regular files.

    A warning names each (QSettings must not read them: a FIFO would block it).  Only
    where QSettings keeps INI files: nothing on Windows or macOS.
    """
    if sys.platform in ("win32", "darwin"):
        return {}
    refused = {}
    for scope, paths in preferences_files(organization, application).items():
        bad = [p for p in paths if exists_not_regular(p)]
        for p in bad:
            log.warning(
                "preferences: %s is not a regular file (a pipe or a device?); not read, "
                "default preferences used and not saved this time",
                display_name(p),
            )
        if bad:
            refused[scope] = bad
    return refused


def settings_from_stored(values: dict[str, Any], versioned: bool = True) -> Settings:
    """Return the settings of the stored ``values``, defaults for anything missing or unusable.

    A file without a version (``versioned`` False) stored every value: one that was the
    default then (:data:`_OLD_DEFAULTS`) gives way to today's default.  Network cameras'
    passwords come from the keyring.
    """
    values = dict(values)
    if not versioned:
        for key, default in _OLD_DEFAULTS.items():
            if key in values and str(values[key]) == str(default):
                log.info("preferences: %s was the old default (%s); using today's", key, default)
                del values[key]
    return settings_from_file(Settings.from_dict(values))  # passwords from the keyring


def values_to_store(settings: Settings) -> dict[str, Any]:
    """Return what to store of ``settings``: each field's value, None for "remove the key".

    Only what differs from the defaults is kept.  Network cameras' passwords go to the
    desktop's keyring where there is one
    (:func:`faceapp.storage.credentials.settings_for_file`); the file keeps the address.
    """
    defaults = Settings().to_dict()
    stored = settings_for_file(settings).to_dict()
    return {k: None if v == defaults[k] else v for k, v in stored.items()}


def make_private(path: Path) -> None:
    """Make the preferences file 0600: it names people and may hold a camera's password.

    Qt rewrites the file through a temporary one that keeps these permissions, so only
    the very first save is briefly readable by others.
    """
    try:
        if path.is_file() and not path.is_symlink():
            os.chmod(path, 0o600)
    except OSError as exc:
        log.warning("could not make the preferences private (%s): %s", path, exc.strerror)
