"""SourceDialog: choose a camera, a video file, a folder of images or the built-in demo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.core.sources import VIDEO_SUFFIXES, available_cameras
from faceapp.gui.loop_worker import CallWorker


class SourceDialog(QDialog):
    """Lets the user pick where frames come from; :meth:`spec` is the choice.

    Parameters
    ----------
    current : str
        The current source spec, pre-selected.
    """

    def __init__(self, current: str = "demo", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose the video source")
        self.camera_radio = QRadioButton("Camera")
        self.video_radio = QRadioButton("Video file")
        self.folder_radio = QRadioButton("Folder of images")
        self.demo_radio = QRadioButton("Demo (sample photos of five people)")
        self._group = QButtonGroup(self)
        for r in (self.camera_radio, self.video_radio, self.folder_radio, self.demo_radio):
            self._group.addButton(r)
        self.camera_combo = QComboBox()
        self.camera_combo.addItem("Looking for cameras…")
        self.camera_combo.setEnabled(False)
        self.video_edit = QLineEdit()
        self.video_edit.setPlaceholderText("Path of a video file")
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("Path of a folder of photos")
        video_browse = QPushButton("Browse…")
        folder_browse = QPushButton("Browse…")
        grid = QGridLayout()
        grid.addWidget(self.camera_radio, 0, 0)
        grid.addWidget(self.camera_combo, 0, 1, 1, 2)
        grid.addWidget(self.video_radio, 1, 0)
        grid.addWidget(self.video_edit, 1, 1)
        grid.addWidget(video_browse, 1, 2)
        grid.addWidget(self.folder_radio, 2, 0)
        grid.addWidget(self.folder_edit, 2, 1)
        grid.addWidget(folder_browse, 2, 2)
        grid.addWidget(self.demo_radio, 3, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(box)
        self.setMinimumWidth(520)

        self._preselect(current)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        video_browse.clicked.connect(self._on_video_browse_clicked)
        folder_browse.clicked.connect(self._on_folder_browse_clicked)
        self.video_edit.textEdited.connect(lambda _: self.video_radio.setChecked(True))
        self.folder_edit.textEdited.connect(lambda _: self.folder_radio.setChecked(True))
        # Opening devices can take a second each: the cameras are listed off the GUI thread.
        self._probe = CallWorker("faceapp-camera-probe")
        self._probe.done.connect(self._on_probe_done)  # slots of self: queued to this thread
        self._probe.failed.connect(self._on_probe_failed)
        self._probe.submit(available_cameras, "listing the cameras")
        self.finished.connect(self._on_finished)

    def _preselect(self, current: str) -> None:
        self._current_camera = int(current) if current.strip().isdigit() else None
        if current == "demo":
            self.demo_radio.setChecked(True)
        elif self._current_camera is not None:
            self.camera_radio.setChecked(True)
        elif Path(current).is_dir():
            self.folder_radio.setChecked(True)
            self.folder_edit.setText(current)
        else:
            self.video_radio.setChecked(True)
            self.video_edit.setText(current)

    def spec(self) -> str:
        """Return the chosen source as :func:`faceapp.core.sources.open_source` takes it."""
        if self.camera_radio.isChecked():
            data = self.camera_combo.currentData()
            return str(data if data is not None else self._current_camera or 0)
        if self.video_radio.isChecked():
            return self.video_edit.text().strip()
        if self.folder_radio.isChecked():
            return self.folder_edit.text().strip()
        return "demo"

    @Slot(int, object)
    def _on_probe_done(self, _ticket: int, cameras: object) -> None:
        self._on_found(list(cameras) if isinstance(cameras, list) else [])

    @Slot(int, str)
    def _on_probe_failed(self, _ticket: int, _message: str) -> None:
        self._on_found([])

    @Slot(int)
    def _on_finished(self, _result: int) -> None:
        self._probe.stop()

    @Slot(list)
    def _on_found(self, cameras: list) -> None:
        self.camera_combo.clear()
        for i in cameras:
            self.camera_combo.addItem(f"Camera {i}", i)
        if not cameras:
            self.camera_combo.addItem("No camera found")
            if self.camera_radio.isChecked():
                self.demo_radio.setChecked(True)
        self.camera_combo.setEnabled(bool(cameras))
        self.camera_radio.setEnabled(bool(cameras))
        if self._current_camera in cameras:
            self.camera_combo.setCurrentIndex(cameras.index(self._current_camera))

    @Slot()
    def _on_video_browse_clicked(self) -> None:
        patterns = " ".join(f"*{s}" for s in VIDEO_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a video", self.video_edit.text(), f"Videos ({patterns});;All files (*)"
        )
        if path:
            self.video_edit.setText(path)
            self.video_radio.setChecked(True)

    @Slot()
    def _on_folder_browse_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of photos")
        if path:
            self.folder_edit.setText(path)
            self.folder_radio.setChecked(True)
