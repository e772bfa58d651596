"""MainWindow: lays out the panels, wires them to the workers, and owns the workers' lifetime."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QImage
from PySide6.QtWidgets import QFileDialog, QMainWindow, QWidget

from faceapp.core.reconnect import LinkStatus
from faceapp.core.sources import FrameSource, ImageFolderSource, SourceError
from faceapp.gui.capture_worker import CaptureWorker
from faceapp.gui.context import AppContext
from faceapp.gui.dialogs.enrol_dialog import EnrolDialog
from faceapp.gui.dialogs.history_dialog import HistoryDialog
from faceapp.gui.dialogs.source_dialog import SourceDialog
from faceapp.gui.dialogs.unknown_faces_dialog import UnknownFacesDialog
from faceapp.gui.enrol_runner import EnrolmentRunner
from faceapp.gui.face_actions import FaceActions
from faceapp.gui.gallery_files import GalleryFiles
from faceapp.gui.photo_run import PhotoRun
from faceapp.gui.widgets.banner import Banner
from faceapp.gui.widgets.empty_hint import EmptyGalleryHint, NoCameraCard
from faceapp.gui.widgets.gallery_panel import GalleryPanel
from faceapp.gui.widgets.mode_panel import ModePanel
from faceapp.gui.widgets.threshold_panel import ThresholdPanel
from faceapp.gui.widgets.video_view import VideoView
from faceapp.gui.window_chrome import WindowChrome, central_widget
from faceapp.gui.worker import RecognitionWorker
from faceapp.session.gallery import GalleryLink
from faceapp.session.live import ModelState
from faceapp.session.window_source import (
    CHOOSE,
    PLAY_AGAIN,
    RETRY,
    USE_DEMO,
    SourceBanner,
    SourceState,
    lost_banner,
    open_spec,
)
from faceapp.session.window_state import other_mode
from faceapp.session.window_status import (
    OfflineLink,
    enrolled_text,
    enrolling_text,
    meter_texts,
    model_failed_text,
    opening_text,
    session_summary,
    source_state,
)

log = logging.getLogger(__name__)

#: Milliseconds between refreshes of the status bar figures.
STATUS_INTERVAL_MS = 500


class MainWindow(QMainWindow):
    """The application window: video on the left, mode, threshold and gallery on the right.

    Parameters
    ----------
    ctx : AppContext
        Application state; the window wires it to the workers.
    source : str or FrameSource, optional
        What to show first (a spec as :func:`open_source` takes it, or a ready
        source); defaults to ``ctx.settings.source``.  When it is a camera that cannot
        be opened, :class:`NoCameraCard` offers the demo, a video, a folder or photos.

    Attributes
    ----------
    ctx : AppContext
        The application context the window shows and drives.
    worker : RecognitionWorker
        The recognition worker (the context's; the window starts and stops it).
    capture_worker : CaptureWorker or None
        The capture worker of the current source, or None.

    Notes
    -----
    Nothing runs until :meth:`start`; :meth:`shutdown` (also called by closing the
    window) stops both workers and waits for their threads.
    """

    #: Emitted on the GUI thread when a source delivers its first frame: its name.
    source_started = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        source: str | FrameSource | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        #: The source asked for, and what the window decides from it.
        self.source = SourceState(source if source is not None else ctx.settings.source)
        self.capture_worker: CaptureWorker | None = None
        self._started = False
        self._offline = OfflineLink()  # a shared gallery's server is away
        self._shut_down = False
        self._start_time = time.monotonic()
        self.worker: RecognitionWorker = ctx.recognition
        self.enrolment = EnrolmentRunner(ctx, self.worker, self)

        self._build()
        self.photos = PhotoRun(ctx, self.worker, self)
        self._wire()
        if ctx.settings.geometry:
            self.restoreGeometry(QByteArray(ctx.settings.geometry))
        else:
            self.resize(1240, 800)

    # -- construction ------------------------------------------------------------------

    def _build(self) -> None:
        ctx = self.ctx
        self.video_view = VideoView(ctx)
        self.empty_hint = EmptyGalleryHint(ctx, self.video_view)
        self.no_camera_card = NoCameraCard(
            self.video_view, self.open_source, lambda: self.gallery_panel.add_files_button.click()
        )
        self.source_banner = Banner()
        self.model_banner = Banner()
        self.offer_banner = Banner()
        self.gallery_banner = Banner()
        self.mode_panel = ModePanel(ctx)
        self.threshold_panel = ThresholdPanel(ctx)
        self.gallery_panel = GalleryPanel(ctx)
        banners = (self.source_banner, self.model_banner, self.gallery_banner, self.offer_banner)
        panels = (
            ("Mode", self.mode_panel, 0),
            ("Threshold", self.threshold_panel, 0),
            ("Gallery", self.gallery_panel, 1),
        )
        self.setCentralWidget(central_widget(self.video_view, banners, panels))
        self.chrome = chrome = WindowChrome(self)
        chrome.add_shortcuts(self.gallery_panel.people_list.actions())
        self.gallery_files = GalleryFiles(ctx, self)
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_INTERVAL_MS)
        self._on_model_state_changed(ctx.model_state, ctx.model_message)
        self._update_status()

    def _wire(self) -> None:
        ctx, worker = self.ctx, self.worker
        ctx.gallery_failed.connect(self._on_gallery_failed)
        ctx.gallery_link_changed.connect(self._on_gallery_link_changed)
        ctx.history.held.connect(self._on_history_held)
        ctx.people_reset.connect(self._on_people_reset)
        ctx.model_state_changed.connect(self._on_model_state_changed)
        ctx.frame_ready.connect(self._on_ctx_frame_ready)
        worker.error.connect(lambda message: self.statusBar().showMessage(message, 5000))
        self.enrolment.enrolled.connect(self._on_enrolled)
        self.gallery_panel.capture_requested.connect(self.capture)
        self.gallery_panel.files_chosen.connect(self.enrolment.add_photos)
        self.gallery_panel.guided_capture_requested.connect(
            lambda name: self.capture(name, guided=True)
        )
        chrome = self.chrome
        chrome.source_action.triggered.connect(self.choose_source)
        chrome.demo_action.triggered.connect(lambda: self.open_source("demo"))
        chrome.enrol_demo_action.triggered.connect(self.enrolment.enrol_demo_people)
        chrome.capture_action.triggered.connect(
            lambda: self.capture(self.gallery_panel.selected_name())
        )
        chrome.add_folder_action.triggered.connect(self._on_add_folder_action_triggered)
        chrome.calibration_action.triggered.connect(self._on_calibration_action_triggered)
        chrome.pause_action.toggled.connect(self._on_pause_action_toggled)
        chrome.mode_action.triggered.connect(
            lambda: ctx.update_settings(mode=other_mode(ctx.settings.mode))
        )
        chrome.fullscreen_action.toggled.connect(
            lambda full: self.showFullScreen() if full else self.showNormal()
        )
        chrome.history_action.triggered.connect(lambda: HistoryDialog.open_for(ctx, self))
        chrome.unknown_faces_action.triggered.connect(
            lambda: UnknownFacesDialog.open_for(ctx, self)
        )
        # Right-click a face in the live view: name it, add it to someone, "not X".
        self.face_actions = FaceActions(ctx, worker.loop.last_processed, self._open_enrol, self)
        self.face_actions.say = lambda text: self.statusBar().showMessage(text, 5000)
        self.video_view.name_face_requested.connect(self.face_actions.name_face)
        self.video_view.add_face_requested.connect(self.face_actions.name_face)
        self.video_view.not_person_requested.connect(self.face_actions.not_person)
        self.face_actions.photo = self.photos.photo_frame  # a photo-results row's menu
        results = self.photos.dialog
        results.name_face_requested.connect(self.face_actions.name_photo_face)
        results.add_face_requested.connect(self.face_actions.name_photo_face)
        results.not_person_requested.connect(self.face_actions.not_photo_person)
        chrome.quit_action.triggered.connect(self.close)
        self._status_timer.timeout.connect(self._update_status)

    # -- lifetime ----------------------------------------------------------------------

    def start(self) -> None:
        """Start reading the gallery and loading the models, open the first source.

        Once the people list is read, an empty gallery brings the offer to enrol the
        demo people.
        """
        if self._started or self._shut_down:
            return
        self._started = True
        self._start_time = time.monotonic()
        self.ctx.start_gallery()
        self.worker.start("faceapp-recognition")
        self._status_timer.start()
        self.open_source(self.source.spec, persist=False)
        if self.ctx.people_loaded:
            self._offer_demo()

    def shutdown(self) -> None:
        """Stop the capture, recognition and gallery workers and wait for their threads.

        Idempotent, and quick: a model still loading finishes in its own thread (see
        :meth:`RecognitionLoop.wait_for_model_load`).  Logs the frame counts and
        rates of the session.
        """
        if self._shut_down:
            return
        self._shut_down = True
        self._status_timer.stop()
        self.face_actions.stop()
        self._stop_capture()
        self.worker.stop()
        self.ctx.stop_gallery()
        log.info("%s", session_summary(time.monotonic() - self._start_time, self.ctx.meters))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        """Remember the geometry, stop the workers, close."""
        self.ctx.update_settings(geometry=bytes(self.saveGeometry().data()))
        self.hide()
        self.shutdown()
        event.accept()

    # -- sources -----------------------------------------------------------------------

    def open_source(self, spec: str | FrameSource, persist: bool = True) -> None:
        """Switch to another source; failures show in the source banner.

        Parameters
        ----------
        spec : str or FrameSource
            See :func:`faceapp.core.sources.open_source`, or a ready source.
        persist : bool
            Remember a string ``spec`` in the settings once it delivers frames.
        """
        if self._shut_down:
            return
        self._stop_capture()
        self.source.open(spec, persist)
        self.source_banner.hide()
        self.no_camera_card.hide()
        self.empty_hint.set_suppressed(False)
        self.video_view.clear(opening_text(self.source.label))
        try:
            source = open_spec(spec, self.ctx.settings)
        except SourceError as exc:
            self.ctx.begin_source(None)
            self._source_failed(str(exc))
            return
        self.source.label = source.name
        slideshow = isinstance(source, ImageFolderSource)
        ticket = self.ctx.begin_source(source.name, slideshow)
        capture = self.photos.make_capture(source, self.worker.loop.submit_frame, ticket)
        capture.loop.set_paused(self.chrome.pause_action.isChecked())
        self.ctx.show_frames_of(capture)
        capture.source_opened.connect(self._on_source_opened)
        capture.source_failed.connect(self._on_source_failed)
        capture.source_ended.connect(self._on_source_ended)
        capture.link_changed.connect(self._on_link_changed)
        self.capture_worker = capture
        capture.start("faceapp-capture")
        self._update_status()

    def _stop_capture(self) -> None:
        capture, self.capture_worker = self.capture_worker, None
        if capture is not None:
            self.ctx.show_frames_of(None)
            capture.stop()

    def _source_failed(self, message: str) -> None:
        self._stop_capture()
        # No camera here: a card offers the demo, a video, a folder or adding photos.
        card = self.source.wants_card(self.no_camera_card.take_retry)
        self.video_view.set_placeholder("" if card else f"No picture: {message}")
        self.empty_hint.set_suppressed(card)  # "press Capture" makes no sense on the card
        if card:
            self.no_camera_card.show_for(str(self.source.spec), message)
        else:
            self._show_source_banner(self.source.failed_banner(message))
        self._update_status()

    def _show_source_banner(self, banner: SourceBanner) -> None:
        """Show ``banner`` in the source banner, its buttons wired to what they say."""
        spec, persist = self.source.spec, self.source.persist
        does = {
            RETRY: lambda: self.open_source(spec, persist=persist),
            USE_DEMO: lambda: self.open_source("demo"),
            PLAY_AGAIN: lambda: self.open_source(spec, persist=False),
            CHOOSE: self.choose_source,
        }
        buttons = [(name, does[name]) for name in banner.buttons]
        self.source_banner.show_message(banner.level, banner.text, buttons)

    def choose_source(self) -> SourceDialog:
        """Ask the user for a source and switch to it; return the (open) dialog."""
        current = self.source.spec if isinstance(self.source.spec, str) else "demo"
        dialog = SourceDialog(current, self, self.ctx.settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self._on_source_dialog_accepted(dialog.spec(), dialog.camera_choice())
        )
        dialog.open()
        return dialog

    def _on_source_dialog_accepted(self, spec: str, camera: tuple[str, str] | None) -> None:
        if camera is not None:  # remembered per camera, used when it opens
            modes = self.ctx.settings.with_camera_mode(*camera).camera_modes
            self.ctx.update_settings(camera_modes=modes)
        if spec:
            self.open_source(spec)

    def _offer_demo(self) -> None:
        """Offer to enrol the demo people (an empty gallery); yes also shows the demo."""
        self.enrolment.offer_demo(self.offer_banner, self._show_demo)

    def _show_demo(self) -> None:
        if self.source.spec != "demo":
            self.open_source("demo")

    # -- worker and capture slots ------------------------------------------------------

    @Slot(QImage, int, float)
    def _on_ctx_frame_ready(self, _image: QImage, _index: int, _timestamp: float) -> None:
        if self.capture_worker is not None and self.source.first_frame():
            self.source_started.emit(self.source.label)

    def _current(self, ticket: int) -> bool:
        """Return True when ``ticket`` is the capture's of the source now open."""
        capture = self.capture_worker
        return capture is not None and ticket == capture.ticket and not self._shut_down

    @Slot(int, str, float, bool)
    def _on_source_opened(self, ticket: int, name: str, fps: float, live: bool) -> None:
        if not self._current(ticket):
            return
        log.info("source %s open (%.1f fps%s)", name, fps, ", live" if live else "")
        changes = self.source.opened(name, self.ctx.settings)
        if changes:
            self.ctx.update_settings(**changes)
        self._update_status()

    @Slot(int, str)
    def _on_source_failed(self, ticket: int, message: str) -> None:
        if self._current(ticket):
            self._source_failed(message)

    @Slot(int, object)
    def _on_link_changed(self, ticket: int, status: LinkStatus) -> None:
        """Show a lost live source (the last frame dimmed, a banner) until it is back."""
        if not self._current(ticket):
            return
        change = self.source.link_changed(status)
        if change == "lost":
            # A new ticket: the frame waiting for recognition and the last result are
            # dropped, the tracker starts afresh and the history records nothing from
            # before the gap once the camera is back.
            self.ctx.begin_source(self.source.label)
            self.video_view.set_dimmed(True, status.text)
        if change in ("lost", "still lost"):
            self._show_source_banner(lost_banner(status))
        elif change == "back":
            self.video_view.set_dimmed(False)
            self.source_banner.hide()
        self._update_status()

    @Slot(int)
    def _on_source_ended(self, ticket: int) -> None:
        if not self._current(ticket):
            return
        self._stop_capture()
        self.ctx.end_source()  # no verdict outlives its source
        self._show_source_banner(self.source.ended_banner())
        self._update_status()

    @Slot(str)
    def _on_gallery_failed(self, message: str) -> None:
        self.gallery_banner.show_message("error", message, [("Retry", self.ctx.gallery.reload)])

    @Slot(object)
    def _on_gallery_link_changed(self, link: GalleryLink) -> None:
        self._offline.message = None if link.online else link.message
        self._show_link()

    @Slot(int)
    def _on_history_held(self, held: int) -> None:
        self._offline.held = held
        self._show_link()

    def _show_link(self) -> None:
        """Show the offline banner while the shared gallery is away; hide it once back."""
        text = self._offline.change()
        if text:
            self.gallery_banner.show_message("warning", text)
        elif text == "":
            self.gallery_banner.hide()

    @Slot()
    def _on_people_reset(self) -> None:
        if self._started and not self._shut_down:
            self._offer_demo()

    @Slot(object, list)
    def _on_enrolled(self, outcome: object, names: list) -> None:
        if names:
            self.statusBar().showMessage(enrolled_text(names), 5000)
            self.gallery_panel.select(names[-1])

    # -- user actions ------------------------------------------------------------------

    def capture(self, suggested_name: str = "", guided: bool | None = None) -> EnrolDialog:
        """Open the enrolment dialog on the newest processed frame and return it.

        ``guided`` chooses guided capture or a single photo; None starts in the mode the
        user chose last.
        """
        dialog = EnrolDialog(
            self.ctx, self.worker.loop.last_processed, suggested_name, self, guided=guided
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._open_enrol(dialog)
        return dialog

    def _open_enrol(self, dialog: EnrolDialog) -> None:
        dialog.enrol_requested.connect(self.enrolment.enrol_capture)  # to the gallery queue
        dialog.enrol_requested.connect(
            lambda name: self.statusBar().showMessage(enrolling_text(name), 3000)
        )
        dialog.enrol_batch_requested.connect(self.enrolment.enrol_captures)
        dialog.open()

    @Slot()
    def _on_add_folder_action_triggered(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Add people from folder (one sub-folder or one photo per person)"
        )
        if folder:
            self.enrolment.enrol_folder(Path(folder))

    @Slot()
    def _on_calibration_action_triggered(self) -> None:
        from faceapp.gui.dialogs.calibration_dialog import CalibrationDialog  # loads pyqtgraph

        CalibrationDialog.open_for(self.ctx, self)

    @Slot(bool)
    def _on_pause_action_toggled(self, paused: bool) -> None:
        if self.capture_worker is not None:
            self.capture_worker.loop.set_paused(paused)
        self._update_status()

    # -- status ------------------------------------------------------------------------

    @Slot(str, str)
    def _on_model_state_changed(self, state: str, message: str) -> None:
        self.chrome.show_model_state(state)
        if state == ModelState.READY:
            self.model_banner.hide()
        elif state == ModelState.FAILED:
            self.model_banner.show_message("error", model_failed_text(message))

    def _update_status(self) -> None:
        running = self.capture_worker is not None
        picture = self.no_camera_card.isHidden()  # the card: no camera, nothing to capture
        self.chrome.pause_action.setEnabled(running)
        self.chrome.capture_action.setEnabled(picture)
        self.gallery_panel.capture_button.setEnabled(picture)
        paused = self.chrome.pause_action.isChecked()
        state = source_state(running, paused, self.source.lost, self._started, picture)
        self.chrome.show_status(meter_texts(self.source.label, state, self.ctx.meters))
