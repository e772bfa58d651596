"""ThresholdPanel: recognition's stranger rate and what it does with the gallery; the 1:1 slider."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
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

from faceapp.core import matching
from faceapp.core.matching import (
    DEFAULT_STRANGER_RATE,
    DEFAULT_VERIFICATION_FAR,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    STRANGER_RATES,
    GalleryIndex,
    GalleryOutlook,
    default_threshold,
    index_outlook,
)
from faceapp.gui.context import RECOGNITION, VERIFICATION, AppContext
from faceapp.gui.widgets.min_face_box import MinFaceBox
from faceapp.session.outlook_text import gallery_sentence, one_in_n, pinned_sentence, rate_text
from faceapp.settings import Settings

#: Slider steps per unit of distance (the slider moves in steps of 0.01).
STEPS = 100


def describe_threshold(
    threshold: float, mode: str = RECOGNITION, reference: float | None = None
) -> str:
    """Return a short sentence saying what ``threshold`` means compared with a reference.

    The reference is ``mode``'s default (:func:`~faceapp.core.matching.default_threshold`)
    unless given; recognition's pinned distance is compared with the automatic one.
    """
    automatic = reference is not None and mode != VERIFICATION
    delta = threshold - (default_threshold(mode) if reference is None else reference)
    if abs(delta) < 0.00005:
        if automatic:
            return "The automatic distance of today's gallery, kept as the gallery grows."
        if mode == VERIFICATION:
            return "Default for verification: few false accepts, some true faces refused."
        return "Default: the best balance measured on LFW."
    verifying = mode == VERIFICATION
    than = " than automatic" if automatic else ""
    if delta < 0:
        much = "Much stricter" if delta <= -0.25 else "Stricter"
        cost = "more true claims refused" if verifying else "more faces left unknown"
        return f"{much}{than}: fewer false accepts, {cost}."
    much = "Much looser" if delta >= 0.25 else "Looser"
    gain = "more claims accepted" if verifying else "more faces named"
    false = "more false accepts" if verifying else "more strangers given a name"
    return f"{much}{than}: {gain}, {false}."


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
    if mode == VERIFICATION:
        t = default_threshold(mode)
        return (
            f"Verification default: {format_threshold(t)}, about "
            f"{_one_in(DEFAULT_VERIFICATION_FAR)} false accepts on LFW."
        )
    n = one_in_n(DEFAULT_STRANGER_RATE)
    return f"Recognition default: automatic, about 1 stranger in\u00a0{n:,} named."


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

        self._show(ctx.settings)
        self.slider.valueChanged.connect(self._on_value_changed)
        self.rate_combo.activated.connect(self._on_rate_combo_activated)
        self.fixed_box.toggled.connect(self._on_fixed_box_toggled)
        self.reset_button.clicked.connect(self._on_reset_clicked)
        ctx.settings_changed.connect(self._on_settings_changed)
        ctx.gallery_index_changed.connect(self._on_gallery_index_changed)

    def threshold(self) -> float:
        """Return the threshold the slider shows."""
        return self.slider.value() / STEPS

    def pinned(self) -> bool:
        """Return True when the slider's distance is in force (fixed in recognition, or 1:1)."""
        return self.slider.isEnabled()

    def _outlook(self, settings: Settings) -> tuple[GalleryOutlook | None, float]:
        """Return the gallery's outlook at the chosen rate and its samples per person."""
        index: GalleryIndex | None = self._ctx.gallery_index()
        if index is None:
            return None, 1.0
        per_person = index.n_samples / len(index) if len(index) else 1.0
        outlook = index_outlook(index, settings.stranger_rate)
        if not len(index):
            outlook = outlook._replace(people=0)
        return outlook, per_person

    def _show(self, settings: Settings) -> None:
        mode = settings.mode
        recognition = mode != VERIFICATION
        pinned = settings.threshold_for(mode)
        threshold = self._ctx.distance_in_force(mode)
        for w in (self._rate_row, self.outlook_label, self.fixed_box):
            w.setVisible(recognition)
        for w in (self.slider, self.rate_combo, self.fixed_box):
            w.blockSignals(True)
        self.slider.setValue(round(threshold * STEPS))
        self.slider.setEnabled(pinned is not None or not recognition)
        self.fixed_box.setChecked(pinned is not None)
        k = self.rate_combo.findData(settings.stranger_rate)
        self.rate_combo.setCurrentIndex(max(k, 0))
        self.rate_combo.setEnabled(pinned is None)
        for w in (self.slider, self.rate_combo, self.fixed_box):
            w.blockSignals(False)
        self.default_label.setText(default_text(mode))
        self.far_label.setVisible(pinned is not None or not recognition)
        if not recognition:
            self.value_label.setText(format_threshold(threshold))
            self.meaning_label.setText(describe_threshold(threshold, mode))
            self.far_label.setText(false_accept_text(threshold))
            self.reset_button.setToolTip("Use the verification default again")
            self.reset_button.setEnabled(abs(threshold - default_threshold(mode)) >= 0.00005)
            return
        outlook, per_person = self._outlook(settings)
        people = None if outlook is None else outlook.people
        if pinned is None:
            self.value_label.setText(f"{threshold:.2f} automatic")
            self.outlook_label.setText(gallery_sentence(outlook, per_person))
            self.meaning_label.setText(
                f"A face is named within {threshold:.2f} of its nearest person, nearer "
                "when two people look alike."
            )
        else:
            automatic = self._ctx.automatic_distance()
            self.value_label.setText(format_threshold(threshold))
            self.outlook_label.setText(pinned_sentence(people))
            self.meaning_label.setText(
                f"Fixed at {format_threshold(threshold)} — does not follow the gallery. "
                + describe_threshold(threshold, mode, automatic)
            )
            self.far_label.setText(false_accept_text(threshold))
        n = one_in_n(DEFAULT_STRANGER_RATE)
        self.reset_button.setToolTip(f"Use the automatic threshold at 1 stranger in {n:,} again")
        self.reset_button.setEnabled(
            pinned is not None or settings.stranger_rate != DEFAULT_STRANGER_RATE
        )

    @Slot(int)
    def _on_value_changed(self, value: int) -> None:
        mode = self._ctx.settings.mode
        self._ctx.update_settings(**{Settings.threshold_field(mode): value / STEPS})

    @Slot(int)
    def _on_rate_combo_activated(self, index: int) -> None:
        self._ctx.update_settings(stranger_rate=float(self.rate_combo.itemData(index)))

    @Slot(bool)
    def _on_fixed_box_toggled(self, on: bool) -> None:
        # Pinned where the automatic rule stands now, so nothing jumps until it is moved.
        pinned = round(self._ctx.distance_in_force(RECOGNITION) * STEPS) / STEPS if on else None
        self._ctx.update_settings(threshold=pinned)

    @Slot()
    def _on_reset_clicked(self) -> None:
        if self._ctx.settings.mode == VERIFICATION:
            self._ctx.update_settings(verification_threshold=None)
        else:
            self._ctx.update_settings(threshold=None, stranger_rate=DEFAULT_STRANGER_RATE)

    @Slot(object)
    def _on_settings_changed(self, settings: Settings) -> None:
        self._show(settings)

    @Slot(object)
    def _on_gallery_index_changed(self, index: GalleryIndex) -> None:
        self._show(self._ctx.settings)
