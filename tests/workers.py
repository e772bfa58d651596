"""How many pytest-xdist workers `make test` starts on this machine (prints the number)."""

from __future__ import annotations

from faceapp.core.runtime import usable_cpus

#: Memory one worker may hold at its peak (TensorFlow, the models, Qt), in GiB.
WORKER_GIB = 3.0


def available_gib(meminfo: str = "/proc/meminfo") -> float | None:
    """Return the memory available to new processes in GiB, or None where unknown."""
    try:
        with open(meminfo, encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        return None
    return None


def worker_count(cpus: int, memory_gib: float | None) -> int:
    """Return one worker more than ``cpus``, as many as ``memory_gib`` holds, at least one.

    One more than the CPUs, because many tests wait (a video at its frame rate, a child
    process, a network timeout) while another worker can compute: on 2 cores, 3 workers
    took 175 s where 2 took 216 s and 4 took 190 s.
    """
    workers = cpus + 1
    if memory_gib is not None:
        workers = min(workers, int(memory_gib // WORKER_GIB))
    return max(1, workers)


if __name__ == "__main__":
    print(worker_count(usable_cpus(), available_gib()))
