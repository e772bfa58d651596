"""'Not X' corrections travel in the gallery archive (format 2); format-1 archives still import."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from faceapp.storage.archive import (
    FORMAT_VERSION,
    ArchiveError,
    export_gallery,
    import_archive,
    read_archive,
)
from faceapp.storage.gallery import GalleryStore

from .helpers import emb
from .test_archive import SHA, jpeg, rewrite


def negative_rows(store: GalleryStore) -> dict[str, list[tuple]]:
    """Every correction per person: embedding bytes, crop, source, time."""
    return {
        p.name: [
            (n.embedding.tobytes(), n.crop, n.source, n.created_at) for n in store.negatives(p.name)
        ]
        for p in store.people()
    }


@pytest.fixture
def source(tmp_path: Path) -> GalleryStore:
    s = GalleryStore(tmp_path / "source.db")
    s.add_samples("Ann", [(emb(1), jpeg(1), "ann1.jpg"), (emb(2), None, None)])
    s.add_samples("Bob", [(emb(3), jpeg(3), None)])
    s.add_negative("Ann", emb(10), crop=jpeg(10), source="door.jpg")
    s.add_negative("Ann", emb(11), crop=None, source=None)
    s.add_negative("Bob", emb(12), crop=jpeg(12), source="live view")
    return s


@pytest.fixture
def exported(source: GalleryStore, tmp_path: Path) -> Path:
    out = tmp_path / "gallery.zip"
    summary = export_gallery(source, out, SHA)
    assert (summary.people, summary.samples, summary.negatives) == (2, 3, 3)
    return out


def test_corrections_round_trip_attached_to_the_right_person(
    source: GalleryStore, exported: Path, tmp_path: Path
) -> None:
    target = GalleryStore(tmp_path / "target.db")
    summary = import_archive(target, read_archive(exported, SHA, 128))
    assert summary.negatives_added == 3 and summary.as_dict()["negatives_added"] == 3
    assert negative_rows(target) == negative_rows(source)
    assert len(negative_rows(target)["Ann"]) == 2
    # and they act: the index carries them, owned by the imported people
    index = target.index()
    assert index.negatives.shape == (3, 128)
    ann = index.person_index(target.find_person("Ann").id)
    assert sorted(index.negative_owners.tolist()).count(ann) == 2


def test_the_file_holds_the_corrections_as_the_format_says(exported: Path) -> None:
    with zipfile.ZipFile(exported) as zf:
        names = sorted(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        matrix = np.frombuffer(zf.read("negatives.f32"), "<f4").reshape(-1, 128)
    assert manifest["format_version"] == FORMAT_VERSION == 2
    assert manifest["negatives"] == {
        "file": "negatives.f32",
        "dtype": "<f4",
        "count": 3,
        "dim": 128,
    }
    assert "negatives/000000.jpg" in names and "negatives/000002.jpg" in names
    assert "negatives/000001.jpg" not in names  # that correction has no crop
    ann = next(p for p in manifest["people"] if p["name"] == "Ann")
    assert [n["index"] for n in ann["negatives"]] == [0, 1]
    assert ann["negatives"][0]["source"] == "door.jpg"
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-6)


def test_merge_rename_and_skip_carry_the_corrections_with_their_person(
    source: GalleryStore, exported: Path, tmp_path: Path
) -> None:
    archive = read_archive(exported, SHA, 128)
    merged = GalleryStore(tmp_path / "merged.db")
    merged.add_samples("Ann", [(emb(1), None, None)])
    assert import_archive(merged, archive, "merge").negatives_added == 3
    assert import_archive(merged, archive, "merge").negatives_added == 0  # not twice
    assert negative_rows(merged) == negative_rows(source)

    renamed = GalleryStore(tmp_path / "renamed.db")
    renamed.add_samples("Ann", [(emb(5), None, None)])
    import_archive(renamed, archive, "rename")
    assert renamed.negatives("Ann") == []
    assert len(renamed.negatives("Ann (2)")) == 2 and len(renamed.negatives("Bob")) == 1

    skipped = GalleryStore(tmp_path / "skipped.db")
    skipped.add_samples("Ann", [(emb(5), None, None)])
    assert import_archive(skipped, archive, "skip").negatives_added == 1
    assert skipped.negatives("Ann") == [] and len(skipped.negatives("Bob")) == 1


def test_a_format_1_archive_still_imports(exported: Path, tmp_path: Path) -> None:
    def as_version_1(doc: dict) -> None:
        doc["format_version"] = 1
        del doc["negatives"]
        for p in doc["people"]:
            del p["negatives"]

    def drop(content: dict[str, bytes]) -> None:
        for name in [n for n in content if n.startswith("negatives")]:
            del content[name]

    old = rewrite(exported, tmp_path / "v1.zip", manifest=as_version_1, members=drop)
    archive = read_archive(old, SHA, 128)
    assert archive.format_version == 1 and archive.n_negatives == 0
    target = GalleryStore(tmp_path / "target.db")
    summary = import_archive(target, archive)
    assert summary.samples_added == 3 and summary.negatives_added == 0
    assert target.negatives("Ann") == []


def test_damaged_corrections_are_refused_and_nothing_is_written(
    exported: Path, tmp_path: Path
) -> None:
    def not_unit(content: dict[str, bytes]) -> None:
        m = np.frombuffer(content["negatives.f32"], "<f4").reshape(-1, 128).copy()
        m[1] *= 3
        content["negatives.f32"] = m.astype("<f4").tobytes()

    def wrong_index(doc: dict) -> None:
        doc["people"][0]["negatives"][0]["index"] = 5

    def a_stray_crop(content: dict[str, bytes]) -> None:
        content["negatives/000009.jpg"] = content["negatives/000000.jpg"]

    cases = [
        ({"members": not_unit}, "negative 1 is not of unit length"),
        ({"manifest": wrong_index}, "index is 5, expected 0"),
        ({"members": a_stray_crop}, "unexpected member"),
    ]
    for k, (change, match) in enumerate(cases):
        bad = rewrite(exported, tmp_path / f"bad{k}.zip", **change)
        with pytest.raises(ArchiveError, match=match):
            read_archive(bad, SHA, 128)
