"""Tests for triplet loss, semi-hard mining and the fine-tuning loop (no Qt)."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec
from typing import Any

import numpy as np
import pytest

from faceapp.core.evaluation import training as triplet


def test_import_does_not_load_tensorflow() -> None:
    code = (
        "import sys, faceapp.core.evaluation.training\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
        "assert 'keras' not in sys.modules, 'keras imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# Everything below needs TensorFlow, imported by the first test that runs it and not at
# collection: a test worker that runs none of these never loads it (4 s of CPU).
needs_tensorflow = pytest.mark.skipif(
    find_spec("tensorflow") is None, reason="TensorFlow is not installed"
)


@needs_tensorflow
def test_triplet_loss_by_hand() -> None:
    # Squared distances, margin 0.2:
    #  a=(0,0), p=(1,0), n=(0,2): d_ap=1, d_an=4     -> max(1 - 4 + 0.2, 0)    = 0
    #  a=(0,0), p=(2,0), n=(0,1): d_ap=4, d_an=1     -> max(4 - 1 + 0.2, 0)    = 3.2
    #  a=(1,1), p=(1,2), n=(1.5,1): d_ap=1, d_an=0.25 -> max(1 - 0.25 + 0.2, 0) = 0.95
    a = np.array([[0, 0], [0, 0], [1, 1]], np.float32)
    p = np.array([[1, 0], [2, 0], [1, 2]], np.float32)
    n = np.array([[0, 2], [0, 1], [1.5, 1]], np.float32)
    assert float(triplet.triplet_loss(a[:1], p[:1], n[:1])) == pytest.approx(0.0)
    assert float(triplet.triplet_loss(a[1:2], p[1:2], n[1:2])) == pytest.approx(3.2)
    assert float(triplet.triplet_loss(a[2:], p[2:], n[2:])) == pytest.approx(0.95)
    # Batch mean: (0 + 3.2 + 0.95) / 3.
    assert float(triplet.triplet_loss(a, p, n)) == pytest.approx(4.15 / 3, rel=1e-6)
    # The margin is additive: margin 4 makes the first triplet cost 1 - 4 + 4 = 1.
    assert float(triplet.triplet_loss(a[:1], p[:1], n[:1], margin=4.0)) == pytest.approx(1.0)


@needs_tensorflow
def test_pairwise_distances() -> None:
    e = np.array([[0, 0], [3, 4], [0, 0]], np.float32)
    sq = triplet.pairwise_distances(e).numpy()
    np.testing.assert_allclose(sq, [[0, 25, 0], [25, 0, 25], [0, 25, 0]], atol=1e-5)
    d = triplet.pairwise_distances(e, squared=False).numpy()
    np.testing.assert_allclose(d, [[0, 5, 0], [5, 0, 5], [0, 5, 0]], atol=1e-5)


@needs_tensorflow
def test_semi_hard_picks_nearest_farther_negative() -> None:
    # 1-d embeddings, plain distances, margin 1:
    #   A=0 (label 0), P=1 (label 0), N1=0.5 (1), N2=1.5 (2), N3=3 (3).
    # Only label 0 has positives: pairs (A,P) and (P,A), d_ap = 1.
    #   (A,P): negatives of A at 0.5, 1.5, 3; those farther than 1 are 1.5 and 3;
    #          the nearest of them is N2 (1.5) -> max(1 - 1.5 + 1, 0) = 0.5.
    #          (hardest N1 would give 1.5, the farthest N3 would give 0.)
    #   (P,A): negatives of P at 0.5, 0.5, 2; farther than 1: only N3 (2)
    #          -> max(1 - 2 + 1, 0) = 0.
    # Mean over the 2 anchor-positive pairs: 0.25.
    emb = np.array([[0.0], [1.0], [0.5], [1.5], [3.0]], np.float32)
    labels = np.array([0, 0, 1, 2, 3])
    loss = triplet.batch_semi_hard_triplet_loss(labels, emb, margin=1.0, squared=False)
    assert float(loss) == pytest.approx(0.25, abs=1e-6)


@needs_tensorflow
def test_semi_hard_falls_back_to_farthest_negative() -> None:
    # A=0 (label 0), P=3 (label 0), N1=1 (1), N2=2 (2).  d_ap = 3 and every negative
    # is closer than that, so the farthest negative is used.
    # Plain distances, margin 0.2:
    #   (A,P): negatives at 1, 2 -> farthest 2 -> 3 - 2 + 0.2 = 1.2 (hardest: 2.2)
    #   (P,A): negatives at 2, 1 -> farthest 2 -> 1.2                  -> mean 1.2
    # Squared distances: d_ap = 9, negatives at 1 and 4 (from A) or 4 and 1 (from P)
    #   -> 9 - 4 + 0.2 = 5.2 for both                                  -> mean 5.2
    emb = np.array([[0.0], [3.0], [1.0], [2.0]], np.float32)
    labels = np.array([0, 0, 1, 2])
    plain = triplet.batch_semi_hard_triplet_loss(labels, emb, squared=False)
    assert float(plain) == pytest.approx(1.2, abs=1e-5)
    squared = triplet.batch_semi_hard_triplet_loss(labels, emb)
    assert float(squared) == pytest.approx(5.2, abs=1e-5)


def _reference_semi_hard(labels: np.ndarray, emb: np.ndarray, margin: float) -> float:
    """Loop-by-loop NumPy version of the rule in the docstring (squared distances)."""
    d = ((emb[:, None, :] - emb[None, :, :]) ** 2).sum(-1)
    losses = []
    for a in range(len(labels)):
        negs = [n for n in range(len(labels)) if labels[n] != labels[a]]
        for p in range(len(labels)):
            if p == a or labels[p] != labels[a] or not negs:
                continue
            farther = [d[a, n] for n in negs if d[a, n] > d[a, p]]
            d_an = min(farther) if farther else max(d[a, n] for n in negs)
            losses.append(max(d[a, p] - d_an + margin, 0.0))
    return float(np.mean(losses)) if losses else 0.0


@needs_tensorflow
def test_semi_hard_matches_reference_with_ties() -> None:
    rng = np.random.default_rng(0)
    # Small integer coordinates make many exactly equal distances (ties at d_ap).
    emb = rng.integers(-2, 3, size=(12, 2)).astype(np.float32)
    labels = rng.integers(0, 4, size=12)
    got = float(triplet.batch_semi_hard_triplet_loss(labels, emb, margin=0.5))
    assert got == pytest.approx(_reference_semi_hard(labels, emb, 0.5), abs=1e-5)


@needs_tensorflow
def test_semi_hard_degenerate_batches_and_gradients() -> None:
    import tensorflow as tf

    emb = tf.constant([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    # No positives at all, or no negatives at all -> 0, not NaN.
    assert float(triplet.batch_semi_hard_triplet_loss([0, 1, 2], emb)) == 0.0
    assert float(triplet.batch_semi_hard_triplet_loss([0, 0, 0], emb)) == 0.0
    # Identical embeddings (zero distance) keep the gradient finite, squared or not.
    for squared in (True, False):
        with tf.GradientTape() as tape:
            tape.watch(emb)
            loss = triplet.batch_semi_hard_triplet_loss([0, 0, 1], emb, squared=squared)
        grad = tape.gradient(loss, emb)
        assert np.all(np.isfinite(grad.numpy()))


def _clusters(seed: int = 0) -> dict[str, np.ndarray]:
    """Three people, 10 "images" each, 8-d.

    The identities are clearly apart in dims 0-1 (centres 2 apart, noise 0.2) but dims
    2-7 carry identity-free noise of std 2, so a random projection mixes them up and
    the model has to learn to ignore those dims.
    """
    rng = np.random.default_rng(seed)
    centres = np.zeros((3, 8))
    centres[:, :2] = [[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]]
    data = {}
    for k in range(3):
        x = rng.normal(0.0, 0.2, size=(10, 8))
        x[:, 2:] = rng.normal(0.0, 2.0, size=(10, 6))
        data[f"p{k}"] = (centres[k] + x).astype(np.float32)
    return data


def _tiny_model(seed: int = 0) -> Any:
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(8,)),
            keras.layers.Dense(16, activation="tanh", name="hidden"),
            keras.layers.Dense(4, name="embedding"),
        ]
    )


def _full_loss(model: Any, data: dict[str, np.ndarray]) -> float:
    import tensorflow as tf

    x = np.concatenate(list(data.values()))
    y = np.repeat(np.arange(len(data)), [len(v) for v in data.values()])
    emb = tf.math.l2_normalize(model(x, training=False), axis=1)
    return float(triplet.batch_semi_hard_triplet_loss(y, emb))


@needs_tensorflow
def test_fine_tune_decreases_loss() -> None:
    data = _clusters()
    model = _tiny_model()
    before = _full_loss(model, data)
    seen: list[tuple[int, float]] = []
    losses = triplet.fine_tune(
        model,
        data,
        epochs=30,
        batch_people=3,
        per_person=4,
        learning_rate=1e-2,
        callback=lambda step, loss: seen.append((step, loss)) and None,
    )
    assert len(losses) == 30  # 3 people / 3 per batch = 1 step per epoch
    assert [s for s, _ in seen] == list(range(30))
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    assert before > 0.0
    assert _full_loss(model, data) < 0.5 * before


@needs_tensorflow
def test_fine_tune_trainable_last_and_early_stop() -> None:
    data = _clusters(1)
    model = _tiny_model(1)
    hidden_before = model.get_layer("hidden").get_weights()[0].copy()
    emb_before = model.get_layer("embedding").get_weights()[0].copy()
    losses = triplet.fine_tune(
        model,
        data,
        epochs=10,
        batch_people=2,
        per_person=3,
        learning_rate=1e-2,
        margin=1.0,  # large enough that every step has a loss, hence a gradient
        trainable_last=1,
        callback=lambda step, loss: step == 4,  # stop after the fifth step
    )
    assert len(losses) == 5
    np.testing.assert_array_equal(model.get_layer("hidden").get_weights()[0], hidden_before)
    assert not np.array_equal(model.get_layer("embedding").get_weights()[0], emb_before)
    assert all(layer.trainable for layer in model.layers)  # flags restored


@needs_tensorflow
def test_fine_tune_rejects_unusable_data() -> None:
    model = _tiny_model()
    one_each = {"a": np.zeros((1, 8), np.float32), "b": np.zeros((5, 8), np.float32)}
    with pytest.raises(ValueError, match="two people"):
        triplet.fine_tune(model, one_each)
