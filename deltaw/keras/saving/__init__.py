"""keras.saving: whole-model and weight files (Keras 3's namespace).

The functions are `deltaw.keras.models.saving`'s; this package also holds Keras' formats:
`keras_format` (the `.keras` zip and `.weights.h5`), `keras_layout` (where Keras puts each
weight and how its config is wrapped) and `legacy_h5` (tf.keras 2 `.h5` files).
"""

from deltaw.keras.models.saving import load_model, load_weights, save_model, save_weights

__all__ = ["load_model", "load_weights", "save_model", "save_weights"]
