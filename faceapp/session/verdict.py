"""One verification verdict per result: what the panel says, each box shows and history records."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from faceapp.core.liveness import ChallengeState, pick_face
from faceapp.core.liveness.gate import NO_CHECK, Judgement
from faceapp.core.matching import Mode
from faceapp.core.types import FaceResult, FrameResult, Match

#: The threshold slider's step: a distance or threshold is shown with two decimals, or
#: with four when the threshold it is compared with lies between two steps.
SLIDER_STEP = 0.01

#: What a box's colour stands for (see :func:`shown_faces`).
MATCH, NO_MATCH, MAYBE, PENDING = "match", "no_match", "maybe", "pending"


def decimals_for(threshold: float | None) -> int:
    """Return the decimals of numbers compared with ``threshold``: 2, or 4 between steps."""
    if threshold is None or not math.isfinite(threshold):
        return 2
    steps = threshold / SLIDER_STEP
    return 2 if abs(steps - round(steps)) < 1e-6 else 4


def distance_text(value: float | None, threshold: float | None = None) -> str:
    """Return a distance (or threshold) as the whole window shows it.

    Two decimals, or four when ``threshold`` (the one it is compared with; for a
    threshold, itself) lies between two slider steps; "—" for None or infinity.
    The panel, the face boxes and the History dialog all use this one function.
    """
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{decimals_for(threshold)}f}"


@dataclass(frozen=True)
class Verdict:
    """What verification decided about the face in view.

    Parameters
    ----------
    state : {"accept", "reject", "challenge", "none"}
        Selects the colour; "challenge" while the liveness challenge asks for a move.
    title : str
        Large text ("ACCEPT", "REJECT", the challenge's prompt, or what is missing).
    detail : str
        One line under it (distance against threshold, time left, or why).
    distance, threshold : float or None
        The distance behind the verdict and its threshold; the box of the face shows
        the same numbers.
    face : int or None
        Index in ``result.faces`` of the face the verdict is about.
    """

    state: str
    title: str
    detail: str
    distance: float | None = None
    threshold: float | None = None
    face: int | None = None


def verdict_face(result: FrameResult | None, challenge: ChallengeState | None) -> int | None:
    """Return the index of the face a verdict is about, or None when there is no face.

    The face the liveness challenge follows while it is in view, else the largest face.
    """
    if result is None or not result.faces:
        return None
    track = challenge.track_id if challenge is not None else None
    face = pick_face(result.faces, track) or pick_face(result.faces, None)
    return next(i for i, fr in enumerate(result.faces) if fr is face)


def _compared(distance: float | None, threshold: float | None, sign: str) -> str:
    if distance is None or threshold is None:
        return ""
    t = threshold
    return f"distance {distance_text(distance, t)} {sign} {distance_text(t, t)}"


def verification_verdict(
    result: FrameResult | None,
    claim: str | None,
    judgement: Judgement = NO_CHECK,
    claim_enrolled: bool = True,
) -> Verdict:
    """Return the one verification verdict for ``result``.

    Parameters
    ----------
    result : FrameResult or None
        The result describing the picture on screen.
    claim : str or None
        The claimed identity.
    judgement : Judgement
        The liveness gate's judgement of this same result.
    claim_enrolled : bool
        False when nobody of that name is enrolled in the gallery.
    """
    if claim is None:
        return Verdict("none", "Choose who to verify", "Pick the claimed identity above.")
    if not claim_enrolled:
        return Verdict(
            "none",
            "Nobody to verify",
            f"Nobody called {claim} is enrolled in this gallery: choose someone enrolled,"
            " or enrol them first. Nothing is recorded meanwhile.",
        )
    c = judgement.challenge
    i = verdict_face(result, c)
    fr = result.faces[i] if result is not None and i is not None else None
    m = fr.match if fr is not None else None
    d, t = (m.distance, m.threshold) if m is not None and m.name == claim else (None, None)
    if m is not None and m.name == claim and not math.isfinite(m.distance):
        return Verdict("none", "…", f"{claim} has no usable samples.", face=i)
    if judgement.untracked:
        return Verdict(
            "none",
            "Needs a camera or a video",
            "The head-turn check follows a moving face, so a photo can never pass it:"
            " nothing is accepted. Turn the check off to verify photos.",
            d,
            t,
            i,
        )
    if c is not None:
        return _challenge_verdict(c, d, t, i)
    if fr is None:
        return Verdict("none", "No face", "Show one face to the camera.")
    if m is None or m.name != claim or d is None or t is None:
        return Verdict("none", "…", "Checking…", face=i)  # from before the claim changed
    if m.accepted:
        return Verdict("accept", "ACCEPT", _compared(d, t, "≤"), d, t, i)
    return Verdict("reject", "REJECT", _compared(d, t, ">"), d, t, i)


def _challenge_verdict(
    state: ChallengeState, d: float | None, t: float | None, face: int | None
) -> Verdict:
    """Return the verdict while the challenge runs (``d``, ``t``: the face's match now)."""
    if state.passed:
        detail = "Head turn passed"
        compared = _compared(state.distance, state.threshold, "≤")
        detail += f" · {compared}" if compared else ""
        return Verdict("accept", "ACCEPT", detail, state.distance, state.threshold, face)
    if state.failed:
        reason = state.reason or "the check did not pass"
        detail = reason[:1].upper() + reason[1:] + "."
        sign = ">" if state.matched is False else "≤"
        compared = _compared(state.distance, state.threshold, sign)
        detail += f" ({compared})" if compared else ""
        return Verdict("reject", "REJECT", detail, state.distance, state.threshold, face)
    if state.frames == 0 or face is None:
        starts = "The check starts when a face is in view."
        return Verdict("challenge", state.prompt, starts, d, t, face)
    detail = f"{math.ceil(state.time_left)} s left"
    compared = _compared(d, t, "≤" if d is not None and t is not None and d <= t else ">")
    detail += f" · {compared}" if compared else ""
    return Verdict("challenge", state.prompt, detail, d, t, face)


@dataclass(frozen=True)
class ShownFace:
    """What the box of one face shows.

    Parameters
    ----------
    text : str
        The label above the box.
    kind : {"match", "no_match", "maybe", "pending"}
        What its colour stands for.
    """

    text: str
    kind: str


def _own_label(fr: FaceResult, mode: Mode, claim: str | None, checking: bool) -> ShownFace:
    """Return the label of a face from its own match (recognition; other faces)."""
    m = fr.match
    if m is None:
        return ShownFace("…", PENDING)
    dist = distance_text(m.distance, m.threshold)
    dist = f"  {dist}" if math.isfinite(m.distance) else ""
    if mode != "verification":
        kind = MATCH if fr.known else MAYBE if fr.maybe is not None else NO_MATCH
        return ShownFace(f"{fr.label}{dist}", kind)
    name = m.name or claim or "?"
    if m.person_id is None and not math.isfinite(m.distance):
        return ShownFace(f"? {name} · not enrolled", PENDING)
    if not m.accepted:
        return ShownFace(f"✗ not {name}{dist}", NO_MATCH)
    if checking:
        return ShownFace(f"? {name}{dist} · not checked", PENDING)
    return ShownFace(f"✓ {name}{dist}", MATCH)


def shown_faces(
    result: FrameResult,
    mode: Mode,
    claim: str | None = None,
    judgement: Judgement = NO_CHECK,
    verdict: Verdict | None = None,
) -> tuple[ShownFace, ...]:
    """Return the label and colour kind of every face of ``result``, in order.

    In verification the face the verdict is about shows the verdict itself, with its
    distance: a tick and the claim when accepted, a cross when rejected, a question
    mark while the head turn is awaited or cannot be checked.  Other faces show their
    own match, but while a head turn decides, a matching face that is not the one
    checked is never shown as accepted.
    """
    if mode == "verification" and verdict is None:
        verdict = verification_verdict(result, claim, judgement)
    out = []
    for i, fr in enumerate(result.faces):
        if mode == "verification" and verdict is not None and i == verdict.face:
            out.append(_verdict_label(fr, claim, judgement, verdict))
        else:
            out.append(_own_label(fr, mode, claim, judgement.checking))
    return tuple(out)


def _verdict_label(
    fr: FaceResult, claim: str | None, judgement: Judgement, v: Verdict
) -> ShownFace:
    name = claim or (fr.match.name if fr.match is not None else None) or "?"
    dist = f"  {distance_text(v.distance, v.threshold)}" if v.distance is not None else ""
    c = judgement.challenge
    if v.state == "accept":
        return ShownFace(f"✓ {name}{dist}", MATCH)
    if v.state == "reject":
        if c is not None and c.failed and c.matched:
            return ShownFace(f"✗ {name}{dist} · head turn failed", NO_MATCH)
        return ShownFace(f"✗ not {name}{dist}", NO_MATCH)
    if v.state == "challenge":
        return ShownFace(f"? {name}{dist} · head turn", PENDING)
    if judgement.untracked:
        return ShownFace(f"? {name}{dist} · needs a camera", PENDING)
    return _own_label(fr, "verification", claim, judgement.checking)


def shown_result(
    result: FrameResult, mode: Mode, claim: str | None, judgement: Judgement
) -> FrameResult:
    """Return ``result`` with the decisions the window shows (what history records).

    Recognition results are returned as they are.  In verification each face's match
    becomes what its box shows (:func:`shown_faces`): accepted with a tick, rejected
    with a cross (the verdict's distance for the face it is about), and no match at
    all while the box shows a question mark, so nothing is recorded for it yet.
    """
    if mode != "verification":
        return result
    verdict = verification_verdict(result, claim, judgement)
    shown = shown_faces(result, mode, claim, judgement, verdict)
    faces = []
    for i, (fr, face) in enumerate(zip(result.faces, shown, strict=True)):
        m = fr.match
        match: Match | None = None
        if m is not None and face.kind in (MATCH, NO_MATCH):
            match = dataclasses.replace(m, accepted=face.kind == MATCH)
            if i == verdict.face and verdict.distance is not None:
                match = dataclasses.replace(
                    match,
                    distance=verdict.distance,
                    threshold=verdict.threshold if verdict.threshold is not None else m.threshold,
                )
        faces.append(dataclasses.replace(fr, match=match))
    return dataclasses.replace(result, faces=tuple(faces))
