"""Gallery export/import: the file format, every check on import, conflicts, all or nothing."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.images import encode_jpeg
from faceapp.storage.archive import (
    FORMAT_VERSION,
    ArchiveError,
    ConflictError,
    conflicts,
    export_gallery,
    import_archive,
    read_archive,
    reading,
)
from faceapp.storage.gallery import GalleryError, GalleryStore

from .helpers import emb

SHA = "ab" * 32
OTHER_SHA = "cd" * 32


def jpeg(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    img = np.clip(rng.normal(128, 40, size=(96, 96, 3)), 0, 255).astype(np.uint8)
    return encode_jpeg(img, quality=85)


def sample_rows(store: GalleryStore) -> dict[str, list[tuple]]:
    """Everything stored per person: embedding bytes, thumbnail, source, times."""
    out = {}
    for p in store.people():
        out[p.name] = [
            (s.embedding.tobytes(), s.thumbnail, s.source, s.created_at)
            for s in store.samples(p.name)
        ]
    return out


@pytest.fixture
def source(tmp_path: Path) -> GalleryStore:
    s = GalleryStore(tmp_path / "source.db")
    s.add_samples("Ann", [(emb(1), jpeg(1), "ann1.jpg"), (emb(2), jpeg(2), "capture")])
    s.add_samples("Bob", [(emb(3), jpeg(3), None)])
    s.add_samples("José", [(emb(4), None, "jose.png")])
    s.add_person("Nobody yet")
    return s


@pytest.fixture
def exported(source: GalleryStore, tmp_path: Path) -> Path:
    out = tmp_path / "gallery.zip"
    summary = export_gallery(source, out, SHA)
    assert (summary.people, summary.samples, summary.thumbnails_left_out) == (4, 4, 0)
    return out


def test_round_trip_keeps_people_and_sample_bytes(
    source: GalleryStore, exported: Path, tmp_path: Path
) -> None:
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    target = GalleryStore(tmp_path / "target.db")
    summary = import_archive(target, read_archive(exported, SHA, 128))
    assert set(summary.added) == {"Ann", "Bob", "José", "Nobody yet"}
    assert summary.samples_added == 4
    assert sample_rows(target) == sample_rows(source)
    assert [(p.name, p.created_at, p.n_samples) for p in target.people()] == [
        (p.name, p.created_at, p.n_samples) for p in source.people()
    ]


def test_the_file_is_what_the_format_document_says(exported: Path) -> None:
    with zipfile.ZipFile(exported) as zf:
        names = sorted(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        matrix = np.frombuffer(zf.read("embeddings.f32"), "<f4").reshape(-1, 128)
    assert names == [
        "embeddings.f32",
        "manifest.json",
        "negatives.f32",
        "thumbnails/000000.jpg",
        "thumbnails/000001.jpg",
        "thumbnails/000002.jpg",
    ]
    assert manifest["format"] == "faceapp-gallery" and manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["weights_sha256"] == SHA
    assert manifest["embeddings"] == {
        "file": "embeddings.f32",
        "dtype": "<f4",
        "count": 4,
        "dim": 128,
    }
    ann = next(p for p in manifest["people"] if p["name"] == "Ann")
    assert [s["index"] for s in ann["samples"]] == [0, 1]
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-6)


def test_export_refuses_to_replace_a_file_unless_asked(
    source: GalleryStore, exported: Path
) -> None:
    before = exported.read_bytes()
    with pytest.raises(ArchiveError, match="exists"):
        export_gallery(source, exported, SHA)
    assert exported.read_bytes() == before
    export_gallery(source, exported, SHA, overwrite=True)
    assert not list(exported.parent.glob(".*.new"))


def test_conflicts_fail_by_default_and_write_nothing(source: GalleryStore, exported: Path) -> None:
    a = read_archive(exported, SHA)
    assert sorted(conflicts(source, a)) == ["Ann", "Bob", "José", "Nobody yet"]
    before = source.path.read_bytes()
    with pytest.raises(ConflictError) as info:
        import_archive(source, a)
    assert set(info.value.names) == {"Ann", "Bob", "José", "Nobody yet"}
    assert source.path.read_bytes() == before


def test_merge_adds_only_samples_not_already_there(tmp_path: Path, exported: Path) -> None:
    target = GalleryStore(tmp_path / "t.db")
    target.add_samples(
        "Ann", [(emb(1), None, "same embedding as in the file"), (emb(9), None, None)]
    )
    summary = import_archive(target, read_archive(exported, SHA), "merge")
    assert summary.merged == ("Ann",) and summary.samples_already_there == 1
    assert summary.samples_added == 3  # Ann's second, Bob's, José's
    assert target.find_person("Ann").n_samples == 3


def test_skip_leaves_enrolled_people_alone(tmp_path: Path, exported: Path) -> None:
    target = GalleryStore(tmp_path / "t.db")
    target.add_samples("Bob", [(emb(9), None, None)])
    summary = import_archive(target, read_archive(exported, SHA), "skip")
    assert summary.skipped == ("Bob",)
    assert target.find_person("Bob").n_samples == 1
    assert target.find_person("Ann").n_samples == 2


def test_rename_picks_the_first_free_number(tmp_path: Path, exported: Path) -> None:
    target = GalleryStore(tmp_path / "t.db")
    target.add_person("Ann")
    target.add_person("Ann (2)")
    summary = import_archive(target, read_archive(exported, SHA), "rename")
    assert summary.renamed == (("Ann", "Ann (3)"),)
    assert target.find_person("Ann (3)").n_samples == 2
    assert target.find_person("Ann").n_samples == 0


def test_a_failure_in_the_middle_writes_nothing(tmp_path: Path, source: GalleryStore) -> None:
    source.add_samples("Zed", [(emb(7), None, "boom")])
    out = tmp_path / "g.zip"
    export_gallery(source, out, SHA)
    target = GalleryStore(tmp_path / "t.db")
    target.add_person("Existing")
    conn = sqlite3.connect(target.path)
    conn.execute(
        "CREATE TRIGGER no_boom BEFORE INSERT ON samples WHEN NEW.source = 'boom'"
        " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    )
    conn.commit()
    conn.close()
    before = target.path.read_bytes()
    with pytest.raises(GalleryError):
        import_archive(target, read_archive(out, SHA))
    assert target.path.read_bytes() == before
    assert [p.name for p in target.people()] == ["Existing"]


def test_import_into_a_gallery_of_another_dimension_is_refused(
    tmp_path: Path, exported: Path
) -> None:
    target = GalleryStore(tmp_path / "t.db")
    target.add_samples("Old", [(emb(1, dim=64), None, None)])
    with pytest.raises(ArchiveError, match="128 values"):
        import_archive(target, read_archive(exported, SHA))


# -- hostile and damaged files ---------------------------------------------------------------


def rewrite(
    src: Path,
    dst: Path,
    manifest: Callable[[dict], None] | None = None,
    members: Callable[[dict[str, bytes]], None] | None = None,
    info: Callable[[zipfile.ZipInfo], None] | None = None,
) -> Path:
    """Copy an archive, changing its manifest and/or members on the way."""
    with zipfile.ZipFile(src) as zf:
        content = {n: zf.read(n) for n in zf.namelist()}
    doc = json.loads(content["manifest.json"])
    if manifest:
        manifest(doc)
    content["manifest.json"] = json.dumps(doc).encode()
    if members:
        members(content)
    with zipfile.ZipFile(dst, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names, on purpose
        for name, data in content.items():
            zi = zipfile.ZipInfo(name.split("\x00dup")[0])
            if info:
                info(zi)
            zf.writestr(zi, data)
    return dst


def person(doc: dict, name: str) -> dict:
    return next(p for p in doc["people"] if p["name"] == name)


def set_embedding(content: dict[str, bytes], k: int, values: np.ndarray) -> None:
    m = np.frombuffer(content["embeddings.f32"], "<f4").reshape(-1, 128).copy()
    m[k] = values
    content["embeddings.f32"] = m.astype("<f4").tobytes()


HOSTILE: dict[str, dict] = {
    "absolute path": {"members": lambda c: c.update({"/etc/passwd": b"x"}), "match": "absolute"},
    "dot-dot path": {"members": lambda c: c.update({"../up.jpg": b"x"}), "match": r"'\.\.'"},
    "backslash": {"members": lambda c: c.update({"a\\b.jpg": b"x"}), "match": "backslash"},
    "unexpected member": {
        "members": lambda c: c.update({"run.sh": b"rm -rf ~"}),
        "match": "unexpected",
    },
    "duplicated member": {
        "members": lambda c: c.update({"manifest.json\x00dup": c["manifest.json"]}),
        "match": "twice",
    },
    "folder entry": {"members": lambda c: c.update({"thumbnails/": b""}), "match": "folder"},
    "other model": {
        "manifest": lambda d: d["model"].update(weights_sha256=OTHER_SHA),
        "match": "another model",
    },
    "newer format": {
        "manifest": lambda d: d.update(format_version=FORMAT_VERSION + 1),
        "match": "newer",
    },
    "not our format": {
        "manifest": lambda d: d.update(format="something"),
        "match": "not a faceapp",
    },
    "other dimension": {
        "manifest": lambda d: d["embeddings"].update(dim=64, count=8),
        "match": "64 values",
    },
    "count disagrees with the file": {
        "manifest": lambda d: d["embeddings"].update(count=5),
        "match": "holds",
    },
    "bad name": {
        "manifest": lambda d: person(d, "Bob").update(name="Bob\u202e"),
        "match": "text-direction",
    },
    "names equal after NFC": {
        "manifest": lambda d: person(d, "Bob").update(name="Jose\u0301"),
        "match": "twice",
    },
    "name of the wrong type": {
        "manifest": lambda d: person(d, "Bob").update(name=7),
        "match": "wrong type",
    },
    "sample index out of order": {
        "manifest": lambda d: person(d, "Ann")["samples"][1].update(index=3),
        "match": "expected 1",
    },
    "thumbnail named elsewhere": {
        "manifest": lambda d: person(d, "Ann")["samples"][0].update(thumbnail="thumbnails/x.jpg"),
        "match": "must be",
    },
    "time that is not a time": {
        "manifest": lambda d: person(d, "Ann").update(created_at="yesterday"),
        "match": "ISO 8601",
    },
    "NaN embedding": {
        "members": lambda c: set_embedding(c, 0, np.full(128, np.nan)),
        "match": "not finite",
    },
    "embedding not of unit length": {
        "members": lambda c: set_embedding(c, 2, np.full(128, 0.5)),
        "match": "unit length",
    },
    "truncated JPEG": {
        "members": lambda c: c.update({"thumbnails/000000.jpg": c["thumbnails/000000.jpg"][:300]}),
        "match": "damaged JPEG",
    },
    "PNG as thumbnail": {
        "members": lambda c: c.update({"thumbnails/000001.jpg": b"\x89PNG\r\n\x1a\n" + b"0" * 50}),
        "match": "not a JPEG",
    },
    "huge thumbnail": {
        "members": lambda c: c.update(
            {"thumbnails/000001.jpg": b"\xff\xd8\xff" + b"\x00" * (2 << 20)}
        ),
        "match": "more than",
    },
    "symbolic link": {
        "info": lambda zi: (
            setattr(zi, "external_attr", (stat.S_IFLNK | 0o777) << 16)
            if zi.filename.endswith("000002.jpg")
            else None
        ),
        "match": "symbolic link",
    },
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused_and_nothing_is_written(
    case: str, exported: Path, tmp_path: Path
) -> None:
    spec = HOSTILE[case]
    bad = rewrite(
        exported,
        tmp_path / "bad.zip",
        manifest=spec.get("manifest"),
        members=spec.get("members"),
        info=spec.get("info"),
    )
    target = GalleryStore(tmp_path / "t.db")
    target.add_person("Existing")
    before = target.path.read_bytes()
    with pytest.raises(ArchiveError, match=spec["match"]) as err:
        read_archive(bad, SHA, 128)
    assert "\n" not in str(err.value) and str(bad) in str(err.value)
    assert target.path.read_bytes() == before


def test_manifest_with_a_duplicate_key_or_nan_is_refused(exported: Path, tmp_path: Path) -> None:
    def patch(text: bytes) -> Callable[[dict[str, bytes]], None]:
        return lambda c: c.update({"manifest.json": text})

    good = json.loads(zipfile.ZipFile(exported).read("manifest.json"))
    body = json.dumps(good)
    dup = patch(body.replace('"format": ', '"format": "x", "format": ', 1).encode())
    with pytest.raises(ArchiveError, match="twice"):
        read_archive(rewrite(exported, tmp_path / "a.zip", members=dup), SHA)
    version = f'"format_version": {FORMAT_VERSION}'
    nan = patch(body.replace(version, '"format_version": NaN').encode())
    with pytest.raises(ArchiveError, match="not a number"):
        read_archive(rewrite(exported, tmp_path / "b.zip", members=nan), SHA)


def test_not_a_zip_and_too_many_members(exported: Path, tmp_path: Path, monkeypatch) -> None:
    text = tmp_path / "notes.zip"
    text.write_text("just text\n")
    with pytest.raises(ArchiveError, match="not a zip"):
        read_archive(text, SHA)
    with pytest.raises(ArchiveError, match="folder"):
        read_archive(tmp_path, SHA)
    monkeypatch.setattr(reading, "_MAX_MEMBERS", 3)
    with pytest.raises(ArchiveError, match="more than 3 members"):
        read_archive(exported, SHA)


def test_total_uncompressed_size_is_capped(exported: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_TOTAL_BYTES", 4000)
    with pytest.raises(ArchiveError, match="uncompressed"):
        read_archive(exported, SHA)


def test_a_compressed_bomb_is_refused_from_its_recorded_size(
    exported: Path, tmp_path: Path
) -> None:
    def bomb(c: dict[str, bytes]) -> None:
        c["embeddings.f32"] = bytes(200 << 20)  # 200 MB of zeros, deflated to ~200 KB

    src = rewrite(exported, tmp_path / "plain.zip", members=bomb)
    packed = tmp_path / "bomb.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zout:
        for n in zin.namelist():
            zout.writestr(n, zin.read(n))
    assert packed.stat().st_size < 1 << 20
    with pytest.raises(ArchiveError, match="more than"):
        read_archive(packed, SHA)


# -- issue 17: memory, inflation, dates, messages, partial files ------------------------------


def test_a_member_list_that_lies_about_its_count_is_refused_before_zipfile_parses_it(
    tmp_path: Path, monkeypatch
) -> None:
    """The end record says 2 members, the list holds 3,002: refused, ZipFile never built."""
    from benchmarks.hostile_archives import lying_zip

    lying = lying_zip(tmp_path / "lying.zip", 3000)
    built = []

    class Spy(zipfile.ZipFile):
        def __init__(self, *args, **kwargs) -> None:
            built.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(reading.zipfile, "ZipFile", Spy)
    with pytest.raises(ArchiveError, match="more entries than the 2 its end record declares"):
        read_archive(lying, SHA, 128)
    assert built == []  # no member list of 3,002 entries was built


def test_a_member_list_larger_than_the_limit_is_refused_unread(exported: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_DIRECTORY_BYTES", 200)
    with pytest.raises(ArchiveError, match="member list takes"):
        read_archive(exported, SHA)


def test_padded_jpegs_do_not_inflate_the_gallery(tmp_path: Path) -> None:
    """20 real thumbnails, each padded with zeros to 256 KiB, deflated: a 150 KB file."""
    from benchmarks.hostile_archives import padded_jpeg_zip, small_jpeg

    padded = padded_jpeg_zip(tmp_path / "padded.zip", 20, pad_to=256 << 10)
    size = padded.stat().st_size
    archive = read_archive(padded, SHA, 128)
    thumbs = [s.thumbnail for s in archive.people[0].samples]
    assert all(t is not None and len(t) <= 1.1 * len(small_jpeg()) + 1024 for t in thumbs)
    target = GalleryStore(tmp_path / "t.db")
    target.add_person("Existing")
    before = target.path.stat().st_size
    import_archive(target, archive)
    assert target.path.stat().st_size - before < 2 * size  # was 5.2 MB from a 150 KB file
    from PIL import Image

    with Image.open(io.BytesIO(target.samples("Padded")[0].thumbnail)) as img:
        assert img.size == (96, 96)


def test_thumbnails_that_compress_unusually_well_are_refused(exported: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_THUMBNAIL_GROWTH", 0.01)
    with pytest.raises(ArchiveError, match="times the file's size"):
        read_archive(exported, SHA)


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:00-23:59", "1066-10-14T09:00:00"]
)
def test_a_time_outside_the_sane_years_is_refused_at_import(
    when: str, exported: Path, tmp_path: Path
) -> None:
    bad = rewrite(
        exported,
        tmp_path / "bad.zip",
        manifest=lambda d: person(d, "Ann")["samples"][0].update(created_at=when),
    )
    with pytest.raises(ArchiveError, match="outside the years 1900 to 9998") as err:
        read_archive(bad, SHA)
    assert str(bad) in str(err.value) and "samples[0].created_at" in str(err.value)


def test_a_5000_digit_number_is_refused_with_the_file_name(exported: Path, tmp_path: Path) -> None:
    bad = rewrite(
        exported,
        tmp_path / "digits.zip",
        members=lambda c: c.update(
            {
                "manifest.json": c["manifest.json"].replace(
                    b'"format_version": 2', b'"format_version": 2' + b"0" * 5000
                )
            }
        ),
    )
    with pytest.raises(ArchiveError, match="a number of 5,001 characters") as err:
        read_archive(bad, SHA)
    assert str(err.value).startswith(f"{bad}: manifest.json: ")


def test_a_zip_missing_its_first_bytes_is_refused_with_the_file_name(
    exported: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.zip"
    cut.write_bytes(exported.read_bytes()[4000:])
    with pytest.raises(ArchiveError, match="damaged zip file") as err:
        read_archive(cut, SHA)
    message = str(err.value)
    assert message.startswith(f"{cut}: ") and "Invalid argument" not in message


def test_export_on_a_full_disk_names_the_file_and_leaves_nothing(
    source: GalleryStore, tmp_path: Path, monkeypatch
) -> None:
    import errno

    out = tmp_path / "full.zip"
    real_write = zipfile.ZipFile.writestr

    def full(self, name, data, *args, **kwargs):
        if str(name).startswith("thumbnails/"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full)
    with pytest.raises(OSError) as err:
        export_gallery(source, out, SHA)
    assert err.value.filename == str(out) and "disk is full" in err.value.strerror
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.db"]


_SLOW_EXPORT = r"""
import sys, time, zipfile
from pathlib import Path
from faceapp.storage.archive import export_gallery
from faceapp.storage.gallery import GalleryStore
if sys.argv[3] == "named":
    import os
    del os.O_TMPFILE  # a system without unnamed files
real = zipfile.ZipFile.writestr
def slow(self, name, data, *args, **kwargs):
    real(self, name, data, *args, **kwargs)
    if str(name).startswith("thumbnails/"):
        self.fp.flush()
        print("writing", flush=True)
        time.sleep(60)
zipfile.ZipFile.writestr = slow
export_gallery(GalleryStore(Path(sys.argv[1])), Path(sys.argv[2]), "ab" * 32)
"""


@pytest.mark.parametrize("way", ["unnamed", "named"])
def test_an_export_killed_mid_write_leaves_no_partial_file_for_long(
    way: str, source: GalleryStore, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys

    folder = tmp_path / "out"
    folder.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_EXPORT, str(source.path), str(folder / "e.zip"), way],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "writing\n"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    left = sorted(p.name for p in folder.iterdir())
    if way == "named":  # the hidden partial file of the killed process ...
        assert len(left) == 1 and left[0].startswith(f".e.zip.{child.pid}-"), left
        assert (folder / left[0]).stat().st_size > 0
    else:  # an unnamed file vanishes with its process
        assert left == []
    export_gallery(source, folder / "next.zip", SHA)  # ... is removed by the next export
    assert sorted(p.name for p in folder.iterdir()) == ["next.zip"]


def test_a_zip64_member_list_is_walked_like_any_other(tmp_path: Path) -> None:
    """Over 65,535 members, zip writes zip64 end records: their count and size are read."""
    big = tmp_path / "many.zip"
    with zipfile.ZipFile(big, "w") as zf:
        for k in range(70_000):
            zf.writestr(f"thumbnails/{k:06d}.jpg", b"")
    with open(big, "rb") as fh:
        assert reading._central_directory(fh, big.stat().st_size)[0] == 70_000
        reading._check_central_directory(fh, big.stat().st_size)  # no error
    with pytest.raises(ArchiveError, match="manifest.json"):  # then the usual checks
        read_archive(big, SHA)
