"""A folder of people without Qt: what is reported, the job's items, the gallery job."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceapp.bulk_enrolment import scan_people_folder
from faceapp.core.types import Box, Face
from faceapp.enrolment import PreparedSample
from faceapp.session.folder_enrolment import (
    FolderReport,
    FolderRun,
    capped,
    demo_items,
    demo_offer_due,
    folder_run,
    store_job,
    stored_report,
)
from faceapp.session.live import EnrolOutcome
from faceapp.storage.gallery import GalleryStore


def _sample(source: str, person: int, seed: int) -> PreparedSample:
    rng = np.random.default_rng
    centre = rng(person).normal(size=128)
    v = (centre / np.linalg.norm(centre) + 0.02 * rng(100 + seed).normal(size=128)).astype(
        np.float32
    )
    face = Face(Box(0, 0, 10, 10), ((0, 0),) * 5, 0.9)  # type: ignore[arg-type]
    return PreparedSample(v / np.linalg.norm(v), b"jpeg", source, face)


def test_capped_lists_say_how_many_more():
    assert capped(["a", "b"], 3) == ["a", "b"]
    assert capped([str(k) for k in range(5)], 3) == ["0", "1", "2", "… and 2 more"]


def test_an_empty_or_unreadable_folder_is_a_report(tmp_path: Path):
    empty = folder_run(tmp_path, scan_people_folder(tmp_path), None, 0.0)
    assert isinstance(empty, FolderReport) and empty.text.startswith("No photos found in")
    broken = folder_run(tmp_path, None, "permission denied", 0.0)
    reason = f"{tmp_path} cannot be read: permission denied"
    assert broken == FolderReport("Nothing enrolled", reason)
    failed = stored_report(None, "disk full")
    assert failed.title == "Enrolment failed" and failed.summary is None


def test_a_folder_is_embedded_then_stored_one_write_per_person(tmp_path: Path):
    for name in ("Ada", "Bo"):
        (tmp_path / name).mkdir()
        for k in range(2):
            (tmp_path / name / f"{k}.jpg").write_bytes(b"x")
    run = folder_run(tmp_path, scan_people_folder(tmp_path), None, 0.0)
    assert isinstance(run, FolderRun) and run.label == f"Enrolling 2 people from {tmp_path.name}…"
    assert [i.name for i in run.items] == ["Ada", "Ada", "Bo", "Bo"]
    # Bo's second photo could not be used; the others were embedded.
    samples = tuple(
        (i.name, _sample(i.source, len(i.name), k)) for k, i in enumerate(run.items[:3])
    )
    outcome = EnrolOutcome(1, samples, (f"{run.items[3].source}: no face",), failed=(3,))
    store = GalleryStore(tmp_path / "gallery.sqlite3")
    report = stored_report(store_job(run, outcome, 0.6, 0.01)(store), None)
    assert report.title == "People enrolled from the folder"
    assert report.summary is not None and report.summary.samples == 3
    assert {p.name: p.n_samples for p in store.people()} == {"Ada": 2, "Bo": 1}
    assert any("no face" in line for line in report.lines)


def test_the_demo_people_are_offered_once_to_an_empty_gallery() -> None:
    from faceapp.bulk_enrolment import demo_people

    present = bool(demo_people())
    assert demo_offer_due(False, False) == present  # only with the demo photos there
    assert not demo_offer_due(True, False)  # offered before
    assert not demo_offer_due(False, True)  # somebody is enrolled
    items = demo_items()
    assert [(i.name, i.path) for i in items] == [(n, p) for n, p in demo_people()]
    assert all(i.source == str(i.path) for i in items)


def test_the_progress_labels_and_the_skipped_photos_line():
    from faceapp.session.folder_enrolment import (
        FolderReport,
        demo_label,
        photos_label,
        picked_label,
        skipped_text,
    )

    assert photos_label("Ann", 3) == "Enrolling 3 photo(s) of Ann…"
    assert picked_label("Ann", Path("/x/two.jpg")) == "Enrolling a face of two.jpg as Ann…"
    assert demo_label(5) == "Enrolling the 5 demo people…"
    outcome = EnrolOutcome(1, (), ("a.jpg: no face", "b.jpg: too small"))
    assert skipped_text(outcome) == "0 photo(s) enrolled, 2 skipped:"
    assert FolderReport("Nothing", "no photos").warns  # nothing was done
    from faceapp.bulk_enrolment import BulkSummary

    done = BulkSummary(2, 2, 0, 4, 5, 1, 0, 0, 0, 1.0)
    assert FolderReport("Done", "ok", ("c.jpg: refused",), done).warns
    assert not FolderReport("Done", "ok", (), done).warns
