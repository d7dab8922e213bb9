"""`keras.applications.efficientnet_v2`: EfficientNetV2B0 to B3, S, M and L (Tan and Le, 2021),
with Keras' layer names and weight order; the models rescale their input themselves
(`include_preprocessing`), so `preprocess_input` returns its input, as in Keras.
"""

from __future__ import annotations

import math

from deltaw.keras.applications import imagenet_utils as iu
from deltaw.keras.applications.efficientnet import (
    CONV_KERNEL_INITIALIZER,
    squeeze_excite,
)

__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
           "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S", "decode_predictions",
           "preprocess_input"]

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "efficientnet_v2/")
# md5 of Keras' published files: (with the top, without)
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
# (kernel_size, num_repeat, input_filters, output_filters, expand_ratio, se_ratio, strides,
# conv_type: 1 fused, 0 MBConv) of each stage
_B = ((3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
      (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0),
      (3, 8, 112, 192, 6, 0.25, 2, 0))
DEFAULT_BLOCKS_ARGS = {
    "-s": ((3, 2, 24, 24, 1, 0, 1, 1), (3, 4, 24, 48, 4, 0, 2, 1), (3, 4, 48, 64, 4, 0, 2, 1),
           (3, 6, 64, 128, 4, 0.25, 2, 0), (3, 9, 128, 160, 6, 0.25, 1, 0),
           (3, 15, 160, 256, 6, 0.25, 2, 0)),
    "-m": ((3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
           (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0),
           (3, 18, 176, 304, 6, 0.25, 2, 0), (3, 5, 304, 512, 6, 0.25, 1, 0)),
    "-l": ((3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
           (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0),
           (3, 25, 224, 384, 6, 0.25, 2, 0), (3, 7, 384, 640, 6, 0.25, 1, 0)),
    "b0": _B, "b1": _B, "b2": _B, "b3": _B,
}
# (width, depth, default size) of each model
_SCALING = {"b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260),
            "b3": (1.2, 1.4, 300), "-s": (1.0, 1.0, 384), "-m": (1.0, 1.0, 480),
            "-l": (1.0, 1.0, 480)}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    filters *= width_coefficient
    minimum = min_depth or depth_divisor
    return int(max(minimum, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def _conv_bn_act(x, filters, kernel_size, strides, momentum, activation, prefix, name):
    from deltaw.keras import layers

    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}{prefix}_conv")(x)
    x = layers.BatchNormalization(axis=iu.channel_axis(), momentum=momentum,
                                  name=f"{name}{prefix}_bn")(x)
    return x if activation is None else layers.Activation(
        activation, name=f"{name}{prefix}_activation")(x)


def _skip(x, inputs, strides, input_filters, output_filters, survival_probability, name):
    from deltaw.keras import layers

    if strides == 1 and input_filters == output_filters:
        if survival_probability:  # Keras passes this as the drop rate; kept for equal models
            x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1),
                               name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def mb_conv_block(inputs, input_filters, output_filters, expand_ratio, kernel_size, strides,
                  se_ratio, bn_momentum, activation, survival_probability, name):
    """Expand (1x1), depthwise, squeeze-excite, project (1x1)."""
    from deltaw.keras import layers

    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv_bn_act(x, filters, 1, 1, bn_momentum, activation, "expand", name)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False,
                               depthwise_initializer=CONV_KERNEL_INITIALIZER,
                               name=f"{name}dwconv2")(x)
    x = layers.BatchNormalization(axis=iu.channel_axis(), momentum=bn_momentum,
                                  name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, input_filters, filters, se_ratio, activation, name)
    x = _conv_bn_act(x, output_filters, 1, 1, bn_momentum, None, "project", name)
    return _skip(x, inputs, strides, input_filters, output_filters, survival_probability, name)


def fused_mb_conv_block(inputs, input_filters, output_filters, expand_ratio, kernel_size,
                        strides, se_ratio, bn_momentum, activation, survival_probability, name):
    """A full convolution in place of expand + depthwise, then squeeze-excite and project."""
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv_bn_act(x, filters, kernel_size, strides, bn_momentum, activation, "expand",
                         name)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, input_filters, filters, se_ratio, activation, name)
    fused = expand_ratio == 1
    x = _conv_bn_act(x, output_filters, kernel_size if fused else 1, strides if fused else 1,
                     bn_momentum, activation if fused else None, "project", name)
    return _skip(x, inputs, strides, input_filters, output_filters, survival_probability, name)


def _stem(inputs, key, input_shape, include_preprocessing):
    from deltaw.keras import layers

    axis = iu.channel_axis()
    x = inputs
    if include_preprocessing:
        if key.startswith("b") and input_shape[axis] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406],
                                     variance=[0.229**2, 0.224**2, 0.225**2], axis=axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    return x


def build_efficientnet_v2(key, include_top, weights, input_tensor, input_shape, pooling,
                          classes, classifier_activation, include_preprocessing, name, where,
                          dropout_rate=0.2, drop_connect_rate=0.2, depth_divisor=8,
                          min_depth=8, bn_momentum=0.9, activation="swish"):
    from deltaw.keras.applications.efficientnet import _head
    from deltaw.keras.backend import image_data_format

    width, depth, default_size = _SCALING[key]
    blocks_args = DEFAULT_BLOCKS_ARGS[key]
    iu.check_weights(where, weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, image_data_format(),
                                        include_top, weights, where)
    inputs = iu.input_layer(input_tensor, input_shape)

    def rounded(filters):
        return round_filters(filters, width, min_depth, depth_divisor)

    x = _stem(inputs, key, (None, *input_shape), include_preprocessing)
    x = _conv_bn_act(x, rounded(blocks_args[0][2]), 3, 2, bn_momentum, activation, "", "stem")
    b, total = 0, float(sum(args[1] for args in blocks_args))
    for i, (kernel, repeats, f_in, f_out, expand, se, strides, fused) in enumerate(blocks_args):
        f_in, f_out = rounded(f_in), rounded(f_out)
        block = fused_mb_conv_block if fused else mb_conv_block
        for j in range(int(math.ceil(depth * repeats))):
            x = block(x, f_in if j == 0 else f_out, f_out, expand, kernel,
                      strides if j == 0 else 1, se, bn_momentum, activation,
                      drop_connect_rate * b / total, f"block{i + 1}{chr(j + 97)}_")
            b += 1
    x = _conv_bn_act(x, rounded(1280), 1, 1, bn_momentum, activation, "", "top")
    x = _head(x, include_top, pooling, dropout_rate, classes, classifier_activation, weights,
              where)
    # Keras derives the file name from `name`; deltaw from the architecture
    file_name = f"efficientnetv2-{key.lstrip('-')}{'.h5' if include_top else '_notop.h5'}"
    return iu.finish(inputs, x, name, weights, (file_name, BASE_WEIGHTS_PATH + file_name,
                                                WEIGHTS_HASHES[key][0 if include_top else 1]),
                     where)


_DOC = """EfficientNetV2{b} as `keras.applications.EfficientNetV2{b}` (default input
    {size}x{size}).

    Args:
        include_top: Include the classifier (global average pooling, dropout, dense layer).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        input_shape: `(height, width, channels)`, each side at least 32, without the top.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top.
        classes: Number of classes of the top layer.
        classifier_activation: Activation of the top layer (None for logits).
        include_preprocessing: Scale (and for B0-B3 normalize) the input pixels (0..255) in
            the model.
        name: The model's name.

    Returns:
        A functional `Model` with Keras' layer names and weight order.
"""


def _make(key):
    suffix = key.lstrip("-").upper()
    default_name = f"efficientnetv2-{key.lstrip('-')}"

    def model(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              include_preprocessing=True, name=default_name):
        return build_efficientnet_v2(key, include_top, weights, input_tensor, input_shape,
                                     pooling, classes, classifier_activation,
                                     include_preprocessing, name, f"EfficientNetV2{suffix}")

    model.__name__ = model.__qualname__ = f"EfficientNetV2{suffix}"
    model.__doc__ = _DOC.format(b=suffix, size=_SCALING[key][2])
    return model


EfficientNetV2B0 = _make("b0")
EfficientNetV2B1 = _make("b1")
EfficientNetV2B2 = _make("b2")
EfficientNetV2B3 = _make("b3")
EfficientNetV2S = _make("-s")
EfficientNetV2M = _make("-m")
EfficientNetV2L = _make("-l")


def preprocess_input(x, data_format=None):
    """Returns `x` unchanged: EfficientNetV2 models rescale their input themselves (as Keras)."""
    return x


decode_predictions = iu.decode_predictions
