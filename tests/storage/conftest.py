"""A throwaway PostgreSQL server for the storage tests, started from the system's binaries."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: The unprivileged user the server runs as when the tests run as root (PostgreSQL
#: refuses to run as root).
SERVER_USER = "nobody"
#: The app's role and its password (given to libpq through a .pgpass file).
APP_ROLE, APP_PASSWORD = "faceapp", "s3cret-Pa55word"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """The running server: where it listens and how the tests reach it."""

    host: str
    port: int
    socket_dir: Path
    passfile: Path
    _names: Iterator[int]
    _pg_ctl: list[str] = field(default_factory=list)

    def stop_immediate(self) -> None:
        """Kill the server as a crash would (``pg_ctl stop -m immediate``)."""
        subprocess.run([*self._pg_ctl, "-m", "immediate", "-w", "stop"], check=True,
                       capture_output=True, timeout=60)  # fmt: skip

    def start(self) -> None:
        """Start the server again after :meth:`stop_immediate` (it recovers from its WAL)."""
        subprocess.run([*self._pg_ctl, "-w", "start"], check=True, capture_output=True,
                       timeout=120)  # fmt: skip

    def admin(self):
        """Return an autocommit superuser connection over the unix socket."""
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user="pgadmin",
            dbname="postgres",
            autocommit=True,
        )

    def new_database(self) -> str:
        """Create an empty database owned by the app's role; return its URI (no password)."""
        name = f"gallery_{next(self._names)}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER {APP_ROLE}")
        return f"postgresql://{APP_ROLE}@{self.host}:{self.port}/{name}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Start PostgreSQL in a temporary folder on a free port; stop and remove it at the end.

    Runs ``initdb`` and ``pg_ctl`` as :data:`SERVER_USER` when the tests run as root.
    The app's role logs in over TCP with a password (scram-sha-256) that libpq reads
    from a ``.pgpass`` file named by ``PGPASSFILE``.  Skipped when the binaries are
    absent (``apt-get install postgresql``) or psycopg is not installed.
    """
    pytest.importorskip("psycopg", reason="psycopg not installed (pip install 'faceapp[postgres]')")
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl not found (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="faceapp-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", SERVER_USER, "--"]
    data, log = root / "data", root / "server.log"
    pwfile = root / "pw"
    pwfile.write_text("admin-only-local\n")
    if prefix:
        os.chown(pwfile, pwd.getpwnam(SERVER_USER).pw_uid, -1)
    run = dict(check=True, capture_output=True, text=True, timeout=120)
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "pgadmin", "-E", "UTF8", "--locale=C.UTF-8",
         "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"],
        **run,
    )  # fmt: skip
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"], **run
    )
    passfile = Path(tempfile.mkdtemp(prefix="faceapp-pgpass-")) / "pgpass"
    passfile.write_text(f"127.0.0.1:{port}:*:{APP_ROLE}:{APP_PASSWORD}\n")
    passfile.chmod(0o600)
    saved = os.environ.get("PGPASSFILE")
    os.environ["PGPASSFILE"] = str(passfile)
    control = [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log)]
    server = PgServer("127.0.0.1", port, root, passfile, itertools.count(1), control)
    try:
        with server.admin() as conn:
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}'")
        yield server
    finally:
        if saved is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = saved
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(passfile.parent, ignore_errors=True)


@pytest.fixture()
def pg_uri(pg_server: PgServer) -> str:
    """The URI of a new, empty database for one test (the password comes from .pgpass)."""
    return pg_server.new_database()


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_store(request: pytest.FixtureRequest, tmp_path: Path):
    """An empty gallery on each store in turn: a SQLite file, then a new PostgreSQL database.

    The PostgreSQL run is skipped (with the reason) where the server cannot be started.
    """
    from faceapp.storage.gallery import GalleryStore

    if request.param == "sqlite":
        return GalleryStore(tmp_path / "gallery.db")
    from faceapp.storage.postgres import PostgresStore

    return PostgresStore(request.getfixturevalue("pg_uri"))
