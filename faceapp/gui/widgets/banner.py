"""Banner: a strip above the video saying what went wrong, with buttons to act on it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

log = logging.getLogger(__name__)

#: Banner kinds; each has its own colour in the style sheet (``Banner[kind="error"]``).
KINDS = ("info", "warning", "error")


class Banner(QFrame):
    """A dismissable message with action buttons; hidden until :meth:`show_message`.

    Clicking an action hides the banner, then runs the action.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # messages quote file names
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setObjectName("bannerClose")
        self.close_button.setToolTip("Dismiss")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(12, 6, 6, 6)
        self._layout.addWidget(self.label, 1)
        self._buttons: list[QPushButton] = []
        self._layout.addWidget(self.close_button)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_message(
        self, kind: str, text: str, actions: Sequence[tuple[str, Callable[[], None]]] = ()
    ) -> None:
        """Show ``text`` styled as ``kind`` (info, warning, error) with action buttons.

        The message also goes to the log (INFO), so a log tells what the user was shown.
        """
        log.info("%s banner: %s", kind, text)
        self.setProperty("kind", kind if kind in KINDS else "info")
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        for b in self._buttons:
            self._layout.removeWidget(b)
            b.deleteLater()
        self._buttons = []
        for i, (title, action) in enumerate(actions):
            button = QPushButton(title)
            button.setObjectName("bannerAction")
            button.clicked.connect(lambda _=False, a=action: self._run(a))
            self._layout.insertWidget(1 + i, button)
            self._buttons.append(button)
        self.show()

    def kind(self) -> str:
        """Return the kind of the message on show."""
        return str(self.property("kind") or "info")

    def text(self) -> str:
        """Return the message on show."""
        return self.label.text()

    def action_titles(self) -> list[str]:
        """Titles of the action buttons, in order."""
        return [b.text() for b in self._buttons]

    def trigger(self, title: str) -> None:
        """Click the action called ``title`` (KeyError when absent)."""
        for b in self._buttons:
            if b.text() == title:
                b.click()
                return
        raise KeyError(title)

    def _run(self, action: Callable[[], None]) -> None:
        self.hide()
        action()
