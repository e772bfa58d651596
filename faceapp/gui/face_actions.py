"""FaceActions: what a right-click on a face (live view, photo results) does: name, add, "not X"."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QMenu, QWidget

from faceapp.core.sources import Frame
from faceapp.core.types import FaceResult, FrameResult
from faceapp.gui.context import AppContext
from faceapp.gui.dialogs.enrol_dialog import EnrolDialog
from faceapp.gui.loop_worker import CallWorker
from faceapp.session.face_labels import FACE_GONE, PHOTO_GONE, correction_of, face_alone, face_menu
from faceapp.session.naming_corrections import NOT_CORRECTED, Corrections, can_correct

#: ``() -> (Frame, FrameResult) | None``: the newest processed frame (RecognitionWorker's).
Snapshot = Callable[[], tuple[Frame, FrameResult] | None]
#: ``(position) -> (Frame, file name) | None``: a photo of the folder run, as recognised.
PhotoReader = Callable[[int], tuple[Frame, str] | None]


def add_face_entries(
    menu: QMenu,
    fr: FaceResult,
    people: Sequence[str],
    can_correct: bool,
    name: Callable[[], object],
    add: Callable[[str], object],
    not_person: Callable[[int], object],
    recognition: bool = True,
) -> QMenu:
    """Fill ``menu`` with the face menu of ``fr`` (:func:`~faceapp.session.face_labels.face_menu`).

    Parameters
    ----------
    menu : QMenu
    fr : FaceResult
    people : sequence of str
        The names enrolled, in the order shown.
    can_correct : bool
        The gallery stores corrections (``add_negative``).
    name, add, not_person : callable
        Called on *Name this face…*, *Add to* (with the name), *This is not X* (with X's
        gallery id).
    recognition : bool
        The window is in recognition mode (offers *Add to X…* for the face's match).
    """
    calls: dict[str, Callable[..., object]] = {
        "name": lambda _none: name(),
        "add": add,
        "not": not_person,
    }
    submenus: dict[str, QMenu] = {}
    for entry in face_menu(fr, people, can_correct, recognition):
        if entry.separated:
            menu.addSeparator()
        where = menu
        if entry.submenu:
            if entry.submenu not in submenus:
                submenus[entry.submenu] = menu.addMenu(entry.submenu)
            where = submenus[entry.submenu]
        act = where.addAction(entry.text)
        act.triggered.connect(lambda _=False, e=entry: calls[e.action](e.value))
        act.setEnabled(entry.enabled)
        if entry.tip:
            act.setToolTip(entry.tip)
    return menu


class FaceActions(QObject):
    """Carries out the face menu of the live view and of the photo results.

    *Name this face…* and *Add to X…* open the enrolment dialog in single-photo mode
    on the newest processed frame (live view, :meth:`name_face`) or on the photo of a
    results row (:meth:`name_photo_face`, read again through :attr:`photo`), with that
    face alone offered (the others are left out), so the usual quality and
    wrong-person checks and the enrolment job apply.
    *This is not X* embeds the face off the GUI thread and stores a "not X" correction
    (``GalleryStore.add_negative``) in the gallery thread.

    Parameters
    ----------
    ctx : AppContext
    snapshot : callable
        The newest processed ``(Frame, FrameResult)`` or None.
    open_dialog : callable(EnrolDialog)
        Connects and opens an enrolment dialog (the window's).
    parent : QWidget
    """

    def __init__(
        self,
        ctx: AppContext,
        snapshot: Snapshot,
        open_dialog: Callable[[EnrolDialog], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._snapshot = snapshot
        self._open = open_dialog
        self._parent = parent
        self._embedder = CallWorker("faceapp-correction")
        self._embedder.done.connect(self._on_embedded)
        self._embedder.failed.connect(self._on_embed_failed)
        self._corrections = Corrections()
        #: Messages for the status bar: ``(text)``; set by the window.
        self.say: Callable[[str], None] = lambda _text: None
        #: Reads a photo of the folder run (:meth:`PhotoRun.photo_frame`); set by the window.
        self.photo: PhotoReader = lambda _position: None

    def _face_snapshot(self, fr: FaceResult) -> tuple[Frame, FrameResult] | None:
        snap = self._snapshot()
        alone = None if snap is None else face_alone(snap[1], fr.face.box)
        return None if snap is None or alone is None else (snap[0], alone)

    def name_face(self, fr: FaceResult, name: str = "") -> EnrolDialog | None:
        """Open the enrolment dialog on this face alone, the name filled in (or empty)."""
        snap = self._face_snapshot(fr)
        if snap is None:
            self.say(FACE_GONE)
            return None
        return self._enrol(snap, name)

    def name_photo_face(self, position: int, fr: FaceResult, name: str = "") -> EnrolDialog | None:
        """Open the enrolment dialog on a face of photo ``position`` of the folder run."""
        photo = self.photo(position)
        if photo is None:
            self.say(PHOTO_GONE)
            return None
        frame = photo[0]
        return self._enrol((frame, FrameResult(frame.index, frame.timestamp, (fr,))), name)

    @Slot(int, object, int)
    def not_photo_person(self, position: int, fr: FaceResult, person_id: int) -> int | None:
        """Store a face of photo ``position`` as a "not X" correction; returns a ticket."""
        photo = self.photo(position)
        if photo is None:
            self.say(PHOTO_GONE)
            return None
        frame, file = photo
        return self._correct(frame, fr, person_id, file)

    def _enrol(self, snap: tuple[Frame, FrameResult], name: str) -> EnrolDialog:
        dialog = EnrolDialog(self._ctx, lambda: snap, name, self._parent, guided=False)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.retake_button.setEnabled(False)
        dialog.guided_radio.setEnabled(False)  # one frame: guided capture needs several
        dialog.retake_button.setToolTip("The face right-clicked is offered")
        self._open(dialog)
        return dialog

    @Slot(object, int)
    def not_person(self, fr: FaceResult, person_id: int) -> int | None:
        """Store this face as a "not X" correction of ``person_id``; returns a ticket."""
        snap = self._face_snapshot(fr)
        if snap is None:
            self.say(FACE_GONE)
            return None
        frame, result = snap
        return self._correct(frame, result.faces[0], person_id, "live view")

    def _correct(self, frame: Frame, fr: FaceResult, person_id: int, source: str) -> int | None:
        person = self._ctx.person(person_id)
        if person is None or not can_correct(self._ctx.store):
            self.say(NOT_CORRECTED)
            return None
        pipeline = self._ctx.pipeline
        ticket = self._embedder.submit(
            lambda: correction_of(pipeline, frame.image, fr.face), "embedding a face to correct"
        )
        self._corrections.start(ticket, person_id, person.name, source)
        return ticket

    @Slot(int, object)
    def _on_embedded(self, ticket: int, value: tuple[np.ndarray, bytes]) -> None:
        done = self._corrections.embedded(ticket, *value)
        if done is not None:
            job, note = done
            self._ctx.gallery.submit_job(job, write=True, errors=(ValueError, KeyError))
            self.say(note)

    @Slot(int, str)
    def _on_embed_failed(self, ticket: int, message: str) -> None:
        self.say(self._corrections.failed(ticket, message))  # plain text: the status bar

    def stop(self) -> None:
        """Abandon an embedding still running (the window closes)."""
        self._embedder.stop()
