"""Showing user-supplied strings (names, file names, messages) as plain text in Qt widgets."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


def html_literal(text: str) -> str:
    """Return rich text that Qt renders as exactly ``text``, markup characters included.

    For the places that decide between plain and rich text by themselves and offer no
    switch (tool tips, ``QMessageBox`` and ``QInputDialog`` labels, progress dialogs):
    the text is escaped and wrapped in a ``<span>`` with ``white-space: pre-wrap``, so it
    is always taken as rich text, shows ``<b>`` as the three characters it is, and keeps
    line breaks and repeated spaces.

    Parameters
    ----------
    text : str
        Any string, e.g. a name like ``<b>Boss</b><img src='/etc/passwd'>``.

    Returns
    -------
    str
        Rich text whose rendering is ``text``.
    """
    return "<span style='white-space:pre-wrap'>" + html.escape(text, quote=False) + "</span>"


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """Return a ``QLabel`` that always shows its text as plain text (never as rich text)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def hint_label(text: str = "", wrap: bool = True) -> QLabel:
    """Return a plain-text label in the quieter "hint" style, wrapping its words (``wrap``)."""
    label = plain_label(text)
    label.setObjectName("hint")
    label.setWordWrap(wrap)
    return label


def make_plain(*labels: QLabel) -> None:
    """Switch ``labels`` to plain text: their text is never interpreted as markup."""
    for label in labels:
        label.setTextFormat(Qt.TextFormat.PlainText)
