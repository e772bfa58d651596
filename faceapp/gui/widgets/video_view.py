"""VideoView: the current frame, scaled to fit, with a box, name and distance per face."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QMenu, QSizePolicy, QWidget

from faceapp.core.matching import Mode
from faceapp.core.types import FaceResult, FrameResult
from faceapp.gui.context import AppContext
from faceapp.gui.face_actions import add_face_entries
from faceapp.gui.images import source_size
from faceapp.session.face_labels import (
    LABEL_PAD,
    box_in_view,
    face_under,
    fitted_rect,
    label_rect,
    model_notice,
)
from faceapp.session.verdict import MATCH, MAYBE, NO_MATCH, PENDING, ShownFace, shown_faces

#: Box and label colour of a face that matched (recognised, or verification accepted).
MATCH_COLOUR = QColor("#2ecc71")
#: Box and label colour of a face that did not match.
NO_MATCH_COLOUR = QColor("#ff5c5c")
#: Box and label colour of a "maybe X?" face (recognition: near someone, not named);
#: its box is dashed, so it reads apart from the yellow of a face not matched yet.
MAYBE_COLOUR = QColor("#ff9f1a")
#: Box colour while the face has not been matched (no embedding).
PENDING_COLOUR = QColor("#f5c542")
#: Matches the grey of the demo's letterbox bars, so they do not show as a second frame.
BACKGROUND = QColor(32, 32, 32)
#: Longest wait, in milliseconds, for a frame's result before the frame is painted alone.
PAINT_WAIT_MS = 12
#: Veil over the last frame while the source is lost (:meth:`VideoView.set_dimmed`).
DIM_COLOUR = QColor(12, 14, 18, 165)


_COLOURS = {
    MATCH: MATCH_COLOUR,
    NO_MATCH: NO_MATCH_COLOUR,
    MAYBE: MAYBE_COLOUR,
    PENDING: PENDING_COLOUR,
}


class VideoView(QWidget):
    """Shows the frames of the running source with the latest recognition results.

    Parameters
    ----------
    ctx : AppContext
        Subscribed to: ``frame_ready`` (the picture), ``current_result_changed`` (the
        overlay), ``model_state_changed`` (a "loading" notice) and
        ``match_settings_changed`` (how labels read).  In verification each box shows
        the context's one verdict (:meth:`AppContext.verdict`) for the face it is
        about, with the verdict's distance.

    Notes
    -----
    The picture keeps its aspect ratio inside the widget, centred on a dark
    background.  The overlay is ``ctx.current_result()``: the newest result while it
    still describes the frame shown (see :meth:`AppContext.current_result`).
    """

    #: Right-click (or double-click) > *Name this face…*: the :class:`FaceResult` chosen.
    name_face_requested = Signal(object)
    #: Right-click > *Add to X…*: the :class:`FaceResult` and the enrolled name X.
    add_face_requested = Signal(object, str)
    #: Right-click > *This is not X*: the :class:`FaceResult` and X's gallery id.
    not_person_requested = Signal(object, int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._image: QImage | None = None
        self._result: FrameResult | None = ctx.current_result()
        self._mode: Mode = ctx.match_settings().mode
        self._placeholder = "Opening the video source…"
        self._dimmed, self._dim_text = False, ""
        self.setObjectName("videoView")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        # A new frame is painted after at most PAINT_WAIT_MS, or at once when its result
        # comes first: one paint per frame rather than one for the frame and one for its
        # result a few milliseconds later (half the painting of live video).
        self._paint_timer = QTimer(self)
        self._paint_timer.setSingleShot(True)
        self._paint_timer.setInterval(PAINT_WAIT_MS)
        self._paint_timer.timeout.connect(self.update)
        ctx.frame_ready.connect(self._on_frame_ready)
        ctx.current_result_changed.connect(self._on_current_result_changed)
        for signal in (ctx.model_state_changed, ctx.match_settings_changed, ctx.challenge_changed):
            signal.connect(self._repaint)  # the arguments are not needed

    # -- state -------------------------------------------------------------------------

    def clear(self, placeholder: str = "Opening the video source…") -> None:
        """Forget the picture (on a source change) and show ``placeholder``."""
        self._image = None
        self._dimmed, self._dim_text = False, ""
        self._placeholder = placeholder
        self.update()

    def set_placeholder(self, text: str) -> None:
        """Set the text shown while there is no picture."""
        self._placeholder = text
        self.update()

    def placeholder(self) -> str:
        """Return the text shown while there is no picture."""
        return self._placeholder

    def set_dimmed(self, dimmed: bool, text: str = "") -> None:
        """Dim the last frame and write ``text`` over it (a lost camera), or stop dimming.

        While dimmed the picture stays as it was and its face boxes are not drawn (no one
        is named from an old frame); :meth:`clear` also ends it.
        """
        text = text if dimmed else ""
        if (dimmed, text) != (self._dimmed, self._dim_text):
            self._dimmed, self._dim_text = dimmed, text
            self.update()

    def is_dimmed(self) -> bool:
        """Return True while the picture is dimmed (:meth:`set_dimmed`)."""
        return self._dimmed

    def dim_text(self) -> str:
        """Return the text written over the dimmed picture (empty when not dimmed)."""
        return self._dim_text

    def image(self) -> QImage | None:
        """Return the picture on screen, or None."""
        return self._image

    def visible_result(self) -> FrameResult | None:
        """Return the result overlaid on the picture, or None."""
        return self._result if self._image is not None else None

    def shown_faces(self) -> tuple[ShownFace, ...]:
        """Return the label and colour kind of each face drawn, in the result's order."""
        result = self.visible_result()
        if result is None:
            return ()
        ctx = self._ctx
        verdict = ctx.verdict() if result is ctx.current_result() else None
        return shown_faces(result, self._mode, ctx.settings.claim, ctx.judgement(), verdict)

    def image_rect(self) -> QRectF:
        """Where the picture is drawn, in widget coordinates (aspect ratio kept)."""
        if self._image is None or self._image.isNull():
            return QRectF()
        return QRectF(*fitted_rect(*source_size(self._image), self.width(), self.height()))

    def _tell_display_size(self) -> None:
        """Let the capture thread scale the frames to where they are shown (device pixels)."""
        if self._image is None or self._image.isNull():
            return
        rect, dpr = self.image_rect(), self.devicePixelRatioF()
        self._ctx.display_size.set(round(rect.width() * dpr), round(rect.height() * dpr))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        """Tell the capture thread the new size of the picture."""
        super().resizeEvent(event)
        self._tell_display_size()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Prefer VGA size."""
        return QSize(640, 480)

    # -- slots ---------------------------------------------------------------------------

    @Slot(QImage, int, float)
    def _on_frame_ready(self, image: QImage, index: int, timestamp: float) -> None:
        shape = None if self._image is None else source_size(self._image)
        self._image = image
        if source_size(image) != shape:
            self._tell_display_size()
        if not self._paint_timer.isActive():
            self._paint_timer.start()

    @Slot(object)
    def _on_current_result_changed(self, result: FrameResult | None) -> None:
        self._result = result
        self._paint_timer.stop()
        self.update()

    def _repaint(self, *_changed: object) -> None:
        """Paint again: the mode, the liveness challenge or the model's state changed."""
        self._mode = self._ctx.match_settings().mode
        self.update()

    # -- naming a face where it is seen ----------------------------------------------------

    def face_box(self, index: int) -> QRectF:
        """Return where face ``index`` of the visible result is drawn (widget pixels)."""
        result, target = self.visible_result(), self.image_rect()
        if result is None or target.isEmpty() or self._image is None:
            return QRectF()
        k = target.width() / source_size(self._image)[0]
        return QRectF(*box_in_view(result.faces[index].face.box, target.getRect(), k))

    def face_at(self, pos: QPointF | QPoint) -> int | None:
        """Return the index of the face whose box holds ``pos`` (the smallest), or None."""
        result = self.visible_result()
        if result is None:
            return None
        boxes = [self.face_box(i).getRect() for i in range(len(result.faces))]
        return face_under(pos.x(), pos.y(), boxes)

    def face_menu(self, index: int) -> QMenu:
        """Return the right-click menu of face ``index`` of the visible result.

        *Name this face…* (a new person), *Add to X…* for the person the face is or may
        be, *Add to* the others enrolled, and on a named face *This is not X* (a "not X"
        correction).  The entries emit this view's signals; the window acts on them.
        """
        result = self.visible_result()
        if result is None or not 0 <= index < len(result.faces):
            raise IndexError(f"no face {index} on show")
        fr = result.faces[index]
        return add_face_entries(
            QMenu(self),
            fr,
            [p.name for p in self._ctx.people()],
            hasattr(self._ctx.store, "add_negative"),
            lambda: self.name_face_requested.emit(fr),
            lambda name: self.add_face_requested.emit(fr, name),
            lambda pid: self.not_person_requested.emit(fr, pid),
            recognition=self._mode == "recognition",
        )

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt API
        """Offer to name the face under the cursor."""
        index = self.face_at(event.pos())
        if index is None:
            super().contextMenuEvent(event)
            return
        self.face_menu(index).exec(event.globalPos())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        """Ask to name the face double-clicked (as *Name this face…*)."""
        result = self.visible_result()
        index = self.face_at(event.position())
        if result is None or index is None:
            super().mouseDoubleClickEvent(event)
            return
        self.name_face_requested.emit(result.faces[index])

    # -- painting --------------------------------------------------------------------

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        """Draw the picture, the face boxes and any notice."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.fillRect(self.rect(), BACKGROUND)
        if self._image is None or self._image.isNull():
            self._paint_placeholder(p)
        else:
            target = self.image_rect()
            image, dpr = self._image, self.devicePixelRatioF()
            if dpr == 1.0 and (image.width(), image.height()) == (
                round(target.width()),
                round(target.height()),
            ):
                # Scaled for this size in the capture thread: a plain copy.
                p.drawImage(QPoint(round(target.x()), round(target.y())), image)
            else:
                p.drawImage(target, image)
            result = self.visible_result()
            if self._dimmed:
                p.fillRect(target, DIM_COLOUR)
            elif result is not None:
                k = target.width() / source_size(image)[0]
                for fr, face in zip(result.faces, self.shown_faces(), strict=True):
                    self._paint_face(p, fr, face, target, k)
        if self._dimmed and self._dim_text:  # in the middle of the view, on a dark pill
            self._paint_pill(p, self._dim_text, 1.5, 24, None, QColor(20, 24, 30, 230), "#f5c542")
        self._paint_model_notice(p)
        p.end()

    def _font(self, points: float, bold: bool = False) -> QFont:
        """Return the view's font at ``points`` points, bold or not."""
        font = QFont(self.font())
        font.setBold(bold)
        font.setPointSizeF(points)
        return font

    def _paint_pill(
        self,
        p: QPainter,
        text: str,
        scale: float,
        pad: int,
        top: float | None,
        fill: QColor,
        ink: str,
    ) -> None:
        """Write ``text`` in bold on a pill, centred across the view, at ``top`` (None: centred).

        The font is the view's, ``scale`` times larger; the pill is ``pad`` pixels
        higher than the text and ``pad`` pixels wider on each side, at most the view's
        width less 20 pixels.
        """
        font = self._font(self.font().pointSizeF() * scale, bold=True)
        p.setFont(font)
        fm = QFontMetricsF(font)
        w = min(fm.horizontalAdvance(text) + 2 * pad, self.width() - 20)
        h = fm.height() + pad
        y = (self.height() - h) / 2 if top is None else top
        rect = QRectF((self.width() - w) / 2, y, w, h)
        path = QPainterPath()
        path.addRoundedRect(rect, h / 2, h / 2)
        p.fillPath(path, fill)
        p.setPen(QColor(ink))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_placeholder(self, p: QPainter) -> None:
        p.setPen(QColor("#8b95a1"))
        p.setFont(self._font(self.font().pointSizeF() * 1.2))
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)

    def _paint_face(
        self, p: QPainter, fr: FaceResult, shown: ShownFace, target: QRectF, k: float
    ) -> None:
        text, colour = shown.text, _COLOURS[shown.kind]
        box = QRectF(*box_in_view(fr.face.box, target.getRect(), k))
        if box.isEmpty():
            return
        pen = QPen(colour, max(2.0, min(box.width(), box.height()) / 60))
        if colour == MAYBE_COLOUR:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(box, 4, 4)

        font = self._font(max(9.0, min(14.0, box.width() / 12)), bold=True)
        p.setFont(font)
        text, label = label_geometry(text, QFontMetricsF(font), box, target)
        path = QPainterPath()
        path.addRoundedRect(label, 4, 4)
        p.fillPath(path, colour)
        p.setPen(QColor("#0b0d10"))
        p.drawText(label, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_model_notice(self, p: QPainter) -> None:
        notice = model_notice(self._ctx.model_state)
        if notice is not None:
            text, failed = notice
            colour = QColor(120, 30, 30, 225) if failed else QColor(20, 24, 30, 215)
            self._paint_pill(p, text, 1.15, 18, 16, colour, "#f0f3f6")


def label_geometry(text: str, fm: QFontMetricsF, box: QRectF, target: QRectF) -> tuple[str, QRectF]:
    """Return a face label's text and rectangle, wholly inside the picture ``target``.

    The label sits above the face box, left-aligned with it (below the box when there is
    no room above) and is moved as little as needed to stay inside the picture; a text
    wider than the picture is cut in the middle with an ellipsis.

    Parameters
    ----------
    text : str
        The label's text.
    fm : QFontMetricsF
        Metrics of the font the label is drawn in.
    box : QRectF
        The face box, in widget pixels.
    target : QRectF
        Where the picture is drawn, in widget pixels.
    """
    room = target.width() - 2 * LABEL_PAD
    if fm.horizontalAdvance(text) > room:
        text = fm.elidedText(text, Qt.TextElideMode.ElideMiddle, room)
    rect = label_rect(fm.horizontalAdvance(text), fm.height(), box.getRect(), target.getRect())
    return text, QRectF(*rect)
