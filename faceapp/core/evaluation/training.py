"""Triplet loss, online semi-hard mining and a small fine-tuning loop (TensorFlow, lazy)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["batch_semi_hard_triplet_loss", "fine_tune", "pairwise_distances", "triplet_loss"]

_log = logging.getLogger(__name__)


def triplet_loss(anchor: Any, positive: Any, negative: Any, margin: float = 0.2) -> Any:
    """Return the FaceNet triplet loss of explicit triplets.

    ``mean_i max(||a_i - p_i||^2 - ||a_i - n_i||^2 + margin, 0)`` (Schroff et al.
    2015, eq. 1 and 3), with squared Euclidean distances.

    Parameters
    ----------
    anchor, positive, negative : tf.Tensor or ndarray, shape (batch, d)
        Embeddings; row ``i`` of each forms one triplet.  FaceNet expects them
        L2-normalised, but this function does not normalise.
    margin : float
        The margin ``alpha``, in squared-distance units.

    Returns
    -------
    tf.Tensor
        Scalar float32 loss, ``>= 0``.
    """
    import tensorflow as tf

    a = tf.convert_to_tensor(anchor, dtype=tf.float32)
    p = tf.convert_to_tensor(positive, dtype=tf.float32)
    n = tf.convert_to_tensor(negative, dtype=tf.float32)
    d_ap = tf.reduce_sum(tf.square(a - p), axis=-1)
    d_an = tf.reduce_sum(tf.square(a - n), axis=-1)
    return tf.reduce_mean(tf.maximum(d_ap - d_an + margin, 0.0))


def pairwise_distances(embeddings: Any, squared: bool = True) -> Any:
    """Return the matrix of Euclidean distances between the rows of ``embeddings``.

    Parameters
    ----------
    embeddings : tf.Tensor or ndarray, shape (batch, d)
        Row vectors.
    squared : bool
        Return squared distances (default) instead of distances.

    Returns
    -------
    tf.Tensor, shape (batch, batch), float32
        Zero on the diagonal, non-negative elsewhere.  The square root has a finite
        (zero) gradient where a distance is zero.
    """
    import tensorflow as tf

    e = tf.convert_to_tensor(embeddings, dtype=tf.float32)
    sq_norm = tf.reduce_sum(tf.square(e), axis=1)
    sq = sq_norm[:, None] - 2.0 * tf.matmul(e, e, transpose_b=True) + sq_norm[None, :]
    sq = tf.maximum(sq, 0.0)
    sq = sq * (1.0 - tf.eye(tf.shape(e)[0], dtype=sq.dtype))
    if squared:
        return sq
    zero = tf.cast(tf.equal(sq, 0.0), sq.dtype)
    # sqrt has an infinite derivative at 0: take it of a positive stand-in, then zero.
    return tf.sqrt(sq + zero * 1e-16) * (1.0 - zero)


def batch_semi_hard_triplet_loss(
    labels: Any, embeddings: Any, margin: float = 0.2, squared: bool = True
) -> Any:
    """Return the triplet loss with online semi-hard negative mining within a batch.

    Every ordered pair ``(a, p)`` of distinct batch items with the same label is an
    anchor-positive pair.  Its negative is chosen among the items with a different
    label, following TensorFlow Addons' ``triplet_semihard_loss``:

    * if some negative lies farther from the anchor than the positive
      (``d(a, n) > d(a, p)``, strictly), take the *closest* such negative (the
      semi-hard one of FaceNet §3.2);
    * otherwise (every negative is at most as far as the positive) take the negative
      *farthest* from the anchor, i.e. the easiest of the hard ones.

    The loss is ``max(d(a, p) - d(a, n) + margin, 0)`` averaged over all
    anchor-positive pairs, including those whose loss is zero.

    Parameters
    ----------
    labels : tf.Tensor or ndarray of int, shape (batch,)
        Identity of each item.
    embeddings : tf.Tensor or ndarray, shape (batch, d)
        Embeddings, normally L2-normalised.
    margin : float
        Margin in the units of the distance (squared or not).
    squared : bool
        Use squared Euclidean distances like the FaceNet paper (default).  TensorFlow
        Addons defaults to plain (non-squared) distances; pass ``False`` for that.

    Returns
    -------
    tf.Tensor
        Scalar float32 loss, ``>= 0``; ``0`` when the batch has no anchor-positive
        pair or no negative at all.

    Notes
    -----
    Memory is ``O(batch^3)`` booleans/floats (one entry per anchor, positive,
    negative), fine for the batches of a few hundred used for fine-tuning.
    """
    import tensorflow as tf

    lab = tf.reshape(tf.convert_to_tensor(labels), [-1])
    dist = pairwise_distances(embeddings, squared=squared)
    batch = tf.shape(dist)[0]
    same = tf.equal(lab[:, None], lab[None, :])
    is_negative = tf.logical_not(same)
    is_positive = tf.logical_and(same, tf.logical_not(tf.eye(batch, dtype=tf.bool)))

    # Indexed [anchor, positive, negative].
    d_ap = dist[:, :, None]
    d_an = dist[:, None, :]
    outside = tf.logical_and(is_negative[:, None, :], d_an > d_ap)
    # A finite stand-in for "no candidate" keeps reductions and gradients finite.
    big = tf.stop_gradient(tf.reduce_max(dist)) + 1.0
    d_an_b = tf.broadcast_to(d_an, tf.shape(outside))
    nearest_outside = tf.reduce_min(tf.where(outside, d_an_b, big), axis=2)
    has_outside = tf.reduce_any(outside, axis=2)
    farthest_negative = tf.reduce_max(tf.where(is_negative, dist, -big), axis=1)
    chosen = tf.where(has_outside, nearest_outside, farthest_negative[:, None])

    per_pair = tf.maximum(dist - chosen + margin, 0.0)
    has_any_negative = tf.reduce_any(is_negative, axis=1)[:, None]
    mask = tf.cast(tf.logical_and(is_positive, has_any_negative), per_pair.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(per_pair * mask), tf.reduce_sum(mask))


def fine_tune(
    model: Any,
    images_by_person: Mapping[str, np.ndarray],
    epochs: int = 1,
    batch_people: int = 8,
    per_person: int = 4,
    learning_rate: float = 1e-4,
    margin: float = 0.2,
    callback: Callable[[int, float], bool | None] | None = None,
    trainable_last: int | None = None,
    seed: int | None = 0,
) -> list[float]:
    """Fine-tune an embedding model with batch semi-hard triplet loss.

    Each step draws ``batch_people`` people (without repetition within an epoch) and
    up to ``per_person`` images of each, embeds them with ``model(x, training=True)``,
    L2-normalises the embeddings, computes :func:`batch_semi_hard_triplet_loss`
    (squared distances) and applies one Adam update.  An epoch is
    ``ceil(n_people / batch_people)`` steps.  Runs eagerly on the calling thread; do
    not call it on the GUI thread.

    Parameters
    ----------
    model : keras.Model
        Maps a float32 batch ``(n, *image_shape)`` (e.g. preprocessed
        ``(n, 160, 160, 3)`` crops) to embeddings ``(n, d)``.  Its weights are
        updated in place.
    images_by_person : mapping of str to ndarray, shape (n_i, *image_shape)
        Preprocessed images of each person.  People with fewer than two images give
        no anchor-positive pair and are skipped.
    epochs : int
        Passes over the people, ``>= 1``.
    batch_people : int
        People per batch, ``>= 2`` (capped at the number of usable people).
    per_person : int
        Images per person per batch, ``>= 2``; people with fewer contribute all.
    learning_rate : float
        Adam learning rate.
    margin : float
        Triplet margin in squared-distance units on the unit sphere (0.2 as FaceNet).
    callback : callable, optional
        Called as ``callback(step, loss)`` after every step (``step`` from 0);
        returning True stops training early.
    trainable_last : int, optional
        When given, only the last ``trainable_last`` layers of ``model.layers`` are
        trained; the others are frozen for the duration of the call and their
        ``trainable`` flags restored afterwards.
    seed : int, optional
        Seed for batch sampling; None for fresh randomness.

    Returns
    -------
    list of float
        The loss of every step, in order.

    Raises
    ------
    ValueError
        When fewer than two people have at least two images, or an argument is out of
        range.
    """
    import keras
    import tensorflow as tf

    if epochs < 1 or batch_people < 2 or per_person < 2:
        raise ValueError("need epochs >= 1, batch_people >= 2 and per_person >= 2")
    if trainable_last is not None and trainable_last < 1:
        raise ValueError("trainable_last must be at least 1 when given")
    people = [name for name, imgs in images_by_person.items() if len(imgs) >= 2]
    if len(people) < 2:
        raise ValueError("need at least two people with two or more images each")
    skipped = len(images_by_person) - len(people)
    if skipped:
        _log.info("fine_tune: skipping %d people with fewer than two images", skipped)

    rng = np.random.default_rng(seed)
    batch_people = min(batch_people, len(people))
    steps_per_epoch = math.ceil(len(people) / batch_people)
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)

    saved_flags = [layer.trainable for layer in model.layers]
    if trainable_last is not None:
        n_frozen = max(len(model.layers) - trainable_last, 0)
        for layer in model.layers[:n_frozen]:
            layer.trainable = False

    losses: list[float] = []
    try:
        for _ in range(epochs):
            order = rng.permutation(len(people))
            for step_in_epoch in range(steps_per_epoch):
                chosen = order[step_in_epoch * batch_people : (step_in_epoch + 1) * batch_people]
                if chosen.size < 2:
                    # Top up a short final batch so it has negatives.
                    others = np.setdiff1d(order, chosen)
                    chosen = np.concatenate([chosen, rng.choice(others, 2 - chosen.size, False)])
                x_parts, y_parts = [], []
                for label, idx in enumerate(chosen):
                    imgs = np.asarray(images_by_person[people[int(idx)]])
                    take = rng.choice(len(imgs), min(per_person, len(imgs)), replace=False)
                    x_parts.append(imgs[np.sort(take)])
                    y_parts.append(np.full(take.size, label, dtype=np.int32))
                x = tf.convert_to_tensor(np.concatenate(x_parts), dtype=tf.float32)
                y = tf.convert_to_tensor(np.concatenate(y_parts))
                variables = model.trainable_variables
                with tf.GradientTape() as tape:
                    emb = tf.math.l2_normalize(model(x, training=True), axis=1)
                    loss = batch_semi_hard_triplet_loss(y, emb, margin=margin, squared=True)
                grads = tape.gradient(loss, variables)
                optimizer.apply_gradients(
                    [(g, v) for g, v in zip(grads, variables) if g is not None]
                )
                value = float(loss.numpy())
                losses.append(value)
                if callback is not None and callback(len(losses) - 1, value):
                    return losses
    finally:
        for layer, flag in zip(model.layers, saved_flags):
            layer.trainable = flag
    return losses
