"""`keras.applications.resnet`: ResNet50, ResNet101 and ResNet152 (He et al., 2015), with Keras'
layer names and weight order, `preprocess_input` ('caffe' mode) and `decode_predictions`.
"""

from __future__ import annotations

from deltaw.keras.applications import imagenet_utils as iu

__all__ = ["ResNet101", "ResNet152", "ResNet50", "decode_predictions", "preprocess_input"]

_EPSILON = 1.001e-5   # Keras' batch-normalization epsilon in every ResNet

# Keras' published weights (tf.keras legacy HDF5) and their md5: (with the top, without)
BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}


def _bn_axis():
    from deltaw.keras.backend import image_data_format

    return 3 if image_data_format() == "channels_last" else 1


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block: 1x1, kxk and 1x1 convolutions, batch norm, and the shortcut added."""
    from deltaw.keras import layers

    axis = _bn_axis()
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=axis, epsilon=_EPSILON,
                                             name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def build_resnet(stack_fn, preact, use_bias, include_top, weights, input_tensor, input_shape,
                 pooling, classes, classifier_activation, name, where):
    """The stem, `stack_fn`'s blocks and the head shared by ResNet and ResNetV2."""
    from deltaw.keras import layers
    from deltaw.keras.backend import image_data_format

    iu.check_weights(where, weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 224, 32, image_data_format(), include_top,
                                        weights, where)
    inputs = iu.input_layer(input_tensor, input_shape)
    axis = _bn_axis()
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    x = iu.classifier_head(x, include_top, pooling, classes, classifier_activation, weights, where,
                           named_pooling=True)
    return iu.finish(inputs, x, name, weights, imagenet_file(where.lower(), include_top), where)


def imagenet_file(weights_name, include_top):
    """(file name, URL, md5) of Keras' published weights for `weights_name` ('resnet50', ...)."""
    file_name = (f"{weights_name}_weights_tf_dim_ordering_tf_kernels"
                 f"{'' if include_top else '_notop'}.h5")
    return (file_name, BASE_WEIGHTS_PATH + file_name,
            WEIGHTS_HASHES[weights_name][0 if include_top else 1])


def _v1(blocks, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name, where):
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, blocks[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, blocks[3], name="conv5")

    return build_resnet(stack_fn, False, True, include_top, weights, input_tensor, input_shape,
                        pooling, classes, classifier_activation, name, where)


_ARGS_DOC = """
    Args:
        include_top: Include the classifier (global average pooling and a dense layer).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        input_shape: `(height, width, channels)`, each side at least 32.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top.
        classes: Number of classes of the top layer.
        classifier_activation: Activation of the top layer (None for logits).
        name: The model's name.

    Returns:
        A functional `Model` with Keras' layer names and weight order.
"""


def ResNet50(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="resnet50"):
    return _v1((3, 4, 6, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name, "ResNet50")


def ResNet101(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
              input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
              name="resnet101"):
    return _v1((3, 4, 23, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name, "ResNet101")


def ResNet152(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
              input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
              name="resnet152"):
    return _v1((3, 8, 36, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name, "ResNet152")


for _fn, _depth in ((ResNet50, 50), (ResNet101, 101), (ResNet152, 152)):
    _fn.__doc__ = (f"ResNet{_depth} as `keras.applications.ResNet{_depth}` (bottleneck blocks, "
                   "batch norm after each convolution).\n" + _ARGS_DOC)


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for ResNet: RGB to BGR minus ImageNet's channel means ('caffe')."""
    return iu.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = iu.decode_predictions
