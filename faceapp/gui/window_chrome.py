"""The main window's frame: its layout, actions, menus, toolbar, status bar and Help dialogs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QMainWindow,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui.dialogs.help_dialogs import AboutDialog, HowToDialog, ShortcutsDialog
from faceapp.gui.safe_text import plain_label
from faceapp.session.live import ModelState
from faceapp.session.window_layout import (
    SIDE_MAX_PX,
    SIDE_MIN_PX,
    scroll_cap,
    side_width,
)
from faceapp.session.window_menus import ACTIONS, MENUS, TOOLBAR, ActionSpec, menu_order
from faceapp.session.window_status import MODEL_TEXT, StatusTexts, pause_texts


class _SideSplitter(QSplitter):
    """The video beside the side panel; the panel takes its share of the width.

    That is :func:`~faceapp.session.window_layout.side_width` until the user drags the
    handle: from then on both sides keep their proportions, as a splitter does.
    """

    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.user_sized = False
        self.splitterMoved.connect(self._on_splitter_moved)

    @Slot(int, int)
    def _on_splitter_moved(self, pos: int, index: int) -> None:
        self.user_sized = True

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        """Give the side panel its share of the new width (unless the user chose one)."""
        super().resizeEvent(event)
        if self.user_sized or self.count() != 2:
            return
        width = event.size().width() - self.handleWidth()
        side = side_width(width)
        self.setSizes([width - side, side])


class _FittingScrollArea(QScrollArea):
    """A scroll area that asks for all of its contents' height (Qt caps the hint at 24 lines).

    The height is the one its contents need at the width they have, so wrapped text
    counts its lines.
    """

    #: The most height it asks for (the panel below keeps the rest); None: no limit.
    height_cap: int | None = None

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Return the contents' height at the current width, plus the frame (capped)."""
        hint = super().sizeHint()
        inner = self.widget()
        if inner is None:
            return hint
        height = inner.heightForWidth(inner.width()) if inner.hasHeightForWidth() else -1
        if height < 0:
            height = inner.sizeHint().height()
        height += 2 * self.frameWidth()
        if self.height_cap is not None:
            height = min(height, self.height_cap)
        return QSize(hint.width(), height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        """Ask for a new layout on a new width (wrapped text may need another height)."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()


class _PinnedBox(QGroupBox):
    """A titled panel that prefers its minimum height (and grows into spare height).

    So the scrolled panels above it get their preferred height first, up to what
    :class:`_SideColumn` leaves them.
    """

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Return the preferred width and the minimum height."""
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())

    def natural_height(self) -> int:
        """Return the height its contents prefer (the gallery: a few rows of people)."""
        return super().sizeHint().height()


class _SideColumn(QWidget):
    """The side panel: scrolled panels above a pinned one that keeps a share of the height.

    Without it the panels above (verification's, say) would leave the gallery list one
    row: on each new height it caps what the scroll area asks for.
    """

    def __init__(self, scroll: _FittingScrollArea, pinned: list[_PinnedBox]) -> None:
        super().__init__()
        self._scroll = scroll
        self._pinned = pinned

    def event(self, event: QEvent) -> bool:
        """Cap the scroll area again when a panel's size hints change."""
        if event.type() == QEvent.Type.LayoutRequest:
            self._cap_scroll(self.height())
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        """Cap the scroll area's height so the pinned panels keep their share."""
        super().resizeEvent(event)
        self._cap_scroll(event.size().height())

    def _cap_scroll(self, height: int) -> None:
        heights = [(b.minimumSizeHint().height(), b.natural_height()) for b in self._pinned]
        cap = scroll_cap(height, heights, self.layout().spacing())
        if cap != self._scroll.height_cap:
            self._scroll.height_cap = cap
            self._scroll.updateGeometry()


def central_widget(
    video: QWidget, banners: Sequence[QWidget], panels: Sequence[tuple[str, QWidget, int]]
) -> QWidget:
    """Return the window's body: banners above the video on the left, titled panels on the right.

    ``panels`` are ``(title, widget, stretch)``.  Panels with stretch 0 are stacked in a
    column that scrolls when the window is too low for it; a panel with a stretch stays
    in view below that column and takes the spare height, so its buttons (the gallery's
    Capture and Add photos) are reachable at the window's smallest size; it keeps a
    share of the height when the column would take it, and the side panel a share of
    the window's width (see :mod:`faceapp.session.window_layout`).
    """
    left = QWidget()
    left_layout = _vbox(left, 0, *banners)
    left_layout.setSpacing(6)
    left_layout.addWidget(video, 1)
    scrolled = QWidget()
    scrolled.setObjectName("sidePanel")
    scrolled_layout = _vbox(scrolled, 4)
    scroll = _FittingScrollArea()
    scroll.setWidget(scrolled)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    pinned_boxes: list[_PinnedBox] = []
    column = _SideColumn(scroll, pinned_boxes)
    column.setObjectName("sidePanel")
    pinned = _vbox(None, 4)
    _vbox(column, 0, scroll).addLayout(pinned, 1)
    for title, panel, stretch in panels:
        box = _PinnedBox(title) if stretch else QGroupBox(title)
        QVBoxLayout(box).addWidget(panel)
        if isinstance(box, _PinnedBox):
            pinned_boxes.append(box)
            box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
            pinned.addWidget(box, stretch)
        else:
            scrolled_layout.addWidget(box)
    column.setMinimumWidth(SIDE_MIN_PX)
    column.setMaximumWidth(SIDE_MAX_PX)
    splitter = _SideSplitter()
    splitter.addWidget(left)
    splitter.addWidget(column)
    splitter.setStretchFactor(0, 1)
    splitter.setStretchFactor(1, 0)
    splitter.setChildrenCollapsible(False)
    central = QWidget()
    _vbox(central, 0, splitter).setContentsMargins(10, 8, 10, 4)
    return central


def _vbox(parent: QWidget | None, side: int, *widgets: QWidget) -> QVBoxLayout:
    """Return a vertical layout of ``widgets`` with ``side`` pixels left and right, none above."""
    layout = QVBoxLayout() if parent is None else QVBoxLayout(parent)
    layout.setContentsMargins(side, 0, side, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return layout


class WindowChrome(QObject):
    """Builds the actions, menus, toolbar and status fields of ``window``.

    Each action of :data:`~faceapp.session.window_menus.ACTIONS` is the attribute
    ``<name>_action`` (``pause_action``, say).  The window connects the actions to what
    they do; the Help actions open their dialogs here.  Shortcuts: Ctrl+O change source,
    Ctrl+E capture, Space pause, Ctrl+M switch mode, Ctrl+H history, F11 full screen,
    PgUp / PgDown previous / next photo and Ctrl+R photo results (while a folder is the
    source), F1 how to use, Ctrl+Q quit.
    """

    # Made from the table by _make_action; declared here for readers and type checkers.
    source_action: QAction
    demo_action: QAction
    pause_action: QAction
    mode_action: QAction
    fullscreen_action: QAction
    enrol_demo_action: QAction
    capture_action: QAction
    add_folder_action: QAction
    prev_photo_action: QAction
    next_photo_action: QAction
    photo_results_action: QAction
    calibration_action: QAction
    history_action: QAction
    unknown_faces_action: QAction
    quit_action: QAction
    howto_action: QAction
    shortcuts_action: QAction
    about_action: QAction

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._more_shortcuts: list[QAction] = []
        named = {spec.name: self._make_action(spec) for spec in ACTIONS}
        bar = window.menuBar()
        for title, groups in MENUS:
            menu = bar.addMenu(title)
            for i, group in enumerate(groups):
                if i:
                    menu.addSeparator()
                menu.addActions([named[name] for name in group])
        self._menu_actions = [named[name] for name in menu_order()]
        self.pause_action.toggled.connect(self._on_pause_action_toggled)
        self._on_pause_action_toggled(False)

        toolbar = QToolBar("Source")
        toolbar.setObjectName("sourceBar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([named[name] for name in TOOLBAR])
        self.source_title = plain_label()
        self.source_title.setObjectName("sourceTitle")
        toolbar.addWidget(self.source_title)
        window.addToolBar(toolbar)

        self.status_source, self.status_model = plain_label(), plain_label()
        self.status_fps, self.status_latency, self.status_faces = QLabel(), QLabel(), QLabel()
        self.model_busy = QProgressBar()
        self.model_busy.setRange(0, 0)
        self.model_busy.setMaximumWidth(90)
        self.model_busy.setTextVisible(False)
        status = window.statusBar()
        for w in (self.status_source, self.status_fps, self.status_latency, self.status_faces):
            w.setObjectName("statusField")
            status.addPermanentWidget(w)
        status.addPermanentWidget(self.status_model)
        status.addPermanentWidget(self.model_busy)

        self.howto_action.triggered.connect(lambda: self.open_dialog(HowToDialog(window)))
        self.shortcuts_action.triggered.connect(
            lambda: self.open_dialog(ShortcutsDialog(self.shortcut_actions(), window))
        )
        self.about_action.triggered.connect(lambda: self.open_dialog(AboutDialog(window)))

    def _make_action(self, spec: ActionSpec) -> QAction:
        """Return the action ``spec`` describes, kept as the attribute ``<name>_action``."""
        action = QAction(spec.text, self._window)
        keys = [getattr(QKeySequence.StandardKey, spec.standard)] if spec.standard else spec.keys
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setCheckable(spec.checkable)
        if spec.tip:
            action.setToolTip(spec.tip)
        setattr(self, f"{spec.name}_action", action)
        return action

    def add_shortcuts(self, actions: Sequence[QAction]) -> None:
        """List ``actions`` (keys of a panel, say) in Help > Keyboard shortcuts too."""
        self._more_shortcuts.extend(actions)

    def shortcut_actions(self) -> list[QAction]:
        """Return the actions Help > Keyboard shortcuts lists: the window's, then the panels'."""
        return [*self.actions(), *self._more_shortcuts]

    def actions(self) -> list[QAction]:
        """Return every action of the window's menus, in menu order."""
        return list(self._menu_actions)

    # -- status ------------------------------------------------------------------------

    @Slot(bool)
    def _on_pause_action_toggled(self, paused: bool) -> None:
        """Make the Pause action say what it does next: Resume while paused."""
        style = self._window.style()
        pixmap = (
            QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause
        )
        self.pause_action.setIcon(style.standardIcon(pixmap))
        text, tip = pause_texts(paused)
        self.pause_action.setText(text)
        self.pause_action.setToolTip(tip)

    def show_model_state(self, state: str) -> None:
        """Show the model state in the status bar."""
        self.model_busy.setVisible(state == ModelState.LOADING)
        self.status_model.setText(MODEL_TEXT.get(ModelState(state), ""))

    def show_status(self, texts: StatusTexts) -> None:
        """Show the source's title and the status bar's fields (see ``meter_texts``)."""
        fields = (self.source_title, self.status_source, self.status_fps, self.status_latency)
        for label, text in zip((*fields, self.status_faces), astuple(texts)):
            label.setText(text)

    # -- Help --------------------------------------------------------------------------

    def open_dialog(self, dialog: AboutDialog | ShortcutsDialog | HowToDialog) -> None:
        """Open ``dialog`` (window-modal, deleted on close)."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
