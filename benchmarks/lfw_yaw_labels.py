"""Head yaw of LFW photos by MediaPipe's face mesh: labels for the liveness benchmark.

The liveness benchmark orders real photos of a person by yaw to build head-turn
sequences.  Ordering them by faceapp's own landmarks would make the measurement
circular, so the yaw comes from another model: MediaPipe's 468-point face mesh (its
model ships inside the ``mediapipe`` wheel).  MediaPipe is not a faceapp dependency; run
this in a separate environment::

    python -m venv /tmp/mp && /tmp/mp/bin/pip install mediapipe==0.10.14 opencv-python-headless
    /tmp/mp/bin/python benchmarks/lfw_yaw_labels.py ../shared/data/lfw \\
        > benchmarks/labels/lfw_yaw_mediapipe.tsv

Yaw is the angle of the line between the two cheek points of the mesh (landmarks 234 and
454) out of the image plane, in degrees, positive when the person faces towards their
left (the image's right).  Only people with at least ``--min-photos`` photos are labelled.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lfw", type=Path)
    parser.add_argument("--min-photos", type=int, default=4)
    args = parser.parse_args(argv)

    import cv2
    import mediapipe as mp

    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1)
    print(
        f"# yaw in degrees by mediapipe {mp.__version__} face mesh (benchmarks/lfw_yaw_labels.py)"
    )
    print("# photo\tyaw")
    for person in sorted(p for p in args.lfw.iterdir() if p.is_dir()):
        photos = sorted(person.glob("*.jpg"))
        if len(photos) < args.min_photos:
            continue
        for photo in photos:
            image = cv2.imread(str(photo))
            found = (
                mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)) if image is not None else None
            )
            rel = photo.relative_to(args.lfw).as_posix()
            if not found or not found.multi_face_landmarks:
                print(f"{rel}\tnan")
                continue
            h, w = image.shape[:2]
            lm = found.multi_face_landmarks[0].landmark
            a, b = lm[234], lm[454]
            yaw = math.degrees(math.atan2((b.z - a.z) * w, (b.x - a.x) * w))
            print(f"{rel}\t{yaw:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
