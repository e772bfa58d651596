"""Search at site scale (issue 20): in-process 1:K vs pgvector HNSW, and opening a big gallery.

    python -m benchmarks.site_scale [--people 200000] [--inprocess 1000000]
        [--open-people 100000] [--ef 40,100,200] [--probes 300] [--json]

Needs the ``pgserver`` wheel (``pip install 'faceapp[bench]'``): its PostgreSQL 16 with
pgvector is started in a temporary folder (as ``nobody`` when run as root), on a free
port, and removed at the end.

Face-like galleries: the seeds are real FaceNet embeddings of LFW (the
``eval-lfw --save-distances`` file, ``$FACEAPP_LFW_NPZ``, default ``/tmp/fa/lfw.npz``).
Each synthetic person is ``normalize(w * a + (1 - w) * b + SIGMA * z)``: ``a`` and ``b``
two LFW embeddings drawn at random, ``w`` uniform in [0, 1], ``z`` standard normal over
the 128 dimensions scaled by ``1/sqrt(128)``.  Their neighbourhoods are those of real
faces (they live on LFW's manifold, not uniformly on the sphere), and many lie close to
one another as look-alikes do.  Probes: a face of an enrolled person is that person's
vector plus the same kind of noise with ``PROBE_SIGMA`` (distance about 0.7 from them,
as two photos of one person on LFW); a stranger is a real LFW embedding.
Without the LFW file, seeds are random unit vectors (the figure says so).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

SIGMA = 0.35
PROBE_SIGMA = 0.55
LFW_NPZ = Path(os.environ.get("FACEAPP_LFW_NPZ", "/tmp/fa/lfw.npz"))


def pgserver_bin() -> Path | None:
    """Return the ``bin`` folder of pgserver's PostgreSQL (with pgvector), if installed."""
    spec = find_spec("pgserver")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "pginstall" / "bin"
    return folder if (folder / "initdb").is_file() else None


@dataclass
class Server:
    """A running pgvector server: its socket folder and port (superuser ``pgadmin``)."""

    root: Path
    port: int

    def conninfo(self, db: str = "postgres") -> str:
        return f"host={self.root} port={self.port} user=pgadmin dbname={db}"

    def uri(self, db: str) -> str:
        """Return the database's ``postgresql://`` address (the app's ``--gallery`` form)."""
        from urllib.parse import quote

        return f"postgresql://pgadmin@/{db}?host={quote(str(self.root), safe='')}&port={self.port}"

    def copy_database(self, source: str, name: str) -> None:
        """Create database ``name`` as a copy of ``source``."""
        import psycopg

        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {source}")

    def new_database(self, name: str, vector: bool = True) -> str:
        """Create a database (with the vector extension unless told); return its conninfo."""
        import psycopg

        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        if vector:
            with psycopg.connect(self.conninfo(name), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION vector")
        return self.conninfo(name)


@contextlib.contextmanager
def pgvector_server(memory: str = "256MB") -> Iterator[Server]:
    """Start pgserver's PostgreSQL in a temporary folder; stop and remove it at the end."""
    bin_ = pgserver_bin()
    if bin_ is None:
        raise RuntimeError("pgserver is not installed (pip install 'faceapp[bench]')")
    root = Path(tempfile.mkdtemp(prefix="faceapp-pgvector-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("nobody")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "nobody", "--"]
        reach = subprocess.run([*prefix, "test", "-x", str(bin_ / "initdb")], check=False)
        if reach.returncode != 0:  # the venv is in a folder only root may enter: a copy,
            # laid out as in site-packages (the binaries find their libraries there).
            site, copy = bin_.parents[2], root / "site-packages"
            shutil.copytree(site / "pgserver" / "pginstall", copy / "pgserver" / "pginstall")
            if (site / "pgserver.libs").is_dir():
                shutil.copytree(site / "pgserver.libs", copy / "pgserver.libs")
            bin_ = copy / "pgserver" / "pginstall" / "bin"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    run: dict[str, Any] = dict(check=True, capture_output=True, text=True, timeout=180)
    data = root / "data"
    subprocess.run(
        [*prefix, str(bin_ / "initdb"), "-D", str(data), "-U", "pgadmin", "-E", "UTF8",
         "--locale=C.UTF-8", "--auth=trust"], **run,
    )  # fmt: skip
    options = (
        f"-p {port} -k {root} -c listen_addresses='' -c fsync=off"
        f" -c maintenance_work_mem={memory} -c shared_buffers={memory}"
    )
    # The server inherits pg_ctl's output: no pipe there, or run() waits for it forever.
    subprocess.run(
        [*prefix, str(bin_ / "pg_ctl"), "-D", str(data), "-o", options,
         "-l", str(root / "log"), "-w", "start"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
    )  # fmt: skip
    try:
        yield Server(root, port)
    finally:
        subprocess.run(
            [*prefix, str(bin_ / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- data


def seeds() -> tuple[np.ndarray, str]:
    from faceapp.core.matching import l2_normalize

    if LFW_NPZ.is_file():
        with np.load(LFW_NPZ, allow_pickle=False) as d:
            return l2_normalize(d["embeddings"]), f"LFW FaceNet embeddings ({LFW_NPZ})"
    rng = np.random.default_rng(9)
    return l2_normalize(rng.standard_normal((7701, 128), np.float32)), "random (no LFW file)"


def noise(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    return (sigma / np.sqrt(128)) * rng.standard_normal((n, 128), np.float32)


def people(seed_vectors: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` face-like synthetic people (see the module docstring)."""
    from faceapp.core.matching import l2_normalize

    out = np.empty((n, 128), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        a = seed_vectors[rng.integers(0, len(seed_vectors), m)]
        b = seed_vectors[rng.integers(0, len(seed_vectors), m)]
        w = rng.random((m, 1), np.float32)
        out[start : start + m] = l2_normalize(w * a + (1 - w) * b + noise(rng, m, SIGMA))
    return out


def probes(gallery: np.ndarray, seed_vectors: np.ndarray, n: int, rng: np.random.Generator):
    from faceapp.core.matching import l2_normalize

    who = rng.integers(0, len(gallery), n)
    genuine = l2_normalize(gallery[who] + noise(rng, n, PROBE_SIGMA))
    strangers = seed_vectors[rng.integers(0, len(seed_vectors), n)]
    return genuine, strangers


def index_of(vectors: np.ndarray):
    from faceapp.core.matching import GalleryIndex

    n = len(vectors)
    names = tuple(f"p{i}" for i in range(n))
    return GalleryIndex(tuple(range(1, n + 1)), names, vectors, np.arange(n, dtype=np.int64))


def stats(ms: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(float(np.median(ms)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
    }


def in_process(index, probe_rows: np.ndarray) -> dict[str, float]:
    """Time the app's own matcher (matching.identify) per probe."""
    from faceapp.core.matching import identify

    identify(probe_rows[0], index)
    times = []
    for p in probe_rows:
        t = time.perf_counter()
        identify(p, index)
        times.append(1000 * (time.perf_counter() - t))
    return stats(times)


# --------------------------------------------------------------------------- gallery


def fill_gallery(conninfo: str, vectors: np.ndarray) -> None:
    """Enrol one sample per person in a new shared gallery, by COPY (the store's tables)."""
    import psycopg

    from faceapp.storage.postgres import PostgresStore

    PostgresStore(conninfo).close()  # its migrations make the tables
    now = "2025-01-01T00:00:00+00:00"
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        row = cur.execute("SELECT coalesce(max(id), 0) FROM people").fetchone()
        first = int(row[0]) + 1 if row else 1
        with cur.copy("COPY people(id, name, created_at) FROM STDIN") as copy:
            for i in range(first, first + len(vectors)):
                copy.write_row((i, f"Person {i:07d}", now))
        with cur.copy("COPY samples(person_id, embedding, dim, created_at) FROM STDIN") as copy:
            for i, v in enumerate(vectors, start=first):
                copy.write_row((i, v.astype("<f4").tobytes(), 128, now))
        last = first + len(vectors) - 1
        cur.execute("SELECT setval(pg_get_serial_sequence('people', 'id'), %s)", (last,))
        cur.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")


def hnsw(conninfo: str, vectors: np.ndarray, genuine, strangers, efs: list[int]) -> dict:
    """Enable server-side search on a filled gallery; time the build and the queries."""
    import psycopg

    from faceapp.core.matching import nearest_two
    from faceapp.storage.postgres_search import VectorSearch, ef_search_for

    index = index_of(vectors)
    search = VectorSearch(conninfo)
    t = time.perf_counter()
    search.enable()
    build_s = time.perf_counter() - t
    with psycopg.connect(conninfo) as conn:
        size = conn.execute(
            "SELECT pg_relation_size('person_vectors_hnsw'), pg_relation_size('person_vectors')"
        ).fetchone()
    out: dict[str, Any] = {
        "build_s": round(build_s, 1),
        "index_mb": round(size[0] / 2**20, 1),
        "table_mb": round(size[1] / 2**20, 1),
        "by_ef": {},
        "ef_of_bare_query_and_identify": ef_search_for(len(vectors)),
    }
    for kind, rows in (("genuine", genuine), ("stranger", strangers)):
        exact = nearest_two(rows, index)[0] + 1  # person ids are positions + 1
        for ef in efs:
            search._ef = ef
            search.candidates(rows[:5])  # warm
            times, hits = [], 0
            for p, want in zip(rows, exact):
                t = time.perf_counter()
                ids, vecs, _, _ = search.candidates(p[None, :])
                d = ((vecs[0] - p) ** 2).sum(axis=1)
                got = ids[0][int(np.argmin(d))]
                times.append(1000 * (time.perf_counter() - t))
                hits += int(got == want)
            row = out["by_ef"].setdefault(str(ef), {})
            row[kind] = {**stats(times), "recall_at_1": round(hits / len(rows), 4)}
        search._ef = ef_search_for(len(vectors))
        with psycopg.connect(conninfo) as conn:  # the bare query, as a client of its own
            conn.execute(f"SET hnsw.ef_search = {search._ef}")
            times = []
            for p in rows:
                t = time.perf_counter()
                conn.execute(
                    "SELECT person_id FROM person_vectors ORDER BY centroid <-> %s::vector"
                    " LIMIT 10",
                    ("[" + ",".join(map(repr, p.tolist())) + "]",),
                ).fetchall()
                times.append(1000 * (time.perf_counter() - t))
            out.setdefault("bare_query", {})[kind] = stats(times)
        t = time.perf_counter()
        for p in rows[:50]:
            search.identify(p)
        out.setdefault("identify_ms", {})[kind] = round(1000 * (time.perf_counter() - t) / 50, 2)
    search.close()
    return out


def open_gallery(conninfo: str, n: int) -> dict[str, Any]:
    """Time opening the shared gallery in a fresh process: the store and its snapshot."""
    code = (
        "import sys, time; t0 = time.perf_counter()\n"
        "from faceapp.storage.postgres import PostgresStore\n"
        "t1 = time.perf_counter(); s = PostgresStore(sys.argv[1])\n"
        "t2 = time.perf_counter(); ix = s.index_in_steps()\n"
        "t3 = time.perf_counter(); p = s.people_in_steps()\n"
        "t4 = time.perf_counter()\n"
        "import json; print(json.dumps({'import_s': t1 - t0, 'connect_s': t2 - t1,"
        " 'snapshot_s': t3 - t2, 'people_list_s': t4 - t3, 'people': len(ix)}))\n"
    )
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, conninfo], capture_output=True, text=True, check=True
    )
    total = time.perf_counter() - t
    parts = json.loads(proc.stdout.strip().splitlines()[-1])
    out = {k: round(v, 3) if isinstance(v, float) else v for k, v in parts.items()}
    out["process_total_s"] = round(total, 3)
    return out


def _app_env(work: Path) -> dict[str, str]:
    """The app's environment for a run: offscreen, its settings and data in ``work``."""
    return dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(work / "config"),
        FACEAPP_DATA_DIR=str(work / "data"),
    )


def enrol_celebrities(uri: str, work: Path) -> dict[str, Any]:
    """Enrol the 5-celebrity people with ``faceapp enroll --folders train``."""
    from faceapp import paths

    exe = Path(sys.executable).with_name("faceapp")
    argv = [str(exe), "enroll", "--folders", str(paths.celebrity_dir() / "train"), "--largest"]
    t = time.perf_counter()
    proc = subprocess.run(
        [*argv, "--gallery", uri], env=_app_env(work), capture_output=True, text=True, timeout=900
    )
    return {"rc": proc.returncode, "seconds": round(time.perf_counter() - t, 1)}


def identify_cli(uri: str, photo: Path | None, work: Path) -> dict[str, Any] | None:
    """Time ``faceapp identify --gallery URI photo`` from process start to its answer."""
    if photo is None:
        return None
    exe = Path(sys.executable).with_name("faceapp")
    t = time.perf_counter()
    proc = subprocess.run(
        [str(exe), "identify", "--gallery", uri, str(photo)],
        capture_output=True, text=True, env=_app_env(work),
    )  # fmt: skip
    return {
        "seconds": round(time.perf_counter() - t, 2),
        "rc": proc.returncode,
        "out": (proc.stdout.strip() or proc.stderr.strip())[-200:],
    }


def window(uri: str, folder: Path, work: Path, limit: float = 60.0) -> dict[str, Any]:
    """Start ``faceapp gui --gallery URI --source FOLDER`` offscreen; time its first frames.

    ``first_frame_s``: process start to the first processed frame in ``--events``;
    ``first_compared_s``: to the first face compared with the gallery (a distance: the
    snapshot is loaded, the window is ready to name); ``first_name_s``: to the first
    face named.
    """
    exe = Path(sys.executable).with_name("faceapp")
    events = work / f"events-{time.monotonic_ns()}.jsonl"
    argv = [str(exe), "gui", "--gallery", uri, "--source", str(folder),
            "--exit-after", str(int(limit)), "--events", str(events)]  # fmt: skip
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, env=_app_env(work), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    out: dict[str, Any] = {}
    keys = ("first_frame_s", "first_compared_s", "first_name_s")
    while proc.poll() is None and len(out) < 3 and time.monotonic() - start < limit:
        lines = events.read_text().splitlines() if events.is_file() else []
        now = round(time.monotonic() - start, 2)
        for line in lines:
            with contextlib.suppress(ValueError):
                faces = json.loads(line).get("faces", [])
                seen = (True, any(f.get("distance") is not None for f in faces))
                seen += (any(f.get("name") for f in faces),)
                for key, yes in zip(keys, seen):
                    if yes and key not in out:
                        out[key] = now
        time.sleep(0.02)
    proc.terminate()
    proc.wait(timeout=60)
    return out


def celebrity_photo() -> Path | None:
    from faceapp import paths

    val = paths.celebrity_dir() / "val"
    found = sorted(val.glob("*/*.jpg")) if val.is_dir() else []
    return found[0] if found else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=200_000, help="gallery size for HNSW")
    ap.add_argument("--inprocess", type=int, default=1_000_000, help="in-process only size")
    ap.add_argument("--open-people", type=int, default=100_000, help="gallery to open")
    ap.add_argument("--ef", default="40,100,200", help="hnsw.ef_search values")
    ap.add_argument("--probes", type=int, default=300)
    ap.add_argument("--memory", default="1GB", help="server shared_buffers/maintenance_work_mem")
    ap.add_argument("--no-cli", action="store_true", help="skip enroll/identify/the window")
    ap.add_argument("--window-s", type=float, default=30.0, help="longest window run")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(20)
    seed_vectors, seed_kind = seeds()
    efs = [int(x) for x in args.ef.split(",")]
    result: dict[str, Any] = {"seeds": seed_kind, "cores": os.cpu_count()}
    if args.inprocess:
        big = people(seed_vectors, args.inprocess, rng)
        genuine, strangers = probes(big, seed_vectors, args.probes, rng)
        result[f"in_process_{args.inprocess}"] = {
            "genuine": in_process(index_of(big), genuine),
            "stranger": in_process(index_of(big), strangers),
        }
        del big
    with pgvector_server(args.memory) as server:
        if args.people:
            gallery = people(seed_vectors, args.people, rng)
            genuine, strangers = probes(gallery, seed_vectors, args.probes, rng)
            index = index_of(gallery)
            row: dict[str, Any] = {
                "in_process": {
                    "genuine": in_process(index, genuine),
                    "stranger": in_process(index, strangers),
                }
            }
            conninfo = server.new_database("hnsw")
            t = time.perf_counter()
            fill_gallery(conninfo, gallery)
            row["fill_s"] = round(time.perf_counter() - t, 1)
            row["hnsw"] = hnsw(conninfo, gallery, genuine, strangers, efs)
            result[f"search_{args.people}"] = row
            del gallery, index
        if args.open_people:
            small = server.new_database("small", vector=False)
            row = {}
            work = Path(tempfile.mkdtemp(prefix="faceapp-site-scale-"))
            try:
                if not args.no_cli:  # the 5 celebrities alone, then with the crowd
                    row["enrolled"] = enrol_celebrities(server.uri("small"), work)
                server.copy_database("small", "opened")
                conninfo = server.conninfo("opened")
                fill_gallery(conninfo, people(seed_vectors, args.open_people, rng))
                row["store_and_snapshot"] = open_gallery(conninfo, args.open_people)
                photo = celebrity_photo()
                if not args.no_cli and photo is not None:
                    for name in ("small", "opened"):
                        uri = server.uri(name)
                        row[f"identify_cli_{name}"] = identify_cli(uri, photo, work)
                        row[f"window_{name}"] = window(uri, photo.parent, work, args.window_s)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            del small
            result[f"open_{args.open_people}"] = row
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
