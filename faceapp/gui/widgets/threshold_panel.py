"""ThresholdPanel: recognition's stranger rate and what it does with the gallery; the 1:1 slider."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.matching import MAX_THRESHOLD, MIN_THRESHOLD, STRANGER_RATES
from faceapp.gui.context import RECOGNITION, VERIFICATION, AppContext
from faceapp.gui.safe_text import hint_label
from faceapp.gui.widgets.min_face_box import MinFaceBox
from faceapp.session.outlook_text import rate_text
from faceapp.session.threshold_text import (
    STEPS,
    default_text,
    fixed_change,
    reset_change,
    slider_change,
    slider_in_force,
    threshold_view,
)


def _wrapping(label: QLabel, hint: bool = False) -> QLabel:
    """Make ``label`` wrap its words and never ask the side panel for more width."""
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(1)
    if hint:
        label.setObjectName("hint")
    return label


class ThresholdPanel(QWidget):
    """Sets how faces are matched in the current mode.

    In recognition the user chooses how often a stranger may be given someone's name
    (``settings.stranger_rate``), and the panel says what that does with the gallery
    enrolled: the automatic distance follows the number of people.  "Fixed distance"
    pins a distance instead (``settings.threshold``), set with the slider; Reset goes
    back to the automatic rule at the default rate.  In verification the slider sets
    the 1:1 threshold (``settings.verification_threshold``, None meaning the default)
    and says what it does on LFW's pairs.  Lower distances are stricter.

    Parameters
    ----------
    ctx : AppContext
        Subscribed to ``settings_changed`` and ``gallery_index_changed`` (the gallery
        sentence and the automatic distance follow the people enrolled).
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.rate_combo = QComboBox()
        self.rate_combo.setObjectName("strangerRate")
        for rate in STRANGER_RATES:
            self.rate_combo.addItem(rate_text(rate).replace("\u00a0", " "), rate)
        self.rate_combo.setAccessibleName("How often a stranger may be named")
        self.rate_combo.setToolTip(
            "How often a face of somebody never enrolled may be given the name of someone "
            "enrolled.  Stricter leaves more enrolled faces unknown."
        )
        self.rate_label = QLabel("Strangers named:")
        self.outlook_label = _wrapping(QLabel())
        self.outlook_label.setObjectName("galleryOutlook")
        self.fixed_box = QCheckBox("Fixed distance")
        self.fixed_box.setToolTip(
            "Use the slider's distance whatever the size of the gallery (pinned)"
        )
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
        self.meaning_label = _wrapping(QLabel())
        self.far_label = _wrapping(QLabel(), hint=True)
        self.default_label = _wrapping(QLabel(), hint=True)
        self.reset_button = QPushButton("Reset")

        self._rate_row = QWidget()
        rate_row = QHBoxLayout(self._rate_row)
        rate_row.setContentsMargins(0, 0, 0, 0)
        rate_row.addWidget(self.rate_label)
        rate_row.addWidget(self.rate_combo, 1)
        ends = QHBoxLayout()
        stricter, looser = hint_label("◀ stricter", wrap=False), hint_label("looser ▶", wrap=False)
        ends.addWidget(stricter)
        ends.addStretch(1)
        ends.addWidget(self.value_label)
        ends.addStretch(1)
        ends.addWidget(looser)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._rate_row)
        layout.addWidget(self.outlook_label)
        layout.addWidget(self.fixed_box)
        layout.addWidget(self.slider)
        layout.addLayout(ends)
        layout.addWidget(self.meaning_label)
        layout.addWidget(self.far_label)
        row = QHBoxLayout()
        row.addWidget(self.default_label, 1)
        row.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        self.min_face = MinFaceBox(ctx)
        layout.addWidget(self.min_face)

        self._show()
        self.slider.valueChanged.connect(
            lambda steps: ctx.update_settings(**slider_change(ctx.settings.mode, steps))
        )
        self.rate_combo.activated.connect(
            lambda k: ctx.update_settings(stranger_rate=float(self.rate_combo.itemData(k)))
        )
        self.fixed_box.toggled.connect(
            lambda on: ctx.update_settings(**fixed_change(on, ctx.distance_in_force(RECOGNITION)))
        )
        self.reset_button.clicked.connect(
            lambda: ctx.update_settings(**reset_change(ctx.settings.mode))
        )
        # New settings, or a new gallery (the outlook and the automatic distance follow).
        ctx.settings_changed.connect(self._show)
        ctx.gallery_index_changed.connect(self._show)

    def pinned(self) -> bool:
        """Return True when the slider's distance is in force (fixed in recognition, or 1:1)."""
        return self.slider.isEnabled()

    @Slot(object)
    def _show(self, *_changed: object) -> None:
        settings = self._ctx.settings
        mode = settings.mode
        recognition = mode != VERIFICATION
        pinned = settings.threshold_for(mode)
        threshold = self._ctx.distance_in_force(mode)
        for w in (self._rate_row, self.outlook_label, self.fixed_box):
            w.setVisible(recognition)
        with (
            QSignalBlocker(self.slider),
            QSignalBlocker(self.rate_combo),
            QSignalBlocker(self.fixed_box),
        ):
            self.slider.setValue(round(threshold * STEPS))
            self.fixed_box.setChecked(pinned is not None)
            k = self.rate_combo.findData(settings.stranger_rate)
            self.rate_combo.setCurrentIndex(max(k, 0))
        self.slider.setEnabled(slider_in_force(mode, pinned))
        self.rate_combo.setEnabled(pinned is None)
        view = threshold_view(
            mode,
            threshold,
            pinned,
            settings.stranger_rate,
            self._ctx.automatic_distance(),
            self._ctx.gallery_index(),
        )
        self.default_label.setText(default_text(mode))
        self.value_label.setText(view.value)
        self.meaning_label.setText(view.meaning)
        if view.outlook is not None:
            self.outlook_label.setText(view.outlook)
        self.far_label.setVisible(view.far is not None)
        if view.far is not None:
            self.far_label.setText(view.far)
        self.reset_button.setToolTip(view.reset_tip)
        self.reset_button.setEnabled(view.reset_enabled)
