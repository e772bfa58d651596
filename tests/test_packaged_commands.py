"""Commands for the packaged app, run from the source tree: install-desktop, built-in weights."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from faceapp import desktop, weights
from tests.conftest import cli


@pytest.fixture()
def data_home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def test_install_desktop_writes_entry_and_icon(capsys, data_home: Path) -> None:
    code, out, err = cli(capsys, "install-desktop", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out.strip().splitlines()[-1])
    entry = data_home / "applications" / "faceapp.desktop"
    icon = data_home / "icons" / "hicolor" / "scalable" / "apps" / "faceapp.svg"
    assert doc["entry"] == str(entry) and doc["icon"] == str(icon)
    assert (
        icon.read_bytes() == (Path(__file__).parents[1] / "resources" / "faceapp.svg").read_bytes()
    )
    text = entry.read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line == "Exec=" + " ".join(desktop.exec_argument(a) for a in doc["command"])
    assert "Icon=faceapp" in text and "[Desktop Entry]" in text.splitlines()[0]
    validate = shutil.which("desktop-file-validate")
    if validate:  # desktop-file-utils; make package-check installs it
        result = subprocess.run([validate, str(entry)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout

    code, out, err = cli(capsys, "install-desktop", "--remove")
    assert code == 0 and not entry.exists() and not icon.exists()


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("/opt/faceapp/faceapp", "/opt/faceapp/faceapp"),
        ("/home/a b/faceapp", '"/home/a b/faceapp"'),
        ('/x/"q"$`', '"/x/\\\\"q\\\\"\\\\$\\\\`"'),
        ("/x\\y", '"/x\\\\\\\\y"'),
        ("/100%/f", "/100%%/f"),
    ],
)
def test_exec_arguments_are_quoted_as_the_spec_says(arg: str, quoted: str) -> None:
    assert desktop.exec_argument(arg) == quoted


def test_unwritable_launcher_folder_is_a_one_line_error(capsys, data_home: Path) -> None:
    data_home.mkdir()
    (data_home / "applications").write_text("a file where the folder should be")
    code, out, err = cli(capsys, "install-desktop")
    assert code == 2 and err.count("\n") == 1 and "cannot write the launcher" in err


def _fake_install(root: Path, files: dict[str, bytes]) -> None:
    (root / "weights").mkdir(parents=True)
    lines = []
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {rel}\n")
    (root / "weights" / weights.BUILTIN_MANIFEST).write_text("".join(lines))


def test_check_builtin_tells_ok_missing_and_modified(tmp_path: Path) -> None:
    files = {"weights/facenet-x.tflite": b"model", "mtcnn/assets/weights/pnet.lz4": b"pnet"}
    _fake_install(tmp_path, files)
    assert weights.check_builtin(tmp_path) == dict.fromkeys(files, "ok")
    (tmp_path / "weights" / "facenet-x.tflite").write_bytes(b"tampered")
    (tmp_path / "mtcnn" / "assets" / "weights" / "pnet.lz4").unlink()
    assert weights.check_builtin(tmp_path) == {
        "weights/facenet-x.tflite": "modified",
        "mtcnn/assets/weights/pnet.lz4": "missing",
    }


def test_check_builtin_outside_a_packaged_app_is_an_error(tmp_path: Path) -> None:
    assert weights.builtin_manifest(tmp_path) is None
    with pytest.raises(weights.WeightsError, match="no built-in weights manifest"):
        weights.check_builtin(tmp_path)


def test_weights_commands_in_a_packaged_app_check_instead_of_fetching(
    capsys, tmp_path: Path, monkeypatch
) -> None:
    from faceapp import paths

    demo = {f"weights/5-celebrity-faces/{s}/a/1.jpg": s.encode() for s in ("train", "val")}
    _fake_install(tmp_path, {"weights/facenet-x.tflite": b"model", **demo})
    (tmp_path / "weights" / "SHA256SUMS").write_text(f"{'ab' * 32}  facenet_keras.h5\n")
    monkeypatch.setattr(paths, "_install_root", lambda: tmp_path)
    monkeypatch.delenv("FACEAPP_WEIGHTS_DIR", raising=False)

    code, out, err = cli(capsys, "weights", "fetch")
    assert code == 0 and err == ""
    assert "ships everything built in" in out and "nothing to fetch" not in out
    code, out, err = cli(capsys, "weights", "fetch", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)  # one document and nothing else
    assert doc == {
        "built_in": True,
        "installed": True,
        "files": {"weights/facenet-x.tflite": "ok", "weights/5-celebrity-faces": "ok"},
        "facenet_sha256": "ab" * 32,
    }
    (tmp_path / "weights" / "facenet-x.tflite").write_bytes(b"damaged")
    code, out, err = cli(capsys, "weights", "check")
    assert code == 1 and "weights/facenet-x.tflite: modified" in out and "damaged" in out
