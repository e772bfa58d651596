"""The window's work on unknown faces: their groups read with crops, named, ignored, merged."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from faceapp.core.matching import DEFAULT_STRANGER_RATE
from faceapp.storage.gallery import GalleryStore, normalise_name
from faceapp.storage.history import (
    MAX_GROUP_SAMPLES,
    FaceGroup,
    History,
    best_faces,
    group_faces,
    plan_enrolment,
)

#: Most faces of a group whose crops are read for show (its best faces first).
SHOWN_FACES = 24
#: Most groups whose crops are read (the largest and most recent first).
SHOWN_GROUPS = 300


@dataclass(frozen=True)
class UnknownGroups:
    """The unknown faces grouped by person, with the crops to show them by.

    Parameters
    ----------
    groups : tuple of FaceGroup
        Largest and most recently seen first (:func:`~faceapp.storage.history.group_faces`).
    crops : mapping
        ``{event id: crop}`` for up to :data:`SHOWN_FACES` faces of each of the first
        :data:`SHOWN_GROUPS` groups, as the ``decode`` of :func:`load_groups` made them
        (the JPEG bytes without one).
    """

    groups: tuple[FaceGroup, ...]
    crops: Mapping[int, Any] = field(default_factory=dict, repr=False)

    def shown_faces(self, group: FaceGroup) -> list[int]:
        """Return the event ids of a group's faces in the order shown: best faces first."""
        best = [f.event_id for f in best_faces(group, allow_poor=True)]
        rest = [i for i in reversed(group.event_ids) if i not in best]  # then the newest
        return (best + rest)[:SHOWN_FACES]

    def cover(self, group: FaceGroup) -> Any | None:
        """Return the crop a group is listed by (its first face shown), or None without one."""
        shown = self.shown_faces(group)
        return self.crops.get(shown[0]) if shown else None


def load_groups(store: GalleryStore, decode: Callable[[bytes], Any] | None = None) -> UnknownGroups:
    """Read the unknown faces of ``store``'s history and group them (blocking, ~1 s per 10k faces).

    Parameters
    ----------
    store : GalleryStore
    decode : callable(bytes) -> object, optional
        Turns each crop's JPEG bytes into what is shown (the window's ``QImage``), in
        the calling thread.

    Raises
    ------
    GalleryError, OSError
        When the gallery cannot be read.
    """
    history = History(store)
    groups = tuple(group_faces(history.unknown_faces()))
    result = UnknownGroups(groups)
    ids = [i for g in groups[:SHOWN_GROUPS] for i in result.shown_faces(g)]
    crops = history.crops(ids)
    if decode is not None:
        crops = {i: decode(c) for i, c in crops.items()}
    return UnknownGroups(groups, crops)


class NamingRefused(ValueError):
    """A group was not named: one sentence for users, and whether enrolling anyway may help.

    Parameters
    ----------
    message : str
    forcible : bool
        True when the refusal is a check that enrolling anyway (``force``) overrides.
    reason : str
        Which check refused, for callers that word it their own way (the CLI):
        ``"enrolled"`` (a new name taken), ``"nobody"`` (nobody of that name),
        ``"gone"`` (the faces left the unknown faces), ``"quality"`` (no face good
        enough) or ``"check"`` (the wrong-person check).
    """

    def __init__(self, message: str, forcible: bool = False, reason: str = "check") -> None:
        super().__init__(message)
        self.forcible = forcible
        self.reason = reason


@dataclass(frozen=True)
class Naming:
    """A group of unknown faces named: who, and how many samples it gave.

    Parameters
    ----------
    name : str
        The person, as stored.
    new : bool
        True when the person was enrolled by this naming.
    added : int
        Samples added (the group's best faces).
    faces : int
        The group's faces, all taken out of the unknown faces.
    warnings : tuple of str
        The checks that failed and were overridden (``force``).
    event_ids : tuple of int
        The events the samples were enrolled from.
    checks : tuple of dict
        The wrong-person check of each sample (its ``as_dict`` with ``event_id`` and
        ``forced``: True when it failed and was overridden).
    """

    name: str
    new: bool
    added: int
    faces: int
    warnings: tuple[str, ...] = ()
    event_ids: tuple[int, ...] = ()
    checks: tuple[dict[str, Any], ...] = ()


def name_faces(
    store: GalleryStore,
    event_ids: Iterable[int],
    name: str,
    new: bool,
    threshold: float | None = None,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
    force: bool = False,
    samples: int = MAX_GROUP_SAMPLES,
) -> Naming:
    """Enrol unknown faces under ``name`` from their best samples; they leave the unknown faces.

    The faces are taken as one group (:func:`~faceapp.storage.history.plan_enrolment`:
    at most ``samples`` of its best faces, each checked for quality and against the
    gallery).  The window's *Name…* / *Add to…* and ``faceapp unknown name|add`` both
    come here.  Blocking: run it in the gallery thread.

    Parameters
    ----------
    store : GalleryStore
    event_ids : iterable of int
        Events of unknown faces kept with their embedding (a group, or one History row).
    name : str
        A new person's name (``new``) or an enrolled person's.
    new : bool
        Enrol a new person (refused when ``name`` is enrolled) or add to an enrolled one.
    threshold, stranger_rate
        Recognition's settings, for the wrong-person check.
    force : bool
        Enrol even when the checks refuse (faces of poor quality included).
    samples : int
        Most samples enrolled from the faces.

    Raises
    ------
    NamingRefused
        Saying why nothing was enrolled.
    ValueError, KeyError
        On an invalid name (the gallery's own message).
    """
    name = normalise_name(name)
    person = store.find_person(name)
    if new and person is not None:
        raise NamingRefused(
            f"{name} is enrolled already: use Add to… to add these faces to them",
            reason="enrolled",
        )
    if not new and person is None:
        raise NamingRefused(f"nobody called {name} is enrolled", reason="nobody")
    wanted = {int(i) for i in event_ids}
    history = History(store)
    faces = tuple(f for f in history.unknown_faces() if f.event_id in wanted)
    if not faces:
        raise NamingRefused("these faces are no longer among the unknown faces", reason="gone")
    group = FaceGroup(min(f.event_id for f in faces), faces)
    plan = plan_enrolment(
        group, store.index(), name, threshold, stranger_rate, n=samples, allow_poor=force
    )
    if not plan.faces:
        raise NamingRefused(
            "no face of the group passes the quality checks (size, sharpness, pose)",
            forcible=True,
            reason="quality",
        )
    refused = plan.refused
    if refused and not force:
        more = f" (and {len(refused) - 1} more face(s))" if len(refused) > 1 else ""
        raise NamingRefused(f"{refused[0].message}{more}", forcible=True)
    crops = history.crops(f.event_id for f in plan.faces)
    items = [
        (
            f.embedding,
            crops.get(f.event_id),
            f"unknown faces: history event {f.event_id}",
            f.quality,
        )
        for f in plan.faces
    ]
    store.add_samples(name, items, create=new)
    history.forget_faces(group.event_ids, keep_crops=True)
    checks = tuple(
        dict(v.as_dict(), event_id=f.event_id, forced=not v.ok)
        for f, v in zip(plan.faces, plan.verdicts, strict=True)
    )
    return Naming(
        name,
        new,
        len(items),
        group.count,
        tuple(v.message for v in refused),
        tuple(f.event_id for f in plan.faces),
        checks,
    )


def ignore_faces(store: GalleryStore, event_ids: Iterable[int]) -> int:
    """Forget unknown faces (their embeddings and crops); return how many."""
    return History(store).forget_faces(event_ids)


def group_together(store: GalleryStore, event_ids: Iterable[int]) -> int:
    """Put unknown faces in one group of their own (merge groups, take a face out)."""
    return History(store).new_face_group(event_ids)


def take_out(store: GalleryStore, group: Iterable[int], faces: Iterable[int]) -> int:
    """Take ``faces`` out of the group of ``group``'s faces: two groups of their own.

    The rest of the group stays one group (as the user saw it) rather than being grouped
    again without them.  Returns the number of faces taken out.
    """
    taken = {int(i) for i in faces}
    rest = [int(i) for i in group if int(i) not in taken]
    history = History(store)
    if rest:
        history.new_face_group(rest)
    return history.new_face_group(taken)
