"""What the wrong-person question says of the refused samples, without Qt."""

from __future__ import annotations

import numpy as np

from faceapp.core.enrolment_check import EnrolmentVerdict
from faceapp.core.images import display_name
from faceapp.core.types import Box, Face
from faceapp.enrolment import PreparedSample
from faceapp.session.enrol_jobs import Screened
from faceapp.session.flagged import (
    FlaggedSample,
    flagged_intro,
    flagged_of,
    source_label,
    verdict_sentence,
)
from faceapp.session.live import EnrolOutcome


def test_the_intro_counts_the_refused_and_the_rest() -> None:
    assert flagged_intro("Ann", 1, 1).startswith("This sample does not look like Ann. Add")
    two = flagged_intro("Ann", 1, 3)
    assert two.startswith("1 of the 3 samples does not look like Ann. The other 2 look right")
    assert "The other one looks right" in flagged_intro("Ann", 2, 3)
    assert "other" not in flagged_intro("Ann", 2, 2)
    assert flagged_intro("Ann", 2, 2).endswith("only if you are sure who it is.")


def test_a_refusal_reads_as_a_sentence() -> None:
    verdict = EnrolmentVerdict("Ann", "closer_to_other", 1.07, 1.2, "Bob", 0.5)
    sample = FlaggedSample("capture", None, verdict)
    assert (
        verdict_sentence(sample.verdict) == "This face looks like Bob (0.50), not like Ann (1.20)."
    )


def test_a_flagged_sample_is_named_by_its_photo_or_as_a_capture() -> None:
    assert source_label("capture", 2) == "Captured sample 3"
    assert source_label("/photos/ann/beach.jpg", 0) == display_name("beach.jpg")


def test_a_screened_jobs_flagged_samples_and_whom_they_were_for() -> None:
    face = Face(Box(0, 0, 10, 10), ((0, 0),) * 5, 0.9)  # type: ignore[arg-type]
    vector = np.ones(128, np.float32) / np.sqrt(128)

    def sample(source: str) -> PreparedSample:
        return PreparedSample(vector, b"jpeg", source, face)

    ok = EnrolmentVerdict("Ann", "ok", 0.3, 1.2, None, None)
    wrong = EnrolmentVerdict("Ann", "closer_to_other", 1.07, 1.2, "Bob", 0.5)
    outcome = EnrolOutcome(
        4,
        (("Ann", sample("a.jpg")), ("Ann", sample("b.jpg")), ("Cy", sample("c.jpg"))),
        (),
    )
    target, items = flagged_of(Screened(outcome, (wrong, ok, wrong), (0, 2)))
    assert target == "Ann, Cy"
    assert [(i.source, i.verdict) for i in items] == [("a.jpg", wrong), ("c.jpg", wrong)]
