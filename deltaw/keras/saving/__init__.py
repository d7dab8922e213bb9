"""keras.saving: whole-model files (Keras 3's namespace for deltaw.keras.models' functions)."""

from deltaw.keras.models.saving import load_model, save_model

__all__ = ["load_model", "save_model"]
