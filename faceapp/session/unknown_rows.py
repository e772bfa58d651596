"""What the Unknown faces dialog says of its groups, its selection and its actions (Qt-free)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from faceapp.session.unknown_faces import (
    Naming,
    NamingRefused,
    group_together,
    ignore_faces,
    name_faces,
    take_out,
)
from faceapp.settings import Settings
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import FaceGroup, local_time

#: What the dialog says when no unknown face is kept.
NO_GROUPS = (
    "No unknown faces are kept. While history is on, faces nobody enrolled "
    "matched are kept here to be named."
)


def group_text(group: FaceGroup) -> str:
    """Return the text of a group in the list: faces, first and last seen, sources."""
    faces = f"{group.count} face{'s' if group.count != 1 else ''}"
    where = ", ".join(PurePath(s).name for s in group.sources[:2])
    if len(group.sources) > 2:
        where += f" and {len(group.sources) - 2} more"
    first, last = local_time(group.first_seen), local_time(group.last_seen)
    seen = first if first == last else f"{first} – {last}"
    return f"{faces} · {where or 'unknown source'}\n{seen}"


def groups_summary(groups: Sequence[FaceGroup], note: str = "") -> str:
    """Return the line under the groups: how many groups and faces, after ``note``."""
    if not groups:
        text = NO_GROUPS
    else:
        n, faces = len(groups), sum(g.count for g in groups)
        text = f"{n} group{'s' if n != 1 else ''}, {faces} faces"
    return f"{note} · {text}" if note else text


def selection_text(chosen: Sequence[FaceGroup], shown: int) -> str:
    """Return what is said of the selected groups above their faces.

    Parameters
    ----------
    chosen : sequence of FaceGroup
        The groups selected.
    shown : int
        How many faces of a lone selected group are shown (the best of them).
    """
    if len(chosen) == 1:
        g = chosen[0]
        sources = ", ".join(g.sources) or "no source recorded"
        text = (
            f"{g.count} faces, first seen {local_time(g.first_seen)}, last seen "
            f"{local_time(g.last_seen)}; in {sources}."
        )
        if g.count > shown:
            text += f" The best {shown} are shown ({g.count - shown} more)."
        return text
    if chosen:
        n = sum(g.count for g in chosen)
        return f"{len(chosen)} groups selected ({n} faces): Merge joins them."
    return ""


@dataclass(frozen=True)
class GroupActions:
    """Which of the Unknown faces dialog's actions the selection allows.

    Attributes
    ----------
    name, add, ignore, merge, take_out : bool
        *Name…* and *Add to…* (one group; *Add to…* needs someone enrolled), *Ignore*
        (any group), *Merge* (two groups or more), *Take out of group* (some, not all,
        of one group's faces).
    add_tip : str
        The tool tip of *Add to…*: what it does, or why it cannot.
    """

    name: bool
    add: bool
    ignore: bool
    merge: bool
    take_out: bool
    add_tip: str


def group_actions(chosen: Sequence[FaceGroup], faces: int, enrolled: bool) -> GroupActions:
    """Return the actions allowed with the groups ``chosen`` and ``faces`` of theirs selected.

    ``enrolled``: somebody is enrolled (to add a group to).
    """
    one = len(chosen) == 1
    tip = (
        "Add the group's best faces to someone enrolled"
        if enrolled
        else "Nobody is enrolled yet: use Name… to enrol a new person"
    )
    take_out = one and 0 < faces < chosen[0].count
    return GroupActions(one, one and enrolled, bool(chosen), len(chosen) >= 2, take_out, tip)


def name_question(faces: int) -> str:
    """Return the question asking the name of a new person for ``faces`` faces."""
    return f"Name of the person in these {faces} faces:" if faces > 1 else "Name of this person:"


def person_question(faces: int) -> str:
    """Return the question asking which enrolled person ``faces`` faces are."""
    return f"These {faces} faces are:" if faces > 1 else "This face is:"


def naming_note(outcome: object) -> str:
    """Return what naming a group did: "Enrolled X: n sample(s) from m faces", or why not."""
    if isinstance(outcome, Naming):
        verb = "Enrolled" if outcome.new else "Added to"
        return f"{verb} {outcome.name}: {outcome.added} sample(s) from {outcome.faces} faces"
    return str(outcome)


@dataclass(frozen=True)
class NamingEnd:
    """What the window shows when a naming job ends.

    Attributes
    ----------
    outcome : object
        What the naming did (for :func:`naming_note`): its :class:`Naming`, or the
        text saying why nothing was enrolled.
    warning : str or None
        The *Not enrolled* box's text, or None when the faces were enrolled.
    refusal : NamingRefused or None
        The checks' refusal, whose box may offer *Enrol anyway*; None otherwise.
    """

    outcome: object
    warning: str | None = None
    refusal: NamingRefused | None = None


def naming_end(name: str, result: object, error: object) -> NamingEnd:
    """Return what to show when naming faces ``name`` ended with ``result`` or ``error``."""
    if error is not None:
        return NamingEnd(f"{name} not enrolled: {error}", f"{name}: {error}")
    if isinstance(result, NamingRefused):
        return NamingEnd(f"{name} not enrolled", f"{name} was not enrolled: {result}.", result)
    return NamingEnd(result)


def action_note(action: str, result: object) -> str:
    """Return what an action on the groups did ("Ignore: 3 face(s)")."""
    return f"{action.capitalize()}: {result} face(s)"


#: The actions on the groups, named as their notes start.
IGNORE, MERGE, TAKE_OUT = "ignore", "merge", "taken out"


def group_job(
    action: str, chosen: Sequence[FaceGroup], faces: Sequence[int]
) -> Callable[[GalleryStore], int] | None:
    """Return the gallery job of an action on the selection, or None when it allows none.

    Parameters
    ----------
    action : str
        :data:`IGNORE` forgets every face of the groups chosen; :data:`MERGE` joins two
        groups or more into one; :data:`TAKE_OUT` makes the faces selected in the one
        group shown a group of their own (the rest of it stays together).
    chosen : sequence of FaceGroup
        The groups selected.
    faces : sequence of int
        The event ids of the faces selected in the group shown.
    """
    ids = tuple(i for g in chosen for i in g.event_ids)
    if action == IGNORE and ids:
        return lambda store: ignore_faces(store, ids)
    if action == MERGE and len(chosen) >= 2:
        return lambda store: group_together(store, ids)
    if action == TAKE_OUT and len(chosen) == 1 and faces:
        picked = tuple(faces)
        return lambda store: take_out(store, ids, picked)
    if action not in (IGNORE, MERGE, TAKE_OUT):
        raise ValueError(f"not an action on unknown faces: {action!r}")
    return None


def action_end(action: str, result: object, error: object) -> tuple[str, str]:
    """Return the note of an action on the groups that ended, and its failure ("" if none)."""
    if error is not None:
        return "", f"Not done: {error}"
    return action_note(action, result), ""


def group_tip(group: FaceGroup) -> str:
    """Return a group's tooltip: where its faces were seen, one source a line."""
    return "\n".join(group.sources) or "no source recorded"


def naming_job(
    event_ids: Sequence[int], name: str, new: bool, settings: Settings, force: bool = False
) -> Callable[[GalleryStore], Naming | NamingRefused]:
    """Return the gallery job that names these faces, its refusal returned, not raised.

    Parameters
    ----------
    event_ids : sequence of int
        The unknown faces (a group, or one History row).
    name : str
        A new person's name (``new``) or an enrolled person's.
    new : bool
        Enrol a new person or add to an enrolled one.
    settings : Settings
        Recognition's threshold and stranger rate, for the wrong-person check.
    force : bool
        Enrol even when the checks refuse (*Enrol anyway*).
    """
    ids = tuple(int(i) for i in event_ids)
    threshold, rate = settings.threshold, settings.stranger_rate

    def job(store: GalleryStore) -> Naming | NamingRefused:
        try:
            return name_faces(store, ids, name, new, threshold, rate, force)
        except NamingRefused as refusal:  # shown to the user, with "enrol anyway"
            return refusal

    return job
