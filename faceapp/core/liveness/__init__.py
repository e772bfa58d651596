"""Liveness challenge: a head turn left then right, checked for depth in landmarks and texture.

A still photo of an enrolled person is a flat picture: however it is moved, tilted,
scaled or bent towards a perspective view in front of the camera, its five landmarks
stay related by one plane-to-plane projection (a homography).  A real head is not flat:
the tip of the nose stands about 0.4 eye-distances in front of the eyes and mouth
corners, so when the head turns, the nose moves across the eye/mouth quadrilateral in a
way no homography of that quadrilateral can follow.

:func:`nose_offset` measures exactly that: it maps the four eye and mouth-corner points
onto a fixed frontal layout with the one homography that does so, and returns where the
nose lands.  That position is a projective invariant of the five points, so it is the
same in every view of a flat picture (up to detector noise), while a real head turning
to its left or right moves it by about 0.012 eye-distances per degree.
:class:`LivenessChallenge` asks for a frontal face, a turn to the person's left and a
turn to their right, on one tracked face, within a time limit, while the face keeps
matching the claimed identity.

Coordinates are image pixels (x to the right, y down) of an unmirrored camera image:
a person turning to *their* left moves their nose towards the image's right, which is
a positive :func:`nose_offset`.  See ``docs/liveness.md`` for the measurements and for
what this does not stop.
"""

from faceapp.core.liveness.challenge import (
    FIRST_RULE,
    FLAT_TILT,
    FRONTAL_OFFSET,
    JUMP_NOISE,
    LANDMARK_RULE,
    LOST_SECONDS,
    MAX_GAP,
    MAX_SPEED,
    MIN_DEPTH,
    MIN_RELIEF,
    MIN_RESEMBLANCE,
    PROMPTS,
    SMOOTHING_FRAMES,
    TIME_LIMIT,
    TURN_OFFSET,
    ChallengeState,
    LivenessChallenge,
    LivenessSettings,
    Step,
    pick_face,
    run_challenge,
)
from faceapp.core.liveness.geometry import (
    FRONTAL_LAYOUT,
    MAX_OFFSET,
    MIN_EYE_DISTANCE,
    PATCH_SIZE,
    apply_homography,
    face_patch,
    foreshortening,
    homography,
    nose_depth,
    nose_offset,
    nose_parallax,
    patch_resemblance,
)
from faceapp.core.liveness.texture import FaceSurface, nose_relief

__all__ = [
    "FaceSurface",
    "LANDMARK_RULE",
    "MIN_RELIEF",
    "nose_relief",
    "FIRST_RULE",
    "FLAT_TILT",
    "JUMP_NOISE",
    "MAX_GAP",
    "MAX_SPEED",
    "MIN_DEPTH",
    "MIN_RESEMBLANCE",
    "PATCH_SIZE",
    "face_patch",
    "nose_depth",
    "patch_resemblance",
    "FRONTAL_LAYOUT",
    "FRONTAL_OFFSET",
    "LOST_SECONDS",
    "MAX_OFFSET",
    "MIN_EYE_DISTANCE",
    "PROMPTS",
    "SMOOTHING_FRAMES",
    "TIME_LIMIT",
    "TURN_OFFSET",
    "ChallengeState",
    "LivenessChallenge",
    "LivenessSettings",
    "Step",
    "apply_homography",
    "foreshortening",
    "homography",
    "nose_offset",
    "nose_parallax",
    "pick_face",
    "run_challenge",
]
