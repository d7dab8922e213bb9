"""keras.ops.math: segment reductions, top-k, special functions, FFTs and the STFT.

Keras 3's names and arguments over dw ops. deltaw has no complex dtype, so, as Keras does on every
backend, complex values travel as (real, imag) pairs of float Tensors. The Fourier transforms are
written as matrix products with the DFT's cosine and sine tables: O(n^2) per transform instead of
an FFT's O(n log n), but differentiable through dw.matmul, and exact to float rounding.
`view_as_complex`/`view_as_real` are absent (no complex dtype).
"""

from __future__ import annotations

import builtins

import numpy as np

import deltaw as dw
from deltaw import nn as _nn
from deltaw.keras.ops.nn import floating, tensor
from deltaw.tensor import Tensor

__all__ = [
    "cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2", "in_top_k",
    "irfft", "istft", "logdet", "logsumexp", "rfft", "rsqrt", "segment_max", "segment_min",
    "segment_prod", "segment_sum", "stft", "top_k",
]


# ---------------------------------------------------------------- segments


def _segments(where, data, segment_ids, num_segments):
    data = floating(data) if not isinstance(data, Tensor) else data
    ids = np.asarray(tensor(segment_ids).data)
    if ids.ndim != 1 or ids.shape[0] != data.shape[0]:
        raise ValueError(f"{where}: segment_ids must be 1-D with one id per row of data; "
                         f"expected shape ({data.shape[0]},), got {ids.shape}.")
    ids = ids.astype(np.int64)
    n = int(ids.max()) + 1 if num_segments is None and ids.size else int(num_segments or 0)
    member = ids[None, :] == np.arange(n)[:, None]  # (segments, rows); ids out of range drop
    return data, member


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras' name
    """Sum the rows of `data` that share a segment id: out[s] = sum of data[i] with ids[i] == s.

    Ids outside [0, num_segments) are dropped; empty segments are 0. Differentiable in `data`.
    """
    data, member = _segments("segment_sum", data, segment_ids, num_segments)
    flat = dw.reshape(data, (data.shape[0], -1))
    out = dw.matmul(Tensor(member.astype(data.dtype)), flat)
    return dw.reshape(out, (member.shape[0], *data.shape[1:]))


def _masked_reduce(where, reduce, fill, data, segment_ids, num_segments):
    data, member = _segments(where, data, segment_ids, num_segments)
    mask = member.reshape(member.shape + (1,) * (data.ndim - 1))
    full = dw.where(mask, dw.expand_dims(data, 0), fill)
    return reduce(full, 1), member


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """The maximum of the rows of `data` in each segment; empty segments hold the dtype's lowest
    value (as Keras on torch)."""
    data = floating(data)
    low = np.finfo(data.dtype).min
    out, _ = _masked_reduce("segment_max", lambda a, ax: dw.max(a, axis=ax), low, data,
                            segment_ids, num_segments)
    return out


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """The minimum of the rows of `data` in each segment; empty segments hold the dtype's
    largest value."""
    data = floating(data)
    high = np.finfo(data.dtype).max
    out, _ = _masked_reduce("segment_min", lambda a, ax: dw.min(a, axis=ax), high, data,
                            segment_ids, num_segments)
    return out


def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """The product of the rows of `data` in each segment; empty segments are 1."""
    out, _ = _masked_reduce("segment_prod", lambda a, ax: dw.prod(a, axis=ax), 1.0,
                            floating(data), segment_ids, num_segments)
    return out


# ---------------------------------------------------------------- top-k


def top_k(x, k, sorted=True):  # noqa: A002 - Keras' name
    """(values, indices) of the k largest entries along the last axis, largest first.

    Ties keep the lower index first. Differentiable in the values (the gradient flows to the
    chosen entries); indices are int32.
    """
    x = tensor(x)
    k = int(k)
    if not 0 <= k <= x.shape[-1]:
        raise ValueError(f"top_k: k must be in [0, {x.shape[-1]}] (the last axis' size); got "
                         f"k={k}.")
    idx = np.argsort(-x.data, axis=-1, kind="stable")[..., :k]
    grid = np.indices(idx.shape, sparse=True)[:-1]
    values = x[(*grid, idx)]
    return values, Tensor(idx.astype(np.int32))


def in_top_k(targets, predictions, k):
    """Whether each target id is among the k largest predictions of its row (ties count in
    the target's favour only as far as the k-th value). Not differentiable."""
    p = np.asarray(floating(predictions).data)
    t = np.asarray(tensor(targets).data).astype(np.int64)
    score = np.take_along_axis(p, t[:, None], axis=-1)
    better = (p > score).sum(axis=-1)
    return Tensor(better < int(k))


# ---------------------------------------------------------------- element-wise


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis`, stable."""
    return dw.logsumexp(floating(x), axis=axis, keepdims=keepdims)


def erf(x):
    """The error function."""
    return _nn.erf(floating(x))


def erfc(x):
    """1 - erf(x), precise for large x."""
    return _nn.erfc(floating(x))


def erfinv(x):
    """The inverse error function on (-1, 1)."""
    return _nn.erfinv(floating(x))


def rsqrt(x):
    """1 / sqrt(x)."""
    return 1.0 / dw.sqrt(floating(x))


def logdet(x):
    """log(det(x)) of (batches of) square matrices; NaN for a negative determinant."""
    return _nn.logdet(floating(x))


def cdist(x, y):
    """Euclidean distances between the rows of x (..., m, d) and y (..., n, d): (..., m, n)."""
    x, y = floating(x), floating(y)
    diff = dw.expand_dims(x, -2) - dw.expand_dims(y, -3)
    return dw.sqrt(dw.sum(dw.square(diff), axis=-1))


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of the last axis: (..., n) -> (..., frames, sequence_length), frames starting every
    `sequence_stride` samples (frames = 1 + (n - sequence_length) // sequence_stride)."""
    x = floating(x)
    n = x.shape[-1]
    if sequence_length > n:
        raise ValueError(f"extract_sequences: sequence_length {sequence_length} exceeds the "
                         f"last axis' size; expected at most {n}.")
    frames = 1 + (n - sequence_length) // sequence_stride
    idx = (np.arange(frames)[:, None] * sequence_stride + np.arange(sequence_length)[None, :])
    return x[..., idx]


# ---------------------------------------------------------------- Fourier transforms


def _pair(where, x):
    if not isinstance(x, tuple | list) or len(x) != 2:
        raise ValueError(f"{where}: expected a (real, imag) tuple of tensors; got "
                         f"{type(x).__name__}.")
    real, imag = floating(x[0]), floating(x[1])
    if real.shape != imag.shape:
        raise ValueError(f"{where}: real and imaginary parts must have the same shape; got "
                         f"{real.shape} and {imag.shape}.")
    return real, imag


def _tables(n_in, n_out, dtype, inverse=False):
    """cos and sin of 2 pi j k / n_in for inputs j < n_in and outputs k < n_out."""
    angle = 2 * np.pi * np.outer(np.arange(n_in), np.arange(n_out)) / n_in
    if inverse:
        angle = -angle
    return Tensor(np.cos(angle).astype(dtype)), Tensor(np.sin(angle).astype(dtype))


def _dft(real, imag, inverse=False):
    """DFT along the last axis: X_k = sum_j x_j e^{-2 pi i jk/n} (e^{+...} / n when inverse)."""
    n = real.shape[-1]
    c, s = _tables(n, n, real.dtype, inverse)
    # (a + ib)(cos - i sin) = a cos + b sin + i (b cos - a sin)
    out_r = dw.matmul(real, c) + dw.matmul(imag, s)
    out_i = dw.matmul(imag, c) - dw.matmul(real, s)
    if inverse:
        out_r, out_i = out_r / n, out_i / n
    return out_r, out_i


def fft(x):
    """The discrete Fourier transform along the last axis of (real, imag); returns (real, imag)."""
    return _dft(*_pair("fft", x))


def _last_two(fn, real, imag, inverse):
    r, i = fn(real, imag, inverse)
    r, i = dw.swapaxes(r, -1, -2), dw.swapaxes(i, -1, -2)
    r, i = fn(r, i, inverse)
    return dw.swapaxes(r, -1, -2), dw.swapaxes(i, -1, -2)


def fft2(x):
    """The 2-D DFT over the last two axes of (real, imag); returns (real, imag)."""
    return _last_two(_dft, *_pair("fft2", x), False)


def ifft2(x):
    """The inverse 2-D DFT over the last two axes of (real, imag); returns (real, imag)."""
    return _last_two(_dft, *_pair("ifft2", x), True)


def _fit_length(x, n):
    """Crop or zero-pad the last axis to n."""
    size = x.shape[-1]
    if size >= n:
        return x[..., :n]
    return dw.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n - size)])


def rfft(x, fft_length=None):
    """The DFT of a real signal along the last axis, the n // 2 + 1 non-negative frequencies.

    The signal is cropped or zero-padded to `fft_length` (default: its length). Returns
    (real, imag).
    """
    x = floating(x)
    n = x.shape[-1] if fft_length is None else int(fft_length)
    x = _fit_length(x, n)
    c, s = _tables(n, n // 2 + 1, x.dtype)
    return dw.matmul(x, c), -dw.matmul(x, s)


def irfft(x, fft_length=None):
    """The inverse of rfft: n real samples (n = fft_length, default 2 * (bins - 1)) from the
    non-negative frequencies (real, imag) along the last axis, using Hermitian symmetry."""
    real, imag = _pair("irfft", x)
    n = 2 * (real.shape[-1] - 1) if fft_length is None else int(fft_length)
    bins = n // 2 + 1
    real, imag = _fit_length(real, bins), _fit_length(imag, bins)
    # x_j = (1/n) sum_k w_k (Re_k cos(2 pi jk/n) - Im_k sin(2 pi jk/n)); w_k = 2 but for the
    # frequencies that have no mirror (0 and, for even n, n/2); imaginary parts there drop out
    weight = np.full(bins, 2.0)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    angle = 2 * np.pi * np.outer(np.arange(bins), np.arange(n)) / n
    c = Tensor((weight[:, None] * np.cos(angle) / n).astype(real.dtype))
    s = Tensor((weight[:, None] * np.sin(angle) / n).astype(real.dtype))
    return dw.matmul(real, c) - dw.matmul(imag, s)


def _window(where, window, sequence_length, fft_length, dtype):
    """The analysis window (periodic Hann or Hamming, an array, or None), zero-padded to
    fft_length in the middle, as torch.stft."""
    if window is None:
        win = np.ones(sequence_length)
    elif isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"{where}: unknown window {window!r}; expected 'hann', 'hamming', "
                             "an array or None.")
        a = 0.5 if window == "hann" else 0.54
        win = a - (1 - a) * np.cos(2 * np.pi * np.arange(sequence_length) / sequence_length)
    else:
        win = np.asarray(window.data if isinstance(window, Tensor) else window, np.float64)
        if win.shape != (sequence_length,):
            raise ValueError(f"{where}: the window must have shape ({sequence_length},); got "
                             f"{win.shape}.")
    left = (fft_length - sequence_length) // 2
    return np.pad(win, (left, fft_length - sequence_length - left)).astype(dtype)


def _check_lengths(where, sequence_length, fft_length):
    if fft_length < sequence_length:
        raise ValueError(f"{where}: fft_length must be at least sequence_length; expected "
                         f">= {sequence_length}, got {fft_length}.")


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform along the last axis, as keras.ops.stft (torch.stft's
    framing): with center=True the signal is reflect-padded by fft_length // 2 on both sides.

    Returns:
        (real, imag), each (..., frames, fft_length // 2 + 1).
    """
    _check_lengths("stft", sequence_length, fft_length)
    x = floating(x)
    if center:
        pad = fft_length // 2
        x = dw.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    frames = extract_sequences(x, fft_length, sequence_stride)
    win = _window("stft", window, sequence_length, fft_length, frames.dtype)
    return rfft(frames * Tensor(win))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """Inverse STFT by windowed overlap-add (torch.istft's algorithm): the frames from irfft,
    times the window, added at their offsets and divided by the added squared window.

    Returns:
        (..., samples) real signal; `length` crops or zero-pads it.
    """
    _check_lengths("istft", sequence_length, fft_length)
    frames = irfft(x, fft_length)  # (..., F, fft_length)
    win = _window("istft", window, sequence_length, fft_length, frames.dtype)
    frames = frames * Tensor(win)
    count = frames.shape[-2]
    total = fft_length + sequence_stride * (count - 1)
    lead = frames.shape[:-2]
    # overlap-add as one matmul with the 0/1 placement matrix (frames * fft_length, total)
    place = np.zeros((count * fft_length, total), dtype=frames.dtype)
    rows = np.arange(count * fft_length)
    place[rows, (rows // fft_length) * sequence_stride + rows % fft_length] = 1
    out = dw.matmul(dw.reshape(frames, (*lead, count * fft_length)), Tensor(place))
    norm = (np.tile(win * win, count) @ place).astype(frames.dtype)
    start = fft_length // 2 if center else 0
    stop = total - fft_length // 2 if center else total
    if length is not None:
        stop = start + int(length)
    norm = norm[start:builtins.min(stop, total)]
    if np.any(norm < 1e-11):
        raise ValueError("istft: the window does not overlap enough to invert (the summed "
                         "squared window is ~0 somewhere); expected a smaller sequence_stride.")
    out = out[..., start:builtins.min(stop, total)] / Tensor(norm)
    if stop > total:
        out = dw.pad(out, [(0, 0)] * (out.ndim - 1) + [(0, stop - total)])
    return out
