"""ShownJudgement: the liveness judgement of the result on screen, kept with its gate."""

from __future__ import annotations

from faceapp.core.liveness.gate import NO_CHECK, Judgement, LivenessGate
from faceapp.core.matching import Mode
from faceapp.core.types import FrameResult


class ShownJudgement:
    """The liveness judgement that goes with the result on screen (verification's challenge).

    The gate judges results in the recognition thread; each judgement reaches the
    thread that shows it with its result (:meth:`take`).  A judgement made before the
    challenge was restarted ("Try again", a new source, another claim) is stale and is
    replaced by the gate's current one, so no verdict outlives its challenge.  Each
    method returns whether the judgement changed, for the caller to announce it.
    Not thread-safe: the thread that shows the result owns it (the gate itself is).

    Parameters
    ----------
    gate : LivenessGate
        The head-turn challenge, shared with the recognition thread.
    """

    def __init__(self, gate: LivenessGate) -> None:
        self.gate = gate
        #: The judgement of the latest result (or of the latest restart).
        self.judgement: Judgement = NO_CHECK

    def configure(self, claim: str | None, enabled: bool) -> bool:
        """Set the gate's claim and whether liveness is on; return True when it changed.

        On a change the judgement becomes the gate's fresh one.
        """
        if not self.gate.configure(claim, enabled):
            return False
        self.judgement = self.gate.judgement()
        return True

    def restart(self) -> None:
        """Start the challenge again ("Try again"); the judgement becomes the gate's fresh one."""
        self.gate.reset()
        self.judgement = self.gate.judgement()

    def take(self, result: FrameResult, judgement: Judgement | None, mode: Mode) -> bool:
        """Keep the judgement of a new ``result``; return True when it differs from the last.

        Parameters
        ----------
        result : FrameResult
            The result now shown.
        judgement : Judgement or None
            The gate's judgement of ``result`` made in the recognition thread; None (a
            result from elsewhere) has the gate judge it here, in ``mode``.
        mode : {"recognition", "verification"}
            The mode the result was matched in.
        """
        if judgement is None:
            judgement = self.gate.judge(result, mode)
        elif not self.gate.is_current(judgement):  # judged before a restart or an end
            judgement = self.gate.judgement()
        before, self.judgement = self.judgement, judgement
        return judgement != before
