"""`keras.applications.efficientnet`: EfficientNetB0 to B7 (Tan and Le, 2019), with Keras' layer
names and weight order; the models rescale and normalize their input themselves, so
`preprocess_input` returns its input, as in Keras.
"""

from __future__ import annotations

import math

from deltaw.keras.applications import imagenet_utils as iu

__all__ = ["EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
           "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
           "decode_predictions", "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
# md5 of Keras' published files: (with the top, without)
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
# (kernel_size, repeats, filters_in, filters_out, expand_ratio, strides) of the 7 stages; every
# block has id_skip=True and se_ratio=0.25
DEFAULT_BLOCKS_ARGS = ((3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2),
                       (3, 3, 40, 80, 6, 2), (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2),
                       (3, 1, 192, 320, 6, 1))
CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling", "config": {
    "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling", "config": {
    "scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)
# (width, depth, default size, dropout) of B0..B7
_SCALING = {"b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3),
            "b3": (1.2, 1.4, 300, 0.3), "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
            "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5)}


def _conv(filters, kernel_size, name, **kwargs):
    from deltaw.keras import layers

    return layers.Conv2D(filters, kernel_size, kernel_initializer=CONV_KERNEL_INITIALIZER,
                         name=name, **kwargs)


def squeeze_excite(x, filters_in, filters, se_ratio, activation, name):
    """The channels scaled by a sigmoid gate computed from their global means."""
    from deltaw.keras import layers

    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if iu.channel_axis() == 1 else (1, 1, filters)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = _conv(max(1, int(filters_in * se_ratio)), 1, f"{name}se_reduce", padding="same",
               activation=activation)(se)
    se = _conv(filters, 1, f"{name}se_expand", padding="same", activation="sigmoid")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16,
          kernel_size=3, strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True):
    """An inverted residual block (MBConv): expand, depthwise, squeeze-excite, project."""
    from deltaw.keras import layers

    axis = iu.channel_axis()
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, 1, f"{name}expand_conv", padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(axis=axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        x = layers.ZeroPadding2D(padding=iu.correct_pad(x, kernel_size),
                                 name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides,
                               padding="valid" if strides == 2 else "same", use_bias=False,
                               depthwise_initializer=CONV_KERNEL_INITIALIZER,
                               name=f"{name}dwconv")(x)
    x = layers.BatchNormalization(axis=axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters_in, filters, se_ratio, activation, name)
    x = _conv(filters_out, 1, f"{name}project_conv", padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(axis=axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:  # stochastic depth: whole samples dropped
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _head(x, include_top, pooling, dropout_rate, classes, classifier_activation, weights,
          where):
    from deltaw.keras import layers

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        iu.validate_activation(classifier_activation, weights, where)
        return layers.Dense(classes, activation=classifier_activation,
                            kernel_initializer=DENSE_KERNEL_INITIALIZER, name="predictions")(x)
    return iu.global_pooling(x, pooling, named=True)


def build_efficientnet(key, include_top, weights, input_tensor, input_shape, pooling, classes,
                       classifier_activation, name, where, drop_connect_rate=0.2,
                       depth_divisor=8, activation="swish"):
    from deltaw.keras import layers
    from deltaw.keras.backend import image_data_format

    width, depth, default_size, dropout_rate = _SCALING[key]
    iu.check_weights(where, weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, image_data_format(),
                                        include_top, weights, where)
    inputs = iu.input_layer(input_tensor, input_shape)
    axis = iu.channel_axis()

    def round_filters(filters):
        return make_divisible_width(filters * width, depth_divisor)

    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = layers.Normalization(axis=axis)(x)
    if weights == "imagenet":
        # the original divides by the variance, Normalization by its square root (as Keras)
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=iu.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = _conv(round_filters(32), 3, "stem_conv", strides=2, padding="valid", use_bias=False)(x)
    x = layers.BatchNormalization(axis=axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    repeats = [int(math.ceil(depth * args[1])) for args in DEFAULT_BLOCKS_ARGS]
    b, total = 0, float(sum(repeats))
    for i, ((kernel_size, _, f_in, f_out, expand, strides), count) in enumerate(
            zip(DEFAULT_BLOCKS_ARGS, repeats)):
        f_in, f_out = round_filters(f_in), round_filters(f_out)
        for j in range(count):
            x = block(x, activation, drop_connect_rate * b / total, f"block{i + 1}{chr(j + 97)}_",
                      f_in if j == 0 else f_out, f_out, kernel_size, strides if j == 0 else 1,
                      expand, 0.25, True)
            b += 1
    x = _conv(round_filters(1280), 1, "top_conv", padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(axis=axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    x = _head(x, include_top, pooling, dropout_rate, classes, classifier_activation, weights,
              where)
    # Keras derives the file name from `name`; deltaw from the architecture, so a renamed
    # model still finds its weights
    file_name = f"efficientnet{key}{'.h5' if include_top else '_notop.h5'}"
    return iu.finish(inputs, x, name, weights, (file_name, BASE_WEIGHTS_PATH + file_name,
                                                WEIGHTS_HASHES[key][0 if include_top else 1]),
                     where)


def make_divisible_width(filters, divisor):
    """`filters` rounded to a multiple of `divisor`, never 10% below it (Keras' round_filters)."""
    new = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(new + divisor if new < 0.9 * filters else new)


_DOC = """EfficientNet{b} as `keras.applications.EfficientNet{b}` (default input {size}x{size}).

    The model scales its input pixels (0..255) and normalizes them with a `Normalization` layer
    (ImageNet's statistics in the ImageNet weights), so images go in unscaled.

    Args:
        include_top: Include the classifier (global average pooling, dropout, dense layer).
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


def _make(key):
    upper = key.upper()

    def model(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              name=f"efficientnet{key}"):
        return build_efficientnet(key, include_top, weights, input_tensor, input_shape, pooling,
                                  classes, classifier_activation, name, f"EfficientNet{upper}")

    model.__name__ = model.__qualname__ = f"EfficientNet{upper}"
    model.__doc__ = _DOC.format(b=upper, size=_SCALING[key][2])
    return model


EfficientNetB0 = _make("b0")
EfficientNetB1 = _make("b1")
EfficientNetB2 = _make("b2")
EfficientNetB3 = _make("b3")
EfficientNetB4 = _make("b4")
EfficientNetB5 = _make("b5")
EfficientNetB6 = _make("b6")
EfficientNetB7 = _make("b7")


def preprocess_input(x, data_format=None):
    """Returns `x` unchanged: EfficientNet models rescale their input themselves (as Keras)."""
    return x


decode_predictions = iu.decode_predictions
