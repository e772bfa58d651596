"""The samples dialog on real photos: distances to the mean, the outlier, deleting several."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QMessageBox, QTableWidget

from faceapp.gui.dialogs.samples_dialog import OUTLIER_BACKGROUND, SamplesDialog
from faceapp.session.sample_rows import source_text
from faceapp.session.samples_table import DISTANCE, SOURCE

from .gui_helpers import celebrity_photos, fake_pipeline, make_ctx

N_OWN = 4


@pytest.fixture(scope="session")
def madonna_samples(real_pipeline):
    """``[(embedding, thumbnail, source)]``: four train photos of Madonna, then Jerry Seinfeld."""
    from faceapp.core.images import load_image
    from faceapp.enrolment import prepare_sample

    train = celebrity_photos("train")
    photos = train["madonna"][:N_OWN] + train["jerry_seinfeld"][:1]
    out = []
    for photo in photos:
        s = prepare_sample(real_pipeline, load_image(photo), str(photo), largest=True)
        out.append((s.embedding, s.thumbnail, s.source))
    return out


@pytest.fixture
def madonna_ctx(qtbot, store, madonna_samples):
    """A started context over a gallery with Madonna (4 photos and one of Jerry Seinfeld)."""
    store.add_samples("Madonna", madonna_samples)
    store.add_samples("Someone else", madonna_samples[:1])
    ctx = make_ctx(store, fake_pipeline())  # the dialog reads the gallery, it runs no model
    ctx.start_gallery()
    qtbot.waitUntil(lambda: ctx.people_loaded)
    yield ctx
    ctx.stop_gallery()


def _open(qtbot, ctx, name="Madonna") -> SamplesDialog:
    dialog = SamplesDialog(ctx, ctx.person_named(name).id)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
    return dialog


def _expected_distances(samples) -> dict[int, float]:
    """Distance of each stored embedding to their normalised mean, in float64 numpy."""
    e = np.stack([s.embedding for s in samples]).astype(np.float64)
    mean = e.mean(axis=0)
    mean /= np.linalg.norm(mean)
    return {s.id: float(np.linalg.norm(v - mean)) for s, v in zip(samples, e, strict=True)}


def test_distances_shown_are_those_to_the_mean_of_the_stored_embeddings(qtbot, madonna_ctx, store):
    dialog = _open(qtbot, madonna_ctx)
    stored = store.samples("Madonna")
    expected = _expected_distances(stored)
    assert sorted(dialog.sample_ids()) == sorted(expected)
    for sample_id, d in expected.items():
        assert dialog.distance_of(sample_id) == pytest.approx(d, abs=1e-5)
        text = dialog.table.item(dialog.row_of(sample_id), DISTANCE).text()
        assert text.removeprefix("⚠ ") == f"{d:.2f}"
    jerry = stored[-1].id
    threshold = madonna_ctx.distance_in_force()  # the automatic distance of this gallery
    # Jerry Seinfeld's photo is far from Madonna's mean (past the threshold); hers are not.
    assert expected[jerry] > threshold > max(d for i, d in expected.items() if i != jerry)
    assert dialog.outlier_ids() == [jerry]
    row = dialog.row_of(jerry)
    assert dialog.table.item(row, DISTANCE).text().startswith("⚠")
    assert dialog.table.item(row, DISTANCE).background().color() == OUTLIER_BACKGROUND
    for other in (i for i in expected if i != jerry):
        item = dialog.table.item(dialog.row_of(other), DISTANCE)
        assert item.background().color() != OUTLIER_BACKGROUND
    assert "1 such sample" in dialog.hint_label.text()
    # The source: the file name shown, the whole path in the tool tip.
    source = dialog.table.item(row, SOURCE)
    assert source.text() == source_text(stored[-1].source) != stored[-1].source
    assert stored[-1].source in source.toolTip()
    assert dialog.title_label.text() == "Madonna — 5 samples"


def test_sorting_by_distance_puts_the_outlier_first(qtbot, madonna_ctx, store):
    dialog = _open(qtbot, madonna_ctx)
    oldest_first = [s.id for s in store.samples("Madonna")]
    assert dialog.sample_ids() == oldest_first
    dialog.sort_combo.setCurrentText("Farthest from the mean first")
    shown = dialog.sample_ids()
    distances = [dialog.distance_of(i) for i in shown]
    assert distances == sorted(distances, reverse=True)
    assert shown[0] == oldest_first[-1]  # Jerry Seinfeld's photo
    dialog.sort_combo.setCurrentText("Newest first")
    assert dialog.sample_ids() == oldest_first[::-1]


def test_the_highlight_follows_the_threshold(qtbot, madonna_ctx):
    dialog = _open(qtbot, madonna_ctx)
    jerry = dialog.sample_ids()[-1]
    madonna_ctx.update_settings(threshold=dialog.distance_of(jerry) + 0.01)
    assert dialog.outlier_ids() == []
    assert not dialog.table.item(dialog.row_of(jerry), DISTANCE).text().startswith("⚠")


def test_deleting_several_removes_exactly_those_after_one_question(
    qtbot, madonna_ctx, store, monkeypatch
):
    dialog = _open(qtbot, madonna_ctx)
    ids = dialog.sample_ids()
    chosen = [ids[1], ids[4]]
    others = [s.id for s in store.samples("Someone else")]
    dialog.select_samples(chosen)
    assert dialog.selected_ids() == chosen
    assert dialog.delete_button.isEnabled() and dialog.delete_button.text() == "Delete 2 samples…"
    questions = []

    def answer(parent, title, text, *args):
        questions.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    revision = store.revision()
    with qtbot.waitSignal(madonna_ctx.gallery_changed):
        dialog.delete_button.click()
    assert len(questions) == 1 and "these 2 samples of Madonna" in questions[0]
    remaining = [ids[0], ids[2], ids[3]]
    assert [s.id for s in store.samples("Madonna")] == remaining
    assert [s.id for s in store.samples("Someone else")] == others
    assert store.revision() == revision + 1  # one write
    qtbot.waitUntil(lambda: dialog.sample_ids() == remaining)
    assert dialog.title_label.text() == "Madonna — 3 samples"
    # The distances are those to the new mean of what is left.
    expected = _expected_distances(store.samples("Madonna"))
    for sample_id, d in expected.items():
        assert dialog.distance_of(sample_id) == pytest.approx(d, abs=1e-5)
    assert not dialog.delete_button.isEnabled()


def test_answering_no_deletes_nothing(qtbot, madonna_ctx, store, monkeypatch):
    dialog = _open(qtbot, madonna_ctx)
    dialog.select_samples(dialog.sample_ids()[:3])
    questions = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: questions.append(a) or QMessageBox.StandardButton.No
    )
    revision = store.revision()
    dialog.delete_button.click()
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)  # the Delete key asks too
    assert len(questions) == 2
    assert store.revision() == revision
    assert len(store.samples("Madonna")) == N_OWN + 1


def test_a_failed_delete_says_why_and_keeps_every_sample(qtbot, madonna_ctx, store, monkeypatch):
    dialog = _open(qtbot, madonna_ctx)
    ids = dialog.sample_ids()
    dialog.select_samples(ids[:2])
    store.remove_sample(ids[1])  # gone behind the dialog's back (another program)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    errors = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: errors.append(text))
    with qtbot.waitSignal(madonna_ctx.edit_finished):
        dialog.delete_button.click()
    assert [QTextDocumentFragment.fromHtml(e).toPlainText() for e in errors] == [
        f"no sample with id {ids[1]}"
    ]
    assert [s.id for s in store.samples("Madonna")] == [ids[0], *ids[2:]]


ODD_DATE = "0001-01-01T00:00:00+23:59"  # imported before import checked the years (issue 17)


def test_added_text_shows_an_odd_stored_date_as_it_is() -> None:
    from faceapp.session.sample_rows import added_text

    assert added_text(ODD_DATE) == ODD_DATE  # was OverflowError: date value out of range
    assert added_text("9999-12-31T23:59:00-23:59") == "9999-12-31T23:59:00-23:59"
    assert added_text("not a date") == "not a date"


def test_a_stored_odd_date_fills_the_whole_table(qtbot, store) -> None:
    import sqlite3

    from faceapp.session.samples_table import ADDED

    rng = np.random.default_rng(3)
    store.add_samples("Ann", [(rng.normal(size=128), None, f"a{k}.jpg") for k in range(3)])
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE samples SET created_at = ? WHERE source = 'a1.jpg'", (ODD_DATE,))
    conn.commit()
    conn.close()
    ctx = make_ctx(store, fake_pipeline())
    ctx.start_gallery()
    try:
        qtbot.waitUntil(lambda: ctx.people_loaded)
        dialog = _open(qtbot, ctx, "Ann")
        table = dialog.findChild(QTableWidget)
        assert table.rowCount() == 3
        shown = [table.item(r, ADDED).text() for r in range(3)]
        assert ODD_DATE in shown and all(shown)
        assert all(table.item(r, DISTANCE) is not None for r in range(3))
    finally:
        ctx.stop_gallery()
