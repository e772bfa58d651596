"""Only the newest read is shown; answers it overtook are dropped (session/latest_read.py)."""

from __future__ import annotations

from faceapp.session.latest_read import LatestRead


def test_nothing_is_shown_before_the_first_answer() -> None:
    reads = LatestRead()
    assert (reads.asked, reads.shown, reads.settled) == (0, 0, False)


def test_an_overtaken_answer_is_dropped_and_the_newest_is_shown() -> None:
    reads = LatestRead()
    assert reads.ask(1) == 1
    reads.ask(2)
    assert not reads.take(1)  # overtaken by read 2
    assert (reads.shown, reads.settled) == (0, False)
    assert reads.take(2)
    assert (reads.shown, reads.settled) == (2, True)
    reads.ask(3)
    assert not reads.settled and reads.shown == 2  # read 2 stays on show meanwhile
