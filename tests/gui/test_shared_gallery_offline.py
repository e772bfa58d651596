"""A shared gallery lost mid-session: the window names on, refuses writes, reconnects."""

from __future__ import annotations

import os
import subprocess

import numpy as np

from faceapp.session.gallery import OFFLINE_MESSAGE, OFFLINE_REFUSAL
from tests.storage.conftest import SERVER_USER, PgServer, _binary, pg_server, pg_uri  # noqa: F401

from .gui_helpers import REFERENCE, ListSource, Recorder, fake_pipeline, make_ctx

#: A bright grey frame: the fake embedder puts its face 0.02 from REFERENCE (Ann).
BRIGHT = np.full((120, 160, 3), 250, np.uint8)


def _pg_ctl(server: PgServer, *args: str) -> None:
    """Run ``pg_ctl`` on the test server's data folder (as its user when we are root)."""
    prefix = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
    pg_ctl = _binary("pg_ctl")
    assert pg_ctl is not None
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(server.socket_dir / "data"), *args],
        check=True,
        capture_output=True,
        timeout=120,
    )


def stop_server(server: PgServer) -> None:
    """Kill the server at once (no clean shutdown): a crash or a pulled cable."""
    _pg_ctl(server, "-m", "immediate", "-w", "stop")


def start_server(server: PgServer) -> None:
    """Start the server again on the same port."""
    options = f"-p {server.port} -k {server.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = str(server.socket_dir / "server.log")
    _pg_ctl(server, "-o", options, "-l", log, "-w", "start")


def test_server_lost_mid_session_window_names_refuses_writes_and_reconnects(
    qtbot,
    make_window,
    pg_server,  # noqa: F811 (the fixtures imported above)
    pg_uri,  # noqa: F811
):
    from faceapp.storage.postgres import PostgresStore

    PostgresStore(pg_uri).add_samples("Ann", [(REFERENCE, None, "ann.jpg")])
    ctx = make_ctx(PostgresStore(pg_uri), fake_pipeline())
    names: set[str] = set()
    ctx.result_ready.connect(lambda r: names.update(fr.label for fr in r.faces))
    edits = Recorder(ctx.edit_finished)
    window = make_window(ctx, ListSource([BRIGHT], fps=20.0, live=True, name="desk"))
    qtbot.waitUntil(lambda: [p.name for p in ctx.people()] == ["Ann"], timeout=20_000)
    qtbot.waitUntil(lambda: "Ann" in names, timeout=20_000)
    banner = window.gallery_banner
    assert not banner.isVisible()

    stop_server(pg_server)
    try:
        qtbot.waitUntil(lambda: banner.isVisible(), timeout=20_000)
        assert banner.text().startswith(OFFLINE_MESSAGE) and banner.kind() == "warning"
        assert not ctx.gallery.online
        names.clear()
        qtbot.waitUntil(lambda: "Ann" in names, timeout=20_000)  # the last snapshot names on
        assert [p.name for p in ctx.people()] == ["Ann"]

        ctx.gallery.add_samples("Bob", [(np.eye(1, 128, 5, dtype=np.float32)[0], None, "bob.jpg")])
        qtbot.waitUntil(lambda: len(edits) == 1, timeout=30_000)
        (edit,) = edits.last
        assert edit.error == OFFLINE_REFUSAL and edit.after is None
        assert banner.isVisible()
    finally:
        start_server(pg_server)

    # Another desk writes while this window has not noticed the server is back.
    PostgresStore(pg_uri).add_samples("Cy", [(np.eye(1, 128, 9, dtype=np.float32)[0], None, None)])
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=20_000)
    qtbot.waitUntil(lambda: [p.name for p in ctx.people()] == ["Ann", "Cy"], timeout=20_000)
    assert ctx.gallery.online
    # The refused enrolment left nothing behind: no half person, no sample.
    assert PostgresStore(pg_uri).find_person("Bob") is None
