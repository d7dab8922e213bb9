"""ONNX forms of the small layers: activation layers with their own arguments, rescaling and
the 1-D reshaping layers. Each is a handful of ONNX operators; inference only."""

from __future__ import annotations

import numpy as np

__all__ = ["SIMPLE_CONVERTERS"]


def _const(b, value, hint, what):
    return b.const(np.asarray(value, np.float32), f"{hint}_{what}")


def _relu(b, layer, inputs, shapes):
    """Keras' ReLU: x at or above `threshold`, `negative_slope * (x - threshold)` below it, and
    at most `max_value`."""
    config, hint, x = layer.get_config(), layer.name, inputs[0]
    threshold = _const(b, config["threshold"], hint, "threshold")
    below = b.op("Mul", [b.op("Sub", [x, threshold], hint),
                         _const(b, config["negative_slope"], hint, "slope")], hint)
    y = b.op("Where", [b.op("GreaterOrEqual", [x, threshold], hint), x, below], hint)
    if config["max_value"] is not None:
        y = b.op("Min", [y, _const(b, config["max_value"], hint, "max")], hint)
    return y


def _leaky_relu(b, layer, inputs, shapes):
    return b.op("LeakyRelu", [inputs[0]], layer.name,
                alpha=float(layer.get_config()["negative_slope"]))


def _elu(b, layer, inputs, shapes):
    return b.op("Elu", [inputs[0]], layer.name, alpha=float(layer.get_config()["alpha"]))


def _softmax(b, layer, inputs, shapes):
    axis = layer.get_config()["axis"]
    if isinstance(axis, list | tuple):
        if len(axis) != 1:
            raise ValueError(f"export: Softmax '{layer.name}' over axes {axis} has no ONNX form "
                             "in deltaw; expected one axis.")
        axis = axis[0]
    return b.op("Softmax", [inputs[0]], layer.name, axis=int(axis))


def _prelu(b, layer, inputs, shapes):
    alpha = np.asarray(layer.alpha.data, np.float32)   # input shape without the batch axis
    return b.op("PRelu", [inputs[0], b.const(alpha, f"{layer.name}_alpha")], layer.name)


def _rescaling(b, layer, inputs, shapes):
    config, hint = layer.get_config(), layer.name
    x = b.op("Mul", [inputs[0], _const(b, config["scale"], hint, "scale")], hint)
    return b.op("Add", [x, _const(b, config["offset"], hint, "offset")], hint)


def _permute(b, layer, inputs, shapes):
    return b.op("Transpose", [inputs[0]], layer.name,
                perm=[0, *(int(d) for d in layer.get_config()["dims"])])


def _repeat_vector(b, layer, inputs, shapes):
    hint, n = layer.name, int(layer.get_config()["n"])
    x = b.op("Reshape", [inputs[0], b.const(np.array([0, 1, -1], np.int64), f"{hint}_row")],
             hint)
    return b.op("Tile", [x, b.const(np.array([1, n, 1], np.int64), f"{hint}_repeats")], hint)


def _cropping_1d(b, layer, inputs, shapes):
    begin, end = layer.get_config()["cropping"]
    stop = -end if end else np.iinfo(np.int64).max
    hint = layer.name
    return b.op("Slice", [inputs[0], b.const(np.array([begin], np.int64), f"{hint}_starts"),
                          b.const(np.array([stop], np.int64), f"{hint}_ends"),
                          b.const(np.array([1], np.int64), f"{hint}_axes")], hint)


def _zero_padding_1d(b, layer, inputs, shapes):
    left, right = layer.get_config()["padding"]
    pads = np.array([0, left, 0, 0, right, 0], np.int64)
    return b.op("Pad", [inputs[0], b.const(pads, f"{layer.name}_pads")], layer.name,
                mode="constant")


def _up_sampling_1d(b, layer, inputs, shapes):
    scales = np.array([1, layer.get_config()["size"], 1], np.float32)
    return b.op("Resize", [inputs[0], "", b.const(scales, f"{layer.name}_scales")], layer.name,
                mode="nearest", coordinate_transformation_mode="asymmetric",
                nearest_mode="floor")


SIMPLE_CONVERTERS = {
    "ReLU": _relu, "LeakyReLU": _leaky_relu, "ELU": _elu, "Softmax": _softmax,
    "PReLU": _prelu, "Rescaling": _rescaling, "Permute": _permute,
    "RepeatVector": _repeat_vector, "Cropping1D": _cropping_1d,
    "ZeroPadding1D": _zero_padding_1d, "UpSampling1D": _up_sampling_1d,
}
