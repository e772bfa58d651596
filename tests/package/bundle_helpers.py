"""What the bundle check shares: the bundle under test, the user that runs it, the report."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

BUNDLE = os.environ.get("FACEAPP_BUNDLE")
#: The unprivileged account the bundle runs as when the check runs as root.
CHECK_USER = "faceapp-check"

#: Figures gathered by the tests, written to $FACEAPP_BUNDLE_REPORT at the end.
REPORT: dict[str, object] = {}


@dataclass
class Runner:
    """Runs the installed bundle as the unprivileged user with a bare environment."""

    root: Path
    uid: int
    gid: int
    scratch: Path
    _homes: int = field(default=0)

    @property
    def exe(self) -> Path:
        return self.root / "faceapp"

    def new_dir(self, name: str) -> Path:
        """Return a fresh empty folder owned by the user (a new HOME, or an output folder)."""
        self._homes += 1
        path = self.scratch / f"{name}-{self._homes}"
        path.mkdir()
        os.chown(path, self.uid, self.gid)
        return path

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        return {"HOME": str(home), "PATH": "/usr/bin:/bin", **extra}

    def popen(self, argv: list[str], home: Path, **extra: str) -> subprocess.Popen:
        kwargs: dict[str, object] = {}
        if os.geteuid() == 0:
            kwargs = {"user": self.uid, "group": self.gid, "extra_groups": []}
        return subprocess.Popen(
            argv,
            env=self.env(home, **extra),
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    def run(self, args: list[str], home: Path, timeout: float = 120, **extra: str):
        """Run ``faceapp *args``; return ``(returncode, stdout, stderr, seconds)``."""
        start = time.monotonic()
        proc = self.popen([str(self.exe), *args], home, **extra)
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err, time.monotonic() - start


def ensure_user() -> tuple[int, int]:
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    import pwd

    try:
        entry = pwd.getpwnam(CHECK_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", CHECK_USER],
            check=True,
        )
        entry = pwd.getpwnam(CHECK_USER)
    return entry.pw_uid, entry.pw_gid
