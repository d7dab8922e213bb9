"""ONNX form of MultiHeadAttention (inference, no masks): four Einsum projections, scaled
dot-product scores, Softmax, and the output projection, as Keras 3 computes them."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["dot_product_attention", "multi_head_attention"]

_MASKS = ("query_mask", "value_mask", "key_mask", "attention_mask", "mask")


def _project(b, x, dense, equation, hint):
    y = b.op("Einsum", [x, b.const(np.asarray(dense.kernel.data), f"{hint}_kernel")], hint,
             equation=equation)
    if dense.bias is not None:
        y = b.op("Add", [y, b.const(np.asarray(dense.bias.data), f"{hint}_bias")], hint)
    return y


def multi_head_attention(b, layer, positional, named, shapes):
    """Output name of `layer` called on graph tensors (positional list, keyword dict)."""
    config, kwargs = layer.get_config(), dict(named)
    where = f"export: MultiHeadAttention '{layer.name}'"
    masks = [k for k in _MASKS if k in kwargs] + (
        ["use_causal_mask"] if kwargs.get("use_causal_mask") else [])
    if masks or config.get("use_gate") or config.get("attention_axes") is not None:
        raise ValueError(f"{where}: masks ({masks}), use_gate and attention_axes have no ONNX "
                         "form in deltaw; expected plain attention over the sequence axis.")
    arguments = list(positional)
    query = arguments[0] if arguments else kwargs.pop("query")
    value = arguments[1] if len(arguments) > 1 else kwargs.pop("value")
    key = arguments[2] if len(arguments) > 2 else kwargs.pop("key", value)
    if any(len(s) != 3 for s in shapes):
        raise ValueError(f"{where}: inputs of rank {[len(s) for s in shapes]} have no ONNX form "
                         "in deltaw; expected [batch, sequence, features].")
    hint = layer.name
    q = _project(b, query, layer._query_dense, "btd,dhk->bthk", f"{hint}_query")
    k = _project(b, key, layer._key_dense, "bsd,dhk->bshk", f"{hint}_key")
    v = _project(b, value, layer._value_dense, "bsd,dhv->bshv", f"{hint}_value")
    q = b.op("Mul", [q, b.const(np.float32(1 / math.sqrt(layer.key_dim)), f"{hint}_scale")],
             hint)
    scores = b.op("Einsum", [q, k], hint, equation="bthk,bshk->bhts")
    probs = b.op("Softmax", [scores], hint, axis=-1)
    context = b.op("Einsum", [probs, v], hint, equation="bhts,bshv->bthv")
    return _project(b, context, layer._output_dense, "bthv,hvo->bto", f"{hint}_output")


def dot_product_attention(b, layer, inputs, shapes):
    """Keras' Attention layer (score_mode 'dot'): softmax(scale * q k^T) v."""
    config = layer.get_config()
    if config["score_mode"] != "dot":
        raise ValueError(f"export: Attention '{layer.name}' score_mode={config['score_mode']!r} "
                         "has no ONNX form in deltaw; expected 'dot'.")
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    hint = layer.name
    scores = b.op("MatMul", [query, b.op("Transpose", [key], hint, perm=[0, 2, 1])], hint)
    if config["use_scale"]:
        scale = np.asarray(layer.scale.data, np.float32)
        scores = b.op("Mul", [scores, b.const(scale, f"{hint}_scale")], hint)
    return b.op("MatMul", [b.op("Softmax", [scores], hint, axis=-1), value], hint)
