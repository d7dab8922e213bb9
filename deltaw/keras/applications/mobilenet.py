"""`keras.applications.mobilenet`: MobileNet (Howard et al., 2017), with Keras' layer names and
weight order, `preprocess_input` ('tf' mode) and `decode_predictions`.
"""

from __future__ import annotations

import warnings

from deltaw.keras.applications import imagenet_utils as iu

__all__ = ["MobileNet", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
_SIZES = (128, 160, 192, 224)
# (pointwise filters, strides) of the 13 depthwise-separable blocks
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def depthwise_conv_block(inputs, pointwise_filters, alpha, depth_multiplier=1, strides=1,
                         block_id=1):
    """Depthwise 3x3, batch norm, ReLU6, pointwise 1x1, batch norm, ReLU6."""
    from deltaw.keras import layers

    axis = iu.channel_axis()
    x = inputs
    if strides != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == 1 else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_filters * alpha), (1, 1), padding="same", use_bias=False,
                      name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def _check_imagenet(where, alpha, depth_multiplier, rows, cols):
    if depth_multiplier != 1:
        raise ValueError(f"{where}: ImageNet weights need depth_multiplier=1; got "
                         f"depth_multiplier={depth_multiplier}.")
    if alpha not in _ALPHA_TEXT:
        raise ValueError(f"{where}: ImageNet weights exist for alpha in (0.25, 0.5, 0.75, 1.0); "
                         f"got alpha={alpha}.")
    if rows != cols or rows not in _SIZES:
        warnings.warn(f"{where}: input_shape is undefined, non-square or not one of {_SIZES}; "
                      "the weights for 224x224 inputs are loaded.", UserWarning, stacklevel=3)
        return 224
    return rows


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3,  # noqa: N802
              include_top=True, weights="imagenet", input_tensor=None, pooling=None,
              classes=1000, classifier_activation="softmax", name=None):
    """MobileNet as `keras.applications.MobileNet`: depthwise-separable convolutions (4.2M
    weights at alpha=1).

    Args:
        input_shape: `(height, width, channels)`, each side at least 32. ImageNet weights exist
            for square inputs of 128, 160, 192 or 224; another size loads the 224 weights
            (with a warning, as in Keras).
        alpha: Width multiplier; ImageNet weights exist for 0.25, 0.5, 0.75 and 1.0.
        depth_multiplier: Depth multiplier of the depthwise convolutions (1 for ImageNet).
        dropout: Dropout rate before the classifier.
        include_top: Include the classifier (a 1x1 convolution over the pooled features).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top.
        classes: Number of classes of the top layer.
        classifier_activation: Activation of the top layer (None for logits).
        name: The model's name; default `"mobilenet_{alpha:0.2f}_{rows}"`.

    Returns:
        A functional `Model` with Keras' layer names and weight order.
    """
    from deltaw.keras import layers
    from deltaw.keras.backend import image_data_format

    where = "MobileNet"
    iu.check_weights(where, weights, include_top, classes)
    default_size = iu.square_size(input_shape, None, _SIZES)
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, image_data_format(),
                                        include_top, weights, where)
    rows, cols = input_shape[1:] if image_data_format() == "channels_first" else input_shape[:2]
    if weights == "imagenet":
        rows = _check_imagenet(where, alpha, depth_multiplier, rows, cols)
    inputs = iu.input_layer(input_tensor, input_shape)
    x = layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2),
                      name="conv1")(inputs)
    x = layers.BatchNormalization(axis=iu.channel_axis(), name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, strides) in enumerate(_BLOCKS, 1):
        x = depthwise_conv_block(x, filters, alpha, depth_multiplier, strides, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        iu.validate_activation(classifier_activation, weights, where)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = iu.global_pooling(x, pooling)
    file_name = (f"mobilenet_{_ALPHA_TEXT.get(alpha, '')}_{rows}_tf"
                 f"{'' if include_top else '_no_top'}.h5")
    # Keras publishes no hash for these files
    return iu.finish(inputs, x, name or f"mobilenet_{alpha:0.2f}_{rows}", weights,
                     (file_name, BASE_WEIGHT_PATH + file_name, None), where)


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for MobileNet: pixels scaled to [-1, 1] ('tf')."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
