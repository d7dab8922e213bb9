"""Attention variants: AdditiveAttention (Bahdanau-style scores on `Attention`) and
GroupedQueryAttention (`MultiHeadAttention` with fewer key/value heads than query heads)."""

from __future__ import annotations

import numbers

from deltaw.keras.layers.attention import Attention, MultiHeadAttention
from deltaw.ops import add, expand_dims, multiply, repeat, tanh
from deltaw.ops import sum as reduce_sum

__all__ = ["AdditiveAttention", "GroupedQueryAttention"]


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention, as Keras 3's `AdditiveAttention`.

    scores[b, i, j] = sum over d of scale[d] * tanh(query[b, i, d] + key[b, j, d]) (scale is 1
    without use_scale); the output is softmax(scores) @ value. Masks, dropout, causal masking
    and `return_attention_scores` behave as in `Attention`.

    Args:
        use_scale: Learn the per-feature weights `scale` (shape (dim,), glorot_uniform).
            Default True.
        dropout: Dropout rate on the attention weights (training only).
        seed: Optional int seed of the dropout masks.
        **kwargs: Base Layer arguments.

    Example:
        >>> AdditiveAttention()([np.ones((1, 2, 4)), np.ones((1, 3, 4))]).shape
        (1, 2, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, score_mode="concat", dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight("scale", (input_shape[0][-1],), "glorot_uniform")
        self.built = True

    def _concat_scores(self, query, key):
        pair = tanh(add(expand_dims(query, -2), expand_dims(key, -3)))  # (B, Tq, Tv, dim)
        if self.scale is not None:
            pair = multiply(pair, self.scale)
        return reduce_sum(pair, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


class GroupedQueryAttention(MultiHeadAttention):
    """Grouped-query attention (Ainslie et al., 2023), as Keras 3's `GroupQueryAttention`.

    Like MultiHeadAttention with `num_query_heads` heads of size `head_dim`, but the keys and
    values are projected to only `num_key_value_heads` heads, each shared by
    `num_query_heads // num_key_value_heads` query heads (repeated along the head axis).

    Weights (Keras 3's order): query kernel (dim, num_query_heads, head_dim) and bias, key and
    value kernels (dim, num_key_value_heads, head_dim) and biases (gate in between with
    use_gate), attention_output kernel (num_query_heads, head_dim, dim_q) and bias (dim_q,).

    Args:
        head_dim: Size of each head.
        num_query_heads: Number of query heads.
        num_key_value_heads: Number of key/value heads; must divide num_query_heads.
        dropout, use_bias, use_gate, sliding_window, flash_attention, kernel_initializer,
        bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint, seed: As MultiHeadAttention.
        **kwargs: Base Layer arguments.

    Call arguments and deviation: as MultiHeadAttention (the attention scores have
    num_query_heads heads).

    Example:
        >>> gqa = GroupedQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> gqa(np.ones((1, 3, 8)), np.ones((1, 5, 8))).shape
        (1, 3, 8)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, use_gate=False, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        super().__init__(num_query_heads, head_dim, dropout=dropout, use_bias=use_bias,
                         sliding_window=sliding_window, flash_attention=flash_attention,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         use_gate=use_gate, seed=seed, **kwargs)
        where = f"GroupedQueryAttention '{self.name}'"
        if isinstance(num_key_value_heads, bool) or not isinstance(
                num_key_value_heads, numbers.Integral) or num_key_value_heads <= 0:
            raise ValueError(f"{where}: num_key_value_heads must be a positive integer; got "
                             f"num_key_value_heads={num_key_value_heads!r}.")
        if num_query_heads % num_key_value_heads:
            raise ValueError(f"{where}: num_query_heads must be a multiple of "
                             f"num_key_value_heads; got {num_query_heads} and "
                             f"{num_key_value_heads}.")
        self.head_dim, self.num_query_heads = self.key_dim, self.num_heads
        self.num_key_value_heads = self._kv_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads

    def _key_value_heads(self, key, value):
        k, v = super()._key_value_heads(key, value)
        return repeat(k, self.num_repeats, axis=1), repeat(v, self.num_repeats, axis=1)

    def get_config(self):
        config = super().get_config()
        for key in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            del config[key]
        return {**config, "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads}
