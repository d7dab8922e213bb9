"""Embedding: integer ids -> dense vectors, the first layer of most sequence models; and
ReversibleEmbedding, which also maps vectors back to logits over the vocabulary."""

from __future__ import annotations

import numbers
import warnings

from deltaw.keras import initializers, regularizers
from deltaw.keras.layers.core import _serialize_regularizer, serialize_constraint
from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.layers.layer import Layer
from deltaw.nn.embedding import embedding
from deltaw.ops import divide, matmul, multiply, not_equal, tanh, transpose
from deltaw.tensor import Tensor

__all__ = ["Embedding", "ReversibleEmbedding"]


def _positive_int(where: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer; got {name}={value!r}.")
    return int(value)


class Embedding(Layer):
    """Turns non-negative integer ids into dense vectors: `out[..., :] = embeddings[ids[...]]`.

    The math is `dw.nn.embedding` (a lookup whose gradient scatter-adds into the rows used).

    Args:
        input_dim: Size of the vocabulary (largest id + 1).
        output_dim: Size of each vector.
        embeddings_initializer: Defaults to 'uniform' (Keras' RandomUniform(-0.05, 0.05)).
        embeddings_regularizer: Optional regularizer of the `(input_dim, output_dim)` matrix.
        embeddings_constraint: Optional constraint, applied by the optimizer after each
            update.
        mask_zero: Treat id 0 as padding: the layer then produces the mask `ids != 0`, which
            Sequential and functional models pass to the following layers (an LSTM skips the
            masked steps). Id 0 is still looked up (and its row trained only by unmasked uses).
        weights: Optional initial `(input_dim, output_dim)` matrix (or a one-element list).
        lora_rank, lora_alpha: Must be None (LoRA is not supported).
        input_length: Removed in Keras 3: accepted and ignored with Keras' deprecation warning.
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: Integer array of any shape (float arrays of whole numbers are cast).

    Returns:
        Tensor of shape `inputs.shape + (output_dim,)`.

    Raises:
        ValueError: at call time, for an id outside [0, input_dim) (names the id).

    Example:
        >>> Embedding(10, 3)(np.array([[1, 2, 0]])).shape
        (1, 3, 3)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, **kwargs):
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        where = f"Embedding '{self.name}'"
        self.input_dim = _positive_int(where, "input_dim", input_dim)
        self.output_dim = _positive_int(where, "output_dim", output_dim)
        if lora_rank is not None or lora_alpha is not None:
            raise NotImplementedError(f"{where}: LoRA is not supported by deltaw; expected "
                                      f"lora_rank=None, got lora_rank={lora_rank!r}.")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.embeddings = None
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1
                             else [weights])

    def build(self, input_shape=None):
        if self.embeddings is None:
            self.embeddings = self.add_weight(
                "embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
                self.embeddings_regularizer, constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        return embedding(inputs, self.embeddings)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": _serialize_regularizer(self.embeddings_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "embeddings_constraint": serialize_constraint(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }


class ReversibleEmbedding(Embedding):
    """An Embedding that can also run backwards: vectors -> logits over the vocabulary.

    `layer(ids)` looks up embeddings as Embedding does; `layer(vectors, reverse=True)` returns
    `vectors @ embeddings^T` (tied weights, the default) or `vectors @ reverse_embeddings`,
    optionally soft-capped to `tanh(logits / cap) * cap` (language-model output heads).

    Args:
        input_dim, output_dim, embeddings_initializer, embeddings_regularizer,
        embeddings_constraint, mask_zero: As Embedding.
        tie_weights: Reuse the embeddings for the reverse projection (default True); False adds
            a `reverse_embeddings` weight (output_dim, input_dim).
        reverse_dtype: Optional dtype of the reverse matmul (deltaw computes in it too).
        logit_soft_cap: Optional positive float capping the reverse logits.
        **kwargs: Base Layer arguments.

    Example:
        >>> layer = ReversibleEmbedding(10, 4)
        >>> layer(layer(np.array([[1, 2]])), reverse=True).shape
        (1, 2, 10)
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self.reverse_embeddings = None

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights and self.reverse_embeddings is None:
            self.reverse_embeddings = self.add_weight(
                "reverse_embeddings", (self.output_dim, self.input_dim),
                self.embeddings_initializer)
        self.built = True

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(f"ReversibleEmbedding '{self.name}': reverse=True takes vectors of "
                             f"size output_dim={self.output_dim} on the last axis; got input "
                             f"shape {tuple(inputs.shape)}.")
        kernel = transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = inputs.astype(self.reverse_dtype), kernel.astype(self.reverse_dtype)
        logits = matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = multiply(tanh(divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        data = inputs.data if isinstance(inputs, Tensor) else None
        if data is not None and data.dtype.kind == "f":
            return None  # a reverse call: no mask
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return super().compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, reverse=False):
        return KerasTensor(self.compute_output_shape(inputs.shape, reverse), self.dtype)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap}
