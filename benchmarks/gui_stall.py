"""Longest GUI event-loop stalls with a 100,000-person gallery: open, enrol, rename, list, close.

Run it offscreen (it prints one JSON document)::

    QT_QPA_PLATFORM=offscreen python -m benchmarks.gui_stall [--people 100000] [--idle-s 2]

What it does, with the application's own classes (``AppContext``, ``MainWindow``,
``FacePipeline``, ``GalleryStore``):

* builds a gallery of ``--people`` people (synthetic unit-norm 128-d float32 embeddings,
  every tenth person with two samples, ``--thumbs`` of them with a real 96 px JPEG
  thumbnail cut from the 5-celebrity photos);
* runs the real ``FacePipeline`` with a small fake detector (one face in the middle of
  every frame) and a fake embedder (128-d unit vectors from the crop's pixels), so no
  TensorFlow is loaded;
* measures the longest gap between the ticks of a 5 ms ``QTimer`` (the longest time
  the GUI thread could not react) while nothing happens for ``--idle-s`` seconds (the
  noise floor of a shared machine), while the window opens, while one more person is
  enrolled through the capture path, while one person is renamed through the gallery
  panel, while the people list is scrolled and filtered, and while the threshold slider
  is dragged (also counting how often the preferences file is rewritten);
* times closing a second window while its model is still loading (a fake load that
  blocks for ``--load-s`` seconds, like TensorFlow's start-up).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.big_gallery import build_gallery, person_names  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CLOSE_AFTER_S = 0.5  # the second window is closed this long into its (simulated) model load
TRACER: StallTracer | None = None  # set by --trace-stalls


# -- fake models, injected into the real FacePipeline ----------------------------------------


class FakeDetector:
    """Finds one face in the middle of every frame; ``prepare`` blocks for ``load_s``."""

    def __init__(self, load_s: float = 0.0) -> None:
        self.load_s = load_s

    def prepare(self) -> None:
        time.sleep(self.load_s)

    def detect(self, frame: np.ndarray) -> list:
        from faceapp.core.types import Box, Face

        h, w = frame.shape[:2]
        s = min(h, w) * 0.4
        x, y = (w - s) / 2, (h - s) / 2
        pts = tuple(
            (x + s * a, y + s * b)
            for a, b in ((0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8))
        )
        return [Face(Box(x, y, s, s), pts, 0.99)]  # type: ignore[arg-type]


class FakeEmbedder:
    """128-d unit vectors from the crop's pixels (mean of 600 values per dimension)."""

    input_size = 160
    dim = 128

    def prepare(self) -> None:
        pass

    def embed(self, crops: np.ndarray) -> np.ndarray:
        v = crops.astype(np.float32).reshape(len(crops), 128, -1).mean(axis=2)
        v -= v.mean(axis=1, keepdims=True)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-6)


def fake_pipeline(load_s: float = 0.0):
    from faceapp.core.pipeline import FacePipeline

    return FacePipeline(detector=FakeDetector(load_s), embedder=FakeEmbedder())


# -- measuring the event loop ----------------------------------------------------------------


class StallMeter:
    """The longest gap between the ticks of a 5 ms timer on the GUI thread, in ms.

    Also the most CPU time the GUI thread itself used between two ticks
    (``max_busy_ms``): the part of a stall that is the GUI thread's own work, as opposed
    to waiting for the CPU (a shared machine) or for Python's interpreter lock.
    """

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = self._last_cpu = 0.0
        self.max_gap_ms = self.max_busy_ms = 0.0
        self.keep_over_ms = 0.0  # gaps longer than this are kept in ``gaps`` (0: none)
        self.gaps: list[tuple[float, float, float]] = []  # (start, end, GUI-thread CPU ms)

    def start(self) -> None:
        self._last, self._last_cpu = time.perf_counter(), time.thread_time()
        self.max_gap_ms = self.max_busy_ms = 0.0
        self.gaps = []
        self._timer.start()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gap_ms = (now - self._last) * 1000.0
        if self.keep_over_ms and gap_ms > self.keep_over_ms:
            self.gaps.append((self._last, now, (cpu - self._last_cpu) * 1000.0))
        self.max_gap_ms = max(self.max_gap_ms, gap_ms)
        self.max_busy_ms = max(self.max_busy_ms, (cpu - self._last_cpu) * 1000.0)
        self._last, self._last_cpu = now, cpu

    def stop(self) -> float:
        self._tick()
        self._timer.stop()
        return round(self.max_gap_ms, 1)


class StallTracer:
    """Samples every thread's Python stack; says what ran during a stall (``--trace-stalls``).

    A sampling thread looks at ``sys._current_frames()`` every ``period_ms`` and keeps,
    per thread, the innermost frame and the innermost frame of the project's code.
    Waiting threads (in a lock, a queue, a sleep) are left out.  The sampling takes the
    interpreter lock itself, so the stalls it explains are a little longer than without.
    """

    _IDLE = frozenset({"wait", "get", "sleep", "acquire", "_wait_for_tstate_lock", "select"})

    def __init__(self, period_ms: float = 2.0) -> None:
        import threading

        self._period = period_ms / 1000.0
        self._samples: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._main = threading.get_ident()
        self._thread = threading.Thread(target=self._run, name="stall-tracer", daemon=True)
        self._collecting: dict[int, float] = {}
        self._collections: list[tuple[float, float, str, int]] = []  # start, end, thread, gen

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        import threading

        ident, now = threading.get_ident(), time.perf_counter()
        if phase == "start":
            self._collecting[ident] = now
        elif ident in self._collecting:
            who = "GUI" if ident == self._main else threading.current_thread().name
            start = self._collecting.pop(ident)
            self._collections.append((start, now, who, info["generation"]))

    @staticmethod
    def _where(frame: Any) -> str:
        def short(f: Any) -> str:
            name = f.f_code.co_filename
            for cut in (str(REPO) + os.sep, "site-packages" + os.sep):
                name = name.split(cut)[-1]
            return f"{name}:{f.f_lineno} {f.f_code.co_name}"

        inner, ours = frame, None
        while frame is not None:
            if ours is None and str(REPO) in frame.f_code.co_filename:
                ours = frame
            frame = frame.f_back
        if ours is None or ours is inner:
            return short(inner)
        return f"{short(inner)} < {short(ours)}"

    def _run(self) -> None:
        import threading

        me = threading.get_ident()
        while not self._stop.wait(self._period):
            names = {t.ident: t.name for t in threading.enumerate()}
            now = time.perf_counter()
            for ident, frame in sys._current_frames().items():
                if ident == me or frame.f_code.co_name in self._IDLE:
                    continue
                who = "GUI" if ident == self._main else names.get(ident, "?")
                self._samples.append((now, f"{who}: {self._where(frame)}"))

    def explain(self, gaps: list[tuple[float, float, float]], top: int = 4) -> list[dict]:
        """Return the longest ``gaps``: length, frames most seen, overlapping collections."""
        from collections import Counter

        out = []
        for start, end, busy in sorted(gaps, key=lambda g: g[0] - g[1])[:5]:
            seen = Counter(w for t, w in self._samples if start <= t <= end)
            collections = [
                f"{who}: generation {gen}, {(b - a) * 1000.0:.1f} ms"
                for a, b, who, gen in self._collections
                if a <= end and b >= start and b - a > 0.002
            ]
            out.append(
                {
                    "ms": round((end - start) * 1000.0, 1),
                    "gui_cpu_ms": round(busy, 1),
                    "samples": seen.most_common(top),
                    "garbage_collections": collections,
                }
            )
        return out


def run_until(
    done: Callable[[], bool],
    timeout_s: float,
    milestones: dict[str, Callable[[], bool]] | None = None,
    reached: dict[str, float] | None = None,
) -> bool:
    """Run the event loop until ``done()`` (checked every 10 ms) or the timeout.

    ``reached[name]`` gets the ``perf_counter()`` time at which ``milestones[name]()``
    was first seen true.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    milestones = milestones or {}
    reached = reached if reached is not None else {}

    def check() -> None:
        now = time.perf_counter()
        for name, test in milestones.items():
            if name not in reached and test():
                reached[name] = now
        if done() or now > deadline:
            loop.quit()

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(check)
    timer.start()
    QTimer.singleShot(0, check)
    loop.exec()
    timer.stop()
    return done()


def measure(
    meter: StallMeter,
    actions: list[Callable[[], None]],
    done: Callable[[], bool],
    timeout_s: float = 900.0,
    spacing_ms: int = 0,
    milestones: dict[str, Callable[[], bool]] | None = None,
) -> dict[str, Any]:
    """Run ``actions`` from the event loop (``spacing_ms`` apart) until ``done()``.

    Returns the wall time until done, the longest stall, whether it got done, and the
    time at which each milestone was first reached (``<name>_s``).
    """
    from PySide6.QtCore import QTimer

    meter.start()
    t0 = time.perf_counter()
    for k, action in enumerate(actions):
        QTimer.singleShot(k * spacing_ms, action)
    reached: dict[str, float] = {}
    ok = run_until(done, timeout_s, milestones, reached)
    out: dict[str, Any] = {
        "s": round(time.perf_counter() - t0, 3),
        "max_stall_ms": meter.stop(),
        "max_busy_ms": round(meter.max_busy_ms, 1),
        "done": ok,
    }
    for name, at in reached.items():
        out[f"{name}_s"] = round(at - t0, 3)
    if TRACER is not None:
        out["stalls"] = TRACER.explain(meter.gaps)
    return out


# -- the run ---------------------------------------------------------------------------------


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        )
        return out.stdout.strip()
    except OSError:
        return "?"


def _demo_frame() -> np.ndarray:
    from faceapp import paths
    from faceapp.core.images import load_image
    from faceapp.core.sources import letterbox

    photo = sorted((paths.celebrity_dir() / "val").glob("*/*.jpg"))[0]
    image = letterbox(load_image(photo), (640, 480))
    image.setflags(write=False)
    return image


def _watch_preferences(ctx: Any, qsettings: Any) -> Callable[[], None]:
    """Save preferences as ``faceapp.gui.app.main`` does; return what flushes them."""
    from faceapp.gui.app import save_preferences

    return save_preferences(ctx, qsettings).flush


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the median and the worst of the runs' figures, and the runs themselves."""
    out: dict[str, Any] = {"runs": len(runs), "done": all(r.get("done", True) for r in runs)}
    for key in ("max_stall_ms", "max_busy_ms", "s", "listed_s", "recognisable_s"):
        values = [r[key] for r in runs if key in r]
        if values:
            out[f"{key}_median"] = round(float(np.median(values)), 3)
            out[f"{key}_worst"] = round(max(values), 3)
    out["each"] = runs
    return out


def run(
    people: int,
    thumbs: int,
    load_s: float,
    workdir: Path,
    repeat: int = 1,
    trace_over_ms: float = 0.0,
    idle_s: float = 2.0,
) -> dict[str, Any]:
    from PySide6.QtCore import QSettings

    from faceapp.gui.app import create_application
    from faceapp.gui.context import AppContext
    from faceapp.gui.main_window import MainWindow
    from faceapp.session.window_options import settle_heap
    from faceapp.settings import Settings
    from faceapp.storage.gallery import GalleryStore

    report: dict[str, Any] = {
        "commit": _git_commit(),
        "cpus": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }
    path = workdir / "gallery.sqlite3"
    t0 = time.perf_counter()
    report["gallery"] = build_gallery(path, people, thumbs)
    report["gallery"]["build_s"] = round(time.perf_counter() - t0, 1)

    app = create_application()
    meter = StallMeter()
    meter.keep_over_ms = trace_over_ms
    store = GalleryStore(path)
    frame = _demo_frame()

    # -- open -------------------------------------------------------------------------
    # Building the window is timed on its own (``window_open_s``, with the GUI thread's
    # CPU time): the stall meter cannot tick before there is an event loop, and nothing
    # is on screen to be unresponsive yet.  The open phase's stalls are those of the shown
    # window while the people and the matching index arrive.
    t0, cpu0 = time.perf_counter(), time.thread_time()
    ctx = AppContext(Settings(source="demo", demo_offered=True), store, fake_pipeline())
    ctx.model_state_changed.connect(settle_heap)  # as faceapp.gui.app.main does
    window = MainWindow(ctx, source="demo")
    window.resize(1240, 800)
    window.show()
    app.processEvents()
    report["window_open_s"] = round(time.perf_counter() - t0, 3)
    report["window_open_cpu_ms"] = round((time.thread_time() - cpu0) * 1000.0, 1)
    meter.start()
    window.start()
    panel = window.gallery_panel
    worker = window.worker

    def rows() -> int:
        return panel.people_list.model().rowCount()

    def worker_people() -> int:
        g = worker.loop.gallery_index()  # what recognition matches with now
        return -1 if g is None else len(g)

    reached: dict[str, float] = {}
    ok = run_until(
        lambda: rows() == people and worker_people() == people and ctx.model_state == "ready",
        900.0,
        {"list_filled": lambda: rows() == people, "index_ready": lambda: worker_people() == people},
        reached,
    )
    report["open"] = {
        "list_filled_s": round(reached.get("list_filled", t0 - 1) - t0, 3),
        "index_ready_s": round(reached.get("index_ready", t0 - 1) - t0, 3),
        "max_stall_ms": meter.stop(),
        "max_busy_ms": round(meter.max_busy_ms, 1),
        "done": ok,
    }
    if TRACER is not None:
        report["open"]["stalls"] = TRACER.explain(meter.gaps)

    import faceapp.gui.widgets.gallery_panel as gallery_panel

    face = FakeDetector().detect(frame)[0]
    ini = workdir / "prefs.ini"
    qsettings = QSettings(str(ini), QSettings.Format.IniFormat)
    flush = _watch_preferences(ctx, qsettings)
    runs: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("idle", "enrol", "rename", "scroll", "filter", "filter_clear", "slider")
    }
    queries = ["mar", "lee", "an", "ito", "sven"]
    for round_ in range(repeat):
        n = people + round_  # enrolled so far
        # -- the noise floor: idle_s seconds of nothing (the machine is shared) ------------
        idle = measure(meter, [], lambda: False, timeout_s=idle_s)
        idle["done"] = True
        runs["idle"].append(idle)

        # -- enrol one more person through the capture path ----------------------------
        newcomer = f"Zelda Newcomer {round_ + 1}"
        runs["enrol"].append(
            measure(
                meter,
                [lambda name=newcomer: window.enrolment.enrol_capture(name, frame, face)],
                lambda name=newcomer, n=n: (
                    panel.selected_name() == name and worker_people() == n + 1
                ),
                milestones={
                    "listed": lambda name=newcomer: panel.selected_name() == name,
                    "recognisable": lambda n=n: worker_people() == n + 1,
                },
            )
        )

        # -- rename one person through the gallery panel --------------------------------
        old = person_names(people)[(people // 2 + 997 * round_) % people]
        new = old + " Renamed"
        panel.select(old)
        app.processEvents()
        # The rename dialog answers itself for this phase only: the test suite runs this
        # benchmark inside its own process, and other tests' windows follow.
        asked = gallery_panel.ask_name
        gallery_panel.ask_name = lambda *a, new=new, **k: new  # type: ignore[assignment]
        try:
            seen: list[Any] = [None, False]  # the last snapshot looked at, and the answer

            def recognised_as(name: str, seen: list[Any] = seen) -> bool:
                g = worker.loop.gallery_index()
                if g is not None and g is not seen[0]:  # 100,000 names: look once per snapshot
                    seen[:] = [g, name in g.names]
                return bool(seen[1]) and g is seen[0]

            runs["rename"].append(
                measure(
                    meter,
                    [lambda: panel.rename_button.click()],
                    lambda new=new: panel.selected_name() == new and recognised_as(new),
                    milestones={
                        "listed": lambda new=new: panel.selected_name() == new,
                        "recognisable": lambda new=new: recognised_as(new),
                    },
                )
            )
        finally:
            gallery_panel.ask_name = asked

        # -- scroll the list: 120 positions over the whole range, 16 ms apart -----------
        bar = panel.people_list.verticalScrollBar()
        positions = np.linspace(0, bar.maximum(), 60).round().astype(int).tolist()
        rng = np.random.default_rng(round_)
        positions += rng.integers(0, bar.maximum() + 1, 60).tolist()
        steps = [(lambda v=v, bar=bar: bar.setValue(v)) for v in positions]
        finished: list[bool] = []
        steps.append(lambda finished=finished: finished.append(True))
        runs["scroll"].append(
            measure(meter, steps, lambda finished=finished: bool(finished), spacing_ms=16)
        )

        # -- filter the list by typing a few letters, then clear it -----------------------
        search = getattr(panel, "search_edit", None)
        if search is not None:
            query = queries[round_ % len(queries)]
            expected = sum(query in p.name.casefold() for p in store.people())
            typed = [
                (lambda t=query[: k + 1], search=search: search.setText(t))
                for k in range(len(query))
            ]
            run = measure(
                meter,
                typed,
                lambda e=expected, q=query, search=search: search.text() == q and rows() == e,
                spacing_ms=120,
            )
            run["query"], run["rows"] = query, rows()
            runs["filter"].append(run)
            runs["filter_clear"].append(
                measure(
                    meter,
                    [lambda search=search: search.setText("")],
                    lambda n=n: rows() == n + 1,
                )
            )

        # -- drag the threshold slider over 100 steps ----------------------------------------
        slider = window.threshold_panel.slider
        writes: set[tuple[int, int]] = set()

        def step(v: int, writes: set[tuple[int, int]] = writes) -> None:
            window.threshold_panel.slider.setValue(v)
            if ini.exists():
                st = ini.stat()
                writes.add((st.st_ino, st.st_mtime_ns))

        first = slider.value()
        values = [first - k for k in range(1, 51)] + [first - 50 + k for k in range(1, 51)]
        done_steps: list[bool] = []
        actions = [(lambda v=v: step(v)) for v in values]
        actions.append(lambda done_steps=done_steps: done_steps.append(True))
        run = measure(meter, actions, lambda done_steps=done_steps: bool(done_steps), 900, 10)
        run["steps"] = len(values)
        run["preference_file_writes_during_drag"] = len(writes)
        runs["slider"].append(run)
        flush()

    for phase, phase_runs in runs.items():
        if phase_runs:
            report[phase] = summary(phase_runs)
    if not runs["filter"]:
        report["filter"] = {"supported": False}

    # -- close when ready, then close a second window while its model loads --------------
    t0 = time.perf_counter()
    window.close()
    report["close_when_ready_s"] = round(time.perf_counter() - t0, 3)

    # Closed windows are kept referenced, and Python's cycle collector is run here: a
    # window collected by a worker thread's allocations would be destroyed off the GUI
    # thread (a crash in any PySide program).
    kept: list[Any] = [ctx, window]
    gc.collect()
    closes = []
    for _ in range(repeat):
        ctx2 = AppContext(
            Settings(source="demo", demo_offered=True), GalleryStore(path), fake_pipeline(load_s)
        )
        window2 = MainWindow(ctx2, source="demo")
        window2.show()
        window2.start()
        run_until(lambda: False, CLOSE_AFTER_S)  # the model is now that far into its load
        assert ctx2.model_state == "loading", ctx2.model_state
        t0 = time.perf_counter()
        window2.close()
        closes.append(round(time.perf_counter() - t0, 3))
        kept += [ctx2, window2]
        gc.collect()
        # As faceapp.gui.app.main does before exiting (this does not exist before the fix).
        wait = getattr(window2.worker, "wait_for_model_load", None)
        if wait is not None:
            wait()
    kept.clear()
    report["close_during_load"] = {
        "simulated_load_s": load_s,
        "close_s_median": round(float(np.median(closes)), 3),
        "close_s_worst": max(closes),
        "close_s_each": closes,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--people", type=int, default=100_000)
    p.add_argument("--thumbs", type=int, default=3_000)
    p.add_argument("--load-s", type=float, default=8.0, help="simulated model load, seconds")
    p.add_argument(
        "--idle-s", type=float, default=2.0, help="seconds of the idle phase (the noise floor)"
    )
    p.add_argument(
        "--repeat", type=int, default=1, help="rounds of the interactive phases (median, worst)"
    )
    p.add_argument(
        "--trace-stalls",
        type=float,
        default=0.0,
        metavar="MS",
        help="say what every thread ran during the stalls over MS ms (sampled; off: 0)",
    )
    args = p.parse_args(argv)
    if args.load_s <= CLOSE_AFTER_S:
        p.error(
            f"--load-s must be over {CLOSE_AFTER_S} s: the window closes that far into the load"
        )
    global TRACER
    if args.trace_stalls > 0:
        TRACER = StallTracer()
        TRACER.start()
    try:
        with tempfile.TemporaryDirectory(prefix="faceapp-gui-stall-") as tmp:
            report = run(
                args.people,
                args.thumbs,
                args.load_s,
                Path(tmp),
                args.repeat,
                args.trace_stalls,
                args.idle_s,
            )
    finally:
        if TRACER is not None:
            TRACER.stop()
            TRACER = None
    print(json.dumps(report, indent=2))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
