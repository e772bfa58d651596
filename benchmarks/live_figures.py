"""The live benchmark's figures: a run's labels, latency and naming time against a reference."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from benchmarks.live_videos import FPS

#: Boxes of the same face in a run and in the reference overlap at least this much.
SAME_FACE_IOU = 0.3


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _pair(ref: list[list[Any]], run: list[list[Any]]) -> dict[int, int]:
    """Return reference face -> run face, greedily by IoU (at least :data:`SAME_FACE_IOU`)."""
    pairs = sorted(
        ((_iou(a, b), i, j) for i, a in enumerate(ref) for j, b in enumerate(run)), reverse=True
    )
    out: dict[int, int] = {}
    used: set[int] = set()
    for iou, i, j in pairs:
        if iou < SAME_FACE_IOU:
            break
        if i not in out and j not in used:
            out[i] = j
            used.add(j)
    return out


def compare(reference: dict[str, Any], run: dict[str, Any], fps: float = FPS) -> dict[str, Any]:
    """Return the label agreement, latency and naming-time figures of a real-time run.

    The label a run shows at a frame is that of the newest result for a frame at or
    before it (a dropped frame keeps showing the previous result, as the GUI does).
    Faces are paired by box overlap.  A wrong name is a name other than the one the
    reference gives; a name where the reference says "Unknown" (or the reverse) is
    counted apart.  The time to name a face runs from the arrival of the frame where
    it first appears (or, when the reference too names it only later, where the
    reference names it) to the end of the processing of the first frame the run shows
    that name.
    """
    processed = {r["i"]: r for r in run["frames"]}
    arrivals = {int(k): v for k, v in run["arrivals"].items()}
    shown: dict[str, Any] | None = None
    tally: Counter[str] = Counter()
    first_seen: dict[int, int] = {}
    named_at: dict[int, float] = {}
    named_cpu: dict[int, float] = {}
    ref_named: dict[int, int] = {}
    cpu_ms = {r["i"]: r["cpu_ms"] for r in run["frames"] if "cpu_ms" in r}
    for ref in reference["frames"]:
        i = ref["i"]
        shown = processed.get(i, shown)
        run_faces = shown["faces"] if shown is not None else []
        pairs = _pair(ref["faces"], run_faces)
        for k, face in enumerate(ref["faces"]):
            label, track = face[4], face[5]
            tally["face_frames"] += 1
            first_seen.setdefault(track, i)
            if label != "Unknown":
                ref_named.setdefault(track, i)
            j = pairs.get(k)
            if j is None:
                tally["missing"] += 1
                continue
            got = run_faces[j][4]
            if got == label:
                tally["agree"] += 1
                if label != "Unknown" and i in processed and track not in named_at:
                    named_at[track] = processed[i]["done"] - arrivals[first_seen[track]]
                    if i in cpu_ms:
                        named_cpu[track] = (
                            processed[i]["arrival"] - arrivals[first_seen[track]] + cpu_ms[i] / 1e3
                        )
            elif got == "Unknown":
                tally["unknown_for_name"] += 1
            elif label == "Unknown":
                tally["name_for_unknown"] += 1
            else:
                tally["wrong_name"] += 1
        tally["extra"] += len(run_faces) - len(pairs)
    latencies = [1000.0 * (r["done"] - r["arrival"]) for r in run["frames"]]
    # A face the reference itself names only later (a first embedding on the wrong side of
    # the threshold) is timed from the frame the reference names it.
    later = {t for t, f in ref_named.items() if f != first_seen[t]}
    for table in (named_at, named_cpu):
        for t in later & set(table):
            table[t] -= arrivals[ref_named[t]] - arrivals[first_seen[t]]
    names = list(named_at.values())
    known_tracks = {f[5] for r in reference["frames"] for f in r["faces"] if f[4] != "Unknown"}
    n_frames = len(reference["frames"])
    out = {
        "cpu_per_video_second": run["cpu_per_video_second"],
        "peak_rss_mb": run["peak_rss_mb"],
        "tensorflow_imported": run["tensorflow_imported"],
        "machine_load_average": run["load_average"],
        "latency_ms_median": round(float(np.median(latencies)), 1),
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1),
        "frames": n_frames,
        "frames_processed": len(run["frames"]),
        "agreement": round(tally["agree"] / max(tally["face_frames"], 1), 4),
        "face_frames": tally["face_frames"],
        "wrong_names": tally["wrong_name"],
        "name_where_reference_unknown": tally["name_for_unknown"],
        "unknown_where_reference_named": tally["unknown_for_name"],
        "missing": tally["missing"],
        "extra_faces": tally["extra"],
        "faces_to_name": len(known_tracks),
        "faces_named": len(names),
        "faces_the_reference_names_late": len(later),
        "time_to_name_ms_median": round(1000 * float(np.median(names)), 1) if names else None,
        "time_to_name_ms_max": round(1000 * float(np.max(names)), 1) if names else None,
        "work": run["work"],
        "video_seconds": round(n_frames / fps, 2),
    }
    if cpu_ms:
        # Load-independent stand-ins for the wall-clock figures: the process CPU time of a
        # frame bounds its processing time on an idle machine from above.
        cpu = list(cpu_ms.values())
        out["latency_cpu_ms_median"] = round(float(np.median(cpu)), 1)
        out["latency_cpu_ms_p95"] = round(float(np.percentile(cpu, 95)), 1)
        named = list(named_cpu.values())
        out["time_to_name_cpu_ms_max"] = round(1000 * max(named), 1) if named else None
        out["cpu_split_per_video_second"] = run.get("cpu_split_per_video_second")
        out["calls"] = run.get("calls")
    return out
