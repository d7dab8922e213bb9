"""ONNX forms of the recurrent layers: ONNX's LSTM, GRU and RNN operators.

Keras is batch-major ([batch, time, features]); the operators run time-major, so the input is
transposed in and the outputs out. Gate orders differ for the LSTM (Keras i, f, c, o; ONNX i, o,
f, c) and agree for the GRU (z, r, h); Keras' `reset_after=True` GRU is ONNX's
`linear_before_reset=1`. Bidirectional wrappers become one bidirectional operator (merge modes
concat and sum). Stateful layers, `go_backwards` with sequences returned, `return_state` and
activations without an ONNX name are refused with the layer's name.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras import activations

__all__ = ["RECURRENT_CONVERTERS"]

_ONNX_ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}
_LSTM_ORDER = (0, 3, 1, 2)  # ONNX's i, o, f, c from Keras' i, f, c, o


def _activation_name(layer, fn) -> str:
    name = activations.serialize(fn)
    if name not in _ONNX_ACTIVATIONS:
        raise ValueError(f"export: recurrent layer '{layer.name}' uses activation {name!r}, "
                         f"which ONNX's recurrent operators lack; expected one of "
                         f"{sorted(_ONNX_ACTIVATIONS)}.")
    return _ONNX_ACTIVATIONS[name]


def _check(layer) -> None:
    if layer.stateful or layer.return_state:
        raise ValueError(f"export: recurrent layer '{layer.name}' with stateful=True or "
                         "return_state=True has no ONNX form in deltaw.")


def _gates(array, count: int, order) -> np.ndarray:
    blocks = np.split(array, count, axis=-1)
    return np.concatenate([blocks[i] for i in order], axis=-1)


def _weights(layer):
    """(W, R, B, attributes) of one direction, in ONNX's layout (without the direction axis)."""
    cls = type(layer).__name__
    kernel, recurrent = np.asarray(layer.kernel.data), np.asarray(layer.recurrent_kernel.data)
    units = recurrent.shape[0]
    if cls == "LSTM":
        count, order = 4, _LSTM_ORDER
        acts = [_activation_name(layer, layer.recurrent_activation),
                _activation_name(layer, layer.activation),
                _activation_name(layer, layer.activation)]
    elif cls == "GRU":
        count, order = 3, (0, 1, 2)
        acts = [_activation_name(layer, layer.recurrent_activation),
                _activation_name(layer, layer.activation)]
    else:
        count, order = 1, (0,)
        acts = [_activation_name(layer, layer.activation)]
    w = _gates(kernel, count, order).T
    r = _gates(recurrent, count, order).T
    bias = np.asarray(layer.bias.data) if layer.use_bias else np.zeros(count * units,
                                                                        np.float32)
    if bias.ndim == 2:  # GRU reset_after: [input bias, recurrent bias]
        b = np.concatenate([_gates(bias[0], count, order), _gates(bias[1], count, order)])
    else:
        b = np.concatenate([_gates(bias, count, order), np.zeros_like(bias)])
    attributes = {"hidden_size": units, "activations": acts}
    if cls == "GRU":
        attributes["linear_before_reset"] = int(bool(layer.get_config().get("reset_after")))
    return w, r, b, attributes


def _run(b, layers, inputs, hint, return_sequences, merge_mode="concat"):
    """The operator over `inputs[0]` for one layer or a (forward, backward) pair."""
    op_type = {"LSTM": "LSTM", "GRU": "GRU", "SimpleRNN": "RNN"}[type(layers[0]).__name__]
    parts = [_weights(layer) for layer in layers]
    w = np.stack([p[0] for p in parts]).astype(np.float32)
    r = np.stack([p[1] for p in parts]).astype(np.float32)
    bias = np.stack([p[2] for p in parts]).astype(np.float32)
    attributes = dict(parts[0][3])
    attributes["activations"] = [a for p in parts for a in p[3]["activations"]]
    direction = "bidirectional" if len(layers) == 2 else (
        "reverse" if layers[0].go_backwards else "forward")
    x = b.op("Transpose", [inputs[0]], hint, perm=[1, 0, 2])  # [time, batch, features]
    y = b.name(f"{hint}_Y")
    y_h = b.name(f"{hint}_Y_h")
    outputs = [y, y_h] + ([b.name(f"{hint}_Y_c")] if op_type == "LSTM" else [])
    b.nodes.append(b.onnx.helper.make_node(
        op_type, [x, b.const(w, f"{hint}_W"), b.const(r, f"{hint}_R"),
                  b.const(bias, f"{hint}_B")], outputs, name=b.name(f"{hint}_{op_type}"),
        direction=direction, **attributes))
    if return_sequences:  # Y: [time, directions, batch, units] -> [batch, time, ...]
        out = b.op("Transpose", [y], hint, perm=[2, 0, 1, 3])
        axis, shape = 2, [0, 0, -1]
    else:  # Y_h: [directions, batch, units] -> [batch, ...]
        out = b.op("Transpose", [y_h], hint, perm=[1, 0, 2])
        axis, shape = 1, [0, -1]
    if merge_mode == "sum" and len(layers) == 2:
        return b.op("ReduceSum", [out, b.const(np.array([axis], np.int64), f"{hint}_axis")],
                    hint, keepdims=0)
    return b.op("Reshape", [out, b.const(np.array(shape, np.int64), f"{hint}_shape")], hint)


def _recurrent(b, layer, inputs, shapes):
    _check(layer)
    if layer.go_backwards and layer.return_sequences:
        raise ValueError(f"export: recurrent layer '{layer.name}' with go_backwards=True and "
                         "return_sequences=True has no ONNX form in deltaw (Keras returns the "
                         "sequence in reverse time order).")
    return _run(b, [layer], inputs, layer.name, layer.return_sequences)


def _bidirectional(b, layer, inputs, shapes):
    forward, backward = layer.forward_layer, layer.backward_layer
    for inner in (forward, backward):
        _check(inner)
    if type(forward).__name__ not in ("LSTM", "GRU", "SimpleRNN") or \
            type(backward) is not type(forward) or forward.go_backwards or \
            not backward.go_backwards:
        raise ValueError(f"export: Bidirectional '{layer.name}' needs the same LSTM, GRU or "
                         "SimpleRNN both ways to have an ONNX form.")
    merge_mode = layer.merge_mode
    if merge_mode not in ("concat", "sum"):
        raise ValueError(f"export: Bidirectional '{layer.name}' merge_mode={merge_mode!r} has no "
                         "ONNX form in deltaw; expected 'concat' or 'sum'.")
    return _run(b, [forward, backward], inputs, layer.name, forward.return_sequences,
                merge_mode)


RECURRENT_CONVERTERS = {"LSTM": _recurrent, "GRU": _recurrent, "SimpleRNN": _recurrent,
                        "Bidirectional": _bidirectional}
