"""Shared fixtures: the real sample photos, the real models, and LFW when it is present."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest

from benchmarks.data import LFW_DIR

pytest_plugins = ["tests.hang_watchdog"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Tests never write to the desktop's real keyring (faceapp.storage.credentials); the
# keyring tests set an in-process backend of their own.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture(scope="session", autouse=True)
def user_cache_dir(tmp_path_factory) -> Path:
    """A fresh user cache folder, so tests never read or write the real one."""
    folder = tmp_path_factory.mktemp("user-cache")
    os.environ["FACEAPP_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def celebrity_dir() -> Path:
    """The 5-celebrity photos fetched with the weights (train/ and val/ per person)."""
    from faceapp import paths

    d = paths.celebrity_dir()
    if not (d / "train").is_dir() or not (d / "val").is_dir():
        pytest.skip(f"5-celebrity photos not fetched into {d}; run 'faceapp weights fetch'")
    return d


@pytest.fixture(scope="session")
def lfw_dir() -> Path:
    """LFW from FACEAPP_LFW_DIR or ../shared/data/lfw (absent on a user's clone)."""
    if not (LFW_DIR / "pairs.txt").is_file():
        pytest.skip(f"LFW not available at {LFW_DIR} (only the project's shared data has it)")
    return LFW_DIR


MODEL_FIXTURE = "face_models"
_model_loads: list[str] = []  # one entry per load of the face models in this session
_running: list[pytest.Item] = []  # the test being run, for the command line's model loads
#: The test files collected, and the heavy libraries collecting them imported
#: (tests/test_collection_light.py).
collected_files: set[Path] = set()
heavy_at_collection: list[str] = []


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``model`` every test that uses the loaded models, so ``-m "not model"`` skips it."""
    for item in items:
        if MODEL_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.model)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Count the test files collected (those deselected with ``-k`` or ``-m`` too)."""
    collected_files.add(item.path)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Note which heavy libraries collecting the tests imported, before any test runs."""
    heavy = [name for name in ("tensorflow", "keras", "mtcnn") if name in sys.modules]
    heavy_at_collection[:] = heavy


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item):
    """Remember the running test (its fixtures included)."""
    _running.append(item)
    try:
        yield
    finally:
        _running.remove(item)


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many times the face models were loaded (issue 18: once per session)."""
    if _model_loads:
        terminalreporter.write_line(f"face models loaded {len(_model_loads)} time(s) this session")


@functools.cache
def loaded_models():
    """Return the real MTCNN + FaceNet, loaded on the first call only (raises as the app does)."""
    from faceapp.core.pipeline import FacePipeline

    models = FacePipeline()
    models.prepare()
    _model_loads.append(os.environ.get("PYTEST_CURRENT_TEST", "?"))
    return models


def shared_pipeline(models, **kwargs):
    """Return a new default pipeline around the loaded ``models`` (nothing loads again)."""
    from faceapp.core.pipeline import FacePipeline

    return FacePipeline(models.detector, models.embedder, **kwargs)


@pytest.fixture(scope="session")
def face_models():
    """The real MTCNN + FaceNet, loaded once for the whole session and shared by every test.

    Tests take ``pipeline`` or ``real_pipeline`` (GUI), or build one with
    :func:`shared_pipeline`: each is its own :class:`~faceapp.core.pipeline.FacePipeline`
    (its own tracker and score floor) around these loaded models.
    """
    from faceapp import paths

    if not paths.facenet_weights_path().is_file():
        pytest.skip("FaceNet weights not fetched; run 'faceapp weights fetch'")
    return loaded_models()


@pytest.fixture(scope="session")
def pipeline(face_models):
    """The real pipeline (MTCNN + FaceNet) of the core tests, on the session's models."""
    return shared_pipeline(face_models)


@pytest.fixture(scope="session")
def largest_face_embedding(pipeline):
    """``f(photo)``: the embedding of the photo's largest face (None without a face).

    Computed once per photo for the whole session with the real models, by enrolment's
    own :func:`faceapp.enrolment.prepare_sample` with ``largest``, so that the test files
    that embed the 5-celebrity photos share the work.
    """
    from faceapp.core.images import load_image
    from faceapp.enrolment import EnrolmentError, prepare_sample

    @functools.cache
    def embedding(photo: Path):
        try:
            vector = prepare_sample(pipeline, load_image(photo), str(photo), True).embedding
        except EnrolmentError:
            return None
        vector.setflags(write=False)  # shared by every test that asks: read-only
        return vector

    return embedding


@pytest.fixture(scope="session", autouse=True)
def _cli_uses_the_session_models():
    """In-process ``faceapp`` commands get a fresh pipeline on the session's loaded models.

    As in a child process, each command starts from a default pipeline, but nothing
    loads twice.  A test (or its fixture) that reaches the models must be marked ``model``.
    """
    import faceapp.cli.common
    import faceapp.cli.photos
    import faceapp.cli.video  # noqa: F401  (imported so that its name is patched too)

    original = faceapp.cli.common.loaded_pipeline

    def loaded_pipeline(args):
        item = _running[-1] if _running else None
        if item is not None and item.get_closest_marker("model") is None:
            pytest.fail(f"{item.nodeid} loads the face models: mark it 'model'")
        return shared_pipeline(loaded_models())

    with pytest.MonkeyPatch.context() as patch:
        for name, module in list(sys.modules.items()):
            if name.startswith("faceapp.cli") and getattr(module, "loaded_pipeline", 0) is original:
                patch.setattr(module, "loaded_pipeline", loaded_pipeline)
        yield


def person_photos(root: Path, split: str) -> dict[str, list[Path]]:
    """Return ``{person: sorted photos}`` for one split of the 5-celebrity set."""
    return {
        d.name: sorted(p for p in d.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        for d in sorted((root / split).iterdir())
        if d.is_dir()
    }


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``faceapp ARGV...`` in this process; return its exit status, stdout and stderr."""
    from faceapp.cli import run

    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
