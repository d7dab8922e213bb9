"""`keras.applications.resnet_v2`: ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., 2016:
pre-activation blocks), with Keras' layer names and weight order, `preprocess_input` ('tf' mode)
and `decode_predictions`.
"""

from __future__ import annotations

from deltaw.keras.applications import imagenet_utils as iu
from deltaw.keras.applications.resnet import _ARGS_DOC, _EPSILON, _bn_axis, build_resnet

__all__ = ["ResNet101V2", "ResNet152V2", "ResNet50V2", "decode_predictions", "preprocess_input"]


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block: batch norm and ReLU before each convolution."""
    from deltaw.keras import layers

    axis = _bn_axis()
    preact = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v2(blocks, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name, where):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, blocks[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, blocks[3], stride1=1, name="conv5")

    return build_resnet(stack_fn, True, True, include_top, weights, input_tensor, input_shape,
                        pooling, classes, classifier_activation, name, where)


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
               input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
               name="resnet50v2"):
    return _v2((3, 4, 6, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name, "ResNet50V2")


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet101v2"):
    return _v2((3, 4, 23, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name, "ResNet101V2")


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet152v2"):
    return _v2((3, 8, 36, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name, "ResNet152V2")


for _fn, _depth in ((ResNet50V2, 50), (ResNet101V2, 101), (ResNet152V2, 152)):
    _fn.__doc__ = (f"ResNet{_depth}V2 as `keras.applications.ResNet{_depth}V2` (pre-activation "
                   "blocks).\n" + _ARGS_DOC)


def preprocess_input(x, data_format=None):
    """ImageNet preprocessing for ResNetV2: pixels scaled to [-1, 1] ('tf' mode)."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
