"""The main window's actions, menus and toolbar as tables: texts, keys and tool tips."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSpec:
    """One action of the window's menus.

    Attributes
    ----------
    name : str
        The window chrome names the action ``<name>_action``.
    text : str
        The menu entry.
    keys : tuple of str
        Key sequences ("Ctrl+M"), the first the one the menu shows.
    standard : str
        A platform's standard key by its Qt name ("Open", "Quit"), or "".
    tip : str
        The tool tip, or "".
    checkable : bool
        The action toggles (Pause, Full screen).
    """

    name: str
    text: str
    keys: tuple[str, ...] = ()
    standard: str = ""
    tip: str = ""
    checkable: bool = False


#: Every action of the window's menus, in no particular order.
ACTIONS = (
    ActionSpec("source", "Change source…", standard="Open"),
    ActionSpec("demo", "Show the demo"),
    ActionSpec("pause", "Pause", ("Space",), checkable=True),
    ActionSpec("mode", "Switch mode (recognition / verification)", ("Ctrl+M",)),
    ActionSpec("fullscreen", "Full screen", ("F11",), checkable=True),
    ActionSpec("enrol_demo", "Enrol the demo people"),
    ActionSpec("capture", "Capture face…", ("Ctrl+E",)),
    ActionSpec(
        "add_folder",
        "Add people from folder…",
        tip="Enrol everybody in a folder: one sub-folder of photos per person, "
        "or photos named after their person",
    ),
    ActionSpec("prev_photo", "◀ Previous photo", ("PgUp", "Ctrl+Left")),
    ActionSpec("next_photo", "Next photo ▶", ("PgDown", "Ctrl+Right")),
    ActionSpec("photo_results", "Photo results…", ("Ctrl+R",)),
    ActionSpec("calibration", "Calibration…", tip="How well does it separate my people?"),
    ActionSpec("history", "History…", ("Ctrl+H",)),
    ActionSpec(
        "unknown_faces",
        "Unknown faces…",
        ("Ctrl+U",),
        tip="The faces nobody enrolled matched, grouped by person, to name in one go",
    ),
    ActionSpec("quit", "Quit", standard="Quit"),
    ActionSpec("howto", "How to use", standard="HelpContents"),
    ActionSpec("shortcuts", "Keyboard shortcuts"),
    ActionSpec("about", "About faceapp"),
)

#: The menus: a title, then groups of action names with a separator between groups.
MENUS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("&File", (("source", "demo"), ("quit",))),
    (
        "&View",
        (("pause", "mode", "fullscreen", "prev_photo", "next_photo", "photo_results"),),
    ),
    (
        "&Gallery",
        (("capture", "add_folder", "enrol_demo"), ("calibration", "history", "unknown_faces")),
    ),
    ("&Help", (("howto", "shortcuts"), ("about",))),
)

#: The toolbar's actions, left to right (the source's title follows them).
TOOLBAR = ("source", "capture", "pause", "prev_photo", "next_photo", "photo_results")


def menu_order() -> list[str]:
    """Return the names of the menus' actions in menu order (separators left out)."""
    return [name for _title, groups in MENUS for group in groups for name in group]
