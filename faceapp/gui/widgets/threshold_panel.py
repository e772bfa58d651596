"""ThresholdPanel: the current mode's threshold slider, in words, in false accepts, its default."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from faceapp.core import matching
from faceapp.core.matching import (
    DEFAULT_VERIFICATION_FAR,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    default_threshold,
)
from faceapp.gui.context import RECOGNITION, VERIFICATION, AppContext
from faceapp.gui.widgets.min_face_box import MinFaceBox
from faceapp.settings import Settings

#: Slider steps per unit of distance (the slider moves in steps of 0.01).
STEPS = 100


def describe_threshold(threshold: float, mode: str = RECOGNITION) -> str:
    """Return a short sentence saying what ``threshold`` means compared with ``mode``'s default."""
    delta = threshold - default_threshold(mode)
    if abs(delta) < 0.00005:
        if mode == VERIFICATION:
            return "Default for verification: few false accepts, some true faces refused."
        return "Default: the best balance measured on LFW."
    verifying = mode == VERIFICATION
    if delta < 0:
        much = "Much stricter" if delta <= -0.25 else "Stricter"
        cost = "more true claims refused" if verifying else "more faces left unknown"
        return f"{much}: fewer false accepts, {cost}."
    much = "Much looser" if delta >= 0.25 else "Looser"
    gain = "more claims accepted" if verifying else "more faces named"
    return f"{much}: {gain}, more false accepts."


def format_threshold(threshold: float) -> str:
    """Return ``threshold`` with two decimals, or four when it lies between slider steps."""
    if abs(threshold * STEPS - round(threshold * STEPS)) < 1e-6:
        return f"{threshold:.2f}"
    return f"{threshold:.4f}"


def _one_in(far: float) -> str:
    n = 1.0 / far
    if n >= 100:  # two significant figures: "1 in 12,000", not a false "1 in 12,345"
        n = round(n, 1 - len(str(int(n))))
    return f"1\u00a0in\u00a0{max(1, round(n)):,}"  # no break inside "1 in 210"


def _pairs(n: int) -> str:
    return f"{n / 1e6:.1f}\u00a0M" if n >= 1_000_000 else f"{n:,}"


def false_accept_text(threshold: float) -> str:
    """Return what ``threshold`` does on LFW in words: false accepts with their counts.

    Raises
    ------
    faceapp.core.errors.ModelError
        When the LFW table shipped with the engine is missing or damaged.
    """
    point = matching.lfw_operating_point(threshold)
    if point is None:
        return "False accepts on LFW: not measured at this threshold."
    if point.impostor_accepted == 0:
        rate = f"none of {_pairs(point.impostor_pairs)} different-person pairs"
    else:
        counted = (
            f"{point.impostor_accepted:,} of {_pairs(point.impostor_pairs)} different-person pairs"
            if point.measured
            else "interpolated between measured thresholds"
        )
        rate = f"about {_one_in(point.far)} ({counted})"
    return f"False accepts on LFW: {rate}; same person accepted {point.tar * 100:.1f}\u00a0%."


def default_text(mode: str) -> str:
    """Return the default threshold of ``mode`` and why it is the default."""
    t = default_threshold(mode)
    if mode == VERIFICATION:
        return (
            f"Verification default: {format_threshold(t)}, about "
            f"{_one_in(DEFAULT_VERIFICATION_FAR)} false accepts on LFW."
        )
    return f"Recognition default: {format_threshold(t)}, the best accuracy on LFW."


class ThresholdPanel(QWidget):
    """Sets the distance threshold; lower is stricter.

    Parameters
    ----------
    ctx : AppContext
        Shows and sets the threshold of the current mode (``settings.threshold`` in
        recognition, ``settings.verification_threshold`` in verification, None there
        meaning the mode's default); subscribed to ``settings_changed``.
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
        self.default_label = QLabel()
        self.default_label.setObjectName("hint")
        self.default_label.setWordWrap(True)
        self.reset_button = QPushButton("Reset")

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
        layout.addWidget(self.far_label)
        row = QHBoxLayout()
        row.addWidget(self.default_label, 1)
        row.addWidget(self.reset_button)
        layout.addLayout(row)
        self.min_face = MinFaceBox(ctx)
        layout.addWidget(self.min_face)

        self._show(ctx.settings)
        self.slider.valueChanged.connect(self._on_value_changed)
        self.reset_button.clicked.connect(self._on_reset_clicked)
        ctx.settings_changed.connect(self._on_settings_changed)

    def threshold(self) -> float:
        """Return the threshold the slider shows."""
        return self.slider.value() / STEPS

    def _show(self, settings: Settings) -> None:
        mode = settings.mode
        threshold = settings.threshold_for(mode)
        self.slider.blockSignals(True)
        self.slider.setValue(round(threshold * STEPS))
        self.slider.blockSignals(False)
        self.value_label.setText(format_threshold(threshold))
        self.meaning_label.setText(describe_threshold(threshold, mode))
        self.far_label.setText(false_accept_text(threshold))
        self.default_label.setText(default_text(mode))
        self.reset_button.setToolTip(f"Use the {mode} default again")
        self.reset_button.setEnabled(abs(threshold - default_threshold(mode)) >= 0.00005)

    @Slot(int)
    def _on_value_changed(self, value: int) -> None:
        mode = self._ctx.settings.mode
        self._ctx.update_settings(**{Settings.threshold_field(mode): value / STEPS})

    @Slot()
    def _on_reset_clicked(self) -> None:
        mode = self._ctx.settings.mode
        default = None if mode == VERIFICATION else default_threshold(mode)
        self._ctx.update_settings(**{Settings.threshold_field(mode): default})

    @Slot(object)
    def _on_settings_changed(self, settings: Settings) -> None:
        self._show(settings)
