"""PeopleModel: the enrolled people as the window's list views show them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import QImage, QPixmap

from faceapp.gui.context import AppContext
from faceapp.gui.images import placeholder_pixmap
from faceapp.gui.safe_text import html_literal
from faceapp.session.panel_text import person_line, person_tip
from faceapp.session.people_rows import PeopleRows
from faceapp.session.thumbnail_cache import ThumbnailCache
from faceapp.storage.gallery import Person
from faceapp.storage.people import PeopleList, initials

_Index = QModelIndex | QPersistentModelIndex


class PeopleModel(QStringListModel):
    """The enrolled people as a list model, sorted by name ignoring case, optionally filtered.

    Follows the context's people signals row by row (a rename moves one row, an
    enrolment inserts one), so views keep their selection and scroll position.

    Parameters
    ----------
    ctx : AppContext
        Source of the people; subscribed to ``people_reset``, ``person_updated``,
        ``person_removed`` and (with ``thumbnails``) ``thumbnails_loaded``.
    with_counts : bool
        Show the name and, on a second line, the number of samples (one sample is
        marked :data:`~faceapp.session.panel_text.ONE_SAMPLE_MARK`; its tool tip says why
        more help).
    thumbnails : bool
        Give each row a thumbnail (``DecorationRole``): loaded on demand, only for the
        rows a view asks about, by the context's gallery thread, and cached; an initials
        badge stands in until it arrives or when the person has none.

    Notes
    -----
    Why a ``QStringListModel``: views ask a model for the index of every row when they
    lay it out, and a row count answered in Python costs microseconds per call, about a
    second for 100,000 people.  The string list keeps the row count in C++ (its strings
    are left empty); everything a view shows comes from :meth:`data`, which is only
    asked about visible rows.  The model is not editable.  Lives on the GUI thread.
    """

    #: Item data role holding the person's gallery id.
    PersonIdRole = Qt.ItemDataRole.UserRole
    #: Item data role holding the person's name.
    NameRole = Qt.ItemDataRole.UserRole + 1
    #: Item data role holding the whole :class:`Person`.
    PersonRole = Qt.ItemDataRole.UserRole + 2

    def __init__(
        self,
        ctx: AppContext,
        with_counts: bool = False,
        thumbnails: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._with_counts = with_counts
        self._thumbnails = thumbnails
        self._rows = PeopleRows()
        self._thumbs: ThumbnailCache[QPixmap] = ThumbnailCache()
        self._badges: dict[str, QPixmap] = {}
        self._request_timer = QTimer(self)
        self._request_timer.setSingleShot(True)
        self._request_timer.setInterval(0)
        self._request_timer.timeout.connect(self._on_request_timer_timeout)
        ctx.people_reset.connect(self._on_people_reset)
        ctx.person_updated.connect(self._on_person_updated)
        ctx.person_removed.connect(self._on_person_removed)
        if thumbnails:
            ctx.thumbnails_loaded.connect(self._on_thumbnails_loaded)
        self._reload()

    # -- reading ---------------------------------------------------------------------------

    def person(self, row: int) -> Person | None:
        """Return the person in ``row``, or None when there is no such row."""
        return self._rows.person(row)

    def people(self) -> list[Person]:
        """Return the people listed, in order."""
        return self._rows.listed.people()

    def row_of_name(self, name: str) -> int:
        """Return the row of the person called exactly ``name``, or -1 when not listed."""
        return self._rows.listed.row_of_name(name)

    def filter_text(self) -> str:
        """Return the text names must contain to be listed ("" lists everybody)."""
        return self._rows.text

    def set_filter(self, text: str) -> None:
        """List only the people whose name contains ``text``, ignoring case.

        Resets the model (views lose their selection; :class:`GalleryPanel` restores it).
        """
        if self._rows.set_filter(text):
            self._reload()

    def flags(self, index: _Index) -> Qt.ItemFlag:
        """Rows are selectable and enabled, never editable."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return what views show for a row; names are plain text in every role."""
        person = self._rows.person(index.row()) if index.isValid() else None
        if person is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return person_line(person, self._with_counts)
        if role in (self.NameRole, Qt.ItemDataRole.EditRole):
            return person.name
        if role == self.PersonIdRole:
            return person.id
        if role == self.PersonRole:
            return person
        if role == Qt.ItemDataRole.ToolTipRole:
            people, rate = len(self._ctx.people_list()), self._ctx.settings.stranger_rate
            return html_literal(person_tip(person, people, rate))
        if role == Qt.ItemDataRole.DecorationRole and self._thumbnails:
            return self._decoration(person)
        return None

    # -- thumbnails --------------------------------------------------------------------------

    def _decoration(self, person: Person) -> QPixmap:
        pixmap, wanted = self._thumbs.held(person.id, person.name)
        if pixmap is not None:
            return pixmap
        if wanted:
            self._request_timer.start()
        key = initials(person.name)
        badge = self._badges.get(key)
        if badge is None:
            badge = self._badges[key] = placeholder_pixmap(person.name)
        return badge

    @Slot()
    def _on_request_timer_timeout(self) -> None:
        wanted = self._thumbs.take_wanted()
        if wanted:
            self._ctx.gallery.request_thumbnails(wanted)

    @Slot(object)
    def _on_thumbnails_loaded(self, loaded: tuple[tuple[int, QImage | None], ...]) -> None:
        pixmaps = ((i, None if image is None else QPixmap.fromImage(image)) for i, image in loaded)
        rows = self._rows.rows_of(self._thumbs.arrived(pixmaps))
        if rows:
            # One signal for the batch: a list view may lay itself out again on each.
            first, last = self.index(min(rows)), self.index(max(rows))
            self.dataChanged.emit(first, last, [Qt.ItemDataRole.DecorationRole])

    # -- following the context ---------------------------------------------------------------

    def _reload(self) -> None:
        rows = self._rows.listing(self._ctx.people_list())
        # Row removals and insertions, not setStringList(): they change the C++ row
        # count without converting a Python list of 100,000 strings.
        self._rows.listed = PeopleList()
        self.removeRows(0, self.rowCount())
        self._rows.listed = rows
        self.insertRows(0, len(rows))

    @Slot()
    def _on_people_reset(self) -> None:
        self._thumbs.clear()
        self._reload()

    @Slot(object, object)
    def _on_person_updated(self, before: Person | None, after: Person) -> None:
        self._thumbs.forget(after.id)  # a new sample may bring a newer thumbnail
        # The Python rows change first, then the C++ row count: whoever reacts to the
        # row signals (views, selection models) reads rows that are already right.
        old, row = self._rows.update(before, after)
        if old >= 0 and row >= 0:
            if row != old:
                # moveRows() takes the destination in the numbering before the move.
                self.moveRows(QModelIndex(), old, 1, QModelIndex(), row + 1 if row > old else row)
            index = self.index(row)
            self.dataChanged.emit(index, index)
        elif old >= 0:
            self.removeRows(old, 1)
        elif row >= 0:
            self.insertRows(row, 1)

    @Slot(object)
    def _on_person_removed(self, person: Person) -> None:
        self._thumbs.forget(person.id)
        old = self._rows.remove(person)
        if old >= 0:
            self.removeRows(old, 1)
