"""`keras.applications.inception_v3`: InceptionV3 (Szegedy et al., 2016), with Keras' layers and
weight order, `preprocess_input` ('tf' mode) and `decode_predictions`.

As in Keras, the convolutions and batch norms are unnamed (named by the session's counters,
`conv2d_N`, `batch_normalization_N`), so ImageNet weights load by position.
"""

from __future__ import annotations

from deltaw.keras.applications import imagenet_utils as iu

__all__ = ["InceptionV3", "decode_predictions", "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution (no bias), batch norm without scale, ReLU."""
    from deltaw.keras import layers

    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=_axis(), scale=False,
                                  name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _axis():
    return 3 if iu.channel_axis() == -1 else 1


def _avg_branch(x, filters):
    from deltaw.keras import layers

    pool = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(pool, filters, 1, 1)


def _block_a(x, pool_filters, name):
    from deltaw.keras import layers

    b1 = conv2d_bn(x, 64, 1, 1)
    b5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    b3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    pool = _avg_branch(x, pool_filters)
    return layers.concatenate([b1, b5, b3, pool], axis=_axis(), name=name)


def _block_c(x, filters, name):
    from deltaw.keras import layers

    b1 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(x, filters, 1, 1)
    b7 = conv2d_bn(conv2d_bn(b7, filters, 1, 7), 192, 7, 1)
    dbl = conv2d_bn(x, filters, 1, 1)
    for size, out in (((7, 1), filters), ((1, 7), filters), ((7, 1), filters), ((1, 7), 192)):
        dbl = conv2d_bn(dbl, out, *size)
    pool = _avg_branch(x, 192)
    return layers.concatenate([b1, b7, dbl, pool], axis=_axis(), name=name)


def _block_e(x, i):
    from deltaw.keras import layers

    b1 = conv2d_bn(x, 320, 1, 1)
    b3 = conv2d_bn(x, 384, 1, 1)
    b3 = layers.concatenate([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)],
                            axis=_axis(), name=f"mixed9_{i}")
    dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    dbl = layers.concatenate([conv2d_bn(dbl, 384, 1, 3), conv2d_bn(dbl, 384, 3, 1)],
                             axis=_axis())
    pool = _avg_branch(x, 192)
    return layers.concatenate([b1, b3, dbl, pool], axis=_axis(), name=f"mixed{9 + i}")


def _features(x):
    from deltaw.keras import layers

    x = conv2d_bn(x, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for pool_filters, name in ((32, "mixed0"), (64, "mixed1"), (64, "mixed2")):
        x = _block_a(x, pool_filters, name)
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    dbl = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, strides=(2, 2),
                    padding="valid")
    pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([b3, dbl, pool], axis=_axis(), name="mixed3")
    for filters, name in ((128, "mixed4"), (160, "mixed5"), (160, "mixed6"), (192, "mixed7")):
        x = _block_c(x, filters, name)
    b3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    b7 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    b7 = conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([b3, b7, pool], axis=_axis(), name="mixed8")
    for i in range(2):
        x = _block_e(x, i)
    return x


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    """InceptionV3 as `keras.applications.InceptionV3` (23.9M weights with the top; default
    input 299x299).

    Args:
        include_top: Include the classifier (global average pooling and a dense layer).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        input_shape: `(height, width, channels)`, each side at least 75, without the top.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top.
        classes: Number of classes of the top layer.
        classifier_activation: Activation of the top layer (None for logits).
        name: The model's name.

    Returns:
        A functional `Model` with Keras' layers and weight order.
    """
    from deltaw.keras.backend import image_data_format

    where = "InceptionV3"
    iu.check_weights(where, weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 299, 75, image_data_format(), include_top,
                                        weights, where)
    inputs = iu.input_layer(input_tensor, input_shape)
    x = _features(inputs)
    x = iu.classifier_head(x, include_top, pooling, classes, classifier_activation, weights, where)
    file_name = ("inception_v3_weights_tf_dim_ordering_tf_kernels"
                 f"{'' if include_top else '_notop'}.h5")
    return iu.finish(inputs, x, name, weights, (file_name, BASE_WEIGHTS_PATH + file_name,
                                                WEIGHTS_HASHES[0 if include_top else 1]), where)


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for InceptionV3: pixels scaled to [-1, 1] ('tf')."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
