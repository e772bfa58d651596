"""One enrolment on desk A reaching desk B's people list and index: full re-read vs delta.

Usage::

    python -m benchmarks.gallery_delta [--people 10000 100000] [--dim 128]
        [--gallery postgresql://user@host/db] [--repeat 5]

For each size, a gallery of that many people (one sample each, random embeddings of
``--dim`` values) is written in one bulk transaction, to a fresh SQLite file in a
temporary folder and, with ``--gallery``, to that PostgreSQL database (it must be empty
or a faceapp gallery: it is wiped first; the password comes from ``~/.pgpass``).  Desk
B (its own store object, as another process would have) reads everything once, as the
window's gallery thread does.  Then, ``--repeat`` times, desk A enrols one new person
and desk B catches up two ways, each timed from after A's commit until B holds the new
people list and matching index: ``full`` (what the window did before: the store's
per-person mark, ``people_in_steps`` and ``index_in_steps``) and ``delta``
(:meth:`faceapp.storage.people.GalleryFollower.catch_up`).  Prints JSON: medians in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.storage.gallery import GalleryStore, utc_now_text
from faceapp.storage.people import GalleryFollower, PeopleSnapshot


def fill(store: Any, n: int, dim: int, seed: int = 0) -> None:
    """Write ``n`` people with one sample each in one transaction (bulk, for the benchmark)."""
    rng = np.random.default_rng(seed)
    now = utc_now_text()
    store.wipe(backup=False)

    def body(conn: Any) -> None:
        conn.executemany(
            "INSERT INTO people(id, name, created_at) VALUES (?, ?, ?)",
            [(i + 1, f"Person {i:06d}", now) for i in range(n)],
        )
        blobs = rng.normal(size=(n, dim)).astype("<f4")
        conn.executemany(
            "INSERT INTO samples(person_id, embedding, dim, created_at) VALUES (?, ?, ?, ?)",
            [(i + 1, blobs[i].tobytes(), dim, now) for i in range(n)],
        )

    store.write_transaction(body)
    if hasattr(store, "changes_since"):  # identities given by hand: move the sequence on
        store.write_transaction(
            lambda conn: conn.execute("SELECT setval('people_id_seq', ?)", (n,)), content=False
        )


def full_read(store: Any, follower: GalleryFollower) -> None:
    """Read everything as the window's gallery thread does on a reload."""
    mark = follower.mark_of(store)
    follower.read(mark, PeopleSnapshot.of(store.people_in_steps()))
    follower.index = store.index_in_steps()


def measure(desk_a: Any, desk_b: Any, n: int, dim: int, repeat: int) -> dict[str, Any]:
    """Return the medians (ms) of full re-read and delta after one enrolment on desk A."""
    t = time.perf_counter()
    fill(desk_a, n, dim)
    filled = time.perf_counter() - t
    follower = GalleryFollower()
    full_read(desk_b, follower)
    rng = np.random.default_rng(1)
    full, delta = [], []
    for k in range(repeat):
        desk_a.add_samples(f"New {n} {k}", [(rng.normal(size=dim).astype(np.float32), None, None)])
        t = time.perf_counter()
        assert follower.catch_up(desk_b)
        delta.append(time.perf_counter() - t)
        assert follower.index is not None and len(follower.index.names) == n + k + 1
        t = time.perf_counter()
        full_read(desk_b, GalleryFollower())
        full.append(time.perf_counter() - t)
    return {
        "people": n,
        "fill_s": round(filled, 1),
        "full_ms": round(1000 * statistics.median(full), 1),
        "delta_ms": round(1000 * statistics.median(delta), 1),
        "ratio": round(statistics.median(full) / statistics.median(delta), 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=128, help="values per embedding (FaceNet: 128)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gallery", help="a PostgreSQL address (its contents are wiped)")
    args = parser.parse_args(argv)
    out: dict[str, list[dict[str, Any]]] = {"sqlite": []}
    with tempfile.TemporaryDirectory() as folder:
        for n in args.people:
            path = Path(folder) / f"g{n}.sqlite3"
            a, b = GalleryStore(path), GalleryStore(path)
            out["sqlite"].append(measure(a, b, n, args.dim, args.repeat))
    if args.gallery:
        from faceapp.storage.postgres import PostgresStore

        out["postgres"] = []
        for n in args.people:
            a, b = PostgresStore(args.gallery), PostgresStore(args.gallery)
            out["postgres"].append(measure(a, b, n, args.dim, args.repeat))
            a.close()
            b.close()
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
