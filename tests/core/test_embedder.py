"""FaceNetEmbedder: every engine gives the reference embeddings on real face crops."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from faceapp import paths
from faceapp.core.embedding import facenet, facenet_model
from faceapp.core.embedding.engines import ENGINES, converted_model_name
from faceapp.core.embedding.facenet import FaceNetEmbedder
from faceapp.core.embedding.facenet_model import prewhiten
from faceapp.core.errors import ModelError

pytestmark = pytest.mark.model

MIN_COS = 0.9999


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(unit(a) * unit(b), axis=1)


@pytest.fixture(scope="module")
def weights() -> Path:
    path = paths.facenet_weights_path()
    if not path.is_file():
        pytest.skip(f"FaceNet weights not found at {path}; run 'faceapp weights fetch'")
    return path


@pytest.fixture(scope="module")
def crops(celebrity_dir: Path) -> np.ndarray:
    """Six aligned 160 x 160 crops of real faces, one photo per person and split."""
    import cv2

    from faceapp.core.pipeline import FacePipeline, central_face

    pipeline = FacePipeline()
    pipeline.detector.prepare()
    out = []
    for person in sorted((celebrity_dir / "val").iterdir()):
        for photo in sorted(person.glob("*.jpg")):
            frame = cv2.imread(str(photo))
            face = central_face(pipeline.detect(frame), frame.shape[1], frame.shape[0])
            if face is not None:
                out.append(pipeline.crops(frame, [face])[0])
                break
    photo = sorted((celebrity_dir / "train").glob("*/*.jpg"))[0]
    frame = cv2.imread(str(photo))
    face = central_face(pipeline.detect(frame), frame.shape[1], frame.shape[0])
    assert face is not None
    out.append(pipeline.crops(frame, [face])[0])
    assert len(out) == 6
    return np.stack(out)


@pytest.fixture(scope="module")
def networks(weights: Path) -> dict[str, tuple]:
    """One real ``load_fused_model`` of the file, with what its two steps returned.

    ``"loaded"``: the network as loaded from the file (batch norms not folded) and the
    count ``load_h5_weights`` returned; ``"folded"``: the folded network and the count
    ``fold_batch_norm`` returned.  Building a network takes seconds: each is built once.
    """
    from faceapp.core.runtime import configure_tensorflow

    configure_tensorflow()
    seen: dict[str, tuple] = {}
    load, fold = facenet_model.load_h5_weights, facenet_model.fold_batch_norm

    def load_and_keep(model, path: Path) -> int:
        seen["loaded"] = (model, load(model, path))
        return seen["loaded"][1]

    def fold_and_keep(source, fused) -> int:
        seen["folded"] = (fused, fold(source, fused))
        return seen["folded"][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(facenet_model, "load_h5_weights", load_and_keep)
        patch.setattr(facenet_model, "fold_batch_norm", fold_and_keep)
        fused = facenet_model.load_fused_model(weights)
    assert seen["folded"][0] is fused
    return seen


@pytest.fixture(scope="module")
def loaded(networks):
    """The network as loaded from the file (batch norms not folded) and the load count."""
    return networks["loaded"]


@pytest.fixture(scope="module")
def fused_once(networks, weights: Path):
    """Engines prepared from ``weights`` (or a link to it) run the one folded network.

    Each engine would otherwise build, load and fold its own copy of the same network.
    Any other file goes through the real ``load_fused_model``.
    """
    real = facenet.load_fused_model

    def load_fused_model(path: Path):
        if Path(path).resolve() == weights.resolve():
            return networks["folded"][0]
        return real(path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(facenet, "load_fused_model", load_fused_model)
        yield


@pytest.fixture(scope="module")
def reference(loaded, crops: np.ndarray) -> dict[bool, np.ndarray]:
    """Embeddings of the unfolded Keras network, by flip fusion off/on."""
    model, _ = loaded
    x = prewhiten(crops)
    raw = np.asarray(model(np.concatenate([x, x[:, :, ::-1]]), training=False))
    n = len(crops)
    return {False: unit(raw[:n]), True: unit(raw[:n] + raw[n:])}


@pytest.fixture(scope="module")
def embedders(weights: Path, tmp_path_factory, fused_once) -> dict[str, FaceNetEmbedder]:
    """One prepared embedder per engine; tflite caches its conversion in a temporary dir."""
    tmp = tmp_path_factory.mktemp("weights")
    (tmp / weights.name).symlink_to(weights)
    out = {}
    for engine in ENGINES:
        where = tmp / weights.name if engine == "tflite" else weights
        out[engine] = FaceNetEmbedder(where, engine=engine, cache=engine == "tflite")
        out[engine].prepare()
    return out


def embed(embedder: FaceNetEmbedder, crops: np.ndarray, flip: bool) -> np.ndarray:
    embedder.flip = flip
    try:
        return embedder.embed(crops)
    finally:
        embedder.flip = True


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("flip", [False, True])
def test_engine_matches_graph_and_the_unfolded_network(
    embedders, reference, crops: np.ndarray, engine: str, flip: bool
) -> None:
    out = embed(embedders[engine], crops, flip)
    assert embedders[engine].active_engine == engine
    assert cos(out, reference[flip]).min() >= MIN_COS
    assert cos(out, embed(embedders["graph"], crops, flip)).min() >= MIN_COS


@pytest.mark.parametrize("engine", ENGINES)
def test_output_is_n_unit_float32_vectors(embedders, crops: np.ndarray, engine: str) -> None:
    emb = embedders[engine]
    out = emb.embed(crops)
    assert out.shape == (len(crops), 128)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert emb.embed(crops[0]).shape == (1, 128)
    assert emb.embed(crops[:0]).shape == (0, 128)
    with pytest.raises(ValueError, match="160, 160, 3"):
        emb.embed(np.zeros((1, 128, 128, 3), np.uint8))


@pytest.mark.parametrize("engine", ENGINES)
def test_batching_and_padding_do_not_change_embeddings(
    embedders, crops: np.ndarray, engine: str
) -> None:
    emb = embedders[engine]
    alone = emb.embed(crops[:1])
    in_five = emb.embed(crops[:5])  # 10 images with flip: padded to 16 by graph and xla
    assert cos(alone, in_five[:1]).min() >= MIN_COS
    if engine != "xla":  # xla would compile two more shapes; graph covers the logic
        emb.batch_size = 4  # 12 images in chunks of 4
        try:
            chunked = emb.embed(crops)
        finally:
            emb.batch_size = 16
        assert cos(chunked, emb.embed(crops)).min() >= MIN_COS


def test_int8_engine_stays_close_to_float32(
    weights: Path, reference, crops: np.ndarray, fused_once
) -> None:
    # Opt-in and not "the same embeddings": on LFW its cosine to float32 is >= 0.995
    # and its accuracy within 0.02 points (benchmarks/embed_paths.py --lfw).
    emb = FaceNetEmbedder(weights, engine="tflite-int8", cache=False)
    assert cos(emb.embed(crops), reference[True]).min() >= 0.99


def test_every_layer_with_weights_found_them_in_the_file(networks) -> None:
    model, count = networks["loaded"]
    assert count == sum(1 for layer in model.layers if layer.weights) > 200
    fused, folded = networks["folded"]  # build_inception_resnet_v1(fused=True), folded
    assert folded == sum(1 for layer in fused.layers if layer.weights)


def test_tflite_conversion_is_kept_in_the_user_cache(
    embedders, crops: np.ndarray, user_cache_dir: Path, caplog
) -> None:
    first = embedders["tflite"]  # its weights sit alone in a folder: it had to convert
    kept = user_cache_dir / "models" / converted_model_name(first.weights_sha256())
    assert kept.is_file()
    assert not list(Path(first.weights).parent.glob("*.tflite")), "wrote beside the weights"
    again = FaceNetEmbedder(first.weights, engine="tflite")
    with caplog.at_level(logging.INFO, logger="faceapp.core.embedding.facenet"):
        again.prepare()
    assert f"runs {kept}" in caplog.text
    np.testing.assert_array_equal(again.embed(crops), first.embed(crops))


def test_converted_model_runs_without_tensorflow_or_the_h5(
    embedders, crops: np.ndarray, tmp_path: Path
) -> None:
    """What the packaged app does: only the converted model and SHA256SUMS are there."""
    import subprocess
    import sys

    first = embedders["tflite"]
    folder = tmp_path / "weights"
    folder.mkdir()
    name = converted_model_name(first.weights_sha256())
    (folder / name).write_bytes(
        (Path(os.environ["FACEAPP_CACHE_DIR"]) / "models" / name).read_bytes()
    )
    (folder / "SHA256SUMS").write_text(f"{first.weights_sha256()}  facenet_keras.h5\n")
    np.save(tmp_path / "crops.npy", crops)
    code = (
        "import sys, numpy as np\n"
        "from faceapp.core.embedding import create_embedder\n"
        f"crops = np.load({str(tmp_path / 'crops.npy')!r})\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, create_embedder().embed(crops))\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
        "assert 'keras' not in sys.modules, 'keras imported'\n"
    )
    env = {**os.environ, "FACEAPP_WEIGHTS_DIR": str(folder), "FACEAPP_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), first.embed(crops), atol=1e-5)


@pytest.mark.parametrize("engine", ["auto", "graph", "tflite"])
def test_missing_weights_raise_model_error(tmp_path: Path, engine: str) -> None:
    emb = FaceNetEmbedder(tmp_path / "facenet_keras.h5", engine=engine)  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="weights not found"):
        emb.prepare()
    assert not emb.ready


def test_corrupt_weights_raise_model_error(tmp_path: Path, weights: Path) -> None:
    truncated = tmp_path / "facenet_keras.h5"
    truncated.write_bytes(weights.read_bytes()[: 1 << 20])

    def build(*args, **kwargs):
        raise AssertionError("a network was built for a damaged file")

    with pytest.MonkeyPatch.context() as patch:  # refused before seconds of building
        patch.setattr(facenet_model, "build_inception_resnet_v1", build)
        with pytest.raises(ModelError, match="not a readable HDF5"):
            FaceNetEmbedder(truncated, engine="auto").prepare()

    empty = tmp_path / "empty.h5"
    with h5py.File(empty, "w") as fh:
        fh.create_group("model_weights")
    with pytest.raises(ModelError, match="no weights for layer Conv2d_1a_3x3"):
        FaceNetEmbedder(empty, engine="graph").prepare()


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        FaceNetEmbedder(engine="onnx")  # type: ignore[arg-type]
