"""GalleryPanel: the enrolled people with thumbnails and sample counts, a search box; edits."""

from __future__ import annotations

import logging

from PySide6.QtCore import (
    QItemSelectionModel,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QLineEdit,
    QListView,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui.context import AppContext
from faceapp.gui.dialogs.help_dialogs import SHORTCUT_LABEL
from faceapp.gui.dialogs.samples_dialog import SamplesDialog
from faceapp.gui.images import THUMB_PX
from faceapp.gui.people import PeopleModel
from faceapp.gui.prompts import ask_name, ask_photos, confirm, show_error
from faceapp.gui.safe_text import hint_label
from faceapp.session.gallery import GalleryEdit
from faceapp.session.gallery_panel_view import PendingEdits, one_sample_hint
from faceapp.session.panel_text import (
    add_photos_question,
    delete_person_question,
    empty_gallery_text,
    people_count_text,
)
from faceapp.storage.gallery import Person, clean_name

log = logging.getLogger(__name__)


#: Rows of people the list shows at least, and prefers to show, when there is room.
MIN_ROWS = 2
PREFERRED_ROWS = 4


class PeopleListView(QListView):
    """The people list: it asks for room for :data:`MIN_ROWS` rows at least.

    Its preferred height is :data:`PREFERRED_ROWS` rows, so that the panels above give
    way to it on a low window before they scroll away.
    """

    def _rows_height(self, rows: int) -> int:
        model = self.model()
        row = self.sizeHintForRow(0) if model is not None and model.rowCount() else -1
        if row <= 0:
            row = THUMB_PX + 10  # the icon and the item's padding
        margins = self.contentsMargins()
        return rows * row + margins.top() + margins.bottom()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Return room for :data:`MIN_ROWS` rows."""
        return QSize(super().minimumSizeHint().width(), self._rows_height(MIN_ROWS))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Return room for :data:`PREFERRED_ROWS` rows."""
        return QSize(super().sizeHint().width(), self._rows_height(PREFERRED_ROWS))


class GalleryPanel(QWidget):
    """Lists the enrolled people and edits the gallery.

    A ``QListView`` over a :class:`PeopleModel`: rows have one size and thumbnails are
    loaded for the rows on screen only, so it stays quick with 100,000 people; the
    search box lists the names containing what is typed.  A person with one sample is
    marked; selected, the panel says why more samples help and offers guided capture
    ("Add samples (guided)…", also in the list's context menu).  On the selected person
    F2 renames, Delete deletes (after the same question as the button) and Enter opens
    the samples; the list's context menu offers the same.  Edits go through the context
    and return at once; a failed edit shows its reason.

    Parameters
    ----------
    ctx : AppContext
        Gallery reads and writes go through it; followed through its people signals.
    """

    #: Emitted when the user asks to enrol the face in view; carries the selected
    #: person's name (or "") to suggest.
    capture_requested = Signal(str)
    #: Emitted with a name and the photo files to enrol for that person.
    files_chosen = Signal(str, list)
    #: Emitted when the user asks for more samples of an enrolled person by guided
    #: capture (several poses, taken by themselves): their name.
    guided_capture_requested = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._edits = PendingEdits()
        self.model = PeopleModel(ctx, with_counts=True, thumbnails=True, parent=self)
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("peopleSearch")
        self.search_edit.setPlaceholderText("Search names…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search the gallery")
        self.people_list = PeopleListView()
        self.people_list.setObjectName("peopleList")
        self.people_list.setModel(self.model)
        self.people_list.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.people_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.people_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Uniform rows: the view computes one row's size, not 100,000.  (The layout is
        # done in one pass: a batched layout would jump back towards the top of the
        # list on every change, losing the user's place.)
        self.people_list.setUniformItemSizes(True)
        # A long name is cut with an ellipsis (its tooltip has it whole), never scrolled.
        self.people_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.people_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.count_label = hint_label(wrap=False)
        self.empty_label = hint_label()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.capture_button = QPushButton("Capture face")
        self.capture_button.setObjectName("primary")
        self.capture_button.setToolTip("Enrol the face in the current frame")
        self.add_files_button = QPushButton("Add photos…")
        self.add_files_button.setToolTip("Enrol faces from photo files (several at once)")
        self.rename_button = QPushButton("Rename…")
        self.samples_button = QPushButton("Samples…")
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("danger")
        self.guided_action = QAction("Add samples (guided)…", self)
        self.guided_action.setToolTip(
            "Take 3–5 more samples of the selected person, in several poses, from the face in view"
        )
        # Keys on the selected person (while the list has the focus), also its context menu.
        self.rename_action = self._list_action(
            "Rename…", "Rename the selected person", QKeySequence("F2")
        )
        self.samples_action = self._list_action(
            "Samples…",
            "Samples of the selected person",
            QKeySequence("Return"),
            QKeySequence("Enter"),
        )
        self.delete_action = self._list_action(
            "Delete…",
            "Delete the selected person",
            *QKeySequence.keyBindings(QKeySequence.StandardKey.Delete),
        )
        self.people_list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.people_list.addActions(
            [self.guided_action, self.rename_action, self.samples_action, self.delete_action]
        )
        # Shown for a selected person with one sample: why more help, and how to add them.
        self.one_sample_label = hint_label()
        self.one_sample_label.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )
        self.one_sample_label.setMinimumWidth(1)
        self.guided_button = QPushButton(self.guided_action.text())
        self.guided_button.setToolTip(self.guided_action.toolTip())
        self.one_sample_row = QWidget()
        one_sample = QVBoxLayout(self.one_sample_row)
        one_sample.setContentsMargins(0, 0, 0, 0)
        one_sample.addWidget(self.one_sample_label)
        one_sample.addWidget(self.guided_button)

        buttons = QGridLayout()
        buttons.addWidget(self.capture_button, 0, 0, 1, 3)
        buttons.addWidget(self.add_files_button, 0, 3, 1, 3)
        buttons.addWidget(self.rename_button, 1, 0, 1, 2)
        buttons.addWidget(self.samples_button, 1, 2, 1, 2)
        buttons.addWidget(self.delete_button, 1, 4, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.people_list, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.one_sample_row)
        layout.addLayout(buttons)

        self.people_list.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.people_list.doubleClicked.connect(self._on_samples_clicked)
        self.search_edit.textChanged.connect(self._on_search_text_changed)
        self.capture_button.clicked.connect(
            lambda: self.capture_requested.emit(self.selected_name())
        )
        self.add_files_button.clicked.connect(self._on_add_files_clicked)
        self.rename_button.clicked.connect(self._on_rename_clicked)
        self.samples_button.clicked.connect(self._on_samples_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.guided_action.triggered.connect(self._on_guided_action_triggered)
        self.rename_action.triggered.connect(self._on_rename_clicked)
        self.samples_action.triggered.connect(self._on_samples_clicked)
        self.delete_action.triggered.connect(self._on_delete_clicked)
        self.guided_button.clicked.connect(self.guided_action.trigger)
        for signal in (self.model.modelReset, self.model.rowsInserted, self.model.rowsRemoved):
            signal.connect(self._show_counts)
        ctx.people_reset.connect(self._show_counts)  # an empty list read: no row signal
        ctx.edit_finished.connect(self._on_edit_finished)
        # A sample count changed: the one-sample hint follows.
        ctx.person_updated.connect(self._on_selection_changed)
        self._show_counts()
        self._on_selection_changed()

    def _list_action(self, text: str, label: str, *keys: QKeySequence) -> QAction:
        """Return an action on the people list with ``keys`` (only while the list has focus).

        ``label`` names it in Help > Keyboard shortcuts.
        """
        action = QAction(text, self)
        action.setShortcuts(list(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setProperty(SHORTCUT_LABEL, label)
        return action

    # -- view --------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Return the names listed (after the search), in order."""
        return [p.name for p in self.model.people()]

    def select(self, name: str) -> None:
        """Select the person called ``name`` and scroll to them (no-op when not listed)."""
        row = self.model.row_of_name(name)
        if row >= 0:
            self._select_row(row)

    def selected_name(self) -> str:
        """Name of the selected person, or ""."""
        person = self.selected_person()
        return "" if person is None else person.name

    def selected_person(self) -> Person | None:
        """Return the selected person as listed, or None."""
        rows = self.people_list.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.person(rows[0].row())

    def _select_row(self, row: int) -> None:
        index = self.model.index(row)
        self.people_list.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.people_list.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    @Slot()
    def _show_counts(self) -> None:
        total, shown = len(self._ctx.people_list()), self.model.rowCount()
        self.people_list.setVisible(total > 0)
        self.empty_label.setVisible(total == 0)
        self.empty_label.setText(empty_gallery_text(self._ctx.people_loaded))
        self.count_label.setText(people_count_text(total, shown, bool(self.model.filter_text())))

    # -- slots -------------------------------------------------------------------------

    @Slot(str)
    def _on_search_text_changed(self, text: str) -> None:
        selected = self.selected_person()
        self.model.set_filter(text)
        if selected is not None:
            self.select(selected.name)
        self._on_selection_changed()

    @Slot()
    def _on_selection_changed(self) -> None:
        person = self.selected_person()
        for b in (self.rename_button, self.samples_button, self.delete_button):
            b.setEnabled(person is not None)
        for a in (self.guided_action, self.rename_action, self.samples_action, self.delete_action):
            a.setEnabled(person is not None)
        rate = self._ctx.settings.stranger_rate
        hint = one_sample_hint(person, len(self._ctx.people_list()), rate)
        self.one_sample_row.setVisible(bool(hint))
        self.one_sample_label.setText(hint)

    @Slot()
    def _on_guided_action_triggered(self) -> None:
        name = self.selected_name()
        if name:
            self.guided_capture_requested.emit(name)

    @Slot()
    def _on_add_files_clicked(self) -> None:
        files = ask_photos(self, "Add photos")
        if not files:
            return
        name = ask_name(
            self,
            "Add photos",
            add_photos_question(len(files)),
            self.selected_name(),
            [p.name for p in self._ctx.people()],
        )
        if name is None:
            return
        try:
            name = clean_name(name)
        except ValueError as exc:
            show_error(self, "Cannot add the photos", str(exc))
            return
        self.files_chosen.emit(name, files)

    @Slot()
    def _on_rename_clicked(self) -> None:
        person = self.selected_person()
        if person is None:
            return
        new = ask_name(self, "Rename", f"New name for {person.name}:", person.name)
        if new is None or new.strip() == person.name:
            return
        self._edits.add(self._ctx.gallery.rename(person.id, new), "Cannot rename")

    @Slot()
    def _on_delete_clicked(self) -> None:
        person = self.selected_person()
        if person is None:
            return
        if not confirm(self, "Delete person", delete_person_question(person.name)):
            return
        self._edits.add(self._ctx.gallery.remove_person(person.id), "Cannot delete")

    @Slot(object)
    def _on_edit_finished(self, edit: GalleryEdit) -> None:
        failure = self._edits.failure(edit)
        if failure is not None:
            show_error(self, *failure)

    @Slot()
    def _on_samples_clicked(self) -> None:
        person = self.selected_person()
        if person is None:
            return
        dialog = SamplesDialog(self._ctx, person.id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
