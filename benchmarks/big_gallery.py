"""A large synthetic gallery for the GUI benchmarks and tests: names, thumbnails, rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "Maria Mario Marek Martha Anna Ana Ben Bea Carlos Chen Dana David Elena Emil Fatima"
    " Femi Georg Grace Hana Hugo Ines Ivan Jana Jose Kai Karin Lars Lea Liam Lina Mia"
    " Mohammed Nadia Noah Olga Omar Paula Pedro Quinn Rosa Ravi Sara Sven Tara Tomas Uma"
    " Vera Wei Xenia Yara Yusuf Zoe"
)
LAST = _words(
    "Garcia Martin Marquez Smith Jones Nguyen Kim Lee Chen Wang Muller Schmidt Rossi"
    " Russo Dubois Laurent Silva Santos Ivanova Petrov Kowalski Nowak Novak Horvat Jensen"
    " Hansen Nielsen Larsen Berg Lund Okafor Mensah Diallo Haddad Khan Patel Singh Sato"
    " Suzuki Tanaka Ito Park Choi Cohen Levi Murphy Kelly Walsh Byrne Ryan"
)


# -- the gallery ------------------------------------------------------------------------


def person_names(n: int) -> list[str]:
    """Return ``n`` distinct display names, e.g. ``Maria Garcia`` then ``Maria Garcia 2``."""
    combos = [f"{f} {last}" for last in LAST for f in FIRST]
    return [
        combos[i % len(combos)] + ("" if i < len(combos) else f" {i // len(combos) + 1}")
        for i in range(n)
    ]


def celebrity_thumbnails(count: int, seed: int = 0) -> list[bytes]:
    """Return ``count`` 96 px JPEG face thumbnails cut from the 5-celebrity photos.

    Each photo is cut several times around its middle (the photos are portraits) at
    jittered positions and sizes, with ``faceapp.enrolment.thumbnail_of`` as enrolment
    does; an empty list when the photos are absent.
    """
    from faceapp import paths
    from faceapp.core.images import load_image
    from faceapp.core.types import Box, Face
    from faceapp.enrolment import thumbnail_of

    photos = sorted(paths.celebrity_dir().glob("*/*/*.jpg"))
    if not photos or count <= 0:
        return []
    rng = np.random.default_rng(seed)
    images = [load_image(p) for p in photos]
    out = []
    for i in range(count):
        image = images[i % len(images)]
        h, w = image.shape[:2]
        side = min(h, w) * rng.uniform(0.35, 0.6)
        cx = w / 2 + rng.uniform(-0.08, 0.08) * w
        cy = h * 0.42 + rng.uniform(-0.08, 0.08) * h
        face = Face(Box(cx - side / 2, cy - side / 2, side, side), ((cx, cy),) * 5, 0.99)  # type: ignore[arg-type]
        out.append(thumbnail_of(image, face))
    return out


def build_gallery(path: Path, people: int, thumbs: int, seed: int = 0) -> dict[str, Any]:
    """Create a gallery of ``people`` people at ``path``; return what it holds.

    The schema is created by ``GalleryStore``; the rows are then written in one
    transaction with ``executemany`` (enrolling 100,000 people one by one through the
    store would take many minutes and measure nothing this benchmark is about).
    """
    from faceapp.storage.gallery import GalleryStore

    store = GalleryStore(path)
    # Reading never creates the file (issue 8): one write through the store makes it, with
    # the schema, and leaves it empty.
    store.remove_person(store.add_person("schema").id)
    rng = np.random.default_rng(seed)
    names = person_names(people)
    order = rng.permutation(people)  # ids not in name order, as after years of use
    jpegs = celebrity_thumbnails(thumbs, seed)
    with_thumb = set(rng.choice(people, size=min(len(jpegs), people), replace=False).tolist())
    now = "2024-01-01T00:00:00+00:00"
    n_samples = people + (people + 9) // 10
    emb = rng.standard_normal((n_samples, 128)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO people(id, name, created_at) VALUES (?, ?, ?)",
            ((i + 1, names[k], now) for i, k in enumerate(order)),
        )
        rows = []
        j = 0
        thumb_iter = iter(jpegs)
        for pid in range(1, people + 1):
            for _ in range(2 if pid % 10 == 1 else 1):
                thumb = next(thumb_iter, None) if (pid - 1) in with_thumb and _ == 0 else None
                rows.append((pid, emb[j].astype("<f4").tobytes(), 128, thumb, "synthetic", now))
                j += 1
        conn.executemany(
            "INSERT INTO samples(person_id, embedding, dim, thumbnail, source, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return {
        "people": people,
        "samples": len(rows),
        "thumbnails": min(len(jpegs), people),
        "file_mb": round(path.stat().st_size / 1e6, 1),
    }
