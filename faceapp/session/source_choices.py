"""The source dialog's choices: camera modes and keys, what a spec is, a tried address (Qt-free)."""

from __future__ import annotations

from pathlib import Path

from faceapp.core.images import IMAGE_SUFFIXES
from faceapp.core.sources import (
    DEFAULT_CAMERA_MODE,
    VIDEO_SUFFIXES,
    CameraMode,
    SourceError,
    network_scheme,
    probe_address,
    redact_source,
)
from faceapp.settings import Settings

#: The sizes and rates offered for a camera: ``(label, mode)``; "auto" leaves the
#: camera as it starts.  A camera without the one asked for gives its nearest.
CAMERA_MODES: tuple[tuple[str, str], ...] = (
    ("1280×720, 30 fps (default)", str(DEFAULT_CAMERA_MODE)),
    ("640×480, 30 fps (less CPU)", str(CameraMode(640, 480, 30.0))),
    ("1920×1080, 30 fps", str(CameraMode(1920, 1080, 30.0))),
    ("1920×1080, 15 fps", str(CameraMode(1920, 1080, 15.0))),
    ("As the camera starts", "auto"),
)

#: The file filter of a video's Open dialog.
VIDEO_FILTER = "Videos ({});;All files (*)".format(" ".join(f"*{s}" for s in VIDEO_SUFFIXES))
#: The file filter of the photos' Open dialog (Add photos…).
PHOTO_FILTER = "Images ({});;All files (*)".format(" ".join(f"*{s}" for s in IMAGE_SUFFIXES))


def camera_key(index: int, name: str | None) -> str:
    """Return what a camera's settings are remembered under: its name, else its index."""
    return name or f"camera {index}"


def camera_mode_of(text: str | None) -> CameraMode | None:
    """Return the mode a remembered choice asks for (None: as the camera starts)."""
    if text is None:
        return DEFAULT_CAMERA_MODE
    return CameraMode.parse(text) if text != "auto" else None


def camera_label(index: int, name: str | None) -> str:
    """Return how a camera is listed: its system name and index, or its index alone."""
    return f"{name} (camera {index})" if name else f"Camera {index}"


def found_cameras(cameras: object) -> list[tuple[int, str | None]]:
    """Return the cameras a probe found as ``(index, name or None)`` (bare indexes taken too).

    Anything but a list (a failed probe) is no camera.
    """
    if not isinstance(cameras, list):
        return []
    return [c if isinstance(c, tuple) else (int(c), None) for c in cameras]


def source_kind(spec: str) -> str:
    """Return which choice a source spec is: demo, camera, network, folder or video."""
    if spec == "demo":
        return "demo"
    if spec.strip().isdigit():
        return "camera"
    if network_scheme(spec) is not None:
        return "network"
    return "folder" if Path(spec).is_dir() else "video"


def try_address(address: str) -> tuple[bool, str]:
    """Open ``address``, read one frame; return ``(ok, one line)`` (blocks: not on the GUI)."""
    try:
        return True, f"Works: {probe_address(address)}."
    except SourceError as exc:
        return False, str(exc)


def tried_text(outcome: object) -> tuple[bool, str]:
    """Return whether an address test worked and its line, marked ✓ or ✗."""
    ok, text = outcome if isinstance(outcome, tuple) else (False, str(outcome))
    return bool(ok), ("✓ " if ok else "✗ ") + str(text)


def remembered_mode(settings: Settings, index: int, name: str | None) -> str:
    """Return the mode remembered for camera ``index`` called ``name`` (default: 1280×720)."""
    mode = settings.camera_mode_for(camera_key(index, name))
    return mode if mode is not None else str(DEFAULT_CAMERA_MODE)


def probing_text(address: str) -> str:
    """Return what is said while an address is tested (its password hidden), or why not."""
    return f"Testing {redact_source(address)}…" if address else "Type the camera's address first."


def probe_failed_text(message: str) -> str:
    """Return the line saying an address test failed: the message's first line, marked ✗."""
    return "✗ " + (message.splitlines() or [""])[0]


def picked_address(typed: str, entry: tuple[str, str] | None) -> str:
    """Return the network address chosen in the address box.

    Parameters
    ----------
    typed : str
        The box's text, as typed or as the entry picked shows it.
    entry : tuple of str, optional
        The remembered entry picked: ``(shown text, real address)``; the shown text
        hides the password.

    Returns
    -------
    str
        The real address when the text still reads as the entry picked, else the text
        typed (stripped).
    """
    if entry is not None and entry[0] == typed:
        return entry[1]
    return typed.strip()


def camera_row(found: list[tuple[int, str | None]], current: int | None) -> int:
    """Return the row of camera ``current`` among those ``found``, or -1 when not found."""
    indices = [i for i, _ in found]
    return indices.index(current) if current in indices else -1


def chosen_spec(kind: str, camera: object, current_camera: int | None, text: str) -> str:
    """Return the source spec of the dialog's choice (what ``open_source`` takes).

    Parameters
    ----------
    kind : str
        The choice checked (:func:`source_kind`'s names).
    camera : object
        The index of the camera listed and picked, or None (none listed yet).
    current_camera : int or None
        The camera of the source running when the dialog opened.
    text : str
        The address, or the path typed, of a network, video or folder choice.
    """
    if kind == "camera":
        return str(camera if camera is not None else current_camera or 0)
    if kind == "demo":
        return "demo"
    return text.strip()
