"""Fixtures of the bundle check: a read-only install, an unprivileged user, Xvfb, the report."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.package.bundle_helpers import BUNDLE, REPORT, Runner, ensure_user


def pytest_sessionfinish(session, exitstatus):
    target = os.environ.get("FACEAPP_BUNDLE_REPORT")
    if BUNDLE and target and REPORT:
        Path(target).write_text(json.dumps(REPORT, indent=2, sort_keys=True) + "\n")


def _make_read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        os.chmod(path, stat.S_IMODE(mode) & ~0o222)


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The built bundle as make package left it (dist/faceapp)."""
    path = Path(BUNDLE or "")
    if not (path / "faceapp").is_file():
        pytest.fail(f"FACEAPP_BUNDLE={BUNDLE} holds no faceapp executable")
    return path


@pytest.fixture(scope="session")
def runner(bundle: Path) -> Iterator[Runner]:
    """The bundle copied to a folder owned by root (when root) and made read-only."""
    uid, gid = ensure_user()
    scratch = Path(tempfile.mkdtemp(prefix="faceapp-bundle-check-"))
    os.chmod(scratch, 0o755)
    root = scratch / "faceapp"
    shutil.copytree(bundle, root, symlinks=True)
    _make_read_only(root)
    try:
        yield Runner(root, uid, gid, scratch)
    finally:
        for path in [root, *root.rglob("*")]:
            if not path.is_symlink():
                os.chmod(path, stat.S_IMODE(path.stat().st_mode) | 0o200)
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """A private X server (Xvfb) and its DISPLAY value."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is missing: apt-get install xvfb (make package-check does)")
    display = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    proc = subprocess.Popen(
        ["Xvfb", f":{display}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{display}")
    deadline = time.monotonic() + 20
    while not socket.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not socket.exists():
        proc.kill()
        pytest.fail(f"Xvfb :{display} did not start")
    try:
        yield f":{display}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
