"""LatestRead: the newest read a view asked for and the one it shows (older answers dropped)."""

from __future__ import annotations


class LatestRead:
    """The ticket of the newest read asked for, and of the read on show.

    A view asks a worker for a read (a page of events, the groups of faces); while it
    runs, the filters may change and a newer read be asked for.  Only the answer to the
    newest read is shown: older answers are overtaken.

    Attributes
    ----------
    asked : int
        The ticket of the newest read asked for (0 before the first).
    shown : int
        The ticket of the read on show (0 before the first answer).
    """

    def __init__(self) -> None:
        self.asked = 0
        self.shown = 0

    def ask(self, ticket: int) -> int:
        """Note that read ``ticket`` was asked for (it overtakes the older ones); return it."""
        self.asked = ticket
        return ticket

    def take(self, ticket: int) -> bool:
        """Return True when the answer ``ticket`` is to be shown (it answers the newest read).

        The answer then counts as shown; an overtaken answer changes nothing.
        """
        if ticket != self.asked:
            return False
        self.shown = ticket
        return True

    @property
    def settled(self) -> bool:
        """True when the newest read asked for is the one on show."""
        return self.asked == self.shown != 0
