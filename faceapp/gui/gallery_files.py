"""GalleryFiles: new, open and recent gallery files, export and import, and which file is open."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, cast

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

from faceapp import __version__, paths
from faceapp.core.errors import ModelError
from faceapp.core.pipeline import FacePipeline
from faceapp.gui.context import AppContext
from faceapp.gui.loop_worker import LoopWorker
from faceapp.gui.safe_text import html_literal, make_plain
from faceapp.gui.widgets.gallery_file import (
    ImportConflictDialog,
    SharedGalleryDialog,
    export_report,
    import_report,
    shared_gallery_problem,
)
from faceapp.storage.archive import (
    ArchiveError,
    GalleryArchive,
    conflicts,
    export_gallery,
    import_archive,
    read_archive,
)
from faceapp.storage.gallery import GalleryError, GalleryStore
from faceapp.storage.postgres_location import (
    DatabaseLocation,
    is_database_location,
    redact_location,
)

log = logging.getLogger(__name__)

#: QSettings keys: the gallery chosen last in the window (a file, or a shared gallery's
#: address), the recent files and the recent shared addresses (newest first).  An
#: address holding a password is never stored (passwords live in libpq's own places).
LAST_KEY = "gallery/path"
RECENT_KEY = "gallery/recent"
SHARED_KEY = "gallery/shared"
#: Recent galleries kept in the File menu.
MAX_RECENT = 6
GALLERY_FILTER = "faceapp galleries (*.sqlite3 *.sqlite *.db);;All files (*)"
ARCHIVE_FILTER = "Gallery archives (*.zip);;All files (*)"


def _strings(qsettings: QSettings, key: str) -> list[str]:
    raw = qsettings.value(key, [])
    items = [raw] if isinstance(raw, str) else list(raw or [])
    return [p for p in items if isinstance(p, str) and p]


def _storable_address(address: str) -> bool:
    """Tell whether ``address`` is a shared gallery's address free of any password."""
    return is_database_location(address) and redact_location(address) == address


def recent_galleries(qsettings: QSettings) -> list[Path]:
    """Return the gallery files opened recently in the window, newest first."""
    return [Path(p) for p in _strings(qsettings, RECENT_KEY)][:MAX_RECENT]


def recent_shared_galleries(qsettings: QSettings) -> list[str]:
    """Return the shared galleries' addresses used recently in the window, newest first.

    None holds a password (one that somehow does is left out).
    """
    return [a for a in _strings(qsettings, SHARED_KEY) if _storable_address(a)][:MAX_RECENT]


def remembered_gallery(qsettings: QSettings) -> Path | str | None:
    """Return the gallery last chosen in the window, or None.

    A file is returned only while it still exists; a shared gallery as its address
    (``postgresql://…`` or ``service=NAME``, never holding a password).
    """
    raw = qsettings.value(LAST_KEY)
    if not isinstance(raw, str) or not raw:
        return None
    if is_database_location(raw):
        return raw if _storable_address(raw) else None
    path = Path(raw)
    if not path.is_file():
        log.warning("the gallery chosen last, %s, is gone; using the default gallery", path)
        return None
    return path


def remember_gallery(qsettings: QSettings, location: Path | str) -> None:
    """Record ``location`` as the gallery to open next time and first of the recent ones.

    ``location`` is a file's path or a shared gallery's address; an address holding a
    password is not recorded at all (the next start opens the gallery chosen before).
    """
    if isinstance(location, str) or not isinstance(location, Path):
        address = str(getattr(location, "conninfo", location))
        if not _storable_address(address):
            shown = redact_location(address)
            log.warning(
                "the shared gallery %s is not remembered: its address has a password", shown
            )
            return
        shared = [a for a in recent_shared_galleries(qsettings) if a != address]
        qsettings.setValue(LAST_KEY, address)
        qsettings.setValue(SHARED_KEY, [address, *shared][:MAX_RECENT])
        qsettings.sync()
        return
    qsettings.setValue(LAST_KEY, str(Path(location).absolute()))
    add_recent_gallery(qsettings, location)


def add_recent_gallery(qsettings: QSettings, path: Path) -> None:
    """Put ``path`` first among the recent galleries (the one to open next is unchanged)."""
    if not isinstance(path, Path):
        return  # a shared gallery: see remember_gallery
    path = Path(path).absolute()
    recent = [p for p in recent_galleries(qsettings) if p != path]
    qsettings.setValue(RECENT_KEY, [str(p) for p in [path, *recent][:MAX_RECENT]])
    qsettings.sync()


def documents_folder() -> Path:
    """Return the user's Documents folder, or the home folder when there is none."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if location and Path(location).is_dir():
        return Path(location)
    return Path.home()


def start_folder(gallery: Path) -> Path:
    """Return where the file dialogs of gallery files start, next to ``gallery``.

    That is the gallery's folder when the user chose it, but the Documents folder (see
    :func:`documents_folder`) when the gallery lies in faceapp's own data folder (the
    default gallery's, hidden on Linux) or in another hidden folder: files the user
    exports or creates belong where they will find them again.
    """
    folder = Path(gallery).absolute().parent
    data = paths.user_data_path().absolute()
    hidden = any(part.startswith(".") for part in folder.parts)
    if hidden or folder == data or data in folder.parents or not folder.is_dir():
        return documents_folder()
    return folder


def _open_store(location: Path | str) -> GalleryStore:
    """Open a gallery file, or connect to a shared gallery (``postgresql://…``, ``service=``)."""
    store: Any
    if isinstance(location, str) and is_database_location(location):
        from faceapp.storage.postgres import PostgresStore

        store = PostgresStore(location)
    else:
        store = GalleryStore(Path(location))
    return cast(GalleryStore, store)


def startup_gallery(chosen: Path | str | None, qsettings: QSettings) -> GalleryStore:
    """Open the gallery to start with: ``chosen`` (``--gallery``), the last one, or the default.

    Each may be a file or a shared gallery's address.  The gallery chosen last in the
    window is passed over (with a warning in the log) when it is gone or cannot be
    opened any more (a shared gallery's server unreachable): the user's default
    gallery opens, so that a damaged file or a server away never keeps the window
    from starting.

    Raises
    ------
    GalleryError, OSError
        When ``chosen`` (or the default gallery) cannot be opened.
    """
    remembered = None if chosen is not None else remembered_gallery(qsettings)
    if remembered is not None:
        try:
            store = _open_store(remembered)
            store.revision()
            return store
        except (GalleryError, OSError) as exc:
            log.warning("the gallery chosen last cannot be opened (%s); using the default", exc)
    store = _open_store(chosen if chosen is not None else paths.default_gallery_path())
    store.revision()  # opens and checks the file; the people are read by the window
    return store


def model_sha256(pipeline: FacePipeline) -> str:
    """Return the SHA-256 of the FaceNet weights in use (reads the file: not on the GUI thread).

    Raises
    ------
    ModelError
        When the weights are missing.
    """
    identity = getattr(pipeline.embedder, "weights_sha256", None)
    if identity is None:
        from faceapp.core.embedding import create_embedder

        identity = create_embedder().weights_sha256
    return str(identity())


class GalleryOpener(LoopWorker):
    """Opens (or creates) one gallery file, or connects to a shared one, in its own thread.

    Parameters
    ----------
    path : Path or str
        A gallery file, or the address of a shared gallery (``postgresql://…``,
        ``service=NAME``).
    create : bool
        Create the file (an empty gallery) when it does not exist.
    """

    #: Emitted from the worker thread: the open :class:`GalleryStore` or None, and the
    #: error message ("" on success).
    opened = Signal(object, str)

    def __init__(self, path: Path | str, create: bool) -> None:
        super().__init__()
        self.path = path
        self._create = create

    def _loop(self) -> None:
        store: Any
        try:
            if isinstance(self.path, str):
                from faceapp.storage.postgres import PostgresStore

                store = PostgresStore(self.path)
            else:
                store = GalleryStore(self.path)
            if self._create:
                store.write_transaction(lambda conn: None)
            store.revision()
        except (GalleryError, OSError) as exc:
            self.opened.emit(None, str(exc))
        else:
            self.opened.emit(store, "")


class GalleryFiles(QObject):
    """The window's gallery file actions and the name of the file open; lives on the GUI thread.

    Adds File → New gallery…, Open gallery…, Open recent and Gallery → Export gallery…,
    Import gallery… to ``window``'s menus, shows the open file in the title
    (``faceapp — <file name>``) and in the status bar (full path as tool tip), and
    remembers the file chosen for the next start.  Opening and creating files run in a
    :class:`GalleryOpener` thread, export and import in the gallery thread
    (:meth:`AppContext.run_gallery_job`); messages are window-modal boxes that never
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
        self._opener: GalleryOpener | None = None
        self._jobs: dict[int, Callable[[object, str | None], None]] = {}
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

        self.new_action.triggered.connect(self._on_new_action_triggered)
        self.open_action.triggered.connect(self._on_open_action_triggered)
        self.connect_action.triggered.connect(self._on_connect_action_triggered)
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.import_action.triggered.connect(self._on_import_action_triggered)
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

    def busy(self) -> bool:
        """Return True while a file is being opened, exported or imported."""
        return self._opener is not None or bool(self._jobs)

    # -- which file --------------------------------------------------------------------

    def _show_path(self, path: Path) -> None:
        if not isinstance(path, Path):  # a shared gallery: its name and hidden address
            self._window.setWindowTitle(f"faceapp — {path.name}")
            self.status_gallery.setText(f"Shared gallery: {path.name}")
            self.status_gallery.setToolTip(html_literal(str(path)))
            return
        self._window.setWindowTitle(f"faceapp — {path.name}")
        self.status_gallery.setText(f"Gallery: {path.name}")
        self.status_gallery.setToolTip(html_literal(str(path.absolute())))
        self.open_action.setToolTip(html_literal(f"Open: {path.absolute()}"))

    @Slot(str)
    def _on_gallery_switched(self, path: str) -> None:
        self._show_path(self._ctx.store.path if is_database_location(path) else Path(path))

    # -- open and new ------------------------------------------------------------------

    def connect_shared(self, address: str) -> None:
        """Switch to the shared (PostgreSQL) gallery at ``address``.

        ``address`` is ``postgresql://…`` or ``service=NAME``; one holding a password is
        refused (the password belongs in ``~/.pgpass`` or a libpq service).  Connecting
        runs in a :class:`GalleryOpener` thread; ``open_finished`` reports it with the
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
        current = self._ctx.store.path
        if isinstance(current, Path) and path.absolute() == current.absolute():
            self._window.statusBar().showMessage(f"{path.name} is already open", 4000)
            self.open_finished.emit(str(path), "")
            return
        if path.absolute() == paths.default_gallery_path().absolute():
            # The default gallery has no file until someone is enrolled: open it anyway.
            self._start_opener(path, create=not path.exists())
            return
        if not path.is_file():
            self._refuse(path, f"{path}: no such file")
            return
        self._start_opener(path, create=False)

    def new_gallery(self, path: Path) -> None:
        """Create an empty gallery file at ``path`` and switch to it (never overwrites)."""
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".sqlite3")
        if path.exists():
            self._refuse(path, f"{path.name} exists already: open it with Open gallery…")
            return
        self._start_opener(path, create=True)

    def _start_opener(self, path: Path | str, create: bool) -> None:
        if self.busy():
            self._window.statusBar().showMessage("Busy with a gallery file; try again soon", 4000)
            return
        opener = GalleryOpener(path, create)
        opener.opened.connect(self._on_opener_opened)
        self._opener = opener
        opener.start("faceapp-gallery-open")

    @Slot(object, str)
    def _on_opener_opened(self, store: GalleryStore | None, error: str) -> None:
        opener, self._opener = self._opener, None
        if opener is None:
            return
        opener.stop()
        if store is None:
            self._refuse(opener.path, error)
            return
        self._ctx.switch_gallery(store)
        remember_gallery(
            self._qsettings, opener.path if isinstance(opener.path, str) else store.path
        )
        log.info("gallery %s open", store.path)
        self._window.statusBar().showMessage(f"Opened {store.path.name}", 4000)
        self.open_finished.emit(redact_location(str(opener.path)), "")

    def _refuse(self, path: Path | str, error: str) -> None:
        current = self._ctx.store.path.name
        shown = path.name if isinstance(path, Path) else redact_location(path)
        self._tell(
            QMessageBox.Icon.Warning,
            "Open gallery",
            f"Cannot use {shown} as the gallery: {error}\n\n{current} stays open.",
        )
        self.open_finished.emit(redact_location(str(path)), error)

    # -- export ------------------------------------------------------------------------

    def export_to(self, path: Path, overwrite: bool = True) -> None:
        """Write the whole gallery to the archive ``path``, off the GUI thread.

        An existing ``path`` is replaced only with ``overwrite`` (the file dialog asked).
        """
        path = Path(path)
        pipeline = self._ctx.pipeline

        def job(store: GalleryStore) -> object:
            return export_gallery(
                store, path, model_sha256(pipeline), overwrite=overwrite, app_version=__version__
            )

        self._run(job, False, "Exporting the gallery…", self._on_exported)

    def _on_exported(self, summary: object, error: str | None) -> None:
        if error is not None:
            self._tell(QMessageBox.Icon.Warning, "Export gallery", f"Nothing exported: {error}")
            self.export_finished.emit(None, error)
            return
        text = export_report(summary)  # type: ignore[arg-type]
        self._tell(QMessageBox.Icon.Information, "Export gallery", text)
        self.export_finished.emit(summary, "")

    # -- import ------------------------------------------------------------------------

    def import_from(self, path: Path) -> None:
        """Read and check the archive ``path``, ask about people enrolled already, import."""
        path = Path(path)
        pipeline = self._ctx.pipeline

        def job(store: GalleryStore) -> object:
            from faceapp.core.embedding.facenet_model import EMBEDDING_DIM

            archive = read_archive(path, model_sha256(pipeline), EMBEDDING_DIM)
            return archive, tuple(conflicts(store, archive))

        self._run(job, False, "Reading the gallery file…", lambda r, e: self._on_read(path, r, e))

    def _on_read(self, path: Path, result: object, error: str | None) -> None:
        if error is not None:
            self._import_failed(error)
            return
        archive, clashes = result  # type: ignore[misc]
        if not archive.people:
            self._import_failed(f"{path.name} holds nobody")
            return
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
        def job(store: GalleryStore) -> object:
            return import_archive(store, archive, policy)  # type: ignore[arg-type]

        def done(summary: object, error: str | None) -> None:
            if error is not None:
                self._import_failed(error)
                return
            text = import_report(summary, path.name)  # type: ignore[arg-type]
            self._tell(QMessageBox.Icon.Information, "Import gallery", text)
            self.import_finished.emit(summary, "")

        self._run(job, True, "Importing the gallery…", done)

    def _import_failed(self, error: str) -> None:
        self._tell(
            QMessageBox.Icon.Warning,
            "Import gallery",
            f"Nothing imported: {error}\n\nThe gallery is unchanged.",
        )
        self.import_finished.emit(None, error)

    # -- jobs and messages ---------------------------------------------------------------

    def _run(
        self,
        job: Callable[[GalleryStore], object],
        write: bool,
        label: str,
        done: Callable[[object, str | None], None],
    ) -> None:
        ticket = self._ctx.run_gallery_job(job, write, (ArchiveError, ModelError))
        self._jobs[ticket] = done
        if self._progress is None:
            progress = QProgressDialog(html_literal(label), "", 0, 0, self._window)
            progress.setCancelButton(None)  # type: ignore[arg-type]
            progress.setWindowTitle("faceapp")
            progress.setWindowModality(Qt.WindowModality.WindowModal)
            progress.setMinimumDuration(400)
            self._progress = progress

    @Slot(int, object, object)
    def _on_gallery_job_finished(self, ticket: int, result: object, error: object) -> None:
        done = self._jobs.pop(ticket, None)
        if done is None:
            return
        if not self._jobs and self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        done(result, None if error is None else str(error))

    def _tell(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        log.info("%s: %s", title, " ".join(text.split()))
        box = QMessageBox(
            icon, title, html_literal(text), QMessageBox.StandardButton.Ok, self._window
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.last_message = box
        box.open()

    # -- actions -------------------------------------------------------------------------

    def _folder(self) -> str:
        path = self._ctx.store.path
        return str(start_folder(path) if isinstance(path, Path) else documents_folder())

    @Slot()
    def _on_new_action_triggered(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self._window, "New gallery", self._folder(), GALLERY_FILTER
        )
        if name:
            self.new_gallery(Path(name))

    @Slot()
    def _on_open_action_triggered(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self._window, "Open gallery", self._folder(), GALLERY_FILTER
        )
        if name:
            self.open_gallery(Path(name))

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
        path = self._ctx.store.path
        current = path.absolute() if isinstance(path, Path) else None
        default = paths.default_gallery_path().absolute()
        for path in recent_galleries(self._qsettings):
            action = menu.addAction(f"{path.name}  ({path.parent})".replace("&", "&&"))
            action.setEnabled(path != current and (path.is_file() or path == default))
            action.triggered.connect(lambda _=False, p=path: self.open_gallery(p))
        here = getattr(self._ctx.store, "conninfo", None)
        for address in recent_shared_galleries(self._qsettings):
            name = DatabaseLocation(address).name
            action = menu.addAction(f"Shared: {name}  ({address})".replace("&", "&&"))
            action.setEnabled(address != here)
            action.triggered.connect(lambda _=False, a=address: self.connect_shared(a))
        if menu.isEmpty():
            menu.addAction("No recent galleries").setEnabled(False)

    @Slot()
    def _on_export_action_triggered(self) -> None:
        suggested = Path(self._folder()) / f"faceapp-gallery-{date.today().isoformat()}.zip"
        name, _ = QFileDialog.getSaveFileName(
            self._window, "Export gallery", str(suggested), ARCHIVE_FILTER
        )
        if name:
            path = Path(name)
            if path.suffix:
                self.export_to(path)
            else:  # the dialog asked about the name without ".zip", not this one
                self.export_to(path.with_suffix(".zip"), overwrite=False)

    @Slot()
    def _on_import_action_triggered(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self._window, "Import gallery", self._folder(), ARCHIVE_FILTER
        )
        if name:
            self.import_from(Path(name))
