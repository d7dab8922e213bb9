"""Connectionist temporal classification (Graves et al., 2006): the CTC loss.

One primitive: the forward-backward recursion runs in log space over the blank-extended labels,
vectorized over the batch and the label positions (a Python loop over time only); the backward
rule reuses the forward's alphas, which is why it is not a composite (a composite would record
T * S small ops).
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd.op import primitive

__all__ = ["ctc_loss"]


def _logaddexp(xp, a, b):
    hi = xp.maximum(a, b)
    safe = xp.where(xp.isfinite(hi), hi, 0)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right value for no paths
        return safe + xp.log(xp.exp(a - safe) + xp.exp(b - safe))


def _extended(xp, labels, label_lengths, blank):
    """Blank-extended labels (B, 2L + 1), the skip mask (a transition s - 2 -> s is allowed) and
    the valid-position mask."""
    b, length = labels.shape
    ext = xp.full((b, 2 * length + 1), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    skip = xp.zeros(ext.shape, dtype=bool)
    skip[:, 3::2] = (labels[:, 1:] != labels[:, :-1])
    valid = xp.arange(ext.shape[1])[None, :] < (2 * label_lengths[:, None] + 1)
    return ext, skip, valid


def _sweep(xp, emit, skip, valid, lengths, reverse):
    """log alpha (or log beta, reverse=True) over (T, B, S); emissions emit (B, T, S)."""
    b, t_max, s = emit.shape
    neg = -np.inf
    out = xp.full((t_max, b, s), neg, dtype=emit.dtype)
    prev = None
    for t in (range(t_max - 1, -1, -1) if reverse else range(t_max)):
        cur = xp.full((b, s), neg, dtype=emit.dtype)
        if not reverse:
            if t == 0:
                cur[:, :2] = emit[:, 0, :2]
            else:
                a = prev
                one = xp.concatenate([xp.full((b, 1), neg, emit.dtype), a[:, :-1]], axis=1)
                two = xp.concatenate([xp.full((b, 2), neg, emit.dtype), a[:, :-2]], axis=1)
                two = xp.where(skip, two, neg)
                cur = _logaddexp(xp, _logaddexp(xp, a, one), two) + emit[:, t]
        else:
            last = lengths - 1  # per sample: the recursion starts at its own last step
            start = xp.full((b, s), neg, dtype=emit.dtype)
            ends = valid.sum(axis=1)
            rows = xp.arange(b)
            start[rows, ends - 1] = emit[rows, t, ends - 1]
            start[rows, xp.maximum(ends - 2, 0)] = emit[rows, t, xp.maximum(ends - 2, 0)]
            if prev is None:
                cur = start
            else:
                a = prev
                one = xp.concatenate([a[:, 1:], xp.full((b, 1), neg, emit.dtype)], axis=1)
                skip_next = xp.concatenate([skip[:, 2:], xp.zeros((b, 2), bool)], axis=1)
                two = xp.concatenate([a[:, 2:], xp.full((b, 2), neg, emit.dtype)], axis=1)
                two = xp.where(skip_next, two, neg)
                cur = _logaddexp(xp, _logaddexp(xp, a, one), two) + emit[:, t]
            cur = xp.where((t == last)[:, None], start, xp.where((t < last)[:, None], cur, neg))
        cur = xp.where(valid, cur, neg)
        out[t] = cur
        prev = cur
    return out


@primitive("ctc_loss", nin=1)
def ctc_loss(xp, log_probs, labels, label_lengths, input_lengths, blank=0):
    """CTC negative log-likelihood per sample, from per-step log-probabilities.

    Args:
        log_probs: (batch, time, classes) log-probabilities (log_softmax of logits).
        labels: (batch, max_label_length) integer labels; entries past a sample's length are
            ignored.
        label_lengths, input_lengths: (batch,) integer lengths.
        blank: The blank class id.

    Returns:
        (batch,) -log p(labels | log_probs); +inf where no alignment exists (as torch's
        ctc_loss with zero_infinity=False).

    Gradient: with respect to log_probs only (labels and lengths are integers):
    -exp(logsumexp over positions s labelled c of alpha_t(s) + beta_t(s) - log p - log_probs[t, c]).

    Example:
        >>> lp = dw.tensor(np.log(np.full((1, 2, 2), 0.5, dtype="float32")))
        >>> dw.nn.ctc_loss(lp, np.array([[1]]), np.array([1]), np.array([2])).numpy().round(4)
        array([0.2877], dtype=float32)
    """
    labels = xp.asarray(labels).astype(np.int64).reshape(log_probs.shape[0], -1)
    label_lengths = xp.asarray(label_lengths).astype(np.int64).reshape(-1)
    input_lengths = xp.asarray(input_lengths).astype(np.int64).reshape(-1)
    ext, skip, valid = _extended(xp, labels, label_lengths, blank)
    rows = xp.arange(log_probs.shape[0])
    emit = log_probs[rows[:, None, None], xp.arange(log_probs.shape[1])[None, :, None],
                     ext[:, None, :]]  # (B, T, S)
    alpha = _sweep(xp, emit, skip, valid, input_lengths, reverse=False)
    last = alpha[input_lengths - 1, rows]  # (B, S)
    ends = valid.sum(axis=1)
    total = _logaddexp(xp, last[rows, ends - 1],
                       xp.where(ends >= 2, last[rows, xp.maximum(ends - 2, 0)], -np.inf))
    return -total, (log_probs, ext, skip, valid, input_lengths, alpha, emit, total)


@ctc_loss.backward
def _ctc_loss_backward(xp, g, saved, needs):
    log_probs, ext, skip, valid, input_lengths, alpha, emit, total = saved
    beta = _sweep(xp, emit, skip, valid, input_lengths, reverse=True)
    b, t_max, c = log_probs.shape
    occ = xp.transpose(alpha + beta, (1, 0, 2)) - emit - total[:, None, None]  # (B, T, S)
    with np.errstate(over="ignore"):
        weight = xp.where(xp.isfinite(occ), xp.exp(xp.where(xp.isfinite(occ), occ, 0)), 0)
    grad = xp.zeros_like(log_probs)
    rows = xp.broadcast_to(xp.arange(b)[:, None, None], weight.shape)
    steps = xp.broadcast_to(xp.arange(t_max)[None, :, None], weight.shape)
    cls = xp.broadcast_to(ext[:, None, :], weight.shape)
    xp.add.at(grad, (rows, steps, cls), weight)
    feasible = xp.isfinite(total)
    # d(-log p)/d log_probs[t, c] = -sum over s labelled c of alpha_t(s) beta_t(s) / (p y_t(c))
    return (xp.where(feasible[:, None, None], -grad, 0) * g[:, None, None],)
