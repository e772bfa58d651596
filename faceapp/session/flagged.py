"""The samples the wrong-person check refused, and what the window says of them (Qt-free)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faceapp.core.enrolment_check import EnrolmentVerdict
from faceapp.core.images import display_name
from faceapp.session.enrol_jobs import Screened


@dataclass(frozen=True)
class FlaggedSample:
    """A sample the wrong-person check refused, as the dialog lists it.

    Parameters
    ----------
    source : str
        Where the sample came from ("capture" or a file path).
    thumbnail : bytes or None
        JPEG thumbnail of the face.
    verdict : EnrolmentVerdict
        What the check found (``ok`` is False).
    """

    source: str
    thumbnail: bytes | None
    verdict: EnrolmentVerdict


def flagged_intro(target: str, flagged: int, total: int) -> str:
    """Return the question's opening: how many samples do not look like ``target``.

    Parameters
    ----------
    target : str
        The person the samples are meant for.
    flagged : int
        How many the check refused (at least one).
    total : int
        How many samples the batch has (flagged or not).
    """
    rest = total - flagged
    if total == 1:
        intro = f"This sample does not look like {target}."
    else:
        verb = "does" if flagged == 1 else "do"
        intro = f"{flagged} of the {total} samples {verb} not look like {target}."
    if rest == 1:
        intro += " The other one looks right and is added."
    elif rest > 1:
        intro += f" The other {rest} look right and are added."
    return intro + " Add a sample that looks like someone else only if you are sure who it is."


def verdict_sentence(verdict: EnrolmentVerdict) -> str:
    """Return a refusal's message as a sentence: a capital first, a full stop last."""
    return verdict.message[:1].upper() + verdict.message[1:] + "."


def source_label(source: str, index: int) -> str:
    """Return how flagged sample ``index`` (from 0) is named: its photo's name, or a capture."""
    if source == "capture":
        return f"Captured sample {index + 1}"
    return display_name(Path(source).name)


def flagged_of(screened: Screened) -> tuple[str, list[FlaggedSample]]:
    """Return whom a screened job's refused samples were for, and the samples as listed.

    The names of the flagged samples' people, each once, in order ("Ann, Bob").
    """
    samples, verdicts = screened.outcome.samples, screened.verdicts
    target = ", ".join(dict.fromkeys(samples[k][0] for k in screened.flagged))
    items = [
        FlaggedSample(samples[k][1].source, samples[k][1].thumbnail, verdicts[k])
        for k in screened.flagged
    ]
    return target, items
