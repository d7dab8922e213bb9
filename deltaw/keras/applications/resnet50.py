"""`keras.applications.resnet50`: Keras' older module name for ResNet50 and its preprocessing."""

from deltaw.keras.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
