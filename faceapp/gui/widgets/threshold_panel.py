"""ThresholdPanel: the distance threshold slider, its meaning in words and in false accepts."""

from __future__ import annotations

import functools
import logging

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from faceapp.core import matching
from faceapp.core.matching import DEFAULT_THRESHOLD, MAX_THRESHOLD, MIN_THRESHOLD
from faceapp.gui.context import AppContext
from faceapp.settings import Settings

log = logging.getLogger(__name__)

#: Slider steps per unit of distance (the slider moves in steps of 0.01).
STEPS = 100


def describe_threshold(threshold: float) -> str:
    """Return a short sentence saying what ``threshold`` means compared with the default."""
    delta = threshold - DEFAULT_THRESHOLD
    if abs(delta) < 0.005:
        return "Default: the best balance measured on LFW."
    if delta < 0:
        much = "Much stricter" if delta <= -0.25 else "Stricter"
        return f"{much}: fewer false accepts, more faces left unknown."
    much = "Much looser" if delta >= 0.25 else "Looser"
    return f"{much}: more faces named, more false accepts."


@functools.lru_cache(maxsize=256)
def false_accept_text(threshold: float) -> str:
    """Return the false-accept rate on LFW at ``threshold`` as text, when the engine knows it.

    Uses ``faceapp.core.matching.false_accept_rate(threshold) -> float | None`` when the
    engine provides it; otherwise, or when it fails, says it is not measured.
    """
    fn = getattr(matching, "false_accept_rate", None)
    far = None
    if callable(fn):
        try:
            far = fn(threshold)
        except Exception:
            log.debug("false_accept_rate(%s) failed", threshold, exc_info=True)
    if far is None:
        return "False accepts on LFW: not measured."
    far = float(far)
    if far <= 0:
        return "False accepts on LFW: none measured."
    one_in = f"(1\u00a0in\u00a0{max(1, round(1 / far)):,})"  # no break inside "(1 in 214)"
    return f"False accepts on LFW: {far * 100:.2g}\u00a0% {one_in}"


class ThresholdPanel(QWidget):
    """Sets the distance threshold; lower is stricter.

    Parameters
    ----------
    ctx : AppContext
        Reads and writes ``settings.threshold``; subscribed to ``settings_changed``.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("thresholdSlider")
        self.slider.setRange(round(MIN_THRESHOLD * STEPS), round(MAX_THRESHOLD * STEPS))
        self.slider.setSingleStep(1)
        self.slider.setPageStep(10)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(10)
        self.slider.setAccessibleName("Distance threshold")
        self.value_label = QLabel()
        self.value_label.setObjectName("thresholdValue")
        self.meaning_label = QLabel()
        self.meaning_label.setWordWrap(True)
        self.far_label = QLabel()
        self.far_label.setObjectName("hint")
        self.far_label.setWordWrap(True)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip(f"Set the threshold back to {DEFAULT_THRESHOLD:.2f}")

        ends = QHBoxLayout()
        stricter, looser = QLabel("◀ stricter"), QLabel("looser ▶")
        stricter.setObjectName("hint")
        looser.setObjectName("hint")
        ends.addWidget(stricter)
        ends.addStretch(1)
        ends.addWidget(self.value_label)
        ends.addStretch(1)
        ends.addWidget(looser)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider)
        layout.addLayout(ends)
        layout.addWidget(self.meaning_label)
        row = QHBoxLayout()
        row.addWidget(self.far_label, 1)
        row.addWidget(self.reset_button)
        layout.addLayout(row)

        self._show(ctx.settings.threshold)
        self.slider.valueChanged.connect(self._on_value_changed)
        self.reset_button.clicked.connect(self._on_reset_clicked)
        ctx.settings_changed.connect(self._on_settings_changed)

    def threshold(self) -> float:
        """Return the threshold the slider shows."""
        return self.slider.value() / STEPS

    def _show(self, threshold: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(threshold * STEPS))
        self.slider.blockSignals(False)
        self.value_label.setText(f"{threshold:.2f}")
        self.meaning_label.setText(describe_threshold(threshold))
        self.far_label.setText(false_accept_text(round(threshold, 2)))
        self.reset_button.setEnabled(abs(threshold - DEFAULT_THRESHOLD) >= 0.005)

    @Slot(int)
    def _on_value_changed(self, value: int) -> None:
        self._ctx.update_settings(threshold=value / STEPS)

    @Slot()
    def _on_reset_clicked(self) -> None:
        self._ctx.update_settings(threshold=DEFAULT_THRESHOLD)

    @Slot(object)
    def _on_settings_changed(self, settings: Settings) -> None:
        self._show(settings.threshold)
