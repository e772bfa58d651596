"""The desktop launcher: a ``.desktop`` entry and the icon in the user's XDG data folder."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from faceapp import paths

log = logging.getLogger(__name__)

#: Base name of the launcher and of the icon (``Icon=`` names a theme icon).
DESKTOP_ID = "faceapp"

#: Characters that the Desktop Entry spec says must be escaped inside a quoted Exec argument.
_EXEC_ESCAPED = ('"', "`", "$", "\\")
#: Characters that make an Exec argument need quotes.
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


@dataclass(frozen=True)
class DesktopFiles:
    """Where :func:`install_desktop` put (or :func:`remove_desktop` took away) the launcher.

    Attributes
    ----------
    entry : Path
        ``<data home>/applications/faceapp.desktop``.
    icon : Path
        ``<data home>/icons/hicolor/scalable/apps/faceapp.svg``.
    command : list of str
        The command the entry starts.
    """

    entry: Path
    icon: Path
    command: list[str]


def data_home() -> Path:
    """Return ``$XDG_DATA_HOME``, or ``~/.local/share`` when it is unset or not absolute."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def launch_command() -> list[str]:
    """Return the command that opens this faceapp's window.

    The packaged app's own executable, or this Python running ``-m faceapp`` in a
    development install; absolute paths either way, so the launcher does not depend on
    ``PATH``.
    """
    if paths.is_frozen():
        return [os.path.abspath(sys.executable)]
    return [os.path.abspath(sys.executable), "-m", "faceapp"]


def exec_argument(arg: str) -> str:
    """Return ``arg`` quoted for the ``Exec`` key, as the Desktop Entry spec asks.

    Arguments with reserved characters are put in double quotes with ``"``, backquote,
    ``$`` and backslash escaped; then every backslash is doubled again, because the
    key's value is itself an escaped string.  A ``%`` becomes ``%%`` (field codes).
    """
    arg = arg.replace("%", "%%")
    if arg and not _EXEC_RESERVED.intersection(arg):
        quoted = arg
    else:
        quoted = '"' + "".join("\\" + c if c in _EXEC_ESCAPED else c for c in arg) + '"'
    return quoted.replace("\\", "\\\\")


def desktop_entry(command: list[str], template: str) -> str:
    """Return the launcher's text: ``template`` with ``Exec`` and ``TryExec`` set to ``command``.

    Parameters
    ----------
    command : list of str
        Absolute program path and its arguments.
    template : str
        A desktop entry (``resources/faceapp.desktop``); its ``Exec``/``TryExec`` lines are
        replaced, everything else is kept.
    """
    lines = [
        line
        for line in template.splitlines()
        if not line.startswith(("Exec=", "TryExec=")) and line.strip()
    ]
    header = lines.index("[Desktop Entry]") if "[Desktop Entry]" in lines else 0
    lines[header + 1 : header + 1] = [
        "TryExec=" + exec_argument(command[0]),
        "Exec=" + " ".join(exec_argument(a) for a in command),
    ]
    return "\n".join(lines) + "\n"


def _targets(home: Path) -> tuple[Path, Path]:
    return (
        home / "applications" / f"{DESKTOP_ID}.desktop",
        home / "icons" / "hicolor" / "scalable" / "apps" / f"{DESKTOP_ID}.svg",
    )


def install_desktop(home: Path | None = None) -> DesktopFiles:
    """Write the launcher and the icon so faceapp shows up in the desktop's application menu.

    Parameters
    ----------
    home : Path, optional
        The XDG data folder (default: :func:`data_home`).

    Returns
    -------
    DesktopFiles
        The files written and the command the launcher runs.

    Raises
    ------
    OSError
        When a file cannot be written (or the app's resources are missing).
    """
    entry, icon = _targets(home or data_home())
    resources = paths.resources_dir()
    command = launch_command()
    text = desktop_entry(command, (resources / "faceapp.desktop").read_text(encoding="utf-8"))
    svg = (resources / "faceapp.svg").read_bytes()
    for target, data in ((entry, text.encode("utf-8")), (icon, svg)):
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        part.write_bytes(data)
        part.replace(target)
    log.info("launcher written to %s (runs %s)", entry, command)
    return DesktopFiles(entry, icon, command)


def remove_desktop(home: Path | None = None) -> DesktopFiles:
    """Delete the launcher and the icon that :func:`install_desktop` wrote (if present)."""
    entry, icon = _targets(home or data_home())
    for target in (entry, icon):
        target.unlink(missing_ok=True)
    return DesktopFiles(entry, icon, launch_command())
