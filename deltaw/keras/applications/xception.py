"""`keras.applications.xception`: Xception (Chollet, 2017), with Keras' layers and weight order,
`preprocess_input` ('tf' mode) and `decode_predictions`.

As in Keras, the residual branches' convolutions and batch norms are unnamed (named by the
session's counters), so ImageNet weights load by position.
"""

from __future__ import annotations

from deltaw.keras.applications import imagenet_utils as iu

__all__ = ["Xception", "decode_predictions", "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")


def _sep_bn(x, filters, name, act_name=None):
    """(ReLU,) separable 3x3 convolution, batch norm."""
    from deltaw.keras import layers

    if act_name is not None:
        x = layers.Activation("relu", name=act_name)(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=iu.channel_axis(), name=f"{name}_bn")(x)


def _residual(x, filters):
    from deltaw.keras import layers

    r = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=iu.channel_axis())(r)


def _down_block(x, block, filters, first_relu=True):
    """Two separable convolutions, a strided max pool, and the strided 1x1 shortcut added."""
    from deltaw.keras import layers

    residual = _residual(x, filters[1])
    p = f"block{block}"
    x = _sep_bn(x, filters[0], f"{p}_sepconv1", f"{p}_sepconv1_act" if first_relu else None)
    x = _sep_bn(x, filters[1], f"{p}_sepconv2", f"{p}_sepconv2_act")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"{p}_pool")(x)
    return layers.add([x, residual])


def _features(x):
    from deltaw.keras import layers

    axis = iu.channel_axis()
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _down_block(x, 2, (128, 128), first_relu=False)
    x = _down_block(x, 3, (256, 256))
    x = _down_block(x, 4, (728, 728))
    for i in range(8):
        residual, p = x, f"block{i + 5}"
        for k in (1, 2, 3):
            x = _sep_bn(x, 728, f"{p}_sepconv{k}", f"{p}_sepconv{k}_act")
        x = layers.add([x, residual])
    x = _down_block(x, 13, (728, 1024))
    x = _sep_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep_bn(x, 2048, "block14_sepconv2")
    return layers.Activation("relu", name="block14_sepconv2_act")(x)


def Xception(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="xception"):
    """Xception as `keras.applications.Xception`: depthwise-separable convolutions with
    residual connections (22.9M weights with the top; default input 299x299).

    Args:
        include_top: Include the classifier (global average pooling and a dense layer).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        input_shape: `(height, width, channels)`, each side at least 71, without the top.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top.
        classes: Number of classes of the top layer.
        classifier_activation: Activation of the top layer (None for logits).
        name: The model's name.

    Returns:
        A functional `Model` with Keras' layers and weight order.
    """
    from deltaw.keras.backend import image_data_format

    where = "Xception"
    iu.check_weights(where, weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 299, 71, image_data_format(), include_top,
                                        weights, where)
    inputs = iu.input_layer(input_tensor, input_shape)
    x = _features(inputs)
    x = iu.classifier_head(x, include_top, pooling, classes, classifier_activation, weights, where)
    file_name = f"xception_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return iu.finish(inputs, x, name, weights, (file_name, BASE_WEIGHTS_PATH + file_name,
                                                WEIGHTS_HASHES[0 if include_top else 1]), where)


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for Xception: pixels scaled to [-1, 1] ('tf')."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
