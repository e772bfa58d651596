"""MinFaceBox: the smallest face live recognition looks for, in pixels (a user setting)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

from faceapp.gui.context import AppContext
from faceapp.settings import DEFAULT_MIN_FACE_PX, MIN_FACE_PX_RANGE, Settings

TOOLTIP = (
    "Live recognition looks only for faces at least this many pixels high and wide.\n"
    f"{DEFAULT_MIN_FACE_PX} px (the default) is a person about 2.5 m from a laptop camera.\n"
    "Smaller finds people further away but costs more CPU (about 1.5 times the\n"
    "detection work at 20 px); such small faces are named less surely."
)


class MinFaceBox(QWidget):
    """A spin box bound to ``settings.min_face_px``.

    Parameters
    ----------
    ctx : AppContext
        Shows and sets ``settings.min_face_px``; subscribed to ``settings_changed``.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.spin = QSpinBox()
        self.spin.setObjectName("minFacePx")
        self.spin.setRange(*MIN_FACE_PX_RANGE)
        self.spin.setSingleStep(4)
        self.spin.setSuffix(" px")
        self.spin.setAccessibleName("Smallest face in live recognition")
        self.spin.setToolTip(TOOLTIP)
        label = QLabel("Smallest face (live):")
        label.setToolTip(TOOLTIP)
        label.setBuddy(self.spin)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        row.addWidget(self.spin)
        row.addStretch(1)
        self._show(ctx.settings)
        self.spin.valueChanged.connect(lambda px: ctx.update_settings(min_face_px=px))
        ctx.settings_changed.connect(self._show)

    @Slot(object)
    def _show(self, settings: Settings) -> None:
        with QSignalBlocker(self.spin):
            self.spin.setValue(settings.min_face_px)
