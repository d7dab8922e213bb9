"""`keras.applications.inception_resnet_v2`: InceptionResNetV2 (Szegedy et al., 2017), with
Keras' layers and weight order, `preprocess_input` ('tf' mode) and `decode_predictions`.

As in Keras, most convolutions and batch norms are unnamed (named by the session's counters), so
ImageNet weights load by position.
"""

from __future__ import annotations

from deltaw.keras.applications import imagenet_utils as iu
from deltaw.keras.layers.layer import Layer

__all__ = ["CustomScaleLayer", "InceptionResNetV2", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                   "inception_resnet_v2/")
WEIGHTS_HASHES = ("e693bd0210a403b3192acc6073ad2e96", "d19885ff4a710c122648d3b5c3b684e4")


class CustomScaleLayer(Layer):
    """`inputs[0] + inputs[1] * scale`: the shortcut plus the scaled residual branch."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def _axis():
    return 3 if iu.channel_axis() == -1 else 1


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
              use_bias=False, name=None):
    """Convolution, batch norm without scale (unless the convolution has a bias), activation."""
    from deltaw.keras import layers

    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
                      name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=_axis(), scale=False,
                                      name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _branches(x, block_type):
    if block_type == "block35":
        return [conv2d_bn(x, 32, 1), conv2d_bn(conv2d_bn(x, 32, 1), 32, 3),
                conv2d_bn(conv2d_bn(conv2d_bn(x, 32, 1), 48, 3), 64, 3)]
    if block_type == "block17":
        return [conv2d_bn(x, 192, 1),
                conv2d_bn(conv2d_bn(conv2d_bn(x, 128, 1), 160, [1, 7]), 192, [7, 1])]
    if block_type == "block8":
        return [conv2d_bn(x, 192, 1),
                conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1), 224, [1, 3]), 256, [3, 1])]
    raise ValueError(f"inception_resnet_block: block_type must be 'block35', 'block17' or "
                     f"'block8'; got block_type={block_type!r}.")


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """x + scale * (a 1x1 convolution of the concatenated inception branches)."""
    from deltaw.keras import layers

    name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=_axis(), name=f"{name}_mixed")(_branches(x, block_type))
    up = conv2d_bn(mixed, x.shape[_axis()], 1, activation=None, use_bias=True,
                   name=f"{name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_ac")(x)
    return x


def _reduction(x, branches, name):
    from deltaw.keras import layers

    pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    return layers.Concatenate(axis=_axis(), name=name)([*branches, pool])


def _features(x):
    from deltaw.keras import layers

    x = conv2d_bn(x, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    branches = [conv2d_bn(x, 96, 1), conv2d_bn(conv2d_bn(x, 48, 1), 64, 5),
                conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3)]
    pool = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    x = layers.Concatenate(axis=_axis(), name="mixed_5b")([*branches, conv2d_bn(pool, 64, 1)])
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, 0.17, "block35", block_idx)
    x = _reduction(x, [conv2d_bn(x, 384, 3, strides=2, padding="valid"),
                       conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 256, 3), 384, 3, strides=2,
                                 padding="valid")], "mixed_6a")
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, 0.1, "block17", block_idx)
    x = _reduction(x, [conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid"),
                       conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid"),
                       conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 288, 3), 320, 3, strides=2,
                                 padding="valid")], "mixed_7a")
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, 0.2, "block8", block_idx)
    x = inception_resnet_block(x, 1.0, "block8", 10, activation=None)
    return conv2d_bn(x, 1536, 1, name="conv_7b")


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                      input_shape=None, pooling=None, classes=1000,
                      classifier_activation="softmax", name="inception_resnet_v2"):
    """InceptionResNetV2 as `keras.applications.InceptionResNetV2` (55.9M weights with the top;
    default input 299x299).

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

    where = "InceptionResNetV2"
    iu.check_weights(where, weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 299, 75, image_data_format(), include_top,
                                        weights, where)
    inputs = iu.input_layer(input_tensor, input_shape)
    x = _features(inputs)
    x = iu.classifier_head(x, include_top, pooling, classes, classifier_activation, weights, where)
    file_name = ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels"
                 f"{'' if include_top else '_notop'}.h5")
    return iu.finish(inputs, x, name, weights, (file_name, BASE_WEIGHT_URL + file_name,
                                                WEIGHTS_HASHES[0 if include_top else 1]), where)


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for InceptionResNetV2: pixels scaled to [-1, 1] ('tf')."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
