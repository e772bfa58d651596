"""Overlays on the video view with nothing to show: the empty-gallery hint, the no-camera card."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui.context import AppContext
from faceapp.gui.prompts import ask_folder, ask_video
from faceapp.gui.safe_text import hint_label
from faceapp.session.enrol_text import gallery_empty, sentence

log = logging.getLogger(__name__)

#: What the hint says.
EMPTY_GALLERY_HINT = "Gallery is empty — press Capture (Ctrl+E) or Add photos to enrol someone"

#: Distance of the hint from the bottom of the view, in pixels.
BOTTOM_MARGIN = 16


def _fit_width(overlay: QWidget, width: Callable[[QWidget], int]) -> QWidget | None:
    """Give ``overlay`` the width ``width(view)`` and the height its text needs there.

    Returns its view (its parent), or None when it has none; the caller places it.
    """
    view = overlay.parentWidget()
    if view is None:
        return None
    overlay.setFixedWidth(width(view))
    height = overlay.heightForWidth(overlay.width())
    overlay.setFixedHeight(height if height > 0 else overlay.sizeHint().height())
    return view


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
        self._suppressed = False
        view.installEventFilter(self)
        for signal in (ctx.people_reset, ctx.person_updated, ctx.person_removed):
            signal.connect(self._on_people_changed)  # the arguments are not needed
        self._on_people_changed()

    def gallery_is_empty(self) -> bool:
        """Return True once the people list is read and nobody in it has a face sample."""
        return gallery_empty(self._ctx.people_loaded, self._ctx.people_list())

    def set_suppressed(self, suppressed: bool) -> None:
        """Keep the hint hidden while ``suppressed`` (a card with its own advice is up)."""
        self._suppressed = suppressed
        self._on_people_changed()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Keep the hint placed at the bottom of the view when the view is resized."""
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        view = _fit_width(self, lambda v: max(min(v.width() - 2 * BOTTOM_MARGIN, 560), 100))
        if view is not None:
            y = view.height() - self.height() - BOTTOM_MARGIN
            self.move((view.width() - self.width()) // 2, y)

    def _on_people_changed(self, *_changed: object) -> None:
        empty = self.gallery_is_empty() and not self._suppressed
        if empty:
            self._place()
            self.raise_()
        self.setVisible(empty)


#: The no-camera card's title, text and buttons.
NO_CAMERA_TITLE = "No camera found"
NO_CAMERA_TEXT = "Open a video, a photo folder, or add photos. Or look at the demo first."
SHOW_DEMO = "Show the demo"
OPEN_VIDEO = "Open video…"
OPEN_FOLDER = "Open photo folder…"
ADD_PHOTOS = "Add photos…"
RETRY_CAMERA = "Try the camera again"

#: Widest the card gets, in pixels.
CARD_MAX_WIDTH = 520


class NoCameraCard(QFrame):
    """A card in the middle of the video view when the camera cannot be opened at start.

    Instead of an empty picture (or a demo the user did not ask for), it offers what
    can be done without a camera: the demo, a video, a folder of photos, adding
    photos to the gallery, or trying the camera again.  Hidden until :meth:`show_for`;
    the window hides it when another source opens.

    Parameters
    ----------
    view : QWidget
        The widget to overlay (the video view); the card is its child and stays centred.
    open_source : callable
        Called with a source spec (``"demo"``, a video file, a folder, the camera index)
        when the user chose one; the window's ``open_source``.
    add_photos : callable
        Called by *Add photos…* (the gallery's Add photos, which asks for the photos and
        the name).
    """

    def __init__(
        self,
        view: QWidget,
        open_source: Callable[[str], None],
        add_photos: Callable[[], None],
    ) -> None:
        super().__init__(view)
        self.setObjectName("noCameraCard")
        self.setAccessibleName(NO_CAMERA_TITLE)
        self._open_source = open_source
        self._add_photos = add_photos
        self._camera = "0"
        self._retrying = False
        self.title = QLabel(NO_CAMERA_TITLE)
        self.title.setObjectName("heading")
        self.text = hint_label(NO_CAMERA_TEXT)
        self.reason = hint_label()  # plain text: the reason may quote a device
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setSpacing(8)
        for k, (title, slot) in enumerate(
            (
                (SHOW_DEMO, lambda: self._open_source("demo")),
                (OPEN_VIDEO, lambda: self._open_asked(ask_video)),
                (OPEN_FOLDER, lambda: self._open_asked(ask_folder)),
                (ADD_PHOTOS, lambda: self._add_photos()),
            )
        ):
            button = QPushButton(title)
            button.clicked.connect(slot)
            grid.addWidget(button, k // 2, k % 2)
            self.buttons[title] = button
        self.buttons[SHOW_DEMO].setObjectName("primary")
        retry = QPushButton(RETRY_CAMERA)
        retry.setObjectName("linkButton")
        retry.setFlat(True)
        retry.clicked.connect(self._on_retry_clicked)
        self.buttons[RETRY_CAMERA] = retry
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 14)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addSpacing(4)
        layout.addLayout(grid)
        layout.addWidget(retry, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.reason)
        view.installEventFilter(self)
        self.hide()

    def show_for(self, camera: str, reason: str) -> None:
        """Show the card after ``camera`` (an index) could not be opened because of ``reason``."""
        log.info("no camera: showing the %r card (camera %s: %s)", NO_CAMERA_TITLE, camera, reason)
        self._camera = camera
        self.reason.setText(sentence(reason))
        self._place()
        self.raise_()
        self.show()
        if self.window().isActiveWindow():
            self.buttons[SHOW_DEMO].setFocus()

    def take_retry(self) -> bool:
        """Return True once after *Try the camera again*: a new failure shows the card again."""
        retrying, self._retrying = self._retrying, False
        return retrying

    def trigger(self, title: str) -> None:
        """Click the button called ``title`` (KeyError when absent)."""
        self.buttons[title].click()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Keep the card centred on the view when the view is resized."""
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        view = _fit_width(self, lambda v: max(min(v.width() - 32, CARD_MAX_WIDTH), 200))
        if view is not None:
            y = max((view.height() - self.height()) // 2, 0)
            self.move((view.width() - self.width()) // 2, y)

    def _open_asked(self, ask: Callable[[QWidget], str]) -> None:
        """Open the video or folder ``ask`` asks for (nothing when cancelled)."""
        path = ask(self.window())
        if path:
            self._open_source(path)

    @Slot()
    def _on_retry_clicked(self) -> None:
        self._retrying = True
        self._open_source(self._camera)
