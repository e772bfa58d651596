"""GalleryFiles: new, open and recent gallery files, export and import, and which file is open."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCompleter,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
)

from faceapp.core.errors import ModelError
from faceapp.gui.context import AppContext
from faceapp.gui.loop_worker import CallWorker
from faceapp.gui.prompts import busy, tell
from faceapp.gui.safe_text import html_literal, make_plain
from faceapp.gui.widgets.gallery_file import ImportConflictDialog, SharedGalleryDialog
from faceapp.session.gallery_files import (
    FileWork,
    JobDone,
    add_recent_gallery,
    export_job,
    export_name,
    export_report,
    export_target,
    failure_text,
    gallery_labels,
    import_job,
    import_report,
    new_gallery_path,
    open_problem,
    read_job,
    recent_entries,
    recent_shared_galleries,
    refusal_text,
    remember_gallery,
    shared_gallery_problem,
    start_folder,
    try_open_store,
)
from faceapp.storage.archive import ArchiveError, GalleryArchive
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.postgres_location import is_database_location, redact_location

log = logging.getLogger(__name__)

GALLERY_FILTER = "faceapp galleries (*.sqlite3 *.sqlite *.db);;All files (*)"
ARCHIVE_FILTER = "Gallery archives (*.zip);;All files (*)"


def documents_folder() -> Path:
    """Return the user's Documents folder, or the home folder when there is none."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if location and Path(location).is_dir():
        return Path(location)
    return Path.home()


class GalleryFiles(QObject):
    """The window's gallery file actions and the name of the file open; lives on the GUI thread.

    Adds File → New gallery…, Open gallery…, Open recent and Gallery → Export gallery…,
    Import gallery… to ``window``'s menus, shows the open file in the title
    (``faceapp — <file name>``) and in the status bar (full path as tool tip), and
    remembers the file chosen for the next start.  Opening and creating files run in a
    :class:`CallWorker` thread, export and import in the gallery thread
    (``AppContext.gallery.submit_job``); messages are window-modal boxes that never
    block the caller.  The ``open_*``, ``new_gallery``, ``export_to`` and
    ``import_from`` methods take a path (the actions ask for one first).

    Parameters
    ----------
    ctx : AppContext
    window : QMainWindow
        Whose menus (``&File``, ``&Gallery``), title and status bar are used.
    qsettings : QSettings, optional
        Where the choice is remembered; the application's default when None.
    """

    #: A switch ended: the path asked for and the error message ("" when it is open).
    open_finished = Signal(str, str)
    #: An export ended: the :class:`ExportSummary` or None, and the error ("" if none).
    export_finished = Signal(object, str)
    #: An import ended: the :class:`ImportSummary` or None (failed or cancelled), error.
    import_finished = Signal(object, str)
    #: The conflict question is shown: the :class:`ImportConflictDialog`.
    conflict_asked = Signal(object)

    def __init__(
        self, ctx: AppContext, window: QMainWindow, qsettings: QSettings | None = None
    ) -> None:
        super().__init__(window)
        self._ctx = ctx
        self._window = window
        self._qsettings = qsettings if qsettings is not None else QSettings()
        self._opener = CallWorker("faceapp-gallery-open")
        self._opener.done.connect(self._on_opener_done)
        self._opener.failed.connect(lambda t, error: self._on_opener_done(t, (None, error)))
        self._work = FileWork()
        self._progress: QProgressDialog | None = None
        #: The message box shown last (tests read its text).
        self.last_message: QMessageBox | None = None
        #: The Connect to a shared gallery… dialog shown last (tests fill it in).
        self.last_connect_dialog: SharedGalleryDialog | None = None

        self.new_action = QAction("New gallery…", window)
        self.open_action = QAction("Open gallery…", window)
        self.connect_action = QAction("Connect to a shared gallery…", window)
        self.recent_menu = QMenu("Open recent", window)
        self.export_action = QAction("Export gallery…", window)
        self.import_action = QAction("Import gallery…", window)
        self._add_to_menus()
        self.status_gallery = QLabel()
        self.status_gallery.setObjectName("statusField")
        make_plain(self.status_gallery)
        window.statusBar().addPermanentWidget(self.status_gallery)

        self.new_action.triggered.connect(
            lambda: self._ask_file(True, "New gallery", GALLERY_FILTER, self.new_gallery)
        )
        self.open_action.triggered.connect(
            lambda: self._ask_file(False, "Open gallery", GALLERY_FILTER, self.open_gallery)
        )
        self.connect_action.triggered.connect(self._on_connect_action_triggered)
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.import_action.triggered.connect(
            lambda: self._ask_file(False, "Import gallery", ARCHIVE_FILTER, self.import_from)
        )
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        ctx.gallery_switched.connect(self._on_gallery_switched)
        ctx.gallery_job_finished.connect(self._on_gallery_job_finished)
        self._show_path(ctx.store.path)
        # The gallery the window starts with (the default one, say) is a recent one too:
        # after opening another, Open recent leads back to it.
        add_recent_gallery(self._qsettings, ctx.store.path)

    def _add_to_menus(self) -> None:
        menus = {a.text(): a.menu() for a in self._window.menuBar().actions()}
        file_menu, gallery_menu = menus.get("&File"), menus.get("&Gallery")
        if isinstance(file_menu, QMenu):
            first = file_menu.actions()[0] if file_menu.actions() else None
            file_menu.insertActions(first, [self.new_action, self.open_action, self.connect_action])
            file_menu.insertMenu(first, self.recent_menu)
            file_menu.insertSeparator(first)
        if isinstance(gallery_menu, QMenu):
            gallery_menu.addSeparator()
            gallery_menu.addActions([self.export_action, self.import_action])

    # -- which file --------------------------------------------------------------------

    def _show_path(self, path: Path) -> None:
        title, status, full = gallery_labels(path)
        self._window.setWindowTitle(title)
        self.status_gallery.setText(status)
        self.status_gallery.setToolTip(html_literal(full))
        if isinstance(path, Path):
            self.open_action.setToolTip(html_literal(f"Open: {full}"))

    @Slot(str)
    def _on_gallery_switched(self, path: str) -> None:
        self._show_path(self._ctx.store.path if is_database_location(path) else Path(path))

    # -- open and new ------------------------------------------------------------------

    def connect_shared(self, address: str) -> None:
        """Switch to the shared (PostgreSQL) gallery at ``address``.

        ``address`` is ``postgresql://…`` or ``service=NAME``; one holding a password is
        refused (the password belongs in ``~/.pgpass`` or a libpq service).  Connecting
        runs in a :class:`CallWorker` thread; ``open_finished`` reports it with the
        address, its password hidden.
        """
        address = address.strip()
        problem = shared_gallery_problem(address)
        if problem:
            self._refuse(redact_location(address), problem)
            return
        self._start_opener(address, create=False)

    def open_gallery(self, path: Path) -> None:
        """Switch to the gallery file ``path``; a file that is no gallery is refused."""
        path = Path(path)
        problem = open_problem(path, self._ctx.store.path)
        if problem is None:
            self._window.statusBar().showMessage(f"{path.name} is already open", 4000)
            self.open_finished.emit(str(path), "")
        elif problem:
            self._refuse(path, problem)
        else:  # the default gallery has no file until someone is enrolled: create it
            self._start_opener(path, create=not path.exists())

    def new_gallery(self, path: Path) -> None:
        """Create an empty gallery file at ``path`` and switch to it (never overwrites)."""
        path, problem = new_gallery_path(Path(path))
        if problem:
            self._refuse(path, problem)
        else:
            self._start_opener(path, create=True)

    def _start_opener(self, path: Path | str, create: bool) -> None:
        if self._work.busy():
            self._window.statusBar().showMessage("Busy with a gallery file; try again soon", 4000)
            return
        ticket = self._opener.submit(partial(try_open_store, path, create), "opening a gallery")
        self._work.start_open(ticket, path)

    @Slot(int, object)
    def _on_opener_done(self, ticket: int, opened: tuple[GalleryStore | None, str]) -> None:
        path = self._work.end_open(ticket)
        if path is None:
            return
        store, error = opened
        if store is None:
            self._refuse(path, error)
            return
        self._ctx.switch_gallery(store)
        remember_gallery(self._qsettings, path if isinstance(path, str) else store.path)
        log.info("gallery %s open", store.path)
        self._window.statusBar().showMessage(f"Opened {store.path.name}", 4000)
        self.open_finished.emit(redact_location(str(path)), "")

    def _refuse(self, path: Path | str, error: str) -> None:
        text = refusal_text(path, error, self._ctx.store.path.name)
        self._tell(QMessageBox.Icon.Warning, "Open gallery", text)
        self.open_finished.emit(redact_location(str(path)), error)

    # -- export ------------------------------------------------------------------------

    def export_to(self, path: Path, overwrite: bool = True) -> None:
        """Write the whole gallery to the archive ``path``, off the GUI thread.

        An existing ``path`` is replaced only with ``overwrite`` (the file dialog asked).
        """
        job = export_job(Path(path), self._ctx.pipeline, overwrite)
        self._run(job, False, "Exporting the gallery…", self._on_exported)

    def _on_exported(self, summary: object, error: str | None) -> None:
        if error is not None:
            self._tell(QMessageBox.Icon.Warning, "Export gallery", failure_text("export", error))
            self.export_finished.emit(None, error)
            return
        text = export_report(summary)  # type: ignore[arg-type]
        self._tell(QMessageBox.Icon.Information, "Export gallery", text)
        self.export_finished.emit(summary, "")

    # -- import ------------------------------------------------------------------------

    def import_from(self, path: Path) -> None:
        """Read and check the archive ``path``, ask about people enrolled already, import."""
        path = Path(path)
        job = read_job(path, self._ctx.pipeline)
        self._run(job, False, "Reading the gallery file…", lambda r, e: self._on_read(path, r, e))

    def _on_read(self, path: Path, result: object, error: str | None) -> None:
        if error is not None:
            self._import_failed(error)
            return
        archive, clashes = result  # type: ignore[misc]
        if not clashes:
            self._import(path, archive, "fail")
            return
        dialog = ImportConflictDialog(
            path.name, clashes, len(archive.people), archive.n_samples, self._window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._import(path, archive, dialog.policy()))
        dialog.rejected.connect(lambda: self.import_finished.emit(None, ""))
        dialog.open()
        self.conflict_asked.emit(dialog)

    def _import(self, path: Path, archive: GalleryArchive, policy: str) -> None:
        def done(summary: object, error: str | None) -> None:
            if error is not None:
                self._import_failed(error)
                return
            text = import_report(summary, path.name)  # type: ignore[arg-type]
            self._tell(QMessageBox.Icon.Information, "Import gallery", text)
            self.import_finished.emit(summary, "")

        self._run(import_job(archive, policy), True, "Importing the gallery…", done)

    def _import_failed(self, error: str) -> None:
        self._tell(QMessageBox.Icon.Warning, "Import gallery", failure_text("import", error))
        self.import_finished.emit(None, error)

    # -- jobs and messages ---------------------------------------------------------------

    def _run(
        self,
        job: Callable[[GalleryStore], object],
        write: bool,
        label: str,
        done: JobDone,
    ) -> None:
        ticket = self._ctx.gallery.submit_job(job, write, (ArchiveError, ModelError))
        self._work.start_job(ticket, done)
        if self._progress is None:
            self._progress = busy(self._window, label)

    @Slot(int, object, object)
    def _on_gallery_job_finished(self, ticket: int, result: object, error: object) -> None:
        done = self._work.end_job(ticket)
        if done is None:
            return
        if not self._work.jobs_running() and self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        done(result, None if error is None else str(error))

    def _tell(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        log.info("%s: %s", title, " ".join(text.split()))
        self.last_message = tell(self._window, icon, title, text)

    # -- actions -------------------------------------------------------------------------

    def _folder(self) -> str:
        path = self._ctx.store.path
        documents = documents_folder()
        return str(start_folder(path, documents) if isinstance(path, Path) else documents)

    def _ask_file(
        self, save: bool, title: str, filters: str, then: Callable[[Path], None], start: str = ""
    ) -> None:
        """Ask for a file (``save``: a name to write) and pass it to ``then``, unless cancelled."""
        ask = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        name, _ = ask(self._window, title, start or self._folder(), filters)
        if name:
            then(Path(name))

    @Slot()
    def _on_connect_action_triggered(self) -> None:
        dialog = SharedGalleryDialog(self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        recent = recent_shared_galleries(self._qsettings)
        if recent:  # the addresses used before: the newest filled in, all offered
            completer = QCompleter(recent, dialog.address)
            completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
            dialog.address.setCompleter(completer)
            dialog.address.setText(recent[0])
            dialog.address.selectAll()
        self.last_connect_dialog = dialog
        dialog.accepted.connect(lambda: self.connect_shared(dialog.location()))
        dialog.open()

    @Slot()
    def _on_recent_menu_about_to_show(self) -> None:
        menu = self.recent_menu
        menu.clear()
        for entry in recent_entries(self._qsettings, self._ctx.store):
            action = menu.addAction(entry.text)
            action.setEnabled(entry.enabled)
            opens = self.open_gallery if isinstance(entry.location, Path) else self.connect_shared
            action.triggered.connect(lambda _=False, o=opens, at=entry.location: o(at))
        if menu.isEmpty():
            menu.addAction("No recent galleries").setEnabled(False)

    @Slot()
    def _on_export_action_triggered(self) -> None:
        suggested = str(Path(self._folder()) / export_name(date.today()))
        self._ask_file(
            True,
            "Export gallery",
            ARCHIVE_FILTER,
            lambda path: self.export_to(*export_target(path)),
            suggested,
        )
