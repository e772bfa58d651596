"""The errors faceapp's core raises to say what a user can fix; imports nothing of ours."""

from __future__ import annotations


class ModelError(RuntimeError):
    """A model could not be loaded (missing or damaged weights, missing package)."""


class ImageError(ValueError):
    """A file could not be used as a photo; ``str(error)`` is a one-line message for users."""


class SourceError(RuntimeError):
    """A source could not be opened, or stopped delivering frames unexpectedly."""
