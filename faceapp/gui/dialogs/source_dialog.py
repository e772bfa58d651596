"""SourceDialog: choose a camera, a network camera, a video file, a folder or the demo."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.sources import list_cameras, redact_source
from faceapp.gui.loop_worker import CallWorker
from faceapp.gui.prompts import ask_folder, ask_video
from faceapp.session.source_choices import (
    CAMERA_MODES,
    camera_key,
    camera_label,
    camera_row,
    chosen_spec,
    found_cameras,
    picked_address,
    probe_failed_text,
    probing_text,
    remembered_mode,
    source_kind,
    tried_text,
    try_address,
)
from faceapp.settings import Settings


class SourceDialog(QDialog):
    """Lets the user pick where frames come from; :meth:`spec` is the choice.

    Cameras are listed by the name the system gives them (Linux:
    ``/sys/class/video4linux/videoN/name``) with a size and frame rate, 1280×720 at 30 fps
    unless chosen otherwise for that camera.  A network camera's address is typed or
    taken from the last ones used (shown with the password hidden, the real address
    kept); *Test* opens it and reads one frame off the GUI thread.

    Parameters
    ----------
    current : str
        The current source spec, pre-selected.
    settings : Settings, optional
        The remembered addresses and camera modes.
    """

    def __init__(
        self,
        current: str = "demo",
        parent: QWidget | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings or Settings()
        self.setWindowTitle("Choose the video source")
        self.camera_radio = QRadioButton("Camera")
        self.network_radio = QRadioButton("Network camera…")
        self.video_radio = QRadioButton("Video file")
        self.folder_radio = QRadioButton("Folder of images")
        self.demo_radio = QRadioButton("Demo (sample photos of five people)")
        self._group = QButtonGroup(self)
        #: The choices' radio buttons, by :func:`~faceapp.session.source_choices.source_kind`.
        self._radios = {
            "camera": self.camera_radio,
            "network": self.network_radio,
            "video": self.video_radio,
            "folder": self.folder_radio,
            "demo": self.demo_radio,
        }
        for r in self._radios.values():
            self._group.addButton(r)
        self.camera_combo = QComboBox()
        self.camera_combo.addItem("Looking for cameras…")
        self.camera_combo.setEnabled(False)
        self.mode_combo = QComboBox()
        for label, mode in CAMERA_MODES:
            self.mode_combo.addItem(label, mode)
        self.address_combo = QComboBox()
        self.address_combo.setEditable(True)
        self.address_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.address_combo.lineEdit().setPlaceholderText("rtsp://user:password@camera/stream")
        for address in self._settings.recent():
            self.address_combo.addItem(redact_source(address), address)
        self.address_combo.setCurrentIndex(-1)
        self.test_button = QPushButton("Test")
        self.test_label = QLabel("")
        self.test_label.setWordWrap(True)
        self.test_label.setObjectName("sourceTestResult")
        self.video_edit = QLineEdit()
        self.folder_edit = QLineEdit()
        grid = QGridLayout()
        grid.addWidget(self.camera_radio, 0, 0)
        grid.addWidget(self.camera_combo, 0, 1)
        grid.addWidget(self.mode_combo, 0, 2)
        grid.addWidget(self.network_radio, 1, 0)
        grid.addWidget(self.address_combo, 1, 1)
        grid.addWidget(self.test_button, 1, 2)
        grid.addWidget(self.test_label, 2, 1, 1, 2)
        self._path_row(grid, 3, self.video_radio, self.video_edit, "Path of a video file")
        self._path_row(grid, 4, self.folder_radio, self.folder_edit, "Path of a folder of photos")
        grid.addWidget(self.demo_radio, 5, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(box)
        self.setMinimumWidth(620)
        self._cameras: list[tuple[int, str | None]] = []
        self._test_ticket = 0

        self._preselect(current)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.address_combo.lineEdit().textEdited.connect(self._on_address_edited)
        self.address_combo.activated.connect(lambda _: self.network_radio.setChecked(True))
        self.camera_combo.currentIndexChanged.connect(self._on_camera_changed)
        # Opening devices can take a second each: the cameras are listed off the GUI thread;
        # so is a Test of an address, which may take the open timeout (4 s) to fail.
        self._probe = CallWorker("faceapp-camera-probe")
        self._probe.done.connect(self._on_probe_done)  # slots of self: queued to this thread
        self._probe.failed.connect(self._on_probe_failed)
        self._probe.submit(list_cameras, "listing the cameras")
        self._tester = CallWorker("faceapp-address-test")
        self._tester.done.connect(self._on_test_done)
        self._tester.failed.connect(self._on_test_failed)
        self.finished.connect(self._on_finished)

    def _path_row(
        self, grid: QGridLayout, row: int, radio: QRadioButton, edit: QLineEdit, hint: str
    ) -> None:
        """Lay out the choice of a path: ``radio``, ``edit`` (showing ``hint``), *Browse…*.

        Typing in ``edit``, or a path browsed to, checks ``radio``.
        """
        edit.setPlaceholderText(hint)
        browse = QPushButton("Browse…")
        grid.addWidget(radio, row, 0)
        grid.addWidget(edit, row, 1)
        grid.addWidget(browse, row, 2)
        edit.textEdited.connect(lambda _: radio.setChecked(True))
        browse.clicked.connect(lambda: self._browse(edit, radio))

    def _preselect(self, current: str) -> None:
        kind = source_kind(current)
        self._current_camera = int(current) if kind == "camera" else None
        self._radios[kind].setChecked(True)
        if kind == "network":
            self._select_address(current)
        elif kind in ("folder", "video"):
            (self.folder_edit if kind == "folder" else self.video_edit).setText(current)

    def _select_address(self, address: str) -> None:
        """Show ``address`` in the address box: a remembered one by its redacted entry."""
        combo = self.address_combo
        i = combo.findData(address)
        if i < 0:
            combo.insertItem(0, redact_source(address), address)
            i = 0
        combo.setCurrentIndex(i)

    def address(self) -> str:
        """Return the network camera's address as typed, or the remembered one picked."""
        combo, i = self.address_combo, self.address_combo.currentIndex()
        entry = (combo.itemText(i), str(combo.itemData(i))) if i >= 0 else None
        return picked_address(combo.currentText(), entry)

    def spec(self) -> str:
        """Return the chosen source as :func:`faceapp.core.sources.open_source` takes it."""
        kind = next((k for k, radio in self._radios.items() if radio.isChecked()), "demo")
        texts = {"network": self.address, "video": self.video_edit.text}
        text = texts.get(kind, self.folder_edit.text)()
        return chosen_spec(kind, self.camera_combo.currentData(), self._current_camera, text)

    def camera_choice(self) -> tuple[str, str] | None:
        """Return ``(camera key, mode)`` when a listed camera is chosen, else None.

        The key is :func:`camera_key`; the mode is ``"1280x720@30"`` or ``"auto"``.
        """
        if not self.camera_radio.isChecked() or self.camera_combo.currentData() is None:
            return None
        index = int(self.camera_combo.currentData())
        name = dict(self._cameras).get(index)
        return camera_key(index, name), str(self.mode_combo.currentData())

    @Slot(int, object)
    def _on_probe_done(self, _ticket: int, cameras: object) -> None:
        self._on_found(found_cameras(cameras))

    @Slot(int, str)
    def _on_probe_failed(self, _ticket: int, _message: str) -> None:
        self._on_found([])

    @Slot(int)
    def _on_finished(self, _result: int) -> None:
        self._probe.stop()
        self._tester.stop()

    def _on_found(self, found: list[tuple[int, str | None]]) -> None:
        """List the cameras found: ``(index, name or None)`` each."""
        self._cameras = found
        self.camera_combo.clear()
        for i, name in found:
            self.camera_combo.addItem(camera_label(i, name), i)
        if not found:
            self.camera_combo.addItem("No camera found")
            if self.camera_radio.isChecked():
                self.demo_radio.setChecked(True)
        self.camera_combo.setEnabled(bool(found))
        self.camera_radio.setEnabled(bool(found))
        self.mode_combo.setEnabled(bool(found))
        row = camera_row(found, self._current_camera)
        if row >= 0:
            self.camera_combo.setCurrentIndex(row)
        self._on_camera_changed()

    @Slot()
    def _on_camera_changed(self) -> None:
        """Show the size and rate remembered for the camera chosen (default: 1280×720)."""
        data = self.camera_combo.currentData()
        if data is None:
            return
        mode = remembered_mode(self._settings, int(data), dict(self._cameras).get(int(data)))
        self.mode_combo.setCurrentIndex(max(self.mode_combo.findData(mode), 0))

    @Slot(str)
    def _on_address_edited(self, _text: str) -> None:
        self.network_radio.setChecked(True)
        self.test_label.setText("")

    @Slot()
    def _on_test_button_clicked(self) -> None:
        address = self.address()
        self.network_radio.setChecked(True)
        self.test_label.setText(probing_text(address))
        if not address:
            return
        self.test_button.setEnabled(False)
        self._test_ticket = self._tester.submit(lambda: try_address(address), "testing")

    @Slot(int, object)
    def _on_test_done(self, ticket: int, outcome: object) -> None:
        if ticket != self._test_ticket:
            return
        self.test_button.setEnabled(True)
        ok, text = tried_text(outcome)
        self.test_label.setProperty("ok", ok)
        self.test_label.setText(text)

    @Slot(int, str)
    def _on_test_failed(self, ticket: int, message: str) -> None:
        if ticket == self._test_ticket:
            self.test_button.setEnabled(True)
            self.test_label.setText(probe_failed_text(message))

    def _browse(self, edit: QLineEdit, radio: QRadioButton) -> None:
        """Ask for a video or folder; put the path chosen (if any) in ``edit``, check ``radio``."""
        path = ask_video(self, edit.text()) if edit is self.video_edit else ask_folder(self)
        if path:
            edit.setText(path)
            radio.setChecked(True)
