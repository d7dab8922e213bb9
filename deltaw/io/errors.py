"""The one exception every unreadable or hostile model file raises."""

from __future__ import annotations

__all__ = ["ModelFileError"]


class ModelFileError(ValueError):
    """A model, weights or checkpoint file is corrupted, forged or does not fit the model.

    Raised by every reader in deltaw (`deltaw.io.safetensors`, `load_model`, `load_weights`) for any
    problem found in a file's bytes: a truncated or inflated header, malformed or too deeply nested
    JSON, an unsupported dtype, tensor offsets that overlap or leave holes, an unknown class name,
    or weights whose names, shapes or dtypes do not match the architecture. It subclasses
    `ValueError`, so code that catches ValueError (as for Keras' loaders) keeps working. A missing
    file is not a corrupted file: that stays `FileNotFoundError`.
    """
