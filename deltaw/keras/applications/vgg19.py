"""`keras.applications.vgg19`: VGG19, `preprocess_input` ('caffe' mode), `decode_predictions`."""

from __future__ import annotations

from deltaw.keras.applications import imagenet_utils
from deltaw.keras.applications.vgg import build_vgg

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """VGG19 as `keras.applications.VGG19`: 16 convolutions and 3 dense layers (144M weights).

    Args:
        include_top: Include the three dense layers (input then fixed to 224x224).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        input_shape: `(height, width, channels)`, each side at least 32, without the top.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top.
        classes: Number of classes of the top layer.
        classifier_activation: Activation of the top layer (None for logits).
        name: The model's name.

    Returns:
        A functional `Model` with Keras' layer names and weight order.
    """
    return build_vgg((2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name, "VGG19")


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for VGG19: RGB to BGR minus ImageNet's channel means ('caffe')."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
