"""One ONNX form per deltaw layer (inference): `CONVERTERS[class name](builder, layer, inputs,
shapes) -> output name`.

Keras layers are channels-last; ONNX's Conv and pooling operators are channels-first, so each
convolution and pooling is wrapped in two Transposes (onnxruntime fuses them away). Batch
normalization becomes one multiply-add with constants folded from the moving statistics; dropout
layers become Identity. A layer that is not listed here has no ONNX form in deltaw yet, and
exporting it raises an error naming it.
"""

from __future__ import annotations

import math

import numpy as np

from deltaw.keras import activations
from deltaw.keras.export.onnx_attention import dot_product_attention
from deltaw.keras.export.onnx_recurrent import RECURRENT_CONVERTERS
from deltaw.keras.export.onnx_simple_layers import SIMPLE_CONVERTERS

__all__ = ["CONVERTERS", "activation"]


def _array(variable) -> np.ndarray:
    return np.asarray(variable.data)


def activation(b, x: str, fn, hint: str) -> str:
    """The ONNX form of a Keras activation (a function or a name)."""
    name = fn if isinstance(fn, str) else activations.serialize(fn)
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
              "softsign": "Softsign", "exponential": "Exp", "elu": "Elu", "selu": "Selu"}
    if name in (None, "linear"):
        return x
    if name in simple:
        return b.op(simple[name], [x], hint)
    if name == "softmax":
        return b.op("Softmax", [x], hint, axis=-1)
    if name == "log_softmax":
        return b.op("LogSoftmax", [x], hint, axis=-1)
    if name in ("swish", "silu"):
        return b.op("Mul", [x, b.op("Sigmoid", [x], hint)], hint)
    if name == "relu6":
        zero, six = b.const(np.float32(0), "zero"), b.const(np.float32(6), "six")
        return b.op("Clip", [x, zero, six], hint)
    if name == "leaky_relu":
        return b.op("LeakyRelu", [x], hint, alpha=0.2)
    if name == "hard_sigmoid":
        return b.op("HardSigmoid", [x], hint, alpha=1 / 6, beta=0.5)
    if name in ("hard_swish", "hard_silu"):
        return b.op("Mul", [x, b.op("HardSigmoid", [x], hint, alpha=1 / 6, beta=0.5)], hint)
    if name == "gelu":  # Keras' default: the exact form 0.5 x (1 + erf(x / sqrt 2))
        scaled = b.op("Mul", [x, b.const(np.float32(1 / math.sqrt(2)), "inv_sqrt2")], hint)
        one = b.op("Add", [b.op("Erf", [scaled], hint), b.const(np.float32(1), "one")], hint)
        return b.op("Mul", [b.op("Mul", [x, one], hint), b.const(np.float32(0.5), "half")],
                    hint)
    if name == "mish":
        return b.op("Mul", [x, b.op("Tanh", [b.op("Softplus", [x], hint)], hint)], hint)
    raise ValueError(f"export: activation {name!r} of layer '{hint}' has no ONNX form in "
                     "deltaw; expected relu, sigmoid, tanh, softmax, log_softmax, elu, selu, "
                     "softplus, softsign, exponential, swish, relu6, leaky_relu, hard_sigmoid, "
                     "hard_swish, gelu, mish or linear.")


def _dense(b, layer, inputs, shapes):
    x = b.op("MatMul", [inputs[0], b.const(_array(layer.kernel), f"{layer.name}_kernel")],
             layer.name)
    if layer.use_bias:
        x = b.op("Add", [x, b.const(_array(layer.bias), f"{layer.name}_bias")], layer.name)
    return activation(b, x, layer.activation, layer.name)


def _activation_layer(b, layer, inputs, shapes):
    return activation(b, inputs[0], layer.activation, layer.name)


def _identity(b, layer, inputs, shapes):
    return b.op("Identity", [inputs[0]], layer.name)


def _channels_first(b, x, rank, hint):
    return b.op("Transpose", [x], hint, perm=[0, rank - 1, *range(1, rank - 1)])


def _channels_last(b, x, rank, hint):
    return b.op("Transpose", [x], hint, perm=[0, *range(2, rank), 1])


def _check_channels_last(layer):
    if layer.get_config().get("data_format", "channels_last") != "channels_last":
        raise ValueError(f"export: layer '{layer.name}' uses data_format='channels_first'; "
                         "expected 'channels_last' (the only layout deltaw exports to ONNX).")


def _per_axis(value, n: int) -> list[int]:
    """An int or a tuple (Keras' kernel_size, strides, ...) as one int per spatial axis."""
    values = [int(v) for v in np.atleast_1d(value)]
    return values * n if len(values) == 1 else values


def _padding(config, kernel, dilation, sizes) -> dict:
    """ONNX padding attributes; "same" as explicit pads (TF/Keras put the odd pixel at the end),
    from the static spatial `sizes` (auto_pad when a size is unknown)."""
    padding, strides = config["padding"], list(np.atleast_1d(config["strides"]))
    if padding == "valid":
        return {"pads": [0] * (2 * len(kernel))}
    if padding == "causal":
        return {"pads": [(kernel[0] - 1) * dilation[0], 0]}
    if padding != "same":
        raise ValueError(f"export: padding {padding!r} has no ONNX form; expected valid, same "
                         "or causal.")
    if any(n is None for n in sizes):
        return {"auto_pad": "SAME_UPPER"}
    begin, end = [], []
    for n, k, d, stride in zip(sizes, kernel, dilation, strides, strict=True):
        total = max((-(-n // stride) - 1) * stride + (k - 1) * d + 1 - n, 0)
        begin.append(total // 2)
        end.append(total - total // 2)
    return {"pads": begin + end}


def _conv(b, x, sizes, config, weight, bias, hint, group=1):
    kernel = list(weight.shape[2:])
    dilation = _per_axis(config.get("dilation_rate", 1), len(kernel))
    inputs = [x, b.const(weight, f"{hint}_kernel")]
    if bias is not None:
        inputs.append(b.const(bias, f"{hint}_bias"))
    strides = _per_axis(config["strides"], len(kernel))
    return b.op("Conv", inputs, hint, kernel_shape=kernel, strides=strides, dilations=dilation,
                group=group, **_padding({**config, "strides": strides}, kernel, dilation, sizes))


def _convolution(b, layer, inputs, shapes):
    _check_channels_last(layer)
    config, rank = layer.get_config(), len(shapes[0])
    n = rank - 2
    weight = np.transpose(_array(layer.kernel), (n + 1, n, *range(n)))  # (out, in/g, k...)
    bias = _array(layer.bias) if layer.use_bias else None
    x = _channels_first(b, inputs[0], rank, layer.name)
    x = _conv(b, x, shapes[0][1:-1], config, weight, bias, layer.name,
              group=config.get("groups", 1))
    return activation(b, _channels_last(b, x, rank, layer.name), layer.activation, layer.name)


def _depthwise_weight(kernel):
    kh, kw, channels, multiplier = kernel.shape  # output channel c * multiplier + m
    return np.transpose(kernel.reshape(kh, kw, channels * multiplier), (2, 0, 1))[:, None]


def _depthwise(b, layer, inputs, shapes):
    _check_channels_last(layer)
    config = layer.get_config()
    weight = _depthwise_weight(_array(layer.kernel))
    bias = _array(layer.bias) if layer.use_bias else None
    x = _channels_first(b, inputs[0], 4, layer.name)
    x = _conv(b, x, shapes[0][1:-1], config, weight, bias, layer.name, group=shapes[0][-1])
    return activation(b, _channels_last(b, x, 4, layer.name), layer.activation, layer.name)


def _separable(b, layer, inputs, shapes):
    _check_channels_last(layer)
    config = layer.get_config()
    depthwise = _depthwise_weight(_array(layer.depthwise_kernel))
    x = _channels_first(b, inputs[0], 4, layer.name)
    x = _conv(b, x, shapes[0][1:-1], config, depthwise, None, f"{layer.name}_depthwise",
              group=shapes[0][-1])
    pointwise = np.transpose(_array(layer.pointwise_kernel), (3, 2, 0, 1))
    bias = _array(layer.bias) if layer.use_bias else None
    x = _conv(b, x, (None, None), {"padding": "valid", "strides": (1, 1)}, pointwise, bias,
              f"{layer.name}_pointwise")
    return activation(b, _channels_last(b, x, 4, layer.name), layer.activation, layer.name)


def _pooling(op_type):
    def convert(b, layer, inputs, shapes):
        _check_channels_last(layer)
        config, rank = layer.get_config(), len(shapes[0])
        pool = _per_axis(config["pool_size"], rank - 2)
        strides = _per_axis(config.get("strides") or pool, rank - 2)
        extra = {"count_include_pad": 0} if op_type == "AveragePool" else {}
        padding = _padding({**config, "strides": strides}, pool, [1] * len(pool),
                           shapes[0][1:-1])
        x = _channels_first(b, inputs[0], rank, layer.name)
        x = b.op(op_type, [x], layer.name, kernel_shape=pool, strides=strides, **padding,
                 **extra)
        return _channels_last(b, x, rank, layer.name)
    return convert


def _global_pooling(op_type):
    def convert(b, layer, inputs, shapes):
        _check_channels_last(layer)
        rank = len(shapes[0])
        return b.op(op_type, [inputs[0]], layer.name, axes=list(range(1, rank - 1)),
                    keepdims=int(bool(layer.get_config().get("keepdims", False))))
    return convert


def _broadcast_shape(axis: int, rank: int, size: int) -> list[int]:
    shape = [1] * rank
    shape[axis % rank] = size
    return shape[1:]  # without the batch axis, which broadcasts anyway


def _batch_normalization(b, layer, inputs, shapes):
    config, rank = layer.get_config(), len(shapes[0])
    axis = config["axis"]
    if isinstance(axis, list | tuple):
        if len(axis) != 1:
            raise ValueError(f"export: BatchNormalization '{layer.name}' normalizes over axes "
                             f"{axis}; expected one axis.")
        axis = axis[0]
    mean, variance = _array(layer.moving_mean), _array(layer.moving_variance)
    scale = 1 / np.sqrt(variance + np.float32(config["epsilon"]))
    if layer.gamma is not None:
        scale = scale * _array(layer.gamma)
    shift = -mean * scale + (_array(layer.beta) if layer.beta is not None else 0)
    shape = _broadcast_shape(axis, rank, mean.shape[0])
    x = b.op("Mul", [inputs[0], b.const(scale.astype(np.float32).reshape(shape),
                                        f"{layer.name}_scale")], layer.name)
    return b.op("Add", [x, b.const(shift.astype(np.float32).reshape(shape),
                                   f"{layer.name}_shift")], layer.name)


def _layer_normalization(b, layer, inputs, shapes):
    config, rank = layer.get_config(), len(shapes[0])
    axes = [a % rank for a in np.atleast_1d(config["axis"])]
    if axes != [rank - 1] or config.get("rms_scaling"):
        raise ValueError(f"export: LayerNormalization '{layer.name}' with axis={config['axis']}"
                         f"{' and rms_scaling' if config.get('rms_scaling') else ''} has no "
                         "ONNX form in deltaw; expected the last axis only.")
    size = shapes[0][-1]
    gamma = _array(layer.gamma) if layer.gamma is not None else np.ones(size, np.float32)
    beta = _array(layer.beta) if layer.beta is not None else np.zeros(size, np.float32)
    return b.op("LayerNormalization", [inputs[0], b.const(gamma, f"{layer.name}_gamma"),
                                       b.const(beta, f"{layer.name}_beta")], layer.name,
                axis=-1, epsilon=float(config["epsilon"]))


def _flatten(b, layer, inputs, shapes):
    _check_channels_last(layer)
    return b.op("Flatten", [inputs[0]], layer.name, axis=1)


def _reshape(b, layer, inputs, shapes):
    target = np.array([0, *layer.get_config()["target_shape"]], np.int64)  # 0: keep the batch
    return b.op("Reshape", [inputs[0], b.const(target, f"{layer.name}_shape")], layer.name)


def _chain(op_type):
    def convert(b, layer, inputs, shapes):
        x = inputs[0]
        for other in inputs[1:]:
            x = b.op(op_type, [x, other], layer.name)
        return x
    return convert


def _average(b, layer, inputs, shapes):
    total = _chain("Add")(b, layer, inputs, shapes)
    return b.op("Div", [total, b.const(np.float32(len(inputs)), f"{layer.name}_n")], layer.name)


def _concatenate(b, layer, inputs, shapes):
    return b.op("Concat", inputs, layer.name, axis=int(layer.get_config()["axis"]))


def _embedding(b, layer, inputs, shapes):
    indices = b.op("Cast", [inputs[0]], layer.name, to=7)  # INT64
    return b.op("Gather", [b.const(_array(layer.embeddings), f"{layer.name}_embeddings"),
                           indices], layer.name, axis=0)


def _zero_padding_2d(b, layer, inputs, shapes):
    _check_channels_last(layer)
    (top, bottom), (left, right) = layer.get_config()["padding"]
    pads = np.array([0, top, left, 0, 0, bottom, right, 0], np.int64)
    return b.op("Pad", [inputs[0], b.const(pads, f"{layer.name}_pads")], layer.name,
                mode="constant")


def _up_sampling_2d(b, layer, inputs, shapes):
    _check_channels_last(layer)
    config = layer.get_config()
    if config.get("interpolation", "nearest") != "nearest":
        raise ValueError(f"export: UpSampling2D '{layer.name}' interpolation "
                         f"{config['interpolation']!r} has no ONNX form in deltaw; expected "
                         "'nearest'.")
    scales = np.array([1, *config["size"], 1], np.float32)
    return b.op("Resize", [inputs[0], "", b.const(scales, f"{layer.name}_scales")], layer.name,
                mode="nearest", coordinate_transformation_mode="asymmetric",
                nearest_mode="floor")


CONVERTERS = {
    "Dense": _dense, "Activation": _activation_layer,
    "Dropout": _identity, "SpatialDropout1D": _identity, "SpatialDropout2D": _identity,
    "Conv1D": _convolution, "Conv2D": _convolution, "DepthwiseConv2D": _depthwise,
    "SeparableConv2D": _separable,
    "MaxPooling1D": _pooling("MaxPool"), "MaxPooling2D": _pooling("MaxPool"),
    "AveragePooling1D": _pooling("AveragePool"), "AveragePooling2D": _pooling("AveragePool"),
    "GlobalAveragePooling1D": _global_pooling("ReduceMean"),
    "GlobalAveragePooling2D": _global_pooling("ReduceMean"),
    "GlobalMaxPooling1D": _global_pooling("ReduceMax"),
    "GlobalMaxPooling2D": _global_pooling("ReduceMax"),
    "BatchNormalization": _batch_normalization, "LayerNormalization": _layer_normalization,
    "Flatten": _flatten, "Reshape": _reshape, "ZeroPadding2D": _zero_padding_2d,
    "UpSampling2D": _up_sampling_2d, "Embedding": _embedding,
    "Add": _chain("Add"), "Subtract": _chain("Sub"), "Multiply": _chain("Mul"),
    "Maximum": _chain("Max"), "Minimum": _chain("Min"), "Average": _average,
    "Concatenate": _concatenate,
}


def _time_distributed(b, layer, inputs, shapes):
    # Dense, Activation and Dropout act on the last axis only: the wrapper changes nothing.
    inner = layer.layer
    if type(inner).__name__ not in ("Dense", "Activation", "Dropout"):
        raise ValueError(f"export: TimeDistributed '{layer.name}' wraps a "
                         f"{type(inner).__name__}; expected Dense, Activation or Dropout to "
                         "have an ONNX form in deltaw.")
    return CONVERTERS[type(inner).__name__](b, inner, inputs, shapes)


def _cropping_2d(b, layer, inputs, shapes):
    _check_channels_last(layer)
    (top, bottom), (left, right) = layer.get_config()["cropping"]
    starts = np.array([top, left], np.int64)
    ends = np.array([-bottom if bottom else np.iinfo(np.int64).max,
                     -right if right else np.iinfo(np.int64).max], np.int64)
    return b.op("Slice", [inputs[0], b.const(starts, f"{layer.name}_starts"),
                          b.const(ends, f"{layer.name}_ends"),
                          b.const(np.array([1, 2], np.int64), f"{layer.name}_axes")],
                layer.name)


def _conv_transpose(b, layer, inputs, shapes):
    _check_channels_last(layer)
    config = layer.get_config()
    if config.get("output_padding") is not None:
        raise ValueError(f"export: Conv2DTranspose '{layer.name}' with output_padding has no "
                         "ONNX form in deltaw; expected output_padding=None.")
    kernel = _array(layer.kernel)  # (kh, kw, out, in)
    size = list(kernel.shape[:2])
    strides, dilation = _per_axis(config["strides"], 2), _per_axis(config["dilation_rate"], 2)
    begin, end, extra = [0, 0], [0, 0], [0, 0]
    if config["padding"] == "same":  # the transpose of a "same" convolution: output in * s
        for i in range(2):
            effective = (size[i] - 1) * dilation[i] + 1
            total = max(effective - strides[i], 0)
            begin[i], end[i] = total // 2, total - total // 2
            extra[i] = max(strides[i] - effective, 0)
    inputs = [_channels_first(b, inputs[0], 4, layer.name),
              b.const(np.transpose(kernel, (3, 2, 0, 1)), f"{layer.name}_kernel")]
    if layer.use_bias:
        inputs.append(b.const(_array(layer.bias), f"{layer.name}_bias"))
    x = b.op("ConvTranspose", inputs, layer.name, kernel_shape=size, strides=strides,
             dilations=dilation, pads=begin + end, output_padding=extra)
    return activation(b, _channels_last(b, x, 4, layer.name), layer.activation, layer.name)


def _group_normalization(b, layer, inputs, shapes):
    config, shape = layer.get_config(), shapes[0]
    rank, channels, groups = len(shape), shape[-1], layer.get_config()["groups"]
    if config["axis"] % rank != rank - 1 or any(d is None for d in shape[1:]):
        raise ValueError(f"export: GroupNormalization '{layer.name}' needs the channels last "
                         "and static sizes to have an ONNX form in deltaw.")
    hint = layer.name
    grouped = np.array([0, *shape[1:-1], groups, channels // groups], np.int64)
    x = b.op("Reshape", [inputs[0], b.const(grouped, f"{hint}_grouped")], hint)
    axes = [*range(1, rank - 1), rank]  # the spatial axes and each group's channels
    mean = b.op("ReduceMean", [x], hint, axes=axes, keepdims=1)
    centered = b.op("Sub", [x, mean], hint)
    variance = b.op("ReduceMean", [b.op("Mul", [centered, centered], hint)], hint, axes=axes,
                    keepdims=1)
    eps = b.const(np.float32(config["epsilon"]), f"{hint}_epsilon")
    x = b.op("Div", [centered, b.op("Sqrt", [b.op("Add", [variance, eps], hint)], hint)], hint)
    x = b.op("Reshape", [x, b.const(np.array([0, *shape[1:]], np.int64), f"{hint}_shape")],
             hint)
    if layer.gamma is not None:
        x = b.op("Mul", [x, b.const(_array(layer.gamma), f"{hint}_gamma")], hint)
    if layer.beta is not None:
        x = b.op("Add", [x, b.const(_array(layer.beta), f"{hint}_beta")], hint)
    return x


CONVERTERS.update(TimeDistributed=_time_distributed, Cropping2D=_cropping_2d,
                  Conv2DTranspose=_conv_transpose, GroupNormalization=_group_normalization,
                  Attention=dot_product_attention,
                  **RECURRENT_CONVERTERS, **SIMPLE_CONVERTERS)
# Random only while training, or rank-generic converters above: the same form serves them
CONVERTERS.update({name: _identity for name in (
    "Identity", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
    "SpatialDropout3D")})
CONVERTERS.update(Conv3D=_convolution, MaxPooling3D=_pooling("MaxPool"),
                  AveragePooling3D=_pooling("AveragePool"),
                  GlobalAveragePooling3D=_global_pooling("ReduceMean"),
                  GlobalMaxPooling3D=_global_pooling("ReduceMax"))
