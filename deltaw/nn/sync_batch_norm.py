"""sync_batch_norm_train_update: batch normalization with the statistics of the global batch of
a data-parallel run (Keras' `BatchNormalization(synchronized=True)`), fused.

Each rank holds its rows of the global batch. The forward sums the features over the local rows
and allreduces the sums (and the element count), so every rank normalizes with the global mean;
a second allreduce gives the global (biased, two-pass) variance. Sums are taken in float64.

The backward must give what one process would on the whole batch. The data-parallel gradient
hook weights rank r's gradients by its rows n_r (and divides by the global rows), so rank r's
input gradient here is the global one divided by its weight:

    dx_r = gamma * inv * (g_r - T1 / (n_r N) - xhat_r * T2 / (n_r N)),
    T1 = sum over ranks s of n_s * sum(g_s),  T2 = sum over s of n_s * sum(g_s * xhat_s)

(N the global element count per feature); with one rank this is the local formula. One
allreduce of [T1, T2] per backward. The gamma and beta gradients stay local sums: the hook adds
them up. In one process the op equals `batch_norm_train_update`.
"""

from __future__ import annotations

import numpy as np

from deltaw._checks import normalize_axis
from deltaw.autograd.op import primitive
from deltaw.distributed.communicator import get_communicator
from deltaw.nn.normalization import _defaults, _other_axes, _param, _to_param

__all__ = ["sync_batch_norm_train_update"]


def _global_sum(xp, local, extra=()):
    """The float64 sum over ranks of `local` (per feature), with `extra` values appended."""
    flat = np.concatenate([np.asarray(local, np.float64).ravel(), np.asarray(extra, np.float64)])
    return get_communicator().allreduce(flat, "sum")


@primitive("sync_batch_norm_train_update", nin=5, mutates=(3, 4))
def _sync_batch_norm(xp, x, gamma, beta, moving_mean, moving_variance, axis=-1, epsilon=1e-3,
                     momentum=0.99):
    where = "sync_batch_norm_train_update"
    ax = normalize_axis(where, axis, x.ndim)
    axes = _other_axes(x.ndim, (ax,))
    gamma_b, beta_b = (_param(where, n, p, x, (ax,)) for n, p in (("gamma", gamma),
                                                                   ("beta", beta)))
    keep = tuple(x.shape[a] if a == ax else 1 for a in range(x.ndim))
    total = _global_sum(xp, x.sum(axis=axes, dtype=np.float64), [x.size // x.shape[ax]])
    count = total[-1]
    mean = (total[:-1] / count).astype(x.dtype).reshape(keep)
    centred = x - mean
    var = (_global_sum(xp, (centred * centred).sum(axis=axes, dtype=np.float64)) / count)
    var = var.astype(x.dtype).reshape(keep)
    inv = 1 / xp.sqrt(var + xp.asarray(epsilon, var.dtype))
    xhat = centred * inv
    moving_mean[...] = moving_mean * momentum + mean.reshape(-1) * (1 - momentum)
    moving_variance[...] = moving_variance * momentum + var.reshape(-1) * (1 - momentum)
    saved = (xhat, inv, gamma_b, axes, gamma.shape, beta.shape, x.shape[0], count)
    return xhat * gamma_b + beta_b, saved


@_sync_batch_norm.backward
def _sync_batch_norm_backward(xp, g, saved, needs):
    xhat, inv, gamma, axes, s_gamma, s_beta, rows, count = saved
    gsum = g.sum(axis=axes, keepdims=True)
    gxsum = (g * xhat).sum(axis=axes, keepdims=True)
    dx = None
    if needs[0]:
        t = _global_sum(xp, np.concatenate([gsum.ravel(), gxsum.ravel()]) * rows)
        scale = rows * count
        t1 = (t[:gsum.size] / scale).astype(g.dtype).reshape(gsum.shape)
        t2 = (t[gsum.size:] / scale).astype(g.dtype).reshape(gsum.shape)
        dx = (gamma * inv) * (g - t1 - xhat * t2)
    return (dx, _to_param(gxsum, s_gamma) if needs[1] else None,
            _to_param(gsum, s_beta) if needs[2] else None, None, None)


def sync_batch_norm_train_update(x, gamma, beta, moving_mean, moving_variance, momentum=0.99,
                                 axis=-1, epsilon=1e-3):
    """`batch_norm_train_update` with the mean and variance of the global batch, summed over
    the ranks of a data-parallel run (see the module docstring); the moving statistics are
    updated in place with them, identically on every rank.

    Args:
        x: This rank's rows of the global batch, batch axis first.
        gamma, beta, moving_mean, moving_variance, momentum, axis, epsilon: As
            `batch_norm_train_update`.

    Returns:
        Tensor shaped like `x`.

    Gradient: with respect to x, gamma and beta. Every rank must call it at the same point
    (it is a collective, forward and backward).
    """
    gamma, beta = _defaults(x, gamma, beta)
    return _sync_batch_norm(x, gamma, beta, moving_mean, moving_variance, axis=axis,
                            epsilon=epsilon, momentum=momentum)
