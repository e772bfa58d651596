"""Nearest-person search answered by the server: pgvector's HNSW index in a shared gallery."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from faceapp.core.matching import (
    DEFAULT_STRANGER_RATE,
    MAYBE_STRANGER_RATE,
    PAIR_THRESHOLD,
    GalleryIndex,
    corrected_people,
    face_distance,
    face_threshold,
    gallery_outlook,
    is_match,
    l2_normalize,
)
from faceapp.core.types import Match
from faceapp.storage.schema import GalleryError

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "CANDIDATES",
    "EF_SEARCH",
    "ef_search_for",
    "SERVER_SEARCH_MIN_PEOPLE",
    "VectorSearch",
    "has_vector",
]

log = logging.getLogger(__name__)

#: From this many people with samples on, a shared gallery whose server has pgvector
#: answers 1:K with the HNSW index instead of the in-process matcher.  Below it the
#: in-process matcher is both exact and fast (a few ms per face at 100,000 people on the
#: test machine, ``benchmarks/site_scale.py``), and the window needs its snapshot anyway.
SERVER_SEARCH_MIN_PEOPLE = 100_000

#: ``hnsw.ef_search`` of every query, by gallery size: the size of the candidate list HNSW
#: keeps while searching (pgvector's default is 40).  Measured recall@1 against the exact
#: answer on face-like galleries (``benchmarks/site_scale.py``, ``docs/shared-gallery.md``):
#: at 200,000 people 100 gives 1.0; at 1,000,000 people 100 gives 0.89, 400 gives 0.99
#: and 1000 gives 1.0.  Each row is ``(people up to, ef_search)``; larger galleries use
#: the last value.
EF_SEARCH_BY_SIZE: tuple[tuple[int, int], ...] = ((300_000, 100), (600_000, 200))
#: ``hnsw.ef_search`` above the last row of :data:`EF_SEARCH_BY_SIZE`.
EF_SEARCH_LARGEST = 400
#: The smallest ``hnsw.ef_search`` used (galleries at the switch-over size).
EF_SEARCH = EF_SEARCH_BY_SIZE[0][1]


def ef_search_for(people: int) -> int:
    """Return the ``hnsw.ef_search`` that keeps recall@1 >= 0.99 for ``people`` people.

    Parameters
    ----------
    people : int
        People with a vector in the gallery.

    Returns
    -------
    int
        From :data:`EF_SEARCH_BY_SIZE`, or :data:`EF_SEARCH_LARGEST` beyond it.
    """
    for up_to, ef in EF_SEARCH_BY_SIZE:
        if people <= up_to:
            return ef
    return EF_SEARCH_LARGEST


#: People the index returns per face; their distances are then recomputed here exactly
#: as :mod:`faceapp.core.matching` does, and the nearest two are kept.
CANDIDATES = 10

#: Key of the advisory lock serialising the refresh of the vectors ("FVEC").
VECTOR_LOCK = 0x46564543
#: The store's own write lock (:data:`faceapp.storage.postgres.WRITE_LOCK`, "FACE").
STORE_WRITE_LOCK = 0x46414345

_TABLE = "person_vectors"
_STALE = "person_vectors_stale"


def has_vector(conn: psycopg.Connection[Any]) -> bool:
    """Return True when the ``vector`` extension is installed in the connected database.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection.

    Returns
    -------
    bool
        False without pgvector (the gallery then works as it always did).
    """
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
    return row is not None


def _vector_text(v: np.ndarray) -> str:
    """Return pgvector's text form of a float32 vector (exact: each float32 round-trips)."""
    return "[" + ",".join(repr(float(x)) for x in np.asarray(v, np.float32)) + "]"


def _parse_vectors(texts: Sequence[str]) -> np.ndarray:
    """Return the float32 rows of pgvector text values ``'[a,b,...]'``."""
    joined = ",".join(t[1:-1] for t in texts)
    return np.array(joined.split(","), np.float32).reshape(len(texts), -1)


def _centroids(rows: Sequence[tuple[int, bytes, int]]) -> tuple[list[int], np.ndarray, list[int]]:
    """Return people, their mean embeddings and sample counts, as GalleryIndex computes them.

    ``rows`` are ``(person_id, embedding BLOB, dim)`` ordered by person and sample id.
    """
    samples = [
        (int(pid), "", np.frombuffer(bytes(blob), "<f4").reshape(dim)) for pid, blob, dim in rows
    ]
    index = GalleryIndex.from_samples(samples, dim=rows[0][2] if rows else 128)
    counts = np.bincount(index.owners, minlength=len(index)).tolist()
    return list(index.person_ids), index.centroids, counts


@dataclass(frozen=True)
class _Size:
    people: int
    samples: int


class VectorSearch:
    """1:K against a shared gallery's people, answered by pgvector's HNSW index.

    The server keeps one vector per person: the L2-normalised mean of their samples,
    the very vector :class:`~faceapp.core.matching.GalleryIndex` compares faces with.
    Distances are Euclidean (pgvector's ``<->``, index opclass ``vector_l2_ops``), the
    one rule of :mod:`faceapp.core.matching`: lower is nearer, a face is named when
    within its threshold.  The index returns :data:`CANDIDATES` people per face; their
    distances are recomputed here with :func:`~faceapp.core.matching.face_distance`, the
    nearest and runner-up kept, and the automatic threshold for the gallery's number of
    people applied: the decision :func:`~faceapp.core.matching.identify` makes, unless
    the approximate index missed the true nearest person (recall, measured in
    ``benchmarks/site_scale.py``).

    Parameters
    ----------
    conninfo : str
        The libpq address of the gallery (the store's).
    ef_search : int, optional
        ``hnsw.ef_search`` of every query; by default it follows the gallery's size
        (:func:`ef_search_for`).

    Notes
    -----
    The vectors follow the samples through a trigger: every insert or delete of a
    sample marks its person stale (table ``person_vectors_stale``) in the writer's own
    transaction; the next search recomputes the stale people's vectors first.  A person
    removed takes their vector with them (foreign key).  "Not X" corrections (table
    ``negatives``, few) are read with each search and applied here exactly as
    :func:`~faceapp.core.matching.identify` applies them, over the candidates.
    """

    def __init__(self, conninfo: str, ef_search: int | None = None) -> None:
        import psycopg

        self._conninfo = conninfo
        self._ef = None if ef_search is None else int(ef_search)
        self._cached: tuple[int | None, _Size, GalleryIndex] | None = None
        try:
            self._conn = psycopg.connect(conninfo, connect_timeout=10)
        except psycopg.Error as exc:
            raise GalleryError(f"server-side search: {' '.join(str(exc).split())}") from None

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    # -- set-up -------------------------------------------------------------------------

    def available(self) -> bool:
        """Return True when the server has pgvector (installed in this database)."""
        with self._conn.transaction():
            return has_vector(self._conn)

    def enabled(self) -> bool:
        """Return True when the vectors table exists (:meth:`enable` ran once)."""
        with self._conn.transaction():
            row = self._conn.execute("SELECT to_regclass(%s)", (_TABLE,)).fetchone()
        return row is not None and row[0] is not None

    def enable(self, rows_per_step: int = 20_000) -> None:
        """Create the vectors table, its trigger and HNSW index, and fill it (idempotent).

        Needs pgvector installed in the database (``CREATE EXTENSION vector``, by a
        superuser) and the ``CREATE`` privilege, as the store's own migrations do.

        Raises
        ------
        GalleryError
            When pgvector is not installed or the role may not create the tables.
        """
        import psycopg

        conn = self._conn
        try:
            with conn.transaction():
                if not has_vector(conn):
                    raise GalleryError("the server has no pgvector (CREATE EXTENSION vector)")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (VECTOR_LOCK,))
                if conn.execute("SELECT to_regclass(%s)", (_TABLE,)).fetchone()[0]:  # type: ignore[index]
                    return
                row = conn.execute("SELECT max(dim) FROM samples").fetchone()
                dim = int(row[0]) if row and row[0] else 128
                conn.execute(
                    f"CREATE TABLE {_TABLE}(person_id integer PRIMARY KEY"
                    " REFERENCES people(id) ON DELETE CASCADE,"
                    f" n_samples integer NOT NULL, centroid vector({dim}) NOT NULL)"
                )
                conn.execute(f"CREATE TABLE {_STALE}(person_id integer PRIMARY KEY)")
                conn.execute(
                    "CREATE OR REPLACE FUNCTION faceapp_vector_stale() RETURNS trigger"
                    " LANGUAGE plpgsql AS $$ BEGIN"
                    " IF TG_OP <> 'INSERT' THEN"
                    f"  INSERT INTO {_STALE} VALUES (OLD.person_id) ON CONFLICT DO NOTHING;"
                    " END IF;"
                    " IF TG_OP <> 'DELETE' THEN"
                    f"  INSERT INTO {_STALE} VALUES (NEW.person_id) ON CONFLICT DO NOTHING;"
                    " END IF;"
                    " RETURN NULL; END $$"
                )
                conn.execute(
                    "CREATE TRIGGER samples_vector_stale AFTER INSERT OR DELETE"
                    " OR UPDATE OF person_id, embedding ON samples"
                    " FOR EACH ROW EXECUTE FUNCTION faceapp_vector_stale()"
                )
                self._fill(conn, rows_per_step)
                conn.execute(
                    f"CREATE INDEX {_TABLE}_hnsw ON {_TABLE} USING hnsw (centroid vector_l2_ops)"
                )
        except psycopg.Error as exc:
            raise GalleryError(
                f"server-side search could not be enabled: {' '.join(str(exc).split())}"
            ) from None
        log.info("server-side search enabled (pgvector HNSW)")

    def _fill(self, conn: psycopg.Connection[Any], rows_per_step: int) -> None:
        """Compute every person's vector from their samples and COPY them in.

        The samples are read on a second connection (one connection cannot read a
        cursor while it copies); the store's write lock, held by ``conn``, keeps
        writers out until the vectors and their trigger are committed.
        """
        import psycopg

        conn.execute("SELECT pg_advisory_xact_lock(%s)", (STORE_WRITE_LOCK,))
        with (
            psycopg.connect(self._conninfo, connect_timeout=10) as reader,
            reader.cursor(name="faceapp_fill") as cur,
            conn.cursor() as out,
            out.copy(f"COPY {_TABLE}(person_id, n_samples, centroid) FROM STDIN") as copy,
        ):
            cur.execute("SELECT person_id, embedding, dim FROM samples ORDER BY person_id, id")
            pending: list[tuple[int, bytes, int]] = []
            while rows := cur.fetchmany(rows_per_step):
                pending.extend(rows)
                last = pending[-1][0]
                done = [r for r in pending if r[0] != last]  # the last person may go on
                pending = [r for r in pending if r[0] == last]
                self._copy(copy, done)
            self._copy(copy, pending)

    @staticmethod
    def _copy(copy: Any, rows: list[tuple[int, bytes, int]]) -> None:
        if not rows:
            return
        ids, centroids, counts = _centroids(rows)
        for pid, n, c in zip(ids, counts, centroids):
            copy.write_row((pid, n, _vector_text(c)))

    def refresh(self) -> int:
        """Recompute the vectors of people whose samples changed; return how many.

        Runs before every search; costs one round trip when nothing changed.
        """
        conn = self._conn
        with conn.transaction():
            if not conn.execute(f"SELECT EXISTS (SELECT 1 FROM {_STALE})").fetchone()[0]:  # type: ignore[index]
                return 0
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (VECTOR_LOCK,))
            stale = [r[0] for r in conn.execute(f"DELETE FROM {_STALE} RETURNING person_id")]
            rows = conn.execute(
                "SELECT person_id, embedding, dim FROM samples WHERE person_id = ANY(%s)"
                " ORDER BY person_id, id",
                (stale,),
            ).fetchall()
            conn.execute(f"DELETE FROM {_TABLE} WHERE person_id = ANY(%s)", (stale,))
            if rows:
                ids, centroids, counts = _centroids(rows)
                with conn.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO {_TABLE} VALUES (%s, %s, %s::vector)"
                        " ON CONFLICT (person_id) DO NOTHING",  # a person added meanwhile
                        [(p, n, _vector_text(c)) for p, n, c in zip(ids, counts, centroids)],
                    )
        return len(stale)

    # -- search -------------------------------------------------------------------------

    def _size(self, conn: psycopg.Connection[Any]) -> _Size:
        row = conn.execute(f"SELECT count(*), coalesce(sum(n_samples), 0) FROM {_TABLE}").fetchone()
        return _Size(int(row[0]), int(row[1])) if row else _Size(0, 0)

    def candidates(
        self, probes: np.ndarray, k: int = CANDIDATES
    ) -> tuple[list[list[int]], list[np.ndarray], _Size, GalleryIndex]:
        """Return each probe's ``k`` nearest people by the HNSW index (ids, vectors).

        Parameters
        ----------
        probes : ndarray, shape (n, d)
            L2-normalised embeddings.
        k : int
            People per probe, besides one more per person with a "not X" correction.

        Returns
        -------
        ids : list of list of int
            Person ids per probe, nearest first (approximate order).
        vectors : list of ndarray, shape (<= k, d)
            Their mean embeddings, as stored.
        size : _Size
            People and samples in the gallery's vectors.
        corrections : GalleryIndex
            The people with "not X" corrections: their samples and negatives.
        """
        self.refresh()
        conn = self._conn
        ids: list[list[int]] = []
        vectors: list[np.ndarray] = []
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            row = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
            revision = int(row[0]) if row else None
            if self._cached is None or self._cached[0] != revision or revision is None:
                # counting the people and reading the corrections cost a scan: once a revision
                self._cached = (revision, self._size(conn), self._corrections(conn))
            _, size, corrections = self._cached
            limit = k + min(len(corrections), 1000)
            ef = self._ef if self._ef is not None else ef_search_for(size.people)
            conn.execute(f"SET LOCAL hnsw.ef_search = {max(ef, limit)}")
            for p in np.atleast_2d(probes):
                rows = conn.execute(
                    f"SELECT person_id, centroid::text FROM {_TABLE}"
                    " ORDER BY centroid <-> %s::vector LIMIT %s",
                    (_vector_text(p), limit),
                ).fetchall()
                ids.append([int(r[0]) for r in rows])
                vectors.append(_parse_vectors([r[1] for r in rows]) if rows else np.zeros((0, 0)))
        return ids, vectors, size, corrections

    @staticmethod
    def _corrections(conn: psycopg.Connection[Any]) -> GalleryIndex:
        """Return the people with negatives, their samples and negatives (few: corrections)."""
        row = conn.execute("SELECT to_regclass('negatives')").fetchone()
        if row is None or row[0] is None:
            return GalleryIndex.empty()
        negatives = conn.execute(
            "SELECT person_id, embedding, dim FROM negatives ORDER BY person_id, id"
        ).fetchall()
        if not negatives:
            return GalleryIndex.empty()
        samples = conn.execute(
            "SELECT person_id, embedding, dim FROM samples WHERE person_id IN"
            " (SELECT person_id FROM negatives) ORDER BY person_id, id"
        ).fetchall()

        def vec(r: Any) -> np.ndarray:
            return np.frombuffer(bytes(r[1]), "<f4").reshape(r[2])

        return GalleryIndex.from_samples(
            [(int(r[0]), "", vec(r)) for r in samples],
            negatives=[(int(r[0]), vec(r)) for r in negatives],
        )

    def names(self, person_ids: Sequence[int]) -> dict[int, str]:
        """Return the display names of ``person_ids``."""
        with self._conn.transaction():
            rows = self._conn.execute(
                "SELECT id, name FROM people WHERE id = ANY(%s)", (list(person_ids),)
            ).fetchall()
        return {int(r[0]): str(r[1]) for r in rows}

    def match(self, embeddings: np.ndarray, gallery: object, settings: Any) -> list[Match]:
        """Match as :meth:`FacePipeline.match <faceapp.core.pipeline.FacePipeline.match>`.

        1:K by the server with ``settings.threshold`` and ``settings.stranger_rate``;
        ``gallery`` (the in-process snapshot) is not read.
        """
        if len(embeddings) == 0:
            return []
        return self.identify(embeddings, settings.threshold, settings.stranger_rate)

    def identify(
        self,
        probes: np.ndarray,
        threshold: float | None = None,
        stranger_rate: float = DEFAULT_STRANGER_RATE,
    ) -> list[Match]:
        """Answer "who is this?" for each probe, by the rule of :func:`matching.identify`.

        Parameters and result as :func:`faceapp.core.matching.identify`, "not X"
        corrections included.

        Raises
        ------
        ModelError
            With the automatic rule, when the shipped open-set table is missing or damaged.
        """
        p = l2_normalize(np.atleast_2d(np.asarray(probes, np.float32)))
        ids, vectors, size, corr = self.candidates(p)
        if size.people == 0:
            limit = PAIR_THRESHOLD if threshold is None else threshold
            return [Match(None, float("inf"), limit, False) for _ in range(p.shape[0])]
        if threshold is None:
            per_person = size.samples / size.people
            base = gallery_outlook(size.people, stranger_rate, per_person).threshold
            loose_rate = max(stranger_rate, MAYBE_STRANGER_RATE)
            loose = gallery_outlook(size.people, loose_rate, per_person).threshold
        kept_out = corrected_people(p, corr) if len(corr) else np.zeros((len(p), 0), bool)
        names = self.names(sorted({i for row in ids for i in row}))
        matches = []
        for row, (probe, row_ids, vecs) in enumerate(zip(p, ids, vectors)):
            d = face_distance(probe, vecs)
            order = [int(i) for i in np.argsort(d, kind="stable")]
            out = {corr.person_ids[j] for j in np.flatnonzero(kept_out[row])}
            first = row_ids[order[0]]
            c_name, c_id = (names.get(first), first) if first in out else (None, None)
            left = [i for i in order if row_ids[i] not in out] if c_id is not None else order
            if not left:  # everybody is out for this face (only in a tiny gallery)
                dist = float(d[order[0]])
                limit = PAIR_THRESHOLD if threshold is None else threshold
                if threshold is None:  # the runner-up left is as far as can be: 2
                    limit = face_threshold(base, 2.0 if size.people > 1 else float("inf"))
                matches.append(Match(None, dist, limit, False, None, False, c_name, c_id))
                continue
            k, dist = row_ids[left[0]], float(d[left[0]])
            second = float(d[left[1]]) if len(left) > 1 else float("inf")
            if threshold is None:
                limit = face_threshold(base, second)
                maybe_limit = min(face_threshold(loose, second), PAIR_THRESHOLD)
            else:
                limit, maybe_limit = threshold, PAIR_THRESHOLD
            name = names.get(k)
            if name is not None and is_match(dist, limit):
                matches.append(Match(name, dist, limit, True, k, False, c_name, c_id))
            elif name is not None and is_match(dist, maybe_limit):
                matches.append(Match(name, dist, limit, False, k, True, c_name, c_id))
            else:
                matches.append(Match(None, dist, limit, False, None, False, c_name, c_id))
        return matches


def server_search(conninfo: str, min_people: int | None = None) -> VectorSearch | None:
    """Return a :class:`VectorSearch` when the server has pgvector and the gallery is large.

    Enables it (table, trigger, index) the first time.  Returns None, and the app keeps
    matching in-process as always, when pgvector is absent, the gallery has fewer than
    ``min_people`` people (default :data:`SERVER_SEARCH_MIN_PEOPLE`), or enabling
    failed (logged).
    """
    if min_people is None:
        min_people = SERVER_SEARCH_MIN_PEOPLE
    try:
        search = VectorSearch(conninfo)
    except GalleryError as exc:
        log.info("%s", exc)
        return None
    try:
        if not search.available():
            search.close()
            return None
        with search._conn.transaction():
            row = search._conn.execute("SELECT count(DISTINCT person_id) FROM samples").fetchone()
        if not row or int(row[0]) < min_people:
            search.close()
            return None
        search.enable()
        return search
    except GalleryError as exc:
        log.warning("%s; matching in-process", exc)
        search.close()
        return None
