"""FaceEmbedder: the protocol every face embedder follows, and the factory that makes one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from faceapp.core.embedding.facenet import FaceNetEmbedder


@runtime_checkable
class FaceEmbedder(Protocol):
    """Turns aligned face crops into L2-normalised embeddings."""

    input_size: int
    dim: int

    def prepare(self) -> None:
        """Load the model; heavy imports happen here, not at import time."""

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Return ``(n, dim)`` float32 unit vectors for ``(n, size, size, 3)`` RGB uint8 crops."""


@runtime_checkable
class SinglePassEmbedder(Protocol):
    """An embedder that can also embed each crop once, without its mirror image.

    Flip fusion (the default of :class:`~faceapp.core.embedding.facenet.FaceNetEmbedder`)
    embeds every crop and its mirror image and adds the two; live mode refreshes the
    embeddings of faces it follows with one pass, half the work (see
    :attr:`faceapp.core.live.LiveSettings.flip_fusion`).
    """

    def embed_once(self, crops: np.ndarray) -> np.ndarray:
        """Return ``(n, dim)`` float32 unit vectors from one pass per crop, no mirror image."""


def create_embedder(**kwargs: Any) -> FaceNetEmbedder:
    """Return the FaceNet embedder; nothing is loaded until its ``prepare()``.

    Parameters
    ----------
    **kwargs
        Passed to :class:`~faceapp.core.embedding.facenet.FaceNetEmbedder`
        (``weights``, ``flip``, ``engine``, ...).

    Raises
    ------
    ValueError
        For an unknown engine.
    """
    from faceapp.core.embedding.facenet import FaceNetEmbedder

    return FaceNetEmbedder(**kwargs)
