"""FaceActions: what the live view's right-click on a face does: name it, add it, "not X"."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QWidget

from faceapp.core.sources import Frame
from faceapp.core.types import Box, FaceResult, FrameResult
from faceapp.gui.context import AppContext
from faceapp.gui.dialogs.enrol_dialog import EnrolDialog
from faceapp.gui.loop_worker import CallWorker
from faceapp.gui.safe_text import html_literal

log = logging.getLogger(__name__)

#: ``() -> (Frame, FrameResult) | None``: the newest processed frame (RecognitionWorker's).
Snapshot = Callable[[], tuple[Frame, FrameResult] | None]


def same_face(faces: tuple[FaceResult, ...], box: Box) -> FaceResult | None:
    """Return the face of ``faces`` whose box overlaps ``box`` most (IoU > 0.3), or None.

    The face right-clicked was drawn from the result on show; the frame enrolled from is
    the newest processed one, a few frames on: its face is the one where the box was.
    """
    best, best_iou = None, 0.3
    for fr in faces:
        b = fr.face.box
        w = min(b.x + b.w, box.x + box.w) - max(b.x, box.x)
        h = min(b.y + b.h, box.y + box.h) - max(b.y, box.y)
        inter = max(w, 0.0) * max(h, 0.0)
        union = b.w * b.h + box.w * box.h - inter
        iou = inter / union if union > 0 else 0.0
        if iou > best_iou:
            best, best_iou = fr, iou
    return best


class FaceActions(QObject):
    """Carries out the live view's face menu (see :meth:`VideoView.face_menu`).

    *Name this face…* and *Add to X…* open the enrolment dialog in single-photo mode
    on the newest processed frame, with that face alone offered (the others are left
    out), so the usual quality and wrong-person checks and the enrolment job apply.
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
        self._corrections: dict[int, tuple[int, str]] = {}
        #: Messages for the status bar: ``(text)``; set by the window.
        self.say: Callable[[str], None] = lambda _text: None

    def _face_snapshot(self, fr: FaceResult) -> tuple[Frame, FrameResult] | None:
        snap = self._snapshot()
        if snap is None:
            return None
        frame, result = snap
        face = same_face(result.faces, fr.face.box)
        if face is None:
            return None
        return frame, FrameResult(result.index, result.timestamp, (face,))

    @Slot(object)
    def name_face(self, fr: FaceResult, name: str = "") -> EnrolDialog | None:
        """Open the enrolment dialog on this face alone, the name filled in (or empty)."""
        snap = self._face_snapshot(fr)
        if snap is None:
            self.say("That face is no longer in view")
            return None
        dialog = EnrolDialog(self._ctx, lambda: snap, name, self._parent, guided=False)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.retake_button.setEnabled(False)
        dialog.guided_radio.setEnabled(False)  # one frame: guided capture needs several
        dialog.retake_button.setToolTip("The face right-clicked is offered")
        self._open(dialog)
        return dialog

    @Slot(object, str)
    def add_face(self, fr: FaceResult, name: str) -> EnrolDialog | None:
        """Open the enrolment dialog on this face with ``name`` filled in."""
        return self.name_face(fr, name)

    @Slot(object, int)
    def not_person(self, fr: FaceResult, person_id: int) -> int | None:
        """Store this face as a "not X" correction of ``person_id``; returns a ticket."""
        store = self._ctx.store
        person = self._ctx.person(person_id)
        snap = self._face_snapshot(fr)
        if snap is None or person is None or not hasattr(store, "add_negative"):
            self.say("That face is no longer in view")
            return None
        frame, result = snap
        face = result.faces[0].face
        pipeline = self._ctx.pipeline

        def embed() -> tuple[np.ndarray, bytes]:
            from faceapp.enrolment import thumbnail_of

            return pipeline.embed(frame.image, [face])[0], thumbnail_of(frame.image, face)

        ticket = self._embedder.submit(embed, "embedding a face to correct")
        self._corrections[ticket] = (person_id, person.name)
        return ticket

    @Slot(int, object)
    def _on_embedded(self, ticket: int, value: tuple[np.ndarray, bytes]) -> None:
        pid, name = self._corrections.pop(ticket, (0, ""))
        if not pid:
            return
        embedding, crop = value

        def job(store: object) -> str:
            store.add_negative(pid, embedding, crop, source="live view")  # type: ignore[attr-defined]
            return name

        self._ctx.run_gallery_job(job, write=True, errors=(ValueError, KeyError))
        self.say(f"Noted: that face is not {name}")

    @Slot(int, str)
    def _on_embed_failed(self, ticket: int, message: str) -> None:
        _, name = self._corrections.pop(ticket, (0, ""))
        self.say(html_literal(f"Not corrected ({name}): {message}"))

    def stop(self) -> None:
        """Abandon an embedding still running (the window closes)."""
        self._embedder.stop()
