"""`keras.applications.nasnet`: NASNetMobile and NASNetLarge (Zoph et al., 2018), with Keras'
layers and weight order, `preprocess_input` ('tf' mode) and `decode_predictions`.

Some activations, paddings and croppings are unnamed in Keras (named by the session's counters);
ImageNet weights load by position. Keras 3 refuses NASNetMobile on its torch backend ("an
outstanding bug"); deltaw builds it.
"""

from __future__ import annotations

import warnings

from deltaw.keras.applications import imagenet_utils as iu

__all__ = ["NASNetLarge", "NASNetMobile", "decode_predictions", "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
# (cache name, file name at BASE_WEIGHTS_PATH, md5) with and without the top
_FILES = {
    (224, True): ("nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
    (224, False): ("nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5",
                   "1ed92395b5b598bdda52abe5c0dbfd63"),
    (331, True): ("nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
    (331, False): ("nasnet_large_no_top.h5", "NASNet-large-no-top.h5",
                   "d81d89dc07e6e56530c4e77faddd61b5"),
}


def _bn(x, name):
    from deltaw.keras import layers

    return layers.BatchNormalization(axis=iu.channel_axis(), momentum=0.9997, epsilon=1e-3,
                                     name=name)(x)


def _conv1x1(x, filters, name, strides=(1, 1)):
    from deltaw.keras import layers

    return layers.Conv2D(filters, (1, 1), strides=strides, padding="same", use_bias=False,
                         name=name, kernel_initializer="he_normal")(x)


def separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """Twice ReLU, separable convolution, batch norm; the first one strided when asked."""
    from deltaw.keras import layers

    x = layers.Activation("relu")(ip)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=iu.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides,
                               name=f"separable_conv_1_{block_id}",
                               padding="valid" if strides == (2, 2) else "same",
                               use_bias=False)(x)
    x = _bn(x, f"separable_conv_1_bn_{block_id}")
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}",
                               padding="same", use_bias=False)(x)
    return _bn(x, f"separable_conv_2_bn_{block_id}")


def adjust_block(p, ip, filters, block_id=None):
    """The previous cell's output `p` brought to the shape of `ip` (spatially, then channels)."""
    from deltaw.keras import layers

    img_dim = 2 if iu.channel_axis() == 1 else -2
    if p is None:
        return ip
    if p.shape[img_dim] != ip.shape[img_dim]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
        p = layers.concatenate([p1, p2], axis=iu.channel_axis())
        return _bn(p, f"adjust_bn_{block_id}")
    if p.shape[iu.channel_axis()] != filters:
        p = layers.Activation("relu")(p)
        p = _conv1x1(p, filters, f"adjust_conv_projection_{block_id}")
        return _bn(p, f"adjust_bn_{block_id}")
    return p


def _cell_input(ip, filters, kind, block_id):
    from deltaw.keras import layers

    h = layers.Activation("relu")(ip)
    h = _conv1x1(h, filters, f"{kind}_conv_1_{block_id}")
    return _bn(h, f"{kind}_bn_1_{block_id}")


def _avg3(x, strides, padding, name):
    from deltaw.keras import layers

    return layers.AveragePooling2D((3, 3), strides=strides, padding=padding, name=name)(x)


def normal_a_cell(ip, p, filters, block_id=None):
    """NASNet-A's normal cell: five pairs of operations, concatenated with `p`."""
    from deltaw.keras import layers

    p = adjust_block(p, ip, filters, block_id)
    h = _cell_input(ip, filters, "normal", block_id)
    sep = separable_conv_block
    x1 = layers.add([sep(h, filters, kernel_size=(5, 5), block_id=f"normal_left1_{block_id}"),
                     sep(p, filters, block_id=f"normal_right1_{block_id}")],
                    name=f"normal_add_1_{block_id}")
    x2 = layers.add([sep(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
                     sep(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")],
                    name=f"normal_add_2_{block_id}")
    x3 = layers.add([_avg3(h, (1, 1), "same", f"normal_left3_{block_id}"), p],
                    name=f"normal_add_3_{block_id}")
    x4 = layers.add([_avg3(p, (1, 1), "same", f"normal_left4_{block_id}"),
                     _avg3(p, (1, 1), "same", f"normal_right4_{block_id}")],
                    name=f"normal_add_4_{block_id}")
    x5 = layers.add([sep(h, filters, block_id=f"normal_left5_{block_id}"), h],
                    name=f"normal_add_5_{block_id}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=iu.channel_axis(),
                           name=f"normal_concat_{block_id}")
    return x, ip


def reduction_a_cell(ip, p, filters, block_id=None):
    """NASNet-A's reduction cell: halves the spatial size."""
    from deltaw.keras import layers

    p = adjust_block(p, ip, filters, block_id)
    h = _cell_input(ip, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(padding=iu.correct_pad(h, 3),
                              name=f"reduction_pad_1_{block_id}")(h)
    sep = separable_conv_block
    x1 = layers.add([sep(h, filters, (5, 5), strides=(2, 2),
                         block_id=f"reduction_left1_{block_id}"),
                     sep(p, filters, (7, 7), strides=(2, 2),
                         block_id=f"reduction_right1_{block_id}")],
                    name=f"reduction_add_1_{block_id}")
    x2 = layers.add([layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                         name=f"reduction_left2_{block_id}")(h3),
                     sep(p, filters, (7, 7), strides=(2, 2),
                         block_id=f"reduction_right2_{block_id}")],
                    name=f"reduction_add_2_{block_id}")
    x3 = layers.add([_avg3(h3, (2, 2), "valid", f"reduction_left3_{block_id}"),
                     sep(p, filters, (5, 5), strides=(2, 2),
                         block_id=f"reduction_right3_{block_id}")],
                    name=f"reduction_add3_{block_id}")
    x4 = layers.add([x2, _avg3(x1, (1, 1), "same", f"reduction_left4_{block_id}")])
    x5 = layers.add([sep(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}"),
                     layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                         name=f"reduction_right5_{block_id}")(h3)],
                    name=f"reduction_add4_{block_id}")
    x = layers.concatenate([x2, x3, x4, x5], axis=iu.channel_axis(),
                           name=f"reduction_concat_{block_id}")
    return x, ip


def _cells(x, penultimate_filters, num_blocks, skip_reduction, filter_multiplier):
    filters = penultimate_filters // 24
    p = None
    x, p = reduction_a_cell(x, p, filters // (filter_multiplier**2), block_id="stem_1")
    x, p = reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for stage in range(3):
        width = filters * filter_multiplier**stage
        if stage:
            x, p0 = reduction_a_cell(x, p, width, block_id=f"reduce_{stage * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            block_id = f"{i}" if stage == 0 else f"{stage * num_blocks + i + 1}"
            x, p = normal_a_cell(x, p, width, block_id=block_id)
    return x


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6,  # noqa: N802
           stem_block_filters=96, skip_reduction=True, filter_multiplier=2, include_top=True,
           weights="imagenet", input_tensor=None, pooling=None, classes=1000, default_size=None,
           classifier_activation="softmax", name="NASNet", where="NASNet"):
    """The NASNet-A family (Keras' `keras.applications.nasnet.NASNet`); see NASNetMobile."""
    from deltaw.keras import layers
    from deltaw.keras.backend import image_data_format

    iu.check_weights(where, weights, include_top, classes)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(f"{where}: ImageNet weights need a static input_shape; got "
                         f"input_shape={input_shape}.")
    default_size = 331 if default_size is None else default_size
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, image_data_format(),
                                        include_top, weights, where)
    if image_data_format() != "channels_last":
        warnings.warn(f"{where}: NASNet is available for channels_last inputs only; the model "
                      "expects channels_last.", UserWarning, stacklevel=3)
    if penultimate_filters % (24 * (filter_multiplier**2)) != 0:
        raise ValueError(f"{where}: penultimate_filters must be a multiple of 24 * "
                         f"filter_multiplier**2; got {penultimate_filters}.")
    inputs = iu.input_layer(input_tensor, input_shape)
    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid",
                      use_bias=False, name="stem_conv1", kernel_initializer="he_normal")(inputs)
    x = _bn(x, "stem_bn1")
    x = _cells(x, penultimate_filters, num_blocks, skip_reduction, filter_multiplier)
    x = layers.Activation("relu")(x)
    x = iu.classifier_head(x, include_top, pooling, classes, classifier_activation, weights, where,
                           top_pool=None)
    if weights == "imagenet" and default_size not in (224, 331):
        raise ValueError(f"{where}: ImageNet weights exist for NASNetLarge and NASNetMobile "
                         f"only; got default_size={default_size}.")
    cached, remote, md5 = _FILES.get((default_size, bool(include_top)), (None, None, None))
    return iu.finish(inputs, x, name, weights,
                     (cached, BASE_WEIGHTS_PATH + str(remote), md5), where)


_DOC = """{name} as `keras.applications.{name}` (default input {size}x{size}).

    Args:
        input_shape: `(height, width, channels)`, each side at least 32; ImageNet weights
            need {size}x{size} with the top.
        include_top: Include the classifier (global average pooling and a dense layer).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top.
        classes: Number of classes of the top layer.
        classifier_activation: Activation of the top layer (None for logits).
        name: The model's name.

    Returns:
        A functional `Model` with Keras' layers and weight order.
"""


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet",  # noqa: N802
                 input_tensor=None, pooling=None, classes=1000,
                 classifier_activation="softmax", name="nasnet_mobile"):
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                  skip_reduction=False, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=224, classifier_activation=classifier_activation, name=name,
                  where="NASNetMobile")


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet",  # noqa: N802
                input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="nasnet_large"):
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
                  skip_reduction=True, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=331, classifier_activation=classifier_activation, name=name,
                  where="NASNetLarge")


NASNetMobile.__doc__ = _DOC.format(name="NASNetMobile", size=224)
NASNetLarge.__doc__ = _DOC.format(name="NASNetLarge", size=331)


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for NASNet: pixels scaled to [-1, 1] ('tf')."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
