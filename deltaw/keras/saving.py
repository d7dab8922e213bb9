"""keras.saving: whole-model files (Keras 3's namespace for the functions in deltaw.keras.models)."""

from deltaw.keras.models.saving import load_model, save_model

__all__ = ["load_model", "save_model"]
