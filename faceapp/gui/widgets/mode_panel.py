"""ModePanel: recognition (1:K) or verification (1:1) with a large ACCEPT / REJECT verdict."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.liveness import ChallengeState
from faceapp.core.types import FrameResult
from faceapp.gui.context import RECOGNITION, VERIFICATION, AppContext
from faceapp.gui.people import PeopleModel
from faceapp.gui.safe_text import make_plain
from faceapp.session.panel_text import challenge_view, in_view_text
from faceapp.settings import Settings


class ModePanel(QWidget):
    """Chooses recognition or verification and shows the verdict for the face in view.

    Parameters
    ----------
    ctx : AppContext
        Reads and writes ``settings.mode`` and ``settings.claim``; subscribed to
        ``settings_changed``, its people (the claim list, a :class:`PeopleModel`) and
        ``current_result_changed`` (the verdict is about the picture on screen).

    Notes
    -----
    Every text of the panel wraps, so a long verdict makes the panel taller, never
    wider: the side panel keeps its width at every window size.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._result: FrameResult | None = ctx.current_result()
        self._challenge: ChallengeState | None = ctx.challenge_state()
        self.recognition_button = QPushButton("Recognition 1:K")
        self.verification_button = QPushButton("Verification 1:1")
        self._group = QButtonGroup(self)
        for b in (self.recognition_button, self.verification_button):
            b.setCheckable(True)
            b.setObjectName("segment")
            self._group.addButton(b)
        self.recognition_button.setToolTip("Name every face in view (who is this?)")
        self.verification_button.setToolTip("Check one claimed identity (is this X?)")
        self.people_model = PeopleModel(ctx, parent=self)
        self.claim_combo = QComboBox()
        self.claim_combo.setPlaceholderText("Choose a person…")
        self.claim_combo.setAccessibleName("Claimed identity")
        # With many thousands of people: never size the box or its list from every
        # name, and show a scrolling list of a few rows instead of a full-height popup.
        self.claim_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.claim_combo.setMinimumContentsLength(14)
        self.claim_combo.setMaxVisibleItems(15)
        self.claim_combo.setStyleSheet("QComboBox { combobox-popup: 0; }")
        self.claim_combo.setModel(self.people_model)
        view = self.claim_combo.view()
        if isinstance(view, QListView):
            view.setUniformItemSizes(True)
        self.claim_label = QLabel("Is this")
        self.claim_label.setBuddy(self.claim_combo)
        self.verdict_label = QLabel()
        self.verdict_label.setObjectName("verdict")
        self.detail_label = QLabel()
        self.detail_label.setObjectName("hint")
        self.in_view_label = QLabel()
        for label in (self.verdict_label, self.detail_label, self.in_view_label):
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.liveness_box = QCheckBox("Require a head turn (liveness)")
        self.liveness_box.setToolTip(
            "Accept a claim only after the person turns their head left, then right:\n"
            "a photo held up to the camera cannot do that."
        )
        self.challenge_bar = QProgressBar()
        self.challenge_bar.setRange(0, 100)
        self.challenge_bar.setTextVisible(False)
        self.challenge_bar.setMaximumHeight(8)
        self.challenge_bar.setAccessibleName("Liveness challenge progress")
        self.try_again_button = QPushButton("Try again")
        self.try_again_button.setToolTip("Start the head-turn check again")
        make_plain(self.verdict_label, self.detail_label, self.in_view_label)

        segments = QHBoxLayout()
        segments.setSpacing(0)
        segments.addWidget(self.recognition_button)
        segments.addWidget(self.verification_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(segments)
        claim_row = QHBoxLayout()
        claim_row.addWidget(self.claim_label)
        claim_row.addWidget(self.claim_combo, 1)
        layout.addLayout(claim_row)
        layout.addWidget(self.liveness_box)
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.challenge_bar)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.try_again_button)
        layout.addWidget(self.in_view_label)

        self._show_settings(ctx.settings)
        self._group.buttonClicked.connect(self._on_button_clicked)
        self.claim_combo.activated.connect(
            lambda k: ctx.update_settings(claim=self.claim_combo.itemText(k) if k >= 0 else None)
        )
        self.liveness_box.toggled.connect(lambda on: ctx.update_settings(liveness=on))
        self.try_again_button.clicked.connect(ctx.retry_challenge)
        ctx.challenge_changed.connect(self._on_challenge_changed)
        ctx.settings_changed.connect(self._show_settings)
        for signal in (
            self.people_model.modelReset,
            self.people_model.rowsInserted,
            self.people_model.rowsRemoved,
            self.people_model.rowsMoved,
        ):
            signal.connect(self._on_people_changed)
        ctx.current_result_changed.connect(self._on_current_result_changed)

    def _show_claim(self, claim: str | None) -> None:
        row = self.people_model.row_of_name(claim) if claim else -1
        if row != self.claim_combo.currentIndex():
            with QSignalBlocker(self.claim_combo):
                self.claim_combo.setCurrentIndex(row)

    @Slot(object)
    def _show_settings(self, settings: Settings) -> None:
        verifying = settings.mode == VERIFICATION
        self.recognition_button.setChecked(not verifying)
        self.verification_button.setChecked(verifying)
        for w in (
            self.claim_label,
            self.claim_combo,
            self.liveness_box,
            self.verdict_label,
            self.detail_label,
        ):
            w.setVisible(verifying)
        self.in_view_label.setVisible(not verifying)
        if self.liveness_box.isChecked() != settings.liveness:
            with QSignalBlocker(self.liveness_box):
                self.liveness_box.setChecked(settings.liveness)
        self._show_claim(settings.claim)
        self._show_result()

    def _show_result(self) -> None:
        v = self._ctx.verdict()  # the one verdict on display (AppContext.verdict)
        self.verdict_label.setText(v.title)
        if self.verdict_label.property("verdict") != v.state:  # restyling costs: only on change
            self.verdict_label.setProperty("verdict", v.state)
            self.verdict_label.style().unpolish(self.verdict_label)
            self.verdict_label.style().polish(self.verdict_label)
        self.detail_label.setText(v.detail)
        self.in_view_label.setText(in_view_text(self._result))
        c = challenge_view(self._challenge, self._ctx.settings.mode == VERIFICATION)
        self.challenge_bar.setVisible(c.bar)
        self.challenge_bar.setValue(c.percent)
        self.try_again_button.setVisible(c.retry)

    @Slot(object)
    def _on_button_clicked(self, button: QPushButton) -> None:
        mode = VERIFICATION if button is self.verification_button else RECOGNITION
        self._ctx.update_settings(mode=mode)

    @Slot(object)
    def _on_challenge_changed(self, state: ChallengeState | None) -> None:
        self._challenge = state
        self._show_result()

    @Slot()
    def _on_people_changed(self) -> None:
        self._show_claim(self._ctx.settings.claim)
        self._show_result()  # the claim may have been enrolled or removed

    @Slot(object)
    def _on_current_result_changed(self, result: FrameResult | None) -> None:
        self._result = result
        self._show_result()
