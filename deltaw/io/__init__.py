"""deltaw.io: model files that never execute code, written atomically.

- `safetensors`: reader and writer of the safetensors layout; every read goes through one
  validating parser (`deltaw.io.safetensors.deserialize`).
- `atomic_write`: replace a file whole or not at all.
- `limits`: the allocation budget that stops a forged config from allocating before it is checked.
- `ModelFileError`: raised for every corrupted, forged or mismatched file (`dw.ModelFileError`).

The Keras-level API on top of this is `deltaw.keras.models.load_model` and `Model.save`.
"""

from deltaw.io import limits, safetensors
from deltaw.io.atomic import atomic_write, is_temporary_file
from deltaw.io.errors import ModelFileError

__all__ = ["ModelFileError", "atomic_write", "is_temporary_file", "limits", "safetensors"]
