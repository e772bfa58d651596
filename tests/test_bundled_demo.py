"""The packaged app's demo photos: in its manifest, found read-only, a missing demo explained."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from faceapp import paths, weights
from faceapp.core.errors import SourceError
from faceapp.core.sources import DemoSource
from tests.conftest import cli

MODEL = "weights/facenet-x.tflite"
DEMO_DIR = f"weights/{paths.CELEBRITY_DIR}"
DEMO = {
    f"weights/{paths.CELEBRITY_DIR}/{split}/ann/{n}.jpg": f"{split}{n}".encode()
    for split in ("train", "val")
    for n in (1, 2)
}


@pytest.fixture()
def app_root(tmp_path: Path, monkeypatch) -> Path:
    """A fake packaged app: the model and the demo photos, listed in its manifest."""
    files = {MODEL: b"model", **DEMO}
    (tmp_path / "weights").mkdir()
    lines = []
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {rel}\n")
    (tmp_path / "weights" / weights.BUILTIN_MANIFEST).write_text("".join(lines))
    (tmp_path / "weights" / "SHA256SUMS").write_text(f"{'ab' * 32}  facenet_keras.h5\n")
    monkeypatch.setattr(paths, "_install_root", lambda: tmp_path)
    monkeypatch.setattr(paths, "is_frozen", lambda: True)
    monkeypatch.delenv("FACEAPP_WEIGHTS_DIR", raising=False)
    return tmp_path


def test_the_demo_photos_are_one_entry_of_the_builtin_check(app_root: Path) -> None:
    assert weights.check_builtin(app_root) == {MODEL: "ok", DEMO_DIR: "ok"}
    first = next(iter(DEMO))
    (app_root / first).unlink()
    assert weights.check_builtin(app_root)[DEMO_DIR] == "incomplete"
    (app_root / next(reversed(DEMO))).write_bytes(b"other")
    assert weights.check_builtin(app_root)[DEMO_DIR] == "modified"


def test_weights_fetch_in_the_packaged_app_says_it_ships_everything(capsys, app_root) -> None:
    code, out, err = cli(capsys, "weights", "fetch")
    assert code == 0 and err == ""
    assert "ships everything built in (the face models and the demo photos)" in out
    assert f"{DEMO_DIR}: ok" in out and "nothing to fetch" not in out
    code, out, _ = cli(capsys, "weights", "check", "--json")
    assert code == 0 and json.loads(out)["files"] == {MODEL: "ok", DEMO_DIR: "ok"}


def test_weights_fetch_in_the_packaged_app_says_plainly_the_demo_is_missing(
    capsys, app_root: Path
) -> None:
    for rel in DEMO:
        (app_root / rel).unlink()
    code, out, err = cli(capsys, "weights", "fetch")
    assert code == 1 and err == ""
    assert "nothing to" not in out and "weights fetch" not in out
    assert "its demo photos built in, but they are missing" in out
    assert "download and unpack it again" in out
    assert f"{DEMO_DIR}: missing" in out


def test_an_app_packaged_without_the_demo_is_told_too(capsys, tmp_path, monkeypatch) -> None:
    (tmp_path / "weights").mkdir()
    (tmp_path / MODEL).write_bytes(b"model")
    digest = hashlib.sha256(b"model").hexdigest()
    (tmp_path / "weights" / weights.BUILTIN_MANIFEST).write_text(f"{digest}  {MODEL}\n")
    (tmp_path / "weights" / "SHA256SUMS").write_text(f"{'ab' * 32}  facenet_keras.h5\n")
    monkeypatch.setattr(paths, "_install_root", lambda: tmp_path)
    monkeypatch.delenv("FACEAPP_WEIGHTS_DIR", raising=False)
    code, out, err = cli(capsys, "weights", "fetch")
    assert code == 1 and err == ""
    assert "demo photos built in, but they are missing" in out and "nothing to" not in out


def test_the_demo_source_finds_the_shipped_photos_read_only(app_root: Path) -> None:
    for path in sorted(app_root.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        source = DemoSource()
        source.open()
        assert [p.parent.parent.name for p in source.photos] == ["val", "val"]
    finally:
        for path in app_root.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_the_packaged_demo_source_never_says_to_run_weights_fetch(app_root: Path) -> None:
    for rel in DEMO:
        (app_root / rel).unlink()
    for split in ("train", "val"):
        for folder in sorted((app_root / DEMO_DIR / split).rglob("*"), reverse=True):
            folder.rmdir()
        (app_root / DEMO_DIR / split).rmdir()
    with pytest.raises(SourceError) as caught:
        DemoSource().open()
    assert "weights fetch" not in str(caught.value)
    assert "the demo photos are missing" in str(caught.value)
    assert "download and unpack it again" in str(caught.value)


def test_the_source_tree_still_says_to_fetch(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FACEAPP_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(SourceError, match="run 'faceapp weights fetch'"):
        DemoSource().open()
