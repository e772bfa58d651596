"""ShownJudgement: the liveness judgement that goes with the result on screen."""

from __future__ import annotations

from faceapp.core.liveness.gate import NO_CHECK, LivenessGate
from faceapp.core.types import FrameResult
from faceapp.session.context_liveness import ShownJudgement

EMPTY = FrameResult(0, 0.0, ())


def test_configuring_reports_a_change_once_and_restarts_the_judgement() -> None:
    shown = ShownJudgement(LivenessGate())
    assert shown.judgement == NO_CHECK
    assert not shown.configure("Ann", enabled=False)  # nothing to run
    assert shown.configure("Ann", enabled=True)
    assert shown.judgement.challenge is not None
    assert not shown.configure("Ann", enabled=True)  # unchanged


def test_a_result_without_a_judgement_is_judged_here() -> None:
    shown = ShownJudgement(LivenessGate())
    shown.configure("Ann", enabled=True)
    assert not shown.take(EMPTY, None, "recognition")  # nothing fed outside verification
    assert shown.judgement == shown.gate.judgement()


def test_a_judgement_made_before_a_restart_is_replaced_by_the_fresh_one() -> None:
    gate = LivenessGate()
    shown = ShownJudgement(gate)
    shown.configure("Ann", enabled=True)
    stale = gate.judgement()
    shown.restart()
    assert not gate.is_current(stale)
    shown.take(EMPTY, stale, "verification")
    assert shown.judgement is not stale and gate.is_current(shown.judgement)


def test_taking_reports_whether_the_judgement_changed() -> None:
    gate = LivenessGate()
    shown = ShownJudgement(gate)
    assert not shown.take(EMPTY, NO_CHECK, "verification")  # the same as before
    gate.configure("Ann", enabled=True)
    assert shown.take(EMPTY, gate.judgement(), "verification")
