"""EmptyGalleryHint: a quiet line over the video saying how to enrol, while nobody is enrolled."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtWidgets import QLabel, QWidget

from faceapp.gui.context import AppContext
from faceapp.storage.gallery import Person

#: What the hint says.
EMPTY_GALLERY_HINT = "Gallery is empty — press Capture (Ctrl+E) or Add photos to enrol someone"

#: Distance of the hint from the bottom of the view, in pixels.
BOTTOM_MARGIN = 16


class EmptyGalleryHint(QLabel):
    """Shown at the bottom of ``view`` whenever the gallery has nobody with a sample.

    Unlike the one-time offer to enrol the demo people, it comes back every time the
    gallery becomes empty again, and goes as soon as someone is enrolled.  It lets
    mouse clicks through to the view.

    Parameters
    ----------
    ctx : AppContext
        Followed through ``people_reset``, ``person_updated`` and ``person_removed``;
        nothing shows before the people list was read.
    view : QWidget
        The widget to overlay (the video view); the hint is its child and follows its
        size.
    """

    def __init__(self, ctx: AppContext, view: QWidget) -> None:
        super().__init__(EMPTY_GALLERY_HINT, view)
        self._ctx = ctx
        self.setObjectName("emptyGalleryHint")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAccessibleName("Gallery is empty")
        view.installEventFilter(self)
        ctx.people_reset.connect(self._on_people_changed)
        ctx.person_updated.connect(self._on_person_updated)
        ctx.person_removed.connect(self._on_person_removed)
        self._on_people_changed()

    def gallery_is_empty(self) -> bool:
        """Return True once the people list is read and nobody in it has a face sample."""
        if not self._ctx.people_loaded:
            return False
        return not any(p.n_samples for p in self._ctx.people_list())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Keep the hint placed at the bottom of the view when the view is resized."""
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        view = self.parentWidget()
        if view is None:
            return
        width = min(view.width() - 2 * BOTTOM_MARGIN, 560)
        self.setFixedWidth(max(width, 100))
        height = self.heightForWidth(self.width())
        self.setFixedHeight(height if height > 0 else self.sizeHint().height())
        self.move((view.width() - self.width()) // 2, view.height() - self.height() - BOTTOM_MARGIN)

    @Slot()
    def _on_people_changed(self) -> None:
        empty = self.gallery_is_empty()
        if empty:
            self._place()
            self.raise_()
        self.setVisible(empty)

    @Slot(object, object)
    def _on_person_updated(self, before: Person | None, after: Person) -> None:
        self._on_people_changed()

    @Slot(object)
    def _on_person_removed(self, person: Person) -> None:
        self._on_people_changed()
