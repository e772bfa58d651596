"""``faceapp video``: name the faces of a video, optionally writing an annotated copy."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from faceapp.cli.common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    HistoryRecorder,
    UsageError,
    checked_output,
    emit,
    loaded_pipeline,
    open_store,
    stranger_rate_from,
    terminal_line,
    threshold_from,
)
from faceapp.storage.outputs import private_output


def cmd_video(args: argparse.Namespace) -> int:
    """Run the pipeline over a video and optionally write it annotated."""
    from faceapp.core.images import display_name
    from faceapp.core.pipeline import MatchSettings
    from faceapp.core.reconnect import LinkState, LinkStatus
    from faceapp.core.sources import SourceError, VideoCaptureSource, open_source, redact_source
    from faceapp.core.tracking import FaceTracker
    from faceapp.session.history_tap import HistoryTap, unknown_face_embedder
    from faceapp.session.live import CaptureLoop, LiveResult, RecognitionLoop, run_source

    settings = MatchSettings(threshold=threshold_from(args), stranger_rate=stranger_rate_from(args))
    live = live_settings_from(args)
    if args.out is not None:
        _check_video_out(args, args.out, args.input)
    store = open_store(args)
    index = store.index()
    source = open_source(args.input)
    source.open()  # a missing or damaged file fails here, before the model loads
    if live is not None and not isinstance(source, VideoCaptureSource):
        source.close()
        raise UsageError("--min-face applies to video files and cameras only")
    recorder = HistoryRecorder(args, store)
    if Path(args.input).exists():
        where = display_name(args.input)
    else:
        # A camera index, or a network address with any password hidden.
        where = f"camera {args.input}" if str(args.input).isdigit() else redact_source(args.input)
    # The window's live loop, every frame processed (a lossless mailbox, files unpaced):
    # the capture loop reads in a plain thread, recognition runs here.
    source.close()
    out: dict[str, Any] = {"writer": None, "size": None, "error": None}
    frames: list[dict[str, Any]] = []
    named = 0
    # The annotated video goes to a private file beside --out, renamed over it at the end
    # (from the first frame on); stopping a camera with Ctrl-C keeps what was recorded.
    with contextlib.ExitStack() as output:
        try:
            pipeline = loaded_pipeline(args)
            # Follow faces across frames of a real video; a folder holds unrelated photos.
            tracked = isinstance(source, VideoCaptureSource)
            # Every frame through the full detector (not the GUI's live mode); the faces over
            # live mode's score floor or recognised are reported, with --min-face of its size.
            loop = RecognitionLoop(
                pipeline, index, settings, trackers=lambda _mode, _live: FaceTracker(live=live)
            )
            ticket = loop.clear_frames(tracking=tracked)
            tap = HistoryTap(recorder.pending.extend, embed=unknown_face_embedder(pipeline))
            if recorder.active:  # the window's history tap: one event per new appearance
                tap.set_source(ticket, where, still=not tracked)
                loop.add_tap(tap)
            lost = [False]

            def on_link(status: LinkStatus) -> None:
                # A live stream lost: say so once and start afresh (a new ticket: no track
                # and no history event crosses the gap); say when it is back.
                if status.state is LinkState.LOST and not lost[0]:
                    lost[0] = True
                    tap.set_source(loop.clear_frames(tracking=tracked), where, still=not tracked)
                    _say(f"{status.text} ({status.reason})")
                elif status.state is LinkState.LIVE and lost[0]:
                    lost[0] = False
                    _say(f"{where} is back after {status.lost_for_s:.1f} s")

            def show(frame_result: LiveResult) -> None:
                nonlocal named
                if out["error"] is not None:
                    return
                frame, result = frame_result.frame, frame_result.result
                try:
                    named += sum(1 for fr in result.faces if fr.known)
                    frames.append(
                        {
                            "frame": frame.index,
                            "t": round(frame.timestamp, 3),
                            "faces": [f.to_json() for f in result.faces],
                        }
                    )
                    if args.out is not None:
                        _write_frame(args, output, out, source.fps, frame.image, result)
                    if not args.json:
                        labels = ", ".join(fr.label for fr in result.faces) or "no face"
                        print(
                            terminal_line(f"frame {frame.index} t={frame.timestamp:.2f}s: {labels}")
                        )
                except Exception as exc:  # raised below, in this command's own flow
                    out["error"] = exc
                    loop.stop()
                    return
                if args.max_frames is not None and len(frames) >= args.max_frames:
                    loop.stop()

            failures: list[str] = []
            loop.add_tap(show)
            capture = CaptureLoop(
                source,
                lambda frame: loop.submit_frame(frame, wait=True),
                on_failed=failures.append,
                paced=False,
                on_link=on_link,
                give_up_s=args.reconnect_for or None,
                reconnect=args.reconnect_for > 0,
            )
            run_source(capture, loop)
            if out["error"] is not None:
                raise out["error"]
            if failures:  # the source failed while reading (or reopening): as before, an error
                raise SourceError(failures[0])
        finally:
            if out["writer"] is not None:
                out["writer"].release()
            recorded = recorder.flush()  # what was seen is kept, also when interrupted
    doc: dict[str, Any] = {"frames": frames, "out": str(args.out) if args.out else None}
    if recorder.active:
        doc["history_recorded"] = recorded
    emit(args, doc, [f"recorded {recorded} event(s) in the history"] if recorder.active else [])
    return EXIT_OK if named else EXIT_NEGATIVE


def _say(line: str) -> None:
    """Write one line for the user to standard error (standard output may be JSON)."""
    print(terminal_line(f"faceapp: {line}"), file=sys.stderr, flush=True)


def _write_frame(
    args: argparse.Namespace,
    output: contextlib.ExitStack,
    out: dict[str, Any],
    fps: float,
    image: Any,
    result: Any,
) -> None:
    """Write one annotated frame to ``--out``, opening the writer on the first one."""
    from faceapp.core.draw import annotate
    from faceapp.core.sources import letterbox

    if out["writer"] is None:
        out["size"] = (image.shape[1], image.shape[0])
        target = output.enter_context(private_output(args.out, True))
        out["writer"] = _video_writer(target, args.out, fps, out["size"])
    picture = annotate(image, result)
    if (picture.shape[1], picture.shape[0]) != out["size"]:
        picture = letterbox(picture, out["size"])
    out["writer"].write(picture)


def live_settings_from(args: argparse.Namespace) -> Any:
    """Return the every-frame live settings for ``--min-face``, or None without the flag.

    Raises
    ------
    UsageError
        When the size is outside :data:`faceapp.settings.MIN_FACE_PX_RANGE`.
    """
    if args.min_face is None:
        return None
    from dataclasses import replace

    from faceapp.core.live import EVERY_FRAME
    from faceapp.settings import MIN_FACE_PX_RANGE

    low, high = MIN_FACE_PX_RANGE
    if not low <= args.min_face <= high:
        raise UsageError(f"--min-face must be between {low} and {high} pixels, got {args.min_face}")
    return replace(EVERY_FRAME, min_face_px=float(args.min_face))


VIDEO_OUT_SUFFIXES = (".mp4", ".avi")


def _check_video_out(args: argparse.Namespace, out: Path, source_spec: str) -> None:
    """Refuse, before any work, an ``--out`` path that cannot receive the annotated video.

    The rules of every output (:func:`~faceapp.cli.common.checked_output`: no link, no
    FIFO, not the gallery), a video file name, and not the input video itself.
    """
    from faceapp.core.images import display_name

    name = display_name(out)
    if out.suffix.lower() not in VIDEO_OUT_SUFFIXES:
        raise UsageError(f"--out {name}: the file name must end in .mp4 or .avi")
    checked_output(args, out, "--out")
    if out.exists() and Path(source_spec).exists() and os.path.samefile(out, source_spec):
        raise UsageError(f"--out {name}: is the input video; choose another file")


def _video_writer(path: Path, out: Path, fps: float, size: tuple[int, int]) -> Any:
    """Return an OpenCV writer of ``path`` (a temporary name of ``out``, the same suffix)."""
    import cv2

    from faceapp.core.images import display_name
    from faceapp.core.runtime import native_stderr_to_log
    from faceapp.core.sources import quiet_video_backends

    quiet_video_backends()
    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if out.suffix.lower() == ".avi" else "mp4v"))
    with native_stderr_to_log(f"OpenCV creating {out.name}"):
        writer = cv2.VideoWriter(str(path), fourcc, fps, size)
    if not writer.isOpened():
        raise UsageError(f"--out {display_name(out)}: cannot write a video to this file")
    return writer
