"""Run many ``faceapp`` commands in one process, capturing each one's file descriptors 1 and 2.

Used by the hostile-input tests as ``python -m tests.hostile.run_cli < runs.json``: the parent
runs it under a memory limit and a timeout, so a regression that reads ``/dev/zero`` forever
or blocks on a FIFO fails the test instead of taking the machine down.  Capturing at the file
descriptor level also catches what native code (OpenCV, FFmpeg) prints.

Input (JSON on stdin): ``{"gallery": PATH, "runs": [[arg, ...], ...]}``.  Output (JSON on
stdout): one ``{"argv", "code", "out", "err", "gallery_sha256"}`` per run, and whether the
face model was ever asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path


def _sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _captured(call, *args):
    """Run ``call(*args)`` with fds 1 and 2 sent to temporary files; return (result, out, err)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            try:
                result = call(*args)
            except BaseException as exc:  # noqa: BLE001 - reported to the parent as a failure
                result = f"raised {exc!r}"
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        err.seek(0)
        return result, out.read().decode(errors="replace"), err.read().decode(errors="replace")


def main() -> int:
    spec = json.load(sys.stdin)
    gallery = Path(spec["gallery"])
    from faceapp import cli

    model_requests: list[list[str]] = []
    current: list[str] = []

    def no_model(self):
        model_requests.append(current)
        raise AssertionError("the face model was loaded")

    from faceapp.core.pipeline import FacePipeline

    FacePipeline.prepare = no_model  # files refused before detection must never get this far
    results = []
    for argv in spec["runs"]:
        current = argv
        code, out, err = _captured(cli.run, argv)
        results.append(
            {"argv": argv, "code": code, "out": out, "err": err, "gallery_sha256": _sha256(gallery)}
        )
    report = {
        "results": results,
        "model_requests": model_requests,
        "tensorflow_imported": "tensorflow" in sys.modules,
    }
    sys.stdout.write(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
