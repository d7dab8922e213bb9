"""`pad_sequences`: lists of different lengths as one rectangular array, as Keras."""

from __future__ import annotations

import numpy as np

__all__ = ["pad_sequences"]


def _sample_shape(sequences):
    """The shape of one step: that of the first non-empty sequence's elements."""
    for seq in sequences:
        if len(seq):
            return np.asarray(seq).shape[1:]
    return ()


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (and truncates) sequences to one length, as `keras.utils.pad_sequences`.

    Args:
        sequences: List of sequences (lists or arrays; each step a number or an array).
        maxlen: Length of the output; default the longest sequence.
        dtype: Dtype of the output (`object` or a string dtype for text).
        padding: `"pre"` or `"post"`: where the padding goes.
        truncating: `"pre"` or `"post"`: which end of a long sequence is cut off.
        value: Padding value.

    Returns:
        An array of shape `(len(sequences), maxlen, *step_shape)`.

    Raises:
        ValueError: an element is not a sequence, steps of different shapes, a string `value`
            with a numeric dtype, or an unknown `padding`/`truncating`.

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post")
        array([[2, 3],
               [4, 0]], dtype=int32)
    """
    where = "pad_sequences"
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"{where}: sequences must be a list of sequences; got "
                         f"{type(sequences).__name__}.")
    if padding not in ("pre", "post"):
        raise ValueError(f"{where}: padding must be 'pre' or 'post'; got padding={padding!r}.")
    if truncating not in ("pre", "post"):
        raise ValueError(f"{where}: truncating must be 'pre' or 'post'; got "
                         f"truncating={truncating!r}.")
    lengths = []
    for seq in sequences:
        if not hasattr(seq, "__len__"):
            raise ValueError(f"{where}: every element must be a sequence; got {seq!r}.")
        lengths.append(len(seq))
    step_shape = _sample_shape(sequences)
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    is_text = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text:
        raise ValueError(f"{where}: a string value {value!r} needs dtype=object or a string "
                         f"dtype; got dtype={dtype!r}.")
    out = np.full((len(sequences), maxlen, *step_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for row, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = np.asarray(seq[-maxlen:] if truncating == "pre" else seq[:maxlen], dtype=dtype)
        if kept.shape[1:] != step_shape:
            raise ValueError(f"{where}: sequence {row} has steps of shape {kept.shape[1:]}; "
                             f"expected {step_shape} (the first non-empty sequence's).")
        if padding == "post":
            out[row, :len(kept)] = kept
        else:
            out[row, maxlen - len(kept):] = kept
    return out
