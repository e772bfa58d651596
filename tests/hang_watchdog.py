"""A hung test ends its process with every thread's stack, even when the GIL is held."""

from __future__ import annotations

import faulthandler
import os

import pytest

#: How much longer than pytest-timeout's own limit the watchdog waits.
MARGIN = 1.2

_stderr: list[int] = []  # a copy of the process's stderr, out of pytest's capture


def pytest_configure(config: pytest.Config) -> None:
    """Keep a copy of stderr before any test's output is captured."""
    _stderr.append(os.dup(2))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the copy."""
    while _stderr:
        os.close(_stderr.pop())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item):
    """Arm faulthandler's watchdog for the test, its fixtures included.

    pytest-timeout's thread needs the GIL to act, and a deadlock between the GUI thread
    and a thread that holds the GIL inside Qt never gives it back: one run hung for good.
    faulthandler's watchdog is a C thread; past ``MARGIN`` times the ``timeout`` setting
    it prints every thread's stack to stderr and ends the process (under ``make test``,
    the xdist worker, and the run with it).
    """
    limit = float(item.config.getini("timeout") or 0)
    if limit > 0 and _stderr:
        faulthandler.dump_traceback_later(limit * MARGIN, exit=True, file=_stderr[-1])
    try:
        yield
    finally:
        if limit > 0:
            faulthandler.cancel_dump_traceback_later()
