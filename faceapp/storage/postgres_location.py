"""Gallery locations that name a PostgreSQL database, and how they are shown (passwords hidden)."""

from __future__ import annotations

import re

__all__ = ["URI_SCHEMES", "DatabaseLocation", "is_database_location", "redact_location"]

#: Address prefixes that name a PostgreSQL gallery (anything else is a file).
URI_SCHEMES = ("postgresql://", "postgres://")

_PASSWORD_KV = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_SERVICE = re.compile(r"^\s*service\s*=\s*\S+")


def is_database_location(text: object) -> bool:
    """Tell whether a gallery location names a PostgreSQL database, not a file.

    ``postgresql://…`` and ``postgres://…`` URIs and libpq key/value strings starting
    with ``service=NAME`` (a service of ``~/.pg_service.conf``) do.
    """
    if not isinstance(text, str):
        return False
    return text.startswith(URI_SCHEMES) or bool(_SERVICE.match(text))


def redact_location(text: object) -> str:
    """Return a gallery location fit to print or log: any password in it becomes ``***``.

    Covers the password of a URI's user information, a ``?password=`` query
    parameter, and a ``password=`` key of a key/value string.  Never raises.
    """
    from faceapp.core.sources import redact_source

    shown = redact_source(text)
    return _PASSWORD_KV.sub(lambda m: m.group(1) + "***", shown)


class DatabaseLocation:
    """A PostgreSQL gallery's address as messages show it (see ``GalleryLocation``).

    Parameters
    ----------
    conninfo : str
        The address as given (URI or key/value string); ``str()`` hides its password.
    """

    def __init__(self, conninfo: str) -> None:
        self._text = redact_location(conninfo)
        try:
            from psycopg.conninfo import conninfo_to_dict

            parts = conninfo_to_dict(conninfo)
        except Exception:
            parts = {}
        self._name = str(parts.get("dbname") or parts.get("service") or "postgresql")

    @property
    def name(self) -> str:
        """The database's name (or the service's)."""
        return self._name

    def exists(self) -> bool:
        """Return True: a database gallery exists once the store is open."""
        return True

    def is_symlink(self) -> bool:
        """Return False: a database is no symbolic link."""
        return False

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"DatabaseLocation({self._text!r})"
