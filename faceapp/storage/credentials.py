"""Network cameras' passwords in the desktop's keyring, so the preferences keep only addresses."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from faceapp.core.sources import HIDDEN, network_scheme, redact_source, secrets_of
from faceapp.settings import Settings

log = logging.getLogger(__name__)

#: The keyring's service name of every entry faceapp stores.
SERVICE = "faceapp"

#: Entries stored or read in this process: (backend's id, redacted address) -> real
#: address.  Spares the keyring (a D-Bus call each) a write on every save of the
#: preferences.
_known: dict[tuple[int, str], str] = {}


def usable_keyring() -> Any | None:
    """Return the desktop's keyring backend, or None where there is none to use.

    A backend is usable when the ``keyring`` library is installed and the backend it
    chooses has a priority above 0 (its ``fail`` and ``null`` backends, which store
    nothing, have 0 and -1).  Never raises.

    Returns
    -------
    keyring.backend.KeyringBackend or None
    """
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, (fail.Keyring, null.Keyring)) or float(backend.priority) <= 0:
            return None
        return backend
    except Exception as exc:  # noqa: BLE001 - a broken keyring must not stop the app
        log.info("keyring: none usable (%s)", type(exc).__name__)
        return None


def _stash(address: str, backend: Any) -> str:
    """Store ``address`` in ``backend`` under its redacted form; return what the file keeps."""
    if network_scheme(address) is None or not secrets_of(address):
        return address
    shown = redact_source(address)
    if _known.get((id(backend), shown)) == address:
        return shown
    try:
        backend.set_password(SERVICE, shown, address)
    except Exception as exc:  # noqa: BLE001 - locked, refused, D-Bus gone: keep it in the file
        log.warning(
            "keyring: could not store the password of %s (%s); it stays in the private "
            "preferences file",
            shown,
            type(exc).__name__,
        )
        return address
    _known[(id(backend), shown)] = address
    return shown


def _restore(text: str, backend: Any) -> str:
    """Return the real address stored for the redacted ``text``, or ``text`` itself."""
    if network_scheme(text) is None or redact_source(text) != text or HIDDEN not in text:
        return text
    address = _known.get((id(backend), text))
    if address is None:
        try:
            address = backend.get_password(SERVICE, text)
        except Exception as exc:  # noqa: BLE001 - locked or gone: the address stays redacted
            log.warning("keyring: could not read the password of %s (%s)", text, type(exc).__name__)
            return text
    if not isinstance(address, str) or redact_source(address) != text:
        return text
    _known[(id(backend), text)] = address
    return address


def _lines(text: str, convert: Any) -> str:
    out: list[str] = []
    for line in text.splitlines():
        converted = convert(line)
        if converted not in out:
            out.append(converted)
    return "\n".join(out)


def settings_for_file(settings: Settings, backend: Any | None = None) -> Settings:
    """Return ``settings`` as the preferences file keeps them: passwords in the keyring.

    Each network address holding a secret (a password, a ``password=`` parameter, see
    :func:`~faceapp.core.sources.secrets_of`) in ``source`` and ``recent_addresses`` is
    stored in the keyring (service :data:`SERVICE`, user name: the redacted address,
    secret: the whole address) and replaced by its redacted form.  Without a usable
    keyring, or when it refuses an entry, that address is kept as it is: the
    preferences file is private (0600).  Never logs a password.

    Parameters
    ----------
    settings : Settings
        The settings in memory (real addresses).
    backend : keyring.backend.KeyringBackend, optional
        Where to store; default :func:`usable_keyring`.

    Returns
    -------
    Settings
    """
    backend = backend if backend is not None else usable_keyring()
    if backend is None:
        return settings
    return replace(
        settings,
        source=_stash(settings.source, backend),
        recent_addresses=_lines(settings.recent_addresses, lambda a: _stash(a, backend)),
    )


def settings_from_file(settings: Settings, backend: Any | None = None) -> Settings:
    """Return ``settings`` read from the preferences file with the keyring's addresses back.

    The inverse of :func:`settings_for_file`: a redacted address whose entry the keyring
    holds becomes the real one again.  One it does not hold (removed, or another
    machine) stays redacted: the user types the password again.

    Parameters
    ----------
    settings : Settings
        As loaded from the preferences file.
    backend : keyring.backend.KeyringBackend, optional
        Where to look; default :func:`usable_keyring`.

    Returns
    -------
    Settings
    """
    if "://" not in settings.source + settings.recent_addresses:
        return settings
    backend = backend if backend is not None else usable_keyring()
    if backend is None:
        return settings
    return replace(
        settings,
        source=_restore(settings.source, backend),
        recent_addresses=_lines(settings.recent_addresses, lambda a: _restore(a, backend)),
    )
