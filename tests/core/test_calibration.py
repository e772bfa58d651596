"""The calibration report: genuine/impostor distances of a gallery, on made-up and real faces."""

from __future__ import annotations

import html.parser
import itertools
import re

import numpy as np
import pytest

from faceapp.core.calibration import BIN_WIDTH, calibration_report
from faceapp.core.matching import (
    GalleryIndex,
    automatic_distance,
    face_distance,
    l2_normalize,
)
from faceapp.report import report_html
from tests.conftest import person_photos


def made_up(seed: int = 0, people: int = 4, per_person: int = 3) -> GalleryIndex:
    rng = np.random.default_rng(seed)
    samples = []
    for p in range(people):
        centre = rng.normal(size=128)
        for _ in range(per_person):
            samples.append((p + 1, f"P{p}", l2_normalize(centre + 0.4 * rng.normal(size=128))))
    return GalleryIndex.from_samples(samples)


def brute_force(index: GalleryIndex) -> tuple[list[float], list[float]]:
    genuine, impostor = [], []
    for i, j in itertools.combinations(range(index.n_samples), 2):
        d = float(face_distance(index.embeddings[i], index.embeddings[j : j + 1])[0])
        (genuine if index.owners[i] == index.owners[j] else impostor).append(d)
    return genuine, impostor


def test_pairs_histograms_and_counts_match_a_brute_force_count() -> None:
    index = made_up()
    r = calibration_report(index, {"a": 1.07, "b": 1.3})
    genuine, impostor = brute_force(index)
    assert r.genuine_pairs == len(genuine) == 4 * 3
    assert r.impostor_pairs == len(impostor) == 66 - 12
    assert r.genuine_hist.sum() == r.genuine_pairs and r.impostor_hist.sum() == r.impostor_pairs
    k = int(genuine[0] / BIN_WIDTH)
    assert r.genuine_hist[k] >= 1
    for t in r.thresholds:
        assert t.genuine_accepted == sum(d <= t.threshold for d in genuine)
        assert t.impostor_accepted == sum(d <= t.threshold for d in impostor)
    assert not r.genuine_hist.flags.writeable


def test_closest_pairs_are_the_nearest_samples_of_two_people() -> None:
    index = made_up(seed=3)
    r = calibration_report(index, {"t": 1.0}, closest=3)
    best = min(
        (float(face_distance(index.embeddings[i], index.embeddings[j : j + 1])[0]), i, j)
        for i, j in itertools.combinations(range(index.n_samples), 2)
        if index.owners[i] != index.owners[j]
    )
    first = r.closest[0]
    names = {index.names[index.owners[best[1]]], index.names[index.owners[best[2]]]}
    assert {first.person, first.other} == names
    assert first.distance == pytest.approx(best[0], abs=1e-5)
    assert [c.distance for c in r.closest] == sorted(c.distance for c in r.closest)


def test_leave_one_out_counts_every_sample_of_people_with_two_or_more() -> None:
    samples = [(1, "A", l2_normalize(np.eye(128)[0]))]  # one sample only
    rng = np.random.default_rng(1)
    for pid, axis in ((2, 1), (3, 2)):
        for _ in range(3):
            noisy = np.eye(128)[axis] + 0.03 * rng.normal(size=128)
            samples.append((pid, f"P{pid}", l2_normalize(noisy)))
    r = calibration_report(GalleryIndex.from_samples(samples), {"loose": 1.07, "tight": 0.1})
    loose, tight = r.thresholds
    assert loose.loo_total == 6 and (loose.loo_right, loose.loo_wrong) == (6, 0)
    assert tight.loo_unknown == 6
    assert r.single_sample == ("A",)


def test_tiny_galleries_give_an_empty_report_not_an_error() -> None:
    for index in (GalleryIndex.empty(), made_up(people=1, per_person=1)):
        r = calibration_report(index, {"t": 1.07})
        assert r.genuine_pairs == r.impostor_pairs == 0 and r.closest == ()
        assert r.thresholds[0].far is None
        assert "<svg" in report_html(r)


class _Collect(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


@pytest.mark.model
def test_report_of_a_real_small_gallery(pipeline, celebrity_dir) -> None:
    from faceapp.core.images import load_image
    from faceapp.enrolment import prepare_sample

    train = person_photos(celebrity_dir, "train")
    samples = []
    for pid, person in enumerate(sorted(train), 1):
        for photo in train[person][:4]:
            s = prepare_sample(pipeline, load_image(photo), photo.name, largest=True)
            samples.append((pid, person, s.embedding))
    index = GalleryIndex.from_samples(samples)
    r = calibration_report(index)  # the two default thresholds, and LFW
    assert (r.people, r.samples, r.genuine_pairs, r.impostor_pairs) == (5, 20, 30, 160)
    genuine, impostor = brute_force(index)
    assert np.median(genuine) < 1.0 < np.median(impostor)  # real faces separate
    recognition, verification = r.thresholds
    # Recognition's mark is the gallery's automatic threshold (5 people, 4 samples each),
    # the same number identify() names a face within when its runner-up is far.
    auto = automatic_distance(index)
    assert (recognition.label, recognition.threshold) == ("recognition", auto)
    assert 0.9 < auto < 1.07  # stricter than the pair threshold, looser than verification
    assert verification.threshold < recognition.threshold
    assert verification.genuine_accepted <= recognition.genuine_accepted
    assert recognition.lfw is not None and recognition.lfw.far > verification.lfw.far
    assert recognition.loo_right + recognition.loo_wrong + recognition.loo_unknown == 20
    assert recognition.loo_right >= 15
    # Each person's closest other person, each pair once: 3 to 5 pairs for 5 people.
    assert 3 <= len(r.closest) <= 5
    assert all(c.person in train and c.other in train for c in r.closest)
    assert len(r.lfw_curve) > 100

    page = report_html(r, "gallery.sqlite3")
    parser = _Collect()
    parser.feed(page)
    assert parser.tags.count("svg") == 3 and "script" not in parser.tags
    assert parser.urls == []  # self-contained: no external file, image or style
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * 3
    assert (
        f"recognition {auto:.3g}" in page and f"verification {verification.threshold:.3g}" in page
    )
    assert r.closest[0].person in page
