"""Attention layers: MultiHeadAttention and Attention (dot-product attention).

Both compute softmax(scores) @ value with the fused `dw.nn.scaled_dot_product_attention`
(stable masked softmax, one graph node). When the attention weights themselves are requested
(`return_attention_scores=True`), they come from the same primitive applied to an identity
"value" matrix (softmax(scores) @ I = softmax(scores)), so no second softmax is written here.

Masks follow Keras' conventions: True means "may attend" / "keep this step".
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from deltaw.keras import initializers, regularizers
from deltaw.keras.layers.core import _serialize_regularizer, serialize_constraint
from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.layers.layer import Layer
from deltaw.nn.activations import sigmoid
from deltaw.nn.attention import scaled_dot_product_attention
from deltaw.nn.attention_packed import packed_self_attention
from deltaw.nn.dense import FUSED_ACTIVATIONS, dense
from deltaw.nn.dropout import dropout as _dropout
from deltaw.ops import (
    add,
    concatenate,
    expand_dims,
    matmul,
    multiply,
    reshape,
    tanh,
    transpose,
    where,
)
from deltaw.ops import sum as reduce_sum
from deltaw.tensor import Tensor

__all__ = ["Attention", "MultiHeadAttention"]


def _bool(mask):
    """A mask (Tensor, array, list) as a NumPy boolean array, or None."""
    if mask is None:
        return None
    mask = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    return mask if mask.dtype == bool else mask.astype(bool)


def _and(a, b):
    return b if a is None else a if b is None else a & b


def _eye(n, dtype):
    return np.eye(n, dtype=dtype)


class _Projection(Layer):
    """A dense projection over the last `len(in_shape)` axes onto `out_shape`: the weights of
    Keras 3's EinsumDense sublayers of MultiHeadAttention (kernel `(*in_shape, *out_shape)`,
    bias `out_shape`), computed as one matmul between reshapes."""

    def __init__(self, in_shape, out_shape, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint,
                 activation=None, **kwargs):
        super().__init__(**kwargs)
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        self.activation = activation
        self.kernel = self.add_weight("kernel", (*self.in_shape, *self.out_shape),
                                      initializers.get(kernel_initializer), kernel_regularizer,
                                      constraint=kernel_constraint)
        self.bias = None
        if use_bias:
            self.bias = self.add_weight("bias", self.out_shape, initializers.get(bias_initializer),
                                        bias_regularizer, constraint=bias_constraint)
        self.built = True

    def call(self, inputs):
        lead = inputs.shape[:inputs.ndim - len(self.in_shape)]
        n_in, n_out = math.prod(self.in_shape), math.prod(self.out_shape)
        flat = reshape(inputs, (*lead, n_in))
        kernel = reshape(self.kernel, (n_in, n_out))
        fused = self.activation is None or id(self.activation) in FUSED_ACTIVATIONS
        # the fused dense op: one GEMM over every row, the bias (and a sigmoid gate) in place
        bias = None if self.bias is None else reshape(self.bias, (n_out,))
        out = dense(flat, kernel, bias, self.activation if fused else None)
        out = reshape(out, (*lead, *self.out_shape))
        return out if fused else self.activation(out)


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017) with Keras 3's weights and call signature.

    query (B, T, dim_q), value (B, S, dim_v) and key (B, S, dim_k; defaults to value) are
    projected to `num_heads` heads, attended with softmax(q k^T / sqrt(key_dim)) and projected
    back to `output_shape` (default dim_q).

    Weights (Keras 3's layout and `get_weights` order): query, key, (gate,) value and
    attention_output projections, each a kernel then a bias: query/key kernels
    (dim, num_heads, key_dim) with biases (num_heads, key_dim), value kernel
    (dim_v, num_heads, value_dim), output kernel (num_heads, value_dim, output_dim) and bias
    (output_dim,).

    Args:
        num_heads: Number of heads.
        key_dim: Size of each head for query and key.
        value_dim: Size of each head for value; defaults to key_dim.
        dropout: Dropout rate on the attention weights (training only).
        use_bias: Whether the projections have biases.
        output_shape: Size (int or 1-tuple) of the output's last axis; defaults to dim_q.
        attention_axes: Only the default (attention over axis 1 of rank-3 inputs) is
            supported; None, 1, -2, (1,) or (-2,). Others raise NotImplementedError.
        sliding_window: Optional int: each query attends only to keys within
            `sliding_window - 1` positions on either side.
        flash_attention: Accepted and ignored (no flash kernels on NumPy).
        kernel_initializer, bias_initializer: Defaults 'glorot_uniform' and 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional; as Keras 3, the
            activity regularizer applies to the output of every projection.
        kernel_constraint, bias_constraint: Applied by the optimizer after each update.
        use_gate: Gate the attention output with sigmoid(query projection) (Keras 3.11+).
        seed: Optional int seed of the dropout masks.
        **kwargs: Base Layer arguments.

    Call arguments:
        query, value, key: As above.
        query_mask: Optional boolean (B, T). value_mask, key_mask: optional boolean (B, S).
        attention_mask: Optional boolean (B, T, S); True = may attend. Combined (AND) with the
            masks above and the causal mask.
        return_attention_scores: Also return the attention weights (B, num_heads, T, S)
            (before dropout, as Keras).
        training: Enables dropout.
        use_causal_mask: Query i attends only to keys j <= i.
        mask: deltaw's way to receive propagated Keras masks: [query_mask, value_mask, ...]
            (a functional model passes it); explicit query_mask/value_mask take precedence.

    Returns:
        (B, T, output_dim), and the attention weights when requested.

    Deviation: a query row whose keys are ALL masked (e.g. a padded query position under a
    query mask) gets zero attention weights, so its output is the output bias; Keras' softmax
    gives such rows uniform weights. Unmasked rows agree.

    Example:
        >>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> mha(np.ones((1, 3, 8)), np.ones((1, 5, 8))).shape
        (1, 3, 8)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        where = f"MultiHeadAttention '{self.name}'"
        for name, value in (("num_heads", num_heads), ("key_dim", key_dim),
                            ("value_dim", value_dim), ("sliding_window", sliding_window)):
            if value is None and name in ("value_dim", "sliding_window"):
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"{where}: {name} must be a positive integer; got "
                                 f"{name}={value!r}.")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
                or not 0 <= dropout < 1:
            raise ValueError(f"{where}: dropout must be a float in [0, 1); got "
                             f"dropout={dropout!r}.")
        if isinstance(output_shape, numbers.Integral):
            output_shape = (int(output_shape),)
        if output_shape is not None:
            output_shape = tuple(output_shape)
            if len(output_shape) != 1:
                raise NotImplementedError(f"{where}: output_shape must be an int or a 1-tuple in "
                                          f"deltaw; got output_shape={output_shape!r}.")
        axes = attention_axes
        if isinstance(axes, numbers.Integral):
            axes = (axes,)
        if axes is not None and tuple(axes) not in ((1,), (-2,)):
            raise NotImplementedError(
                f"{where}: only the default attention_axes (axis 1 of (batch, length, dim) "
                f"inputs) is supported; expected None, 1 or (1,), got "
                f"attention_axes={attention_axes!r}.")
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self._kv_heads = self.num_heads
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self._output_shape = output_shape
        self.attention_axes = None if axes is None else list(axes)
        self.sliding_window = sliding_window
        self.use_gate = bool(use_gate)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(int(seed))
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._sub_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.supports_masking = True
        self._query_dense = self._key_dense = self._value_dense = None
        self._gate_dense = self._output_dense = None
        self._shapes = None

    # ----- weights
    def _projection(self, name, in_shape, out_shape, activation=None):
        init = self.kernel_initializer
        return _Projection(
            in_shape, out_shape, self.use_bias,
            type(init).from_config(init.get_config()) if hasattr(init, "get_config") else init,
            self.bias_initializer, self.kernel_regularizer, self.bias_regularizer,
            self.kernel_constraint, self.bias_constraint, activation=activation, name=name,
            dtype=self.dtype, activity_regularizer=self._sub_activity_regularizer)

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the projections; without `value_shape` (the first eager call, whose other
        inputs the base class does not pass) they are created in `call` instead."""
        if value_shape is not None:
            self._build_projections(query_shape, value_shape, key_shape)
        self.built = True

    def _build_projections(self, query_shape, value_shape, key_shape=None):
        if self._query_dense is not None:
            return
        key_shape = value_shape if key_shape is None else key_shape
        where = f"MultiHeadAttention '{self.name}'"
        shapes = {"query": query_shape, "value": value_shape, "key": key_shape}
        for name, shape in shapes.items():
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(f"{where}: {name} must be (batch, length, dim) with a known dim; "
                                 f"got {name} shape {tuple(shape)}.")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"{where}: value and key lengths differ; expected equal, got value "
                             f"shape {tuple(value_shape)} and key shape {tuple(key_shape)}.")
        self._shapes = {f"{k}_shape": list(v) for k, v in shapes.items()}
        heads, out_dim = self.num_heads, (self._output_shape or (query_shape[-1],))
        self._query_dense = self._projection("query", query_shape[-1:], (heads, self.key_dim))
        kv_heads = self._kv_heads  # fewer than `heads` in GroupedQueryAttention
        self._key_dense = self._projection("key", key_shape[-1:], (kv_heads, self.key_dim))
        if self.use_gate:
            self._gate_dense = self._projection("gate", query_shape[-1:], (heads, self.value_dim),
                                                activation=sigmoid)
        self._value_dense = self._projection("value", value_shape[-1:],
                                             (kv_heads, self.value_dim))
        self._output_dense = self._projection("attention_output", (heads, self.value_dim),
                                              out_dim)

    @property
    def query_dense(self):
        return self._query_dense

    @property
    def key_dense(self):
        return self._key_dense

    @property
    def value_dense(self):
        return self._value_dense

    @property
    def output_dense(self):
        return self._output_dense

    # ----- masks
    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                        mask):
        """The combined (B, 1, T, S) boolean mask, or None (the causal mask is added by the
        primitive)."""
        if isinstance(mask, list | tuple):
            query_mask = query_mask if query_mask is not None else (mask[0] if mask else None)
            value_mask = value_mask if value_mask is not None or len(mask) < 2 else mask[1]
        elif mask is not None and query_mask is None:
            query_mask = mask
        combined = _bool(attention_mask)
        query_mask, value_mask, key_mask = _bool(query_mask), _bool(value_mask), _bool(key_mask)
        if query_mask is not None:
            combined = _and(combined, query_mask[:, :, None])
        for m in (value_mask, key_mask):
            if m is not None:
                combined = _and(combined, m[:, None, :])
        if self.sliding_window is not None:
            rows = np.arange(query.shape[1])[:, None]
            cols = np.arange(value.shape[1])[None, :]
            combined = _and(combined, (np.abs(rows - cols) < self.sliding_window)[None])
        if combined is None:
            return None
        if combined.ndim == 3:
            combined = combined[:, None]              # broadcast over the heads
        return combined

    # ----- call
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False, mask=None):
        value = self._convert_one(value)
        key = value if key is None else self._convert_one(key)
        self._build_projections(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        allowed = self._attention_mask(query, value, query_mask, value_mask, key_mask,
                                       attention_mask, mask)
        rate = self.dropout if training else 0.0
        scale = 1.0 / math.sqrt(self.key_dim)
        if not return_attention_scores and self._packable(query, value, key):
            out = packed_self_attention(self._packed_projection(query), self.num_heads,
                                        self.key_dim, self.value_dim, mask=allowed,
                                        is_causal=use_causal_mask, scale=scale,
                                        dropout_rate=rate, seed=self._generator)
            return self._output_dense(out)
        gate = self._gate_dense(query) if self._gate_dense is not None else None
        # (B, L, heads, dim) -> (B, heads, L, dim): the layout of the attention primitive
        q = transpose(self._query_dense(query), (0, 2, 1, 3))
        k, v = self._key_value_heads(key, value)
        scores = None
        if return_attention_scores:
            scores = scaled_dot_product_attention(q, k, _eye(k.shape[2], k.dtype), mask=allowed,
                                                  is_causal=use_causal_mask, scale=scale)
            weights = _dropout(scores, rate, training=rate > 0, seed=self._generator)
            out = matmul(weights, v)
        else:
            out = scaled_dot_product_attention(q, k, v, mask=allowed, is_causal=use_causal_mask,
                                               scale=scale, dropout_rate=rate,
                                               seed=self._generator)
        out = transpose(out, (0, 2, 1, 3))
        if gate is not None:
            out = multiply(out, gate)
        out = self._output_dense(out)
        return (out, scores) if return_attention_scores else out

    def _packable(self, query, value, key):
        """Whether this call is plain self-attention (one input for query, key and value, no
        gate, no grouped heads, no activity regularizer on the projections): then the three
        projections are one GEMM and the heads views of its result (`packed_self_attention`)."""
        kernel = self._query_dense.kernel
        return (query is value and key is value and query.ndim == 3
                and self._gate_dense is None and self._sub_activity_regularizer is None
                and type(self)._key_value_heads is MultiHeadAttention._key_value_heads
                and self._kv_heads == self.num_heads and query.dtype == kernel.dtype)

    def _packed_projection(self, x):
        """x @ [Wq Wk Wv] + [bq bk bv]: the three projections of self-attention as one GEMM
        (the same weights as the three sublayers, concatenated at each call)."""
        parts = (self._query_dense, self._key_dense, self._value_dense)
        dim = x.shape[-1]
        kernel = concatenate([reshape(p.kernel, (dim, -1)) for p in parts], axis=1)
        bias = None
        if self.use_bias:
            bias = concatenate([reshape(p.bias, (-1,)) for p in parts], axis=0)
        return dense(x, kernel, bias)

    def _key_value_heads(self, key, value):
        """The projected keys and values as (B, heads, S, dim)."""
        return (transpose(self._key_dense(key), (0, 2, 1, 3)),
                transpose(self._value_dense(value), (0, 2, 1, 3)))

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list | tuple):
            return mask[0] if mask else None
        return mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if self._output_shape:
            return (*query_shape[:-1], *self._output_shape)
        return tuple(query_shape)

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None,
                            key_mask=None, attention_mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False, mask=None):
        self._build_projections(query.shape, value.shape, None if key is None else key.shape)
        out = KerasTensor(self.compute_output_shape(query.shape), self.dtype)
        if return_attention_scores:
            length = (None if key is None else key.shape[1]) or value.shape[1]
            scores = KerasTensor((query.shape[0], self.num_heads, query.shape[1], length),
                                 self.dtype)
            return out, scores
        return out

    # ----- configuration
    def get_build_config(self):
        return None if self._shapes is None else {"shapes_dict": self._shapes}

    def build_from_config(self, config):
        shapes = (config or {}).get("shapes_dict")
        if shapes:
            self._build_projections(*(tuple(shapes.get(f"{k}_shape") or shapes["value_shape"])
                                      for k in ("query", "value", "key")))
            self.built = True

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": self.attention_axes,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": _serialize_regularizer(self._sub_activity_regularizer),
            "kernel_constraint": serialize_constraint(self.kernel_constraint),
            "bias_constraint": serialize_constraint(self.bias_constraint),
            "seed": self.seed,
        }


class Attention(Layer):
    """Dot-product attention (Luong-style), as Keras 3's `Attention`.

    scores = query @ key^T (times the trainable scalar `scale` when use_scale=True); the output
    is softmax(scores) @ value. With score_mode='concat' the scores are
    `concat_score_weight * sum(tanh(scale * (query_i + key_j)))` instead.

    Args:
        use_scale: Learn a scalar `scale` (initialized to 1) multiplying the scores.
        score_mode: 'dot' (default) or 'concat'.
        dropout: Dropout rate on the attention weights (training only).
        seed: Optional int seed of the dropout masks.
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: [query (B, Tq, dim), value (B, Tv, dim)] or [query, value, key (B, Tv, dim)]
            (key defaults to value).
        mask: Optional [query_mask (B, Tq), value_mask (B, Tv)]; value_mask hides keys,
            query_mask zeroes the outputs of masked queries.
        return_attention_scores: Also return the attention weights (B, Tq, Tv) (after
            dropout, as Keras).
        training: Enables dropout.
        use_causal_mask: Query i attends only to keys j <= i.

    Deviation: a query whose keys are all masked gets zero weights (Keras: uniform weights).

    Example:
        >>> Attention()([np.ones((1, 2, 4)), np.ones((1, 3, 4))]).shape
        (1, 2, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        where = f"{type(self).__name__} '{self.name}'"
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{where}: invalid score_mode {score_mode!r}; expected one of "
                             "'dot', 'concat'.")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
                or not 0 <= dropout < 1:
            raise ValueError(f"{where}: dropout must be a float in [0, 1); got "
                             f"dropout={dropout!r}.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(int(seed))
        self.supports_masking = True
        self.scale = self.concat_score_weight = None

    def _validate(self, inputs, mask=None):
        where = f"{type(self).__name__} '{self.name}'"
        if not isinstance(inputs, list | tuple) or not 2 <= len(inputs) <= 3:
            got = f"{len(inputs)} inputs" if isinstance(inputs, list | tuple) \
                else type(inputs).__name__
            raise ValueError(f"{where}: expected a list [query, value] or [query, value, key]; "
                             f"got {got}.")
        if mask is not None and (not isinstance(mask, list | tuple) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{where}: mask must be a list [query_mask, value_mask]; got "
                             f"{type(mask).__name__}.")

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight("scale", (), "ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (), "ones")
        self.built = True

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = _bool(mask[0]) if mask else None
        v_mask = _bool(mask[1]) if mask else None
        allowed = None if v_mask is None else v_mask[:, None, :]
        rate = self.dropout if training else 0.0
        if self.score_mode == "concat":
            out, weights = self._concat_attention(query, key, value, allowed, use_causal_mask,
                                                  rate)
        else:
            if self.scale is not None:
                query = multiply(query, self.scale)   # (s q) k^T = s (q k^T)
            if return_attention_scores:
                weights = scaled_dot_product_attention(
                    query, key, _eye(key.shape[1], key.dtype), mask=allowed,
                    is_causal=use_causal_mask, scale=1.0)
                weights = _dropout(weights, rate, training=rate > 0, seed=self._generator)
                out = matmul(weights, value)
            else:
                weights = None
                out = scaled_dot_product_attention(query, key, value, mask=allowed,
                                                   is_causal=use_causal_mask, scale=1.0,
                                                   dropout_rate=rate, seed=self._generator)
        if q_mask is not None:
            out = where(q_mask[:, :, None], out, 0)
        return (out, weights) if return_attention_scores else out

    def _concat_attention(self, query, key, value, allowed, use_causal_mask, rate):
        """Keras' 'concat' scores, composed from dw ops; the softmax and mask stay in the
        attention primitive, fed the scores through the query (scores = (s, 1) . (1, k))."""
        scores = self._concat_scores(query, key)
        # softmax(scores) via the primitive: q = scores (B, Tq, Tv) as "queries" against
        # identity keys gives q @ I = scores, and identity values return the weights
        eye = _eye(key.shape[1], key.dtype)
        weights = scaled_dot_product_attention(scores, eye, eye, mask=allowed,
                                               is_causal=use_causal_mask, scale=1.0)
        weights = _dropout(weights, rate, training=rate > 0, seed=self._generator)
        return matmul(weights, value), weights

    def _concat_scores(self, query, key):
        """(B, Tq, Tv) scores `w * sum(tanh(s * (q_i + k_j)))` of score_mode='concat'."""
        pair = add(expand_dims(query, -2), expand_dims(key, -3))       # (B, Tq, Tv, dim)
        if self.scale is not None:
            pair = multiply(pair, self.scale)
        return multiply(reduce_sum(tanh(pair), axis=-1), self.concat_score_weight)

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, list | tuple) or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def compute_output_spec(self, inputs, mask=None, training=None,
                            return_attention_scores=False, use_causal_mask=False):
        self._validate(inputs, mask)
        out = KerasTensor(self.compute_output_shape([x.shape for x in inputs]), self.dtype)
        if return_attention_scores:
            key = inputs[2] if len(inputs) > 2 else inputs[1]
            return out, KerasTensor((*inputs[0].shape[:-1], key.shape[-2]), self.dtype)
        return out

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}

