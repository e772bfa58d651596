"""Where the benchmarks and the tests find LFW: ``FACEAPP_LFW_DIR``, else ../shared/data/lfw."""

from __future__ import annotations

import os
from pathlib import Path

#: The source checkout this package sits in.
REPO = Path(__file__).resolve().parents[1]

#: The LFW folder (``<Name>/<Name>_NNNN.jpg`` and ``pairs.txt``): the environment variable
#: ``FACEAPP_LFW_DIR`` when set, otherwise the project's shared copy beside the checkout.
LFW_DIR = Path(os.environ.get("FACEAPP_LFW_DIR", REPO.parent / "shared" / "data" / "lfw"))


def require_lfw(lfw_dir: Path = LFW_DIR) -> Path:
    """Return ``lfw_dir`` when it holds ``pairs.txt``; raise FileNotFoundError otherwise."""
    if not (Path(lfw_dir) / "pairs.txt").is_file():
        raise FileNotFoundError(f"the benchmarks need LFW at {lfw_dir} (or set FACEAPP_LFW_DIR)")
    return Path(lfw_dir)
