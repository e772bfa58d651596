"""PhotoRun: a folder of photos as the source: the player, its step actions and results table."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMainWindow

from faceapp.core.sources import Frame, FrameSource, ImageFolderSource
from faceapp.core.types import FrameResult
from faceapp.gui.capture_worker import CaptureWorker
from faceapp.gui.context import AppContext
from faceapp.gui.dialogs.photo_results_dialog import PhotoResultsDialog
from faceapp.gui.window_chrome import WindowChrome
from faceapp.gui.worker import RecognitionWorker
from faceapp.session.context_photos import photo_frame
from faceapp.session.live import ModelState
from faceapp.session.photo_results import photo_status, photos_done
from faceapp.session.photos import PhotoLoop
from faceapp.session.window_photos import FolderRows


class PhotoRun(QObject):
    """Runs a folder (or a single photo) as the source and collects its results.

    The window asks :meth:`make_capture` for the worker of every source it opens: for an
    :class:`ImageFolderSource` it is also kept as :attr:`player` (its ``photo_loop``
    shows each photo until processed).  While a folder is the
    source, the previous / next / results actions are shown; every result the window
    publishes (``ctx.result_ready``) fills the photo's row of the results table
    (:attr:`dialog`) and tells the player the photo is processed.  Lives on the GUI thread.

    Parameters
    ----------
    ctx : AppContext
    worker : RecognitionWorker
        Its processing errors count as processed (the player moves on).
    window : QMainWindow
        Has a ``chrome`` (:class:`WindowChrome`) with the photo actions.
    """

    #: Every photo of a folder that does not loop was visited: the number of photos.
    run_finished = Signal(int)
    #: A photo is on screen: its position and the number of photos.
    photo_changed = Signal(int, int)

    def __init__(self, ctx: AppContext, worker: RecognitionWorker, window: QMainWindow) -> None:
        super().__init__(window)
        self._ctx = ctx
        self._window = window
        chrome: WindowChrome = window.chrome  # type: ignore[attr-defined]
        self._actions = (
            chrome.prev_photo_action,
            chrome.next_photo_action,
            chrome.photo_results_action,
        )
        #: The capture worker of the folder of photos being run, or None.
        self.player: CaptureWorker | None = None
        self._source: ImageFolderSource | None = None
        self._rows = FolderRows("", [])
        self.dialog = PhotoResultsDialog(
            (chrome.prev_photo_action, chrome.pause_action, chrome.next_photo_action),
            ctx.settings.photo_interval_s,
            window,
        )
        self.dialog.people = lambda: [person.name for person in ctx.people()]
        self.dialog.can_correct = lambda: hasattr(ctx.store, "add_negative")
        self._show_actions(False)
        chrome.prev_photo_action.triggered.connect(self._on_prev_photo_action_triggered)
        chrome.next_photo_action.triggered.connect(self._on_next_photo_action_triggered)
        chrome.photo_results_action.triggered.connect(self.show_results)
        self.dialog.photo_requested.connect(self._on_dialog_photo_requested)
        self.dialog.interval_box.valueChanged.connect(self._on_dialog_interval_changed)
        ctx.result_ready.connect(self._on_result_ready)
        ctx.model_state_changed.connect(self._on_model_state_changed)
        worker.error.connect(self._on_worker_error)

    def make_capture(
        self, source: FrameSource, sink: Callable[[Frame], None], ticket: int
    ) -> CaptureWorker:
        """Return the (unstarted) worker that reads ``source``, kept as the player for photos."""
        if not isinstance(source, ImageFolderSource):
            self.player, self._source = None, None
            self._show_actions(False)
            return CaptureWorker(source, sink, ticket, self._ctx.display_size)
        player = CaptureWorker(
            source, sink, ticket, photo_interval_s=self._ctx.settings.photo_interval_s
        )
        if self._ctx.model_state == ModelState.FAILED:
            assert player.photo_loop is not None  # a folder of photos always gets one
            player.photo_loop.set_model_failed()
        player.source_opened.connect(self._on_player_source_opened)
        player.photo_shown.connect(self._on_player_photo_shown)
        player.photo_failed.connect(self._on_player_photo_failed)
        player.photos_done.connect(self._on_player_photos_done)
        self.player, self._source = player, source
        self._rows = FolderRows(source.folder, [])  # its photos are listed once it opens
        self.dialog.reset(str(source.folder), [])
        self._show_actions(True)
        return player

    def show_results(self) -> PhotoResultsDialog:
        """Show the results table (non-modal) and return it."""
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        if self._loop is not None:
            self.dialog.set_current(self._loop.position())
        return self.dialog

    def photo_frame(self, position: int) -> tuple[Frame, str] | None:
        """Return photo ``position`` of the folder run as recognised, and its file name.

        For the face menu of the results table; see
        :func:`~faceapp.session.context_photos.photo_frame`.
        """
        return photo_frame(self._source, self._rows, position)

    @property
    def _loop(self) -> PhotoLoop | None:
        """The photo loop of the folder being run (the player's), or None."""
        return self.player.photo_loop if self.player is not None else None

    def _show_actions(self, visible: bool) -> None:
        for action in self._actions:
            action.setVisible(visible)
            action.setEnabled(visible)

    def _current(self, ticket: int) -> CaptureWorker | None:
        player = self.player
        return player if player is not None and player.ticket == ticket else None

    # -- slots -------------------------------------------------------------------------

    @Slot(int, str, float, bool)
    def _on_player_source_opened(self, ticket: int, _name: str, _fps: float, _live: bool) -> None:
        if self._current(ticket) is None or self._source is None:
            return
        self._rows = FolderRows(self._source.folder, self._source.photos)
        self.dialog.reset(str(self._source.folder), self._rows.rows())

    @Slot(int, int, int, str)
    def _on_player_photo_shown(self, ticket: int, position: int, n: int, path: str) -> None:
        if self._current(ticket) is None:
            return
        self.dialog.set_current(position)
        self._window.statusBar().showMessage(photo_status(position, n, path), 4000)
        self.photo_changed.emit(position, n)

    @Slot(int, int, int, str, str)
    def _on_player_photo_failed(
        self, ticket: int, position: int, n: int, path: str, message: str
    ) -> None:
        if self._current(ticket) is None:
            return
        self.dialog.set_row(self._rows.unreadable(position, path, message))
        self.dialog.set_current(position)

    @Slot(int, int)
    def _on_player_photos_done(self, ticket: int, n: int) -> None:
        if self._current(ticket) is None:
            return
        self._window.statusBar().showMessage(photos_done(n), 8000)
        self.run_finished.emit(n)

    @Slot(object)
    def _on_result_ready(self, result: FrameResult) -> None:
        row = self._rows.result_row(result)
        if self._loop is None or row is None:
            return
        self.dialog.set_row(row)
        self._loop.mark_processed(result.index)

    @Slot(str)
    def _on_worker_error(self, message: str) -> None:
        if self._loop is None:
            return
        position = self._loop.position()
        row = self._rows.error_row(position, message)
        if row is not None:
            self.dialog.set_row(row)
            self._loop.mark_processed(position)

    @Slot(str, str)
    def _on_model_state_changed(self, state: str, _message: str) -> None:
        if self._loop is not None and state == ModelState.FAILED:
            self._loop.set_model_failed()

    @Slot()
    def _on_prev_photo_action_triggered(self) -> None:
        if self._loop is not None:
            self._loop.previous()

    @Slot()
    def _on_next_photo_action_triggered(self) -> None:
        if self._loop is not None:
            self._loop.next()

    @Slot(int)
    def _on_dialog_photo_requested(self, position: int) -> None:
        if self._loop is not None:
            self._loop.go_to(position)

    @Slot(float)
    def _on_dialog_interval_changed(self, seconds: float) -> None:
        self._ctx.update_settings(photo_interval_s=seconds)
        if self._loop is not None:
            self._loop.set_min_interval(seconds)
