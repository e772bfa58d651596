"""Live benchmark on a virtual clock: real-time frame dropping, timed by the thread's CPU time.

On a machine shared with other work, the wall-clock run of :mod:`benchmarks.live`
measures the other work as much as ours: the recognition thread waits for a core, drops
more frames, and agrees less with the reference.  This run replays the same real-time
rule (frames arrive at the video's rate; when the recognition thread is free it takes
the newest frame that has arrived, the others are dropped) on a virtual clock that
advances, for each processed frame, by the CPU time the recognition thread spent on it
(``time.thread_time``), which other processes do not inflate.  It is what the
wall-clock run would give on an idle machine, as far as the thread's CPU time is its
processing time (work that the libraries spread over helper threads is not counted; on
an idle 2-core machine that work runs in parallel).

Run as ``python -m benchmarks.live --timings virtual`` (a timing of that benchmark).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def virtual(video: Path, gallery: Path, mode: str) -> dict[str, Any]:
    """Process the video as the real-time loop would, on a clock of thread CPU time.

    The app's :class:`~faceapp.session.live.RecognitionLoop` runs in this thread, one
    :meth:`~faceapp.session.live.RecognitionLoop.step` at a time: the frames that have
    arrived by the virtual clock go into its one-slot mailbox (the newest one wins, as
    in the window), and each step's thread CPU time advances the clock.  Returns the
    same record as the wall-clock run (``arrival`` and ``done`` on the virtual clock, in
    seconds of video time), for :func:`benchmarks.live_figures.compare`.
    """
    from benchmarks.live_common import cpu_seconds, faces, run_record, tracker, warm_pipeline
    from faceapp.core.sources import VideoCaptureSource, iterate
    from faceapp.session.live import RecognitionLoop

    pipe, index, settings = warm_pipeline(video, gallery, mode)
    done: list[Any] = []
    loop = RecognitionLoop(
        pipe,
        index,
        settings,
        on_result=lambda _t, result, _j: done.append(result),
        trackers=lambda _m, _l: tracker(mode),
    )
    loop.clear_frames(tracking=True)
    loop.load_model()  # prepared already: at once
    frames = iterate(VideoCaptureSource(video))
    arrivals: dict[str, float] = {}
    records = []
    clock = 0.0
    upcoming = next(frames, None)
    load0 = os.getloadavg()[0]
    cpu0 = cpu_seconds()
    busy = 0.0
    while True:
        # Frames arriving while the thread was busy: the mailbox keeps only the newest.
        while upcoming is not None and upcoming.timestamp <= clock:
            arrivals[str(upcoming.index)] = upcoming.timestamp
            loop.submit_frame(upcoming)
            upcoming = next(frames, None)
        if not loop.frame_waiting():
            if upcoming is None:
                break
            clock = upcoming.timestamp  # idle until the next frame arrives
            continue
        t0 = time.thread_time()
        loop.step(timeout=0)
        took = time.thread_time() - t0
        busy += took
        if not done:  # the engine failed on the frame (logged): nothing to record
            continue
        result = done.pop()
        clock = max(clock, result.timestamp) + took
        records.append(
            {"i": result.index, "arrival": result.timestamp, "done": clock, "faces": faces(result)}
        )
    duration = max(float(r) for r in arrivals.values()) + 1.0 / 30.0 if arrivals else 1.0
    return {
        "mode": mode,
        # The recognition thread's CPU per second of video (the virtual clock's work);
        # the process's own figure, helper threads included, is given apart.
        "cpu_per_video_second": round(busy / duration, 3),
        "process_cpu_per_video_second": round((cpu_seconds() - cpu0) / duration, 3),
        **run_record(pipe, load0, arrivals, records),
    }
