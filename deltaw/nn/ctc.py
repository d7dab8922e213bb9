"""Connectionist temporal classification (Graves et al., 2006): `ctc_loss`.

The loss of one sample is `-log p(labels | logits)`, summed over every alignment of the label
sequence to the frames (labels may repeat frames and blanks may sit between them). The
forward-backward recursions run in log space on NumPy arrays over the batch at once, one frame
at a time; the primitive takes log-probabilities, and `ctc_loss` composes it with `log_softmax`,
whose backward turns the per-frame label posteriors into the familiar `softmax - posterior`.
"""

from __future__ import annotations

import numpy as np

from deltaw import ops as _ops
from deltaw.autograd.higher_order import composite_vjp
from deltaw.autograd.op import primitive
from deltaw.nn.activations import log_softmax
from deltaw.tensor import Tensor

__all__ = ["ctc_loss"]

_NEG_INF = -np.inf


def _as_ints(where, name, x, ndim):
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{where}: {name} must hold integers; got non-integral values.")
    if arr.ndim != ndim:
        raise ValueError(f"{where}: {name} must have rank {ndim}; got shape {arr.shape}.")
    return arr.astype(np.int64)


def _extended(labels, blank):
    """Labels with a blank before, between and after them: (batch, 2 * max_len + 1)."""
    n, length = labels.shape
    ext = np.full((n, 2 * length + 1), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    # a state may be reached from two states back when it is a label differing from the label
    # two states before (no blank needed in between)
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _logsumexp3(a, b, c):
    top = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore"):
        total = np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe)
    with np.errstate(divide="ignore"):  # log(0) = -inf: no path reaches this state
        return np.log(total) + safe


def _shift(x, k):
    out = np.full_like(x, _NEG_INF)
    out[:, k:] = x[:, :-k] if k else x
    return out


def _alphas(lp, ext, skip, frames, states):
    n, t_max, _ = lp.shape
    emit = np.take_along_axis(lp, np.broadcast_to(ext[:, None, :], (n, t_max, ext.shape[1])),
                              axis=2)                        # (batch, frames, states)
    valid = np.arange(ext.shape[1])[None, :] < states[:, None]
    alpha = np.full((n, t_max, ext.shape[1]), _NEG_INF)
    first = np.full((n, ext.shape[1]), _NEG_INF)
    first[:, 0] = emit[:, 0, 0]
    first[:, 1] = np.where(states > 1, emit[:, 0, 1], _NEG_INF)
    alpha[:, 0] = first
    for t in range(1, t_max):
        prev = alpha[:, t - 1]
        two = np.where(skip, _shift(prev, 2), _NEG_INF)
        step = _logsumexp3(prev, _shift(prev, 1), two) + emit[:, t]
        alpha[:, t] = np.where(valid & (t < frames)[:, None], step, _NEG_INF)
    return alpha, emit, valid


def _betas(emit, skip, frames, states, valid):
    n, t_max, s_max = emit.shape
    beta = np.full((n, t_max, s_max), _NEG_INF)
    last = np.arange(s_max)[None, :]
    end = ((last == states[:, None] - 1) | (last == states[:, None] - 2)) & valid
    skip_next = np.zeros_like(skip)
    skip_next[:, :-2] = skip[:, 2:]                          # state s may jump to s + 2
    for t in range(t_max - 1, -1, -1):
        if t + 1 < t_max:
            nxt = beta[:, t + 1]
            up1 = np.full_like(nxt, _NEG_INF)
            up1[:, :-1] = nxt[:, 1:]
            up2 = np.full_like(nxt, _NEG_INF)
            up2[:, :-2] = nxt[:, 2:]
            up2 = np.where(skip_next, up2, _NEG_INF)
            inner = _logsumexp3(nxt, up1, up2) + emit[:, t]
        else:
            inner = np.full((n, s_max), _NEG_INF)
        at_end = (t == frames - 1)[:, None]
        step = np.where(at_end, np.where(end, emit[:, t], _NEG_INF), inner)
        beta[:, t] = np.where(valid & (t < frames)[:, None], step, _NEG_INF)
    return beta


@primitive("ctc_negative_log_likelihood")
def _ctc_nll(xp, log_probs, labels, label_lengths, frame_lengths, blank=0):
    """Per-sample `-log p(labels | log_probs)` for log-probabilities of shape
    (batch, frames, classes); labels, label_lengths and frame_lengths are not differentiable.
    An impossible alignment (labels longer than the frames allow) gives +inf."""
    lp = log_probs.astype(np.float64)
    # padding past a label length may hold any id: clip it so gathers stay in range (those
    # states are never reached)
    ext, skip = _extended(np.clip(labels, 0, lp.shape[2] - 1), blank)
    states = 2 * label_lengths + 1
    alpha, emit, valid = _alphas(lp, ext, skip, frame_lengths, states)
    rows = np.arange(lp.shape[0])
    final = alpha[rows, frame_lengths - 1]                    # (batch, states)
    a = final[rows, states - 1]
    b = np.where(states > 1, final[rows, np.maximum(states - 2, 0)], _NEG_INF)
    top = np.maximum(a, b)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", under="ignore"):
        log_z = np.log(np.exp(a - safe) + np.exp(b - safe)) + safe
    out = (-log_z).astype(log_probs.dtype)
    return out, (lp, ext, skip, emit, alpha, valid, states, frame_lengths, log_z,
                 log_probs.dtype, log_probs)


@_ctc_nll.backward
def _ctc_nll_backward(xp, g, saved, needs):
    lp, ext, skip, emit, alpha, valid, states, frames, log_z, dtype, log_probs = saved
    if xp is not np:  # create_graph: the alpha recursion rebuilt from dw ops, differentiated
        return composite_vjp(lambda p, *_: _ctc_graph(p, ext, skip, valid, states, frames),
                             (log_probs, None, None, None), needs, g)
    beta = _betas(emit, skip, frames, states, valid)
    # d(-log Z)/d lp[t, c] = -sum over states s with label c of alpha_t(s) beta_t(s) / (Z y_t(c))
    with np.errstate(invalid="ignore", under="ignore"):
        occupancy = np.exp(alpha + beta - emit - log_z[:, None, None])
    occupancy = np.where(np.isfinite(log_z)[:, None, None], np.nan_to_num(occupancy), 0.0)
    grad = np.zeros(lp.shape)
    n, t_max, s_max = occupancy.shape
    rows = np.arange(n)[:, None]
    cols = np.arange(t_max)[None, :]
    for s in range(s_max):
        np.add.at(grad, (rows, cols, ext[:, s][:, None]), occupancy[:, :, s])
    return (-(grad * g[:, None, None]).astype(dtype), None, None, None)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC loss per sample, with Keras 3's `ops.ctc_loss` arguments.

    Args:
        target: Integer labels, shape (batch, max_label_length); entries past
            `target_length` are ignored.
        output: Logits, shape (batch, max_frames, classes) (normalized here by log_softmax).
        target_length: Integer label count per sample, shape (batch,).
        output_length: Integer frame count per sample, shape (batch,).
        mask_index: The blank class. Defaults to 0.

    Returns:
        Tensor of shape (batch,): `-log p(target | output)`; +inf for a sample whose labels
        cannot be aligned to its frames (its gradient is then 0).

    Raises:
        ValueError: for ranks or lengths that do not fit the shapes.

    Example:
        >>> logits = np.zeros((1, 2, 2), dtype="float32")    # uniform over {blank, 1}
        >>> round(float(dw.nn.ctc_loss([[1]], logits, [1], [2])[0]), 4)   # 3 paths of 1/4
        0.2877
    """
    where = "ctc_loss"
    logits = output if isinstance(output, Tensor) else Tensor(output)
    if logits.dtype.kind != "f":
        logits = logits.astype(np.float32)
    if logits.ndim != 3:
        raise ValueError(f"{where}: output must be (batch, frames, classes) logits; got shape "
                         f"{logits.shape}.")
    labels = _as_ints(where, "target", target, 2)
    label_lengths = _as_ints(where, "target_length", target_length, 1)
    frame_lengths = _as_ints(where, "output_length", output_length, 1)
    n, t_max, classes = logits.shape
    if labels.shape[0] != n or label_lengths.shape != (n,) or frame_lengths.shape != (n,):
        raise ValueError(f"{where}: target, target_length and output_length must have batch "
                         f"size {n}; got shapes {labels.shape}, {label_lengths.shape} and "
                         f"{frame_lengths.shape}.")
    if np.any(frame_lengths < 1) or np.any(frame_lengths > t_max):
        raise ValueError(f"{where}: output_length must be in [1, {t_max}]; got "
                         f"{frame_lengths.tolist()}.")
    if np.any(label_lengths < 0) or np.any(label_lengths > labels.shape[1]):
        raise ValueError(f"{where}: target_length must be in [0, {labels.shape[1]}]; got "
                         f"{label_lengths.tolist()}.")
    used = labels[np.arange(labels.shape[1])[None, :] < label_lengths[:, None]]
    if used.size and (used.min() < 0 or used.max() >= classes):
        raise ValueError(f"{where}: labels must be class ids in [0, {classes}); got values in "
                         f"[{used.min()}, {used.max()}].")
    return _ctc_nll(log_softmax(logits, axis=-1), labels, label_lengths, frame_lengths,
                    blank=int(mask_index))


def _ctc_graph(log_probs, ext, skip, valid, states, frames):
    """-log Z from dw ops (the forward recursion of `_alphas` on Tensors), for create_graph."""
    n, t_max, _ = log_probs.shape
    s_max = ext.shape[1]
    rows = np.arange(n)
    emit = log_probs[rows[:, None, None], np.arange(t_max)[None, :, None], ext[:, None, :]]
    pad = np.full((n, 2), _NEG_INF)
    start = np.zeros((n, s_max), dtype=bool)
    start[:, 0] = True
    start[:, 1] = states > 1
    alpha = _ops.where(start, emit[:, 0], _NEG_INF)
    alphas = [alpha]
    for t in range(1, t_max):
        shifted = _ops.concatenate([pad, alpha], axis=1)
        one = shifted[:, 1:1 + s_max]
        two = _ops.where(skip, shifted[:, :s_max], _NEG_INF)
        step = _ops.logsumexp(_ops.stack([alpha, one, two]), axis=0) + emit[:, t]
        alpha = _ops.where(valid & (t < frames)[:, None], step, _NEG_INF)
        alphas.append(alpha)
    final = _ops.stack(alphas, axis=1)[rows, frames - 1]              # (batch, states)
    a = final[rows, states - 1]
    b = _ops.where(states > 1, final[rows, np.maximum(states - 2, 0)], _NEG_INF)
    return -_ops.logsumexp(_ops.stack([a, b]), axis=0)
