"""`keras.applications.densenet`: DenseNet121, DenseNet169 and DenseNet201 (Huang et al., 2017),
with Keras' layer names and weight order, `preprocess_input` ('torch' mode) and
`decode_predictions`.
"""

from __future__ import annotations

from deltaw.keras.applications import imagenet_utils as iu
from deltaw.keras.applications.resnet import _ARGS_DOC, _EPSILON

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
# md5 of Keras' published files: (with the top, without)
WEIGHTS_HASHES = {
    "densenet121": ("9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ("d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ("1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "decode_predictions",
           "preprocess_input"]


def conv_block(x, growth_rate, name):
    """BN-ReLU-1x1 conv, BN-ReLU-3x3 conv, and the result concatenated to the input."""
    from deltaw.keras import layers

    x1 = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def dense_block(x, blocks, name):
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU, a 1x1 convolution to `reduction` of the channels, 2x2 average pooling."""
    from deltaw.keras import layers

    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def build_densenet(blocks, include_top, weights, input_tensor, input_shape, pooling, classes,
                   classifier_activation, name, where):
    from deltaw.keras import layers
    from deltaw.keras.backend import image_data_format

    if image_data_format() == "channels_first":
        raise ValueError(f"{where}: DenseNet supports only the channels_last image data format; "
                         "got channels_first.")
    iu.check_weights(where, weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 224, 32, image_data_format(), include_top,
                                        weights, where)
    inputs = iu.input_layer(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, 2):
        x = dense_block(x, count, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = iu.classifier_head(x, include_top, pooling, classes, classifier_activation, weights, where,
                           named_pooling=True)
    key = where.lower()
    file_name = f"{key}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return iu.finish(inputs, x, name, weights, (file_name, BASE_WEIGHTS_PATH + file_name,
                                                WEIGHTS_HASHES[key][0 if include_top else 1]),
                     where)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet121"):
    return build_densenet((6, 12, 24, 16), include_top, weights, input_tensor, input_shape,
                          pooling, classes, classifier_activation, name, "DenseNet121")


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet169"):
    return build_densenet((6, 12, 32, 32), include_top, weights, input_tensor, input_shape,
                          pooling, classes, classifier_activation, name, "DenseNet169")


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet201"):
    return build_densenet((6, 12, 48, 32), include_top, weights, input_tensor, input_shape,
                          pooling, classes, classifier_activation, name, "DenseNet201")


for _fn, _depth in ((DenseNet121, 121), (DenseNet169, 169), (DenseNet201, 201)):
    _fn.__doc__ = (f"DenseNet{_depth} as `keras.applications.DenseNet{_depth}` (dense blocks of "
                   "concatenated features, channels_last only).\n" + _ARGS_DOC)


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for DenseNet: [0, 1], then ImageNet's mean and std ('torch')."""
    return iu.preprocess_input(x, data_format=data_format, mode="torch")


decode_predictions = iu.decode_predictions
