"""How often the wrong-person check stops a right face and lets a wrong one through.

On the 5-celebrity ``train`` photos: the gallery holds photo [1] of each person; every
other photo is checked once as a sample of its own person (should pass) and once as a
sample of each other person (should be refused).  Prints one JSON object.

Usage: ``python -m benchmarks.enrolment_check_study [--photos N]`` (real models; about
20 s).  ``--photos N`` takes only the first N photos of each person (2 or more: photo [1]
is the enrolled one; a smoke test's tiny run).  Default: every photo.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faceapp import paths  # noqa: E402
from faceapp.core.enrolment_check import check_enrolment  # noqa: E402
from faceapp.core.images import IMAGE_SUFFIXES, load_image  # noqa: E402
from faceapp.core.matching import PAIR_THRESHOLD, GalleryIndex  # noqa: E402
from faceapp.core.pipeline import FacePipeline  # noqa: E402
from faceapp.enrolment import EnrolmentError, prepare_sample  # noqa: E402


def study(threshold: float = PAIR_THRESHOLD, photos: int | None = None) -> dict[str, object]:
    """Count the checks passed and refused; ``photos``: the first N of each person only."""
    root = paths.celebrity_dir() / "train"
    pipeline = FacePipeline()
    pipeline.prepare()
    emb = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for k, photo in enumerate(found[:photos]):
            try:
                sample = prepare_sample(pipeline, load_image(photo), photo.name, largest=True)
            except EnrolmentError:
                continue
            emb[(folder.name, k)] = sample.embedding
    people = sorted({person for person, _ in emb})
    index = GalleryIndex.from_samples([(i, p, emb[(p, 1)]) for i, p in enumerate(people, 1)])
    own_pass = own = other_refused = other = 0
    for (person, k), e in emb.items():
        if k == 1:
            continue
        own += 1
        own_pass += check_enrolment(e, index, person, threshold).ok
        for target in people:
            if target != person:
                other += 1
                other_refused += not check_enrolment(e, index, target, threshold).ok
    return {
        "threshold": threshold,
        "own_person_passed": own_pass,
        "own_person_checks": own,
        "other_person_refused": other_refused,
        "other_person_checks": other,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--photos", type=int, metavar="N", help="first N photos of each person (2 or more)"
    )
    args = parser.parse_args(argv)
    if args.photos is not None and args.photos < 2:
        parser.error("--photos must be 2 or more: photo [1] of each person is the enrolled one")
    print(json.dumps(study(photos=args.photos)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
