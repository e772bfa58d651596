"""How ``--dist loadfile`` shares the tests among xdist workers: files, heaviest first.

Each test file is one unit of work (its module fixtures are computed once), except:

- the tests that load TensorFlow (the mtcnn package does too) are one unit, so one worker
  pays the import (about 6 s of CPU), not each of them;
- each benchmark smoke test is a unit of its own: they share no fixture, and with LFW
  present some take a minute each.

Units that take longest start first (:data:`HEAVIEST_FIRST`, measured on 2 cores with
LFW present), so that no worker is left with a long one at the end.
"""

from __future__ import annotations

import pytest

SMOKE = "tests/test_benchmarks_smoke.py"

#: Test files that import TensorFlow.
TENSORFLOW_FILES = frozenset(
    {"tests/core/test_embedder.py", "tests/core/test_fast_mtcnn.py", "tests/core/test_triplet.py"}
)
#: Single tests that import TensorFlow (the graph engine, the mtcnn package).  With LFW,
#: ``test_suite_quick`` imports it too, but it is a minute's work: a unit of its own.
TENSORFLOW_TESTS = frozenset(
    {f"{SMOKE}::test_embed_paths_on_two_photos", f"{SMOKE}::test_detector_bench_on_two_frames"}
)
#: Files whose every test is a unit of its own.
ONE_UNIT_PER_TEST = frozenset({SMOKE})

#: The unit of the TensorFlow tests.
TENSORFLOW_UNIT = "tensorflow"

#: Units by CPU seconds in a run with LFW (over 20 s each), the largest first.
HEAVIEST_FIRST = (
    TENSORFLOW_UNIT,  # 70 s
    f"{SMOKE}::test_suite_quick",  # 56 s
    f"{SMOKE}::test_liveness_attacks_on_one_person",  # 47 s
    "tests/test_bench_live.py",  # 39 s
    f"{SMOKE}::test_live_on_the_camera_clip_in_virtual_time",  # 35 s
    f"{SMOKE}::test_gui_live_for_a_few_seconds",  # 34 s
    "tests/core/test_open_set.py",  # 26 s
    "tests/core/test_liveness.py",  # 22 s
)


def work_unit(nodeid: str) -> str:
    """Return the unit of work of the test ``nodeid``."""
    path, _, rest = nodeid.partition("::")
    test = f"{path}::{rest.partition('[')[0]}"  # without parameters
    if path in TENSORFLOW_FILES or test in TENSORFLOW_TESTS:
        return TENSORFLOW_UNIT
    return test if path in ONE_UNIT_PER_TEST else path


try:
    from xdist.scheduler import LoadFileScheduling
    from xdist.workermanage import WorkerController
except ImportError:  # pytest-xdist missing: the suite runs in one process
    pass
else:

    class HeaviestFirst(LoadFileScheduling):
        """``loadfile`` with the units of :func:`work_unit`, :data:`HEAVIEST_FIRST` first."""

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

        def _assign_work_unit(self, node: WorkerController) -> None:
            for unit in reversed(HEAVIEST_FIRST):
                if unit in self.workqueue:
                    self.workqueue.move_to_end(unit, last=False)
            super()._assign_work_unit(node)

    def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadFileScheduling | None:
        """Schedule ``--dist loadfile`` runs with :class:`HeaviestFirst`."""
        if config.getoption("dist") == "loadfile":
            return HeaviestFirst(config, log)
        return None
