"""FaceNamer and FacesDialog: naming the unknown faces of the history, shared by two dialogs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

from faceapp.gui.context import AppContext
from faceapp.gui.safe_text import html_literal, plain_label
from faceapp.session.unknown_faces import NamingRefused
from faceapp.session.unknown_rows import name_question, naming_end, naming_job, person_question

#: A dialog class opened by :meth:`FacesDialog.open_for`.
D = TypeVar("D", bound="FacesDialog")


class FacesDialog(QDialog):
    """A window of faces kept in the history, some to be named (History, Unknown faces).

    It opens without blocking the window (:meth:`open_for`), names faces through its
    :attr:`namer` and, once a naming is done, shows what it did in :attr:`summary`
    (``note_of`` of the outcome, kept in ``_note`` for the next summary) and reads its
    faces again (:meth:`reload`, the subclass's).

    Parameters
    ----------
    ctx : AppContext
    parent : QWidget, optional
    note_of : callable
        The note of a naming's outcome (a :class:`~faceapp.session.unknown_faces.Naming`
        or the text saying why nothing was enrolled).
    waiting : str
        The summary's text before the first read.
    """

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None,
        note_of: Callable[[object], str],
        waiting: str,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._note_of = note_of
        self._note = ""  # what the last naming or action did, shown before the count
        #: The line under the faces: what was read, what the last action did.
        self.summary = plain_label(waiting)
        #: Asks who faces are and enrols them.
        self.namer = FaceNamer(ctx, self)
        self.namer.finished.connect(self._on_named)

    @classmethod
    def open_for(cls: type[D], ctx: AppContext, parent: QWidget | None = None) -> D:
        """Show a new dialog (not modal, deleted on close) and return it."""
        dialog = cls(ctx, parent)  # type: ignore[call-arg]
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def reload(self) -> int:
        """Read the faces again; returns the read's ticket (the subclass's)."""
        raise NotImplementedError

    @Slot(object)
    def _on_named(self, outcome: object) -> None:
        self._note = self._note_of(outcome)
        self.summary.setText(self._note)
        self.reload()


class FaceNamer(QObject):
    """Names unknown faces kept in the history: asks who, enrols in the gallery thread.

    Shared by the Unknown faces dialog (a group) and the History dialog (one row).  A
    refusal of the checks (quality, looks like someone else) is shown with *Enrol
    anyway*.

    Parameters
    ----------
    ctx : AppContext
    parent : QWidget
        Where the questions are asked.
    """

    #: A naming job was queued: the name.
    started = Signal(object)
    #: A naming finished: a :class:`~faceapp.session.unknown_faces.Naming`, or the text
    #: saying why nothing was enrolled.
    finished = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._parent = parent
        self._jobs: dict[int, tuple[tuple[int, ...], str, bool]] = {}
        #: The last question asked (a name, a person, a refusal); tests answer it.
        self.last_prompt: QDialog | None = None
        ctx.gallery_job_finished.connect(self._on_gallery_job_finished)

    def ask_name(self, event_ids: Sequence[int]) -> QInputDialog:
        """Ask the name of a new person for these faces (Enter enrols them)."""
        ids = tuple(event_ids)
        ask = QInputDialog(self._parent)
        ask.setWindowTitle("Name this person")
        ask.setLabelText(name_question(len(ids)))
        ask.setInputMode(QInputDialog.InputMode.TextInput)
        ask.setTextEchoMode(QLineEdit.EchoMode.Normal)
        ask.setOkButtonText("Enrol")
        ask.textValueSelected.connect(lambda name: self.name(ids, name, new=True))
        return self._ask(ask)

    def ask_person(self, event_ids: Sequence[int]) -> QInputDialog | None:
        """Ask which enrolled person these faces are, from a list; None when nobody is."""
        ids = tuple(event_ids)
        names = [p.name for p in self._ctx.people()]
        if not names:
            return None
        ask = QInputDialog(self._parent)
        ask.setWindowTitle("Add to someone enrolled")
        ask.setLabelText(person_question(len(ids)))
        ask.setComboBoxItems(names)
        ask.setComboBoxEditable(False)
        ask.setOkButtonText("Add")
        ask.textValueSelected.connect(lambda name: self.name(ids, name, new=False))
        return self._ask(ask)

    def _ask(self, ask: QInputDialog) -> QInputDialog:
        ask.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_prompt = ask
        ask.open()
        return ask

    def name(
        self, event_ids: Sequence[int], name: str, new: bool, force: bool = False
    ) -> int | None:
        """Enrol these faces as ``name`` (a new person, or added to them) in the gallery thread.

        Returns the job's ticket, or None when the name is empty.
        """
        name = name.strip()
        if not name:
            return None
        ids = tuple(int(i) for i in event_ids)
        job = naming_job(ids, name, new, self._ctx.settings, force)
        ticket = self._ctx.gallery.submit_job(job, write=True, errors=(ValueError, KeyError))
        self._jobs[ticket] = (ids, name, new)
        self.started.emit(name)
        return ticket

    @property
    def busy(self) -> bool:
        """True while a naming runs."""
        return bool(self._jobs)

    @Slot(int, object, object)
    def _on_gallery_job_finished(self, ticket: int, result: object, error: object) -> None:
        job = self._jobs.pop(ticket, None)
        if job is None:
            return
        ids, name, new = job
        end = naming_end(name, result, error)
        if end.refusal is not None:
            self._refused(end.refusal, end.warning or "", ids, name, new)
        elif end.warning is not None:
            QMessageBox.warning(self._parent, "Not enrolled", html_literal(end.warning))
        self.finished.emit(end.outcome)

    def _refused(
        self, refusal: NamingRefused, warning: str, ids: tuple, name: str, new: bool
    ) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Not enrolled",
            html_literal(warning),
            QMessageBox.StandardButton.Cancel,
            self._parent,
        )
        if refusal.forcible:
            anyway = box.addButton("Enrol anyway", QMessageBox.ButtonRole.AcceptRole)
            anyway.clicked.connect(lambda: self.name(ids, name, new, force=True))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_prompt = box
        box.open()
