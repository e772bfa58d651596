"""UnknownFacesDialog: the unknown faces grouped by person, to name, add, ignore or merge."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QSize, Qt, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractItemView,
    QInputDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui.context import AppContext
from faceapp.gui.dialogs.face_namer import FacesDialog
from faceapp.gui.images import icon_of, jpeg_image
from faceapp.gui.loop_worker import CallWorker
from faceapp.gui.safe_text import html_literal, plain_label
from faceapp.gui.widgets.tables import hbox
from faceapp.session.latest_read import LatestRead
from faceapp.session.unknown_faces import UnknownGroups, load_groups
from faceapp.session.unknown_rows import (
    IGNORE,
    MERGE,
    TAKE_OUT,
    action_end,
    group_actions,
    group_job,
    group_text,
    group_tip,
    groups_summary,
    naming_note,
    selection_text,
)
from faceapp.storage.history import FaceGroup

#: Side of a group's face in the list of groups, in pixels.
GROUP_ICON_PX = 56
#: Side of each face of the selected group, in pixels.
FACE_ICON_PX = 72
#: Data role holding a list item's group id (groups) or event id (faces).
ID_ROLE = Qt.ItemDataRole.UserRole


def _add_item(
    view: QListWidget, item_id: int, crop: QImage | None, tip: str, text: str = ""
) -> QListWidgetItem:
    """Add an item of ``text`` and the picture ``crop`` to ``view``, its id under ID_ROLE."""
    item = QListWidgetItem(text)
    item.setData(ID_ROLE, item_id)
    if crop is not None:
        item.setIcon(icon_of(crop))
    item.setToolTip(tip)
    view.addItem(item)
    return item


class UnknownFacesDialog(FacesDialog):
    """The faces the window did not know, grouped by person, to be named in one go.

    The groups (:func:`~faceapp.session.unknown_faces.load_groups`: the history's
    unknown faces kept with their embedding, grouped by average-linkage clustering) are
    read and computed in a :class:`CallWorker` thread; naming, adding, ignoring, merging
    and taking a face out run in the gallery thread (``ctx.gallery.submit_job``), after
    which the groups are read again and the window's gallery follows.  The largest and
    most recently seen group is selected on opening: *Name…*, a name and Enter enrol it.

    Parameters
    ----------
    ctx : AppContext
    parent : QWidget, optional
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, naming_note, "Grouping the unknown faces…")
        self._data: UnknownGroups | None = None
        self._by_id: dict[int, FaceGroup] = {}
        #: The reads of the groups (their tickets).
        self.reads = LatestRead()
        self._jobs: dict[int, str] = {}  # ticket: the action
        self._loader = CallWorker("faceapp-unknown-faces")
        self._loader.done.connect(self._on_loaded)
        self._loader.failed.connect(self._on_load_failed)
        self.finished.connect(self._loader.stop)  # a grouping still running is abandoned
        self.namer.started.connect(self._on_naming_started)
        self.setWindowTitle("Unknown faces")
        self.setObjectName("unknownFacesDialog")
        self.resize(940, 600)

        self.groups = QListWidget()
        self.groups.setObjectName("groups")
        self.groups.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.groups.setIconSize(QSize(GROUP_ICON_PX, GROUP_ICON_PX))
        self.groups.setSpacing(2)
        self.groups.setMinimumWidth(400)
        self.groups.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.groups.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.faces = QListWidget()
        self.faces.setObjectName("faces")
        self.faces.setViewMode(QListView.ViewMode.IconMode)
        self.faces.setIconSize(QSize(FACE_ICON_PX, FACE_ICON_PX))
        self.faces.setResizeMode(QListView.ResizeMode.Adjust)
        self.faces.setMovement(QListView.Movement.Static)
        self.faces.setSpacing(4)
        self.faces.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.detail = plain_label()
        self.detail.setWordWrap(True)

        self.name_button = QPushButton("Name…")
        self.name_button.setObjectName("primary")
        self.name_button.setToolTip("Enrol a new person from the group's best faces")
        self.add_button = QPushButton("Add to…")
        self.add_button.setToolTip("Add the group's best faces to someone enrolled")
        self.ignore_button = QPushButton("Ignore")
        self.ignore_button.setToolTip("Forget these faces (their crops and embeddings)")
        self.merge_button = QPushButton("Merge")
        self.merge_button.setToolTip("Select two or more groups of one person to make one group")
        self.take_out_button = QPushButton("Take out of group")
        self.take_out_button.setToolTip("The selected faces are someone else: a group of their own")
        self.refresh_button = QPushButton("Refresh")
        self.close_button = QPushButton("Close")

        actions = hbox(
            *(self.name_button, self.add_button, self.ignore_button, self.merge_button),
            *(None, self.take_out_button),
        )
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail)
        right_layout.addWidget(self.faces, 1)
        right_layout.addLayout(actions)
        split = QSplitter()
        split.addWidget(self.groups)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([400, 540])
        bottom = hbox((self.summary, 1), self.refresh_button, self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Faces seen while history was on that nobody enrolled matched, grouped by "
                "person. Select a group, then Name… to enrol it."
            )
        )
        layout.addWidget(split, 1)
        layout.addLayout(bottom)

        self.groups.itemSelectionChanged.connect(self._on_groups_selection_changed)
        self.faces.itemSelectionChanged.connect(self._update_buttons)
        self.name_button.clicked.connect(lambda: self.ask(new=True))
        self.add_button.clicked.connect(lambda: self.ask(new=False))
        self.ignore_button.clicked.connect(lambda: self.run(IGNORE))
        self.merge_button.clicked.connect(lambda: self.run(MERGE))
        self.take_out_button.clicked.connect(lambda: self.run(TAKE_OUT))
        self.refresh_button.clicked.connect(self.reload)
        self.close_button.clicked.connect(self.close)
        ctx.gallery_job_finished.connect(self._on_gallery_job_finished)
        ctx.people_reset.connect(self._update_buttons)
        self._update_buttons()
        ctx.history.queue.flush_soon()  # what was just seen is among them
        self.reload()

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        """Abandon a grouping still running."""
        self._loader.stop()
        super().closeEvent(event)  # type: ignore[arg-type]

    # -- reading -------------------------------------------------------------------------

    def reload(self) -> int:
        """Read and group the unknown faces again (off the GUI thread); returns a ticket."""
        store = self._ctx.store
        what = "grouping the unknown faces"
        return self.reads.ask(self._loader.submit(lambda: load_groups(store, jpeg_image), what))

    @property
    def busy(self) -> bool:
        """True while an action runs in the gallery thread (its regrouping follows)."""
        return bool(self._jobs) or self.namer.busy

    def shown_groups(self) -> tuple[FaceGroup, ...]:
        """Return the groups listed, in order (empty before the first read)."""
        return self._data.groups if self._data is not None else ()

    @Slot(int, object)
    def _on_loaded(self, ticket: int, data: UnknownGroups) -> None:
        if not self.reads.take(ticket):
            return
        keep = set(self.selected_group_ids())
        self._data = data
        self._by_id = {g.id: g for g in data.groups}
        with QSignalBlocker(self.groups):
            self.groups.clear()
            for g in data.groups:
                tip = html_literal(group_tip(g))
                item = _add_item(self.groups, g.id, data.cover(g), tip, group_text(g))
                item.setSelected(g.id in keep)
            if not self.groups.selectedItems() and self.groups.count():
                self.groups.setCurrentRow(0)
        self.summary.setText(groups_summary(data.groups, self._note))
        self._on_groups_selection_changed()

    @Slot(int, str)
    def _on_load_failed(self, ticket: int, message: str) -> None:
        if ticket == self.reads.asked:
            self.summary.setText(f"The unknown faces cannot be read: {message}")

    # -- selection -----------------------------------------------------------------------

    def selected_group_ids(self) -> list[int]:
        """Return the ids of the selected groups, in list order."""
        return [
            int(self.groups.item(r).data(ID_ROLE))
            for r in range(self.groups.count())
            if self.groups.item(r).isSelected()
        ]

    def selected_groups(self) -> list[FaceGroup]:
        """Return the selected groups, in list order."""
        return [self._by_id[i] for i in self.selected_group_ids() if i in self._by_id]

    def select_group(self, group_id: int) -> None:
        """Select this group alone."""
        for r in range(self.groups.count()):
            item = self.groups.item(r)
            if item.data(ID_ROLE) == group_id:
                self.groups.setCurrentItem(item)
                return

    def selected_face_ids(self) -> list[int]:
        """Return the event ids of the faces selected in the group on show."""
        return [int(i.data(ID_ROLE)) for i in self.faces.selectedItems()]

    @Slot()
    def _on_groups_selection_changed(self) -> None:
        chosen = self.selected_groups()
        self.faces.clear()
        if len(chosen) == 1 and self._data is not None:
            for event_id in self._data.shown_faces(chosen[0]):
                crop = self._data.crops.get(event_id)
                _add_item(self.faces, event_id, crop, f"History event {event_id}")
        self.detail.setText(selection_text(chosen, self.faces.count()))
        self._update_buttons()

    @Slot()
    def _update_buttons(self) -> None:
        allowed = group_actions(
            self.selected_groups(), len(self.selected_face_ids()), bool(self._ctx.people())
        )
        self.name_button.setEnabled(allowed.name)
        self.add_button.setEnabled(allowed.add)
        self.add_button.setToolTip(allowed.add_tip)
        self.ignore_button.setEnabled(allowed.ignore)
        self.merge_button.setEnabled(allowed.merge)
        self.take_out_button.setEnabled(allowed.take_out)

    # -- actions ---------------------------------------------------------------------------

    def ask(self, new: bool) -> QInputDialog | None:
        """Ask who the selected group is: a new person's name, or someone enrolled.

        With ``new``, the name of a new person (Enter enrols the group); otherwise which
        enrolled person, from a list of names.  None unless one group is selected.
        """
        chosen = self.selected_groups()
        if len(chosen) != 1:
            return None
        ask = self.namer.ask_name if new else self.namer.ask_person
        return ask(chosen[0].event_ids)

    @Slot(object)
    def _on_naming_started(self, name: str) -> None:
        self.summary.setText(f"Enrolling {name}…")

    def run(self, action: str) -> int | None:
        """Run ``action`` on the selection in the gallery thread; returns the job's ticket.

        :data:`~faceapp.session.unknown_rows.IGNORE` forgets the faces of the selected
        groups, :data:`~faceapp.session.unknown_rows.MERGE` joins them into one and
        :data:`~faceapp.session.unknown_rows.TAKE_OUT` makes the selected faces a group
        of their own (the rest stays together).  None when the selection allows none.
        """
        job = group_job(action, self.selected_groups(), self.selected_face_ids())
        if job is None:
            return None
        ticket = self._ctx.gallery.submit_job(job, write=True)
        self._jobs[ticket] = action
        return ticket

    @Slot(int, object, object)
    def _on_gallery_job_finished(self, ticket: int, result: object, error: object) -> None:
        action = self._jobs.pop(ticket, None)
        if action is None:
            return
        self._note, failure = action_end(action, result, error)
        self.summary.setText(self._note or failure)
        if failure:
            QMessageBox.warning(self, "Unknown faces", html_literal(failure))
        self.reload()
