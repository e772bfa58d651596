"""Command-line entry point: ``faceapp`` opens the window, ``faceapp <command>`` runs one task."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run faceapp with command-line arguments and return the exit status.

    With no arguments the desktop window opens.  ``--version`` answers before any
    heavy import.  Exit status: 0 success, 1 negative answer, 2 bad input or usage.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--version"], ["-V"]):
        from faceapp import __version__

        print(f"faceapp {__version__}")
        return 0
    if not args or args[0] == "gui":
        from faceapp.gui.app import main as gui_main

        return gui_main(args[1:])
    from faceapp.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
