"""The About dialog's facts: the licence notices shipped with the app, the model's identity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from faceapp import paths

#: Name of the FaceNet weights file whose pinned SHA-256 identifies the model.
MODEL_FILE = "facenet_keras.h5"


@dataclass(frozen=True)
class LicenceNotice:
    """One third-party component shipped with the app, its licence and the notice file."""

    component: str
    licence: str
    path: Path | None


def licences_dir() -> Path:
    """Return the folder of the licence notices (``licenses/``), frozen or not."""
    return paths.install_root() / "licenses"


def _cell(text: str) -> str:
    return re.sub(r"[`*]", "", text).strip()


def licence_notices(folder: Path | None = None) -> list[LicenceNotice]:
    """Return the components and licences listed in ``folder`` (default :func:`licences_dir`).

    The rows of the README's table come first, each with the licence text its licence
    cell names (``Apache-2.0.txt``, or ``Apache-2.0`` with such a file; the README itself
    otherwise), then one
    entry per bundled distribution folder (``<name>/METADATA.txt`` and its licence files).
    """
    folder = licences_dir() if folder is None else folder
    readme = folder / "README.md"
    notices: list[LicenceNotice] = []
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|") or len(cells) < 2 or cells[0] in ("component", ""):
                continue
            if set(cells[0]) <= set("-: "):
                continue
            # The file the cell names, else a licence id with a text here (Apache-2.0).
            named = re.findall(r"`([^`]+\.txt)`", cells[1])
            named += [f"{t}.txt" for t in re.findall(r"[\w.+-]+", cells[1])]
            texts = [folder / n for n in named if (folder / n).is_file()]
            text = texts[0] if texts else readme
            notices.append(LicenceNotice(_cell(cells[0]), _cell(cells[1]), text))
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        meta = sub / "METADATA.txt"
        title, licence = sub.name, ""
        if meta.is_file():
            lines = meta.read_text(encoding="utf-8", errors="replace").splitlines()
            title = lines[0].strip() if lines else sub.name
            licence = next(
                (x.split(":", 1)[1].strip() for x in lines if x.startswith("License:")), ""
            )
        texts = sorted(p for p in sub.rglob("*") if p.is_file() and p.name != "METADATA.txt")
        notices.append(LicenceNotice(title, licence, texts[0] if texts else meta))
    return notices


def model_identity() -> str:
    """Return the pinned SHA-256 of the FaceNet weights, or why it is unknown."""
    try:
        return paths.pinned_hashes().get(MODEL_FILE, "unknown (not pinned)")
    except OSError as exc:
        return f"unknown ({exc.strerror or exc})"
