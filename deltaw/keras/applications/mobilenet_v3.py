"""`keras.applications.mobilenet_v3`: MobileNetV3Small and MobileNetV3Large (Howard et al., 2019),
with Keras' layer names and weight order; the models rescale their input themselves
(`include_preprocessing`), so `preprocess_input` returns its input, as in Keras.
"""

from __future__ import annotations

import warnings

from deltaw.keras.applications import imagenet_utils as iu
from deltaw.keras.applications.mobilenet_v2 import make_divisible

__all__ = ["MobileNetV3Large", "MobileNetV3Small", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
# md5 of Keras' published files: (with the top, without)
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb",
                             "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7",
                            "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7",
                             "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862",
                            "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}
# (expansion, filters, kernel ("k": the model's), stride, squeeze-excite, activation ("a": the
# model's)) of each inverted residual block
_SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"),
          (88 / 24, 24, 3, 1, False, "relu"), (4, 40, "k", 2, True, "a"),
          (6, 40, "k", 1, True, "a"), (6, 40, "k", 1, True, "a"), (3, 48, "k", 1, True, "a"),
          (3, 48, "k", 1, True, "a"), (6, 96, "k", 2, True, "a"), (6, 96, "k", 1, True, "a"),
          (6, 96, "k", 1, True, "a"))
_LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"),
          (3, 24, 3, 1, False, "relu"), (3, 40, "k", 2, True, "relu"),
          (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
          (6, 80, 3, 2, False, "a"), (2.5, 80, 3, 1, False, "a"), (2.3, 80, 3, 1, False, "a"),
          (2.3, 80, 3, 1, False, "a"), (6, 112, 3, 1, True, "a"), (6, 112, 3, 1, True, "a"),
          (6, 160, "k", 2, True, "a"), (6, 160, "k", 1, True, "a"), (6, 160, "k", 1, True, "a"))


def _depth(v, divisor=8, min_value=None):
    return make_divisible(v, divisor, min_value)


def relu(x):
    from deltaw.keras import layers

    return layers.ReLU()(x)


def hard_sigmoid(x):
    from deltaw.keras import layers

    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    from deltaw.keras import layers

    return layers.Activation("hard_swish")(x)


def _bn(x, name):
    from deltaw.keras import layers

    return layers.BatchNormalization(axis=iu.channel_axis(), epsilon=1e-3, momentum=0.999,
                                     name=name)(x)


def se_block(inputs, filters, se_ratio, prefix):
    """Squeeze and excite: the channels scaled by a gate computed from their means."""
    from deltaw.keras import layers

    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), 1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, hard_sigmoid(x)])


def inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation,
                       block_id):
    from deltaw.keras import layers

    shortcut, prefix = x, "expanded_conv_"
    infilters = x.shape[iu.channel_axis()]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), 1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = activation(_bn(x, f"{prefix}expand_bn"))
    if stride == 2:
        x = layers.ZeroPadding2D(padding=iu.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{prefix}depthwise")(x)
    x = activation(_bn(x, f"{prefix}depthwise_bn"))
    if se_ratio:
        x = se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(x, f"{prefix}project_bn")
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _input_shape(input_shape, input_tensor, where):
    from deltaw.keras.backend import image_data_format

    first = image_data_format() == "channels_first"
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    if input_shape is None:
        input_shape = (3, None, None) if first else (None, None, 3)
    if len(input_shape) != 3:
        raise ValueError(f"{where}: input_shape must be a tuple of three integers; got "
                         f"input_shape={input_shape}.")
    rows, cols = input_shape[1:] if first else input_shape[:2]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"{where}: input size must be at least 32x32; got "
                         f"input_shape={input_shape}.")
    return tuple(input_shape), rows, cols


def _check_imagenet(where, alpha, minimalistic, rows, cols):
    if (alpha not in (0.75, 1.0)) if not minimalistic else alpha != 1.0:
        raise ValueError(f"{where}: ImageNet weights exist for alpha 0.75 or 1.0 (1.0 only "
                         f"when minimalistic); got alpha={alpha}, minimalistic={minimalistic}.")
    if rows != cols or rows != 224:
        warnings.warn(f"{where}: input_shape is undefined, non-square or not 224; the weights "
                      "for 224x224 inputs are loaded.", UserWarning, stacklevel=3)


def build_mobilenet_v3(blocks, last_point_ch, input_shape, alpha, model_type, minimalistic,
                       include_top, weights, input_tensor, classes, pooling, dropout_rate,
                       classifier_activation, include_preprocessing, name, where):
    from deltaw.keras import layers

    iu.check_weights(where, weights, include_top, classes)
    input_shape, rows, cols = _input_shape(input_shape, input_tensor, where)
    if weights == "imagenet":
        _check_imagenet(where, alpha, minimalistic, rows, cols)
    inputs = iu.input_layer(input_tensor, input_shape)
    kernel, activation, se_ratio = (3, relu, None) if minimalistic else (5, hard_swish, 0.25)
    x = inputs
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, 3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = activation(_bn(x, "conv_bn"))
    for block_id, (expansion, filters, size, stride, se, act) in enumerate(blocks):
        x = inverted_res_block(x, expansion, _depth(filters * alpha),
                               kernel if size == "k" else size, stride, se and se_ratio,
                               activation if act == "a" else relu, block_id)
    last_conv_ch = _depth(x.shape[iu.channel_axis()] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, 1, padding="same", use_bias=False, name="conv_1")(x)
    x = activation(_bn(x, "conv_1_bn"))
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, 1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, 1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        iu.validate_activation(classifier_activation, weights, where)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = iu.global_pooling(x, pooling, named=True)
    key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    file_name = f"weights_mobilenet_v3_{key}{'.h5' if include_top else '_no_top_v2.h5'}"
    file_hash = WEIGHTS_HASHES.get(key, (None, None))[0 if include_top else 1]
    return iu.finish(inputs, x, name, weights, (file_name, BASE_WEIGHT_PATH + file_name,
                                                file_hash), where)


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False,  # noqa: N802
                     include_top=True, weights="imagenet", input_tensor=None, classes=1000,
                     pooling=None, dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Small"):
    return build_mobilenet_v3(_SMALL, 1024, input_shape, alpha, "small", minimalistic,
                              include_top, weights, input_tensor, classes, pooling, dropout_rate,
                              classifier_activation, include_preprocessing, name,
                              "MobileNetV3Small")


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False,  # noqa: N802
                     include_top=True, weights="imagenet", input_tensor=None, classes=1000,
                     pooling=None, dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Large"):
    return build_mobilenet_v3(_LARGE, 1280, input_shape, alpha, "large", minimalistic,
                              include_top, weights, input_tensor, classes, pooling, dropout_rate,
                              classifier_activation, include_preprocessing, name,
                              "MobileNetV3Large")


_DOC = """{name} as `keras.applications.{name}`: inverted residual blocks with squeeze and
    excite and hard-swish activations ({size} weights with the top at alpha=1).

    Args:
        input_shape: `(height, width, channels)`, each side at least 32; default any size.
            ImageNet weights are for 224x224 (another size warns, as in Keras).
        alpha: Width multiplier; ImageNet weights exist for 0.75 and 1.0.
        minimalistic: 3x3 kernels, ReLU and no squeeze and excite.
        include_top: Include the classifier (1x1 convolutions over the pooled features).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        classes: Number of classes of the top layer.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top.
        dropout_rate: Dropout rate before the last convolution of the top.
        classifier_activation: Activation of the top layer (None for logits).
        include_preprocessing: Scale the input pixels (0..255) to [-1, 1] in the model.
        name: The model's name.

    Returns:
        A functional `Model` with Keras' layer names and weight order.
"""
MobileNetV3Small.__doc__ = _DOC.format(name="MobileNetV3Small", size="2.6M")
MobileNetV3Large.__doc__ = _DOC.format(name="MobileNetV3Large", size="5.5M")


def preprocess_input(x, data_format=None):
    """Returns `x` unchanged: MobileNetV3 models rescale their input themselves (as in Keras)."""
    return x


decode_predictions = iu.decode_predictions
