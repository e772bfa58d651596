"""The number of test workers `make test` starts follows the CPUs and the memory."""

from __future__ import annotations

from pathlib import Path

from tests.workers import WORKER_GIB, available_gib, worker_count


def test_one_worker_more_than_the_cpus_when_memory_allows() -> None:
    assert worker_count(2, 20.0) == 3
    assert worker_count(8, None) == 9


def test_memory_caps_the_workers_and_one_always_runs() -> None:
    assert worker_count(8, 4 * WORKER_GIB + 0.5) == 4
    assert worker_count(2, 1.0) == 1


def test_available_memory_is_read_from_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:  16000000 kB\nMemAvailable:  6291456 kB\n")
    assert available_gib(str(meminfo)) == 6.0
    meminfo.write_text("MemTotal:  16000000 kB\n")
    assert available_gib(str(meminfo)) is None
    assert available_gib(str(tmp_path / "absent")) is None
