"""With ``--dist loadfile``, the test files that load TensorFlow all go to one worker."""

from __future__ import annotations

import pytest

#: The test files that import TensorFlow (the mtcnn package does too).  Importing it
#: costs a process about 6 s of CPU: one worker pays it, not each of them.
TENSORFLOW_FILES = frozenset(
    {
        "tests/core/test_embedder.py",
        "tests/core/test_fast_mtcnn.py",
        "tests/core/test_triplet.py",
        "tests/test_benchmarks_smoke.py",
    }
)

#: The work unit that holds them.
TENSORFLOW_UNIT = "tensorflow"


def work_unit(nodeid: str) -> str:
    """Return the work unit of a test: its file, or :data:`TENSORFLOW_UNIT`."""
    path = nodeid.split("::", 1)[0]
    return TENSORFLOW_UNIT if path in TENSORFLOW_FILES else path


try:
    from xdist.scheduler import LoadFileScheduling
except ImportError:  # pytest-xdist missing: the suite runs in one process
    pass
else:

    class TensorflowTogether(LoadFileScheduling):
        """``loadfile``, with the files of :data:`TENSORFLOW_FILES` as one unit."""

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadFileScheduling | None:
        """Schedule ``--dist loadfile`` runs with :class:`TensorflowTogether`."""
        if config.getoption("dist") == "loadfile":
            return TensorflowTogether(config, log)
        return None
