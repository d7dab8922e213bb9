"""`keras.applications.mobilenet_v2`: MobileNetV2 (Sandler et al., 2018), with Keras' layer names
and weight order, `preprocess_input` ('tf' mode) and `decode_predictions`.
"""

from __future__ import annotations

import warnings

from deltaw.keras.applications import imagenet_utils as iu

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of the 17 inverted residual blocks, in order
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6),
           (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6),
           (160, 1, 6), (160, 1, 6), (320, 1, 6))


def make_divisible(v, divisor, min_value=None):
    """`v` rounded to a multiple of `divisor`, never below `min_value` nor 10% below `v`."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _bn(x, name):
    from deltaw.keras import layers

    return layers.BatchNormalization(axis=iu.channel_axis(), epsilon=1e-3, momentum=0.999,
                                     name=name)(x)


def inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """Expand (1x1), depthwise 3x3, project (1x1); the input added when the shapes allow."""
    from deltaw.keras import layers

    in_channels = inputs.shape[iu.channel_axis()]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    x, prefix = inputs, f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(_bn(x, f"{prefix}expand_BN"))
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=iu.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(_bn(x, f"{prefix}depthwise_BN"))
    x = layers.Conv2D(pointwise_filters, 1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = _bn(x, f"{prefix}project_BN")
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",  # noqa: N802
                input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax",
                name=None):
    """MobileNetV2 as `keras.applications.MobileNetV2`: inverted residual blocks with linear
    bottlenecks (3.5M weights at alpha=1).

    Args:
        input_shape: `(height, width, channels)`, each side at least 32. ImageNet weights exist
            for square inputs of 96, 128, 160, 192 or 224; another size loads the 224 weights
            (with a warning, as in Keras).
        alpha: Width multiplier; ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4.
        include_top: Include the classifier (global average pooling and a dense layer).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top.
        classes: Number of classes of the top layer.
        classifier_activation: Activation of the top layer (None for logits).
        name: The model's name; default `"mobilenetv2_{alpha:0.2f}_{rows}"`.

    Returns:
        A functional `Model` with Keras' layer names and weight order.
    """
    from deltaw.keras import layers
    from deltaw.keras.backend import image_data_format

    where = "MobileNetV2"
    iu.check_weights(where, weights, include_top, classes)
    default_size = iu.square_size(input_shape, input_tensor, _SIZES)
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, image_data_format(),
                                        include_top, weights, where)
    rows, cols = input_shape[1:] if image_data_format() == "channels_first" else input_shape[:2]
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError(f"{where}: ImageNet weights exist for alpha in {_ALPHAS}; got "
                             f"alpha={alpha}.")
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(f"{where}: input_shape is undefined, non-square or not one of "
                          f"{_SIZES}; the weights for 224x224 inputs are loaded.", UserWarning,
                          stacklevel=2)
    inputs = iu.input_layer(input_tensor, input_shape)
    x = layers.Conv2D(make_divisible(32 * alpha, 8), 3, strides=(2, 2), padding="same",
                      use_bias=False, name="Conv1")(inputs)
    x = layers.ReLU(6.0, name="Conv1_relu")(_bn(x, "bn_Conv1"))
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(_bn(x, "Conv_1_bn"))
    x = iu.classifier_head(x, include_top, pooling, classes, classifier_activation, weights, where,
                           top_pool=None)
    file_name = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                 f"{'' if include_top else '_no_top'}.h5")
    # Keras publishes no hash for these files
    return iu.finish(inputs, x, name or f"mobilenetv2_{alpha:0.2f}_{rows}", weights,
                     (file_name, BASE_WEIGHT_PATH + file_name, None), where)


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for MobileNetV2: pixels scaled to [-1, 1] ('tf')."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
