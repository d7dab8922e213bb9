"""Normalization: batch_norm (inference) batch_norm_train batch_norm_train_with_stats
batch_norm_train_update (training with the moving statistics updated inside the op) layer_norm
group_norm.

All are fused primitives with exact hand-written backward passes. A composite of mean, var,
subtract and divide would record about eight nodes, keep several input-sized temporaries alive
for backward, and lose precision through the chain; the fused backward keeps only the normalized
input x_hat and the per-group 1/sqrt(var + epsilon), and uses the closed form

    dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat))

with the means over the normalized axes. Variances are the biased ones (divide by the count), as
in Keras. Keras' defaults: epsilon=1e-3, axis=-1 (channels last).
"""

from __future__ import annotations

import numpy as np

from deltaw._checks import normalize_axes, normalize_axis
from deltaw.autograd.op import primitive
from deltaw.nn._kernels import normalization_numba

__all__ = ["batch_norm", "batch_norm_train", "batch_norm_train_update",
           "batch_norm_train_with_stats", "layer_norm", "group_norm"]


def _param(where, name, p, x, axes):
    """Reshape a per-feature parameter so it broadcasts over `x` along `axes`.

    Accepts a scalar, Keras' compact shape (the sizes of x along `axes`, e.g. gamma of shape
    (C,) even with axis=1), or any shape with that many elements (e.g. (1, 1, 1, C)).
    """
    target = tuple(x.shape[a] if a in axes else 1 for a in range(x.ndim))
    if p.ndim == 0:
        return p
    if p.size != int(np.prod(target)):
        raise ValueError(
            f"{where}: {name} does not match the input's feature axes; expected shape "
            f"{tuple(x.shape[a] for a in axes)}, got {name} shape {p.shape} for input shape "
            f"{x.shape}.")
    return p.reshape(target)


def _to_param(v, shape):
    """A feature-shaped gradient (1s on the reduced axes) in the parameter's own shape."""
    return v.sum() if len(shape) == 0 else v.reshape(shape)


def _moments(x, axes):
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)      # two passes: no cancellation
    return mean, centred, var


def _norm_backward(dxhat, xhat, inv, axes):
    # dx = inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) over the normalized axes
    m1 = dxhat.mean(axis=axes, keepdims=True)
    m2 = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return inv * (dxhat - m1 - xhat * m2)


def _affine_grads(g, xhat, axes, needs, gamma_shape, beta_shape):
    """(dgamma, dbeta): sum(g * x_hat) and sum(g) over the non-feature axes."""
    dgamma = _to_param((g * xhat).sum(axis=axes, keepdims=True), gamma_shape) if needs[1] else None
    dbeta = _to_param(g.sum(axis=axes, keepdims=True), beta_shape) if needs[2] else None
    return dgamma, dbeta


def _other_axes(ndim, keep):
    return tuple(a for a in range(ndim) if a not in keep)


def _defaults(x, gamma, beta):
    """Keras' center=False / scale=False: a missing gamma is 1, a missing beta is 0."""
    return (1.0 if gamma is None else gamma), (0.0 if beta is None else beta)


# ----------------------------------------------------------------------------- batch norm

@primitive("batch_norm")
def _batch_norm(xp, x, mean, variance, beta, gamma, epsilon=1e-3, axis=-1):
    where = "batch_norm"
    ax = normalize_axis(where, axis, x.ndim)
    mean_b, var_b, beta_b, gamma_b = (_param(where, name, p, x, (ax,)) for name, p in (
        ("mean", mean), ("variance", variance), ("beta", beta), ("gamma", gamma)))
    inv = 1 / xp.sqrt(var_b + xp.asarray(epsilon, var_b.dtype))
    scale = gamma_b * inv
    out = (x - mean_b) * scale + beta_b
    shapes = (mean.shape, variance.shape, beta.shape, gamma.shape)
    return out, (x, mean_b, inv, gamma_b, scale, _other_axes(x.ndim, (ax,)), shapes,
                 (mean, variance, gamma, epsilon, ax))


@_batch_norm.backward
def _batch_norm_backward(xp, g, saved, needs):
    x, mean, inv, gamma, scale, axes, (s_mean, s_var, s_beta, s_gamma), inputs = saved
    if xp is not np:  # create_graph: the broadcast statistics rebuilt from the input Tensors
        mean, variance, gamma, epsilon, ax = inputs
        mean, variance, gamma = (_param("batch_norm", name, p, x, (ax,)) for name, p in (
            ("mean", mean), ("variance", variance), ("gamma", gamma)))
        inv = 1 / xp.sqrt(variance + epsilon)
        scale = gamma * inv
    # out = (x - mean) * gamma * inv + beta, inv = (var + eps)^-1/2
    gsum = g.sum(axis=axes, keepdims=True) if needs[1] or needs[3] else None
    gxc = (g * (x - mean)).sum(axis=axes, keepdims=True) if needs[2] or needs[4] else None
    return (g * scale if needs[0] else None,
            _to_param(-gsum * scale, s_mean) if needs[1] else None,
            _to_param(gxc * gamma * -0.5 * inv**3, s_var) if needs[2] else None,
            _to_param(gsum, s_beta) if needs[3] else None,
            _to_param(gxc * inv, s_gamma) if needs[4] else None)


def batch_norm(x, mean, variance, beta=None, gamma=None, epsilon=1e-3, axis=-1):
    """Batch normalization with given statistics (inference form), as keras.ops.batch_normalization.

    out = (x - mean) / sqrt(variance + epsilon) * gamma + beta, the per-feature vectors
    broadcast along `axis`.

    Args:
        x: Input of any rank.
        mean, variance: Per-feature statistics, shape (x.shape[axis],) (or a scalar).
        beta: Offset, same shape, or None (no offset: Keras' center=False).
        gamma: Scale, same shape, or None (no scale: Keras' scale=False).
        epsilon: Added to the variance. Keras' default 1e-3.
        axis: The feature axis. Default -1 (channels last).

    Returns:
        Tensor shaped like `x`.

    Gradient: with respect to x, mean, variance, beta and gamma.

    Example:
        >>> x = dw.tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> dw.nn.batch_norm(x, dw.tensor([2.0, 4.0]), dw.tensor([1.0, 4.0]), epsilon=0.0)
        tensor([[-1., -1.],
                [ 1.,  1.]])
    """
    gamma, beta = _defaults(x, gamma, beta)
    return _batch_norm(x, mean, variance, beta, gamma, epsilon=epsilon, axis=axis)


@primitive("batch_norm_train")
def _batch_norm_train(xp, x, gamma, beta, axis=-1, epsilon=1e-3, stats=None):
    where = "batch_norm_train"
    ax = normalize_axis(where, axis, x.ndim)
    axes = _other_axes(x.ndim, (ax,))
    gamma_b, beta_b = (_param(where, n, p, x, (ax,)) for n, p in (("gamma", gamma),
                                                                   ("beta", beta)))
    mean, centred, var = _moments(x, axes)
    inv = 1 / xp.sqrt(var + xp.asarray(epsilon, var.dtype))
    xhat = centred * inv
    if stats is not None:
        stats[:] = [mean.reshape(x.shape[ax]), var.reshape(x.shape[ax])]
    return xhat * gamma_b + beta_b, (xhat, inv, gamma_b, axes, gamma.shape, beta.shape,
                                     (x, gamma, epsilon, ax))


@_batch_norm_train.backward
def _batch_norm_train_backward(xp, g, saved, needs):
    xhat, inv, gamma, axes, s_gamma, s_beta, inputs = saved
    if xp is not np:  # create_graph: x_hat, 1/sigma and gamma rebuilt from the input Tensors
        x, gamma, epsilon, ax = inputs
        gamma = _param("batch_norm_train", "gamma", gamma, x, (ax,))
        _, centred, var = _moments(x, axes)
        inv = 1 / xp.sqrt(var + epsilon)
        xhat = centred * inv
    count = g.size // inv.size
    gsum = g.sum(axis=axes, keepdims=True)
    gxsum = (g * xhat).sum(axis=axes, keepdims=True)
    dx = None
    if needs[0]:
        # gamma is constant over the reduced axes, so mean(dx_hat) = gamma * mean(g) etc.
        dx = (gamma * inv) * (g - gsum / count - xhat * (gxsum / count))
    return (dx, _to_param(gxsum, s_gamma) if needs[1] else None,
            _to_param(gsum, s_beta) if needs[2] else None)


def batch_norm_train(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Batch normalization with the batch's own statistics (training mode), fused.

    mean and var are taken over every axis except `axis` (var biased: divided by the count, as
    Keras); out = (x - mean) / sqrt(var + epsilon) * gamma + beta. The gradient flows through
    the batch statistics (the exact training-mode backward). Use `batch_norm_train_with_stats`
    to also get mean and var, e.g. to update moving averages.

    Args:
        x: Input of any rank >= 1.
        gamma: Scale of shape (x.shape[axis],), or None (Keras' scale=False).
        beta: Offset of the same shape, or None (Keras' center=False).
        axis: The feature axis. Default -1.
        epsilon: Keras' default 1e-3.

    Returns:
        Tensor shaped like `x`.

    Gradient: with respect to x, gamma and beta.

    Example:
        >>> dw.nn.batch_norm_train(dw.tensor([[1.0], [3.0]]), epsilon=0.0).numpy().ravel()
        array([-1.,  1.], dtype=float32)
    """
    gamma, beta = _defaults(x, gamma, beta)
    return _batch_norm_train(x, gamma, beta, axis=axis, epsilon=epsilon)


def batch_norm_train_with_stats(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """`batch_norm_train` that also returns the batch statistics it used.

    Returns:
        (out, mean, var): `out` a Tensor (as `batch_norm_train`); `mean` and `var` plain arrays of
        shape (x.shape[axis],) in x's dtype, `var` biased (divided by the count, as Keras'
        BatchNormalization uses for its moving variance). They carry no gradient.
    """
    gamma, beta = _defaults(x, gamma, beta)
    stats = []
    out = _batch_norm_train(x, gamma, beta, axis=axis, epsilon=epsilon, stats=stats)
    return out, stats[0], stats[1]


@primitive("batch_norm_train_update", nin=5, mutates=(3, 4))
def _batch_norm_train_update(xp, x, gamma, beta, moving_mean, moving_variance, axis=-1,
                             epsilon=1e-3, momentum=0.99):
    # the update happens inside the op, so that a replayed recording (fit's compiled step)
    # repeats it with each step's statistics
    stats = []
    out, saved = _batch_norm_train.op.forward(xp, x, gamma, beta, axis=axis, epsilon=epsilon,
                                              stats=stats)
    mean, var = stats
    moving_mean[...] = moving_mean * momentum + mean * (1 - momentum)
    moving_variance[...] = moving_variance * momentum + var * (1 - momentum)
    return out, saved


@_batch_norm_train_update.backward
def _batch_norm_train_update_backward(xp, g, saved, needs):
    return (*_batch_norm_train_backward(xp, g, saved, needs[:3]), None, None)


def batch_norm_train_update(x, gamma, beta, moving_mean, moving_variance, momentum=0.99, axis=-1,
                            epsilon=1e-3):
    """`batch_norm_train`, and the moving statistics updated in place, as Keras'
    BatchNormalization does in training: moving = moving * momentum + batch * (1 - momentum)
    (the batch variance biased).

    Args:
        x, gamma, beta, axis, epsilon: As `batch_norm_train` (gamma and beta may be None).
        moving_mean, moving_variance: Variables (or float arrays) of shape (x.shape[axis],),
            changed in place.
        momentum: Keras' default 0.99.

    Returns:
        Tensor shaped like `x`.

    Gradient: with respect to x, gamma and beta (none for the moving statistics).
    """
    gamma, beta = _defaults(x, gamma, beta)
    return _batch_norm_train_update(x, gamma, beta, moving_mean, moving_variance, axis=axis,
                                    epsilon=epsilon, momentum=momentum)


# ----------------------------------------------------------------------------- layer norm

@primitive("layer_norm")
def _layer_norm(xp, x, gamma, beta, axis=-1, epsilon=1e-3):
    where = "layer_norm"
    axes = normalize_axes(where, axis, x.ndim)
    gamma_b, beta_b = (_param(where, n, p, x, axes) for n, p in (("gamma", gamma),
                                                                  ("beta", beta)))
    kernels = _layer_norm_kernels(xp, x, gamma, beta, axes)
    if kernels is not None:     # one pass per row (normalization_numba), same saved values
        n = x.shape[-1]
        out, xhat = xp.empty_like(x), xp.empty_like(x)
        inv = xp.empty(x.shape[:-1] + (1,), x.dtype)
        kernels.layer_norm_forward(x.reshape(-1, n), gamma.reshape(n), beta.reshape(n),
                                   x.dtype.type(epsilon), out.reshape(-1, n),
                                   xhat.reshape(-1, n), inv.reshape(-1))
    else:
        _, centred, var = _moments(x, axes)
        inv = 1 / xp.sqrt(var + xp.asarray(epsilon, var.dtype))
        xhat = centred * inv
        out = xhat * gamma_b + beta_b
    return out, (xhat, inv, gamma_b, axes, gamma.shape, beta.shape, (x, gamma, epsilon))


def _layer_norm_kernels(xp, x, gamma, beta, axes):
    """normalization_numba's kernels where they apply: NumPy float32, the last axis only,
    gamma and beta arrays with one entry per feature; else None (float64, as in gradcheck,
    keeps the NumPy path, the reference the kernels are tested against)."""
    if (xp is not np or axes != (x.ndim - 1,) or x.dtype != np.float32 or x.size == 0
            or not x.flags.c_contiguous or not isinstance(gamma, np.ndarray)
            or not isinstance(beta, np.ndarray) or gamma.dtype != x.dtype
            or beta.dtype != x.dtype or gamma.size != x.shape[-1]
            or beta.size != x.shape[-1]):
        return None
    return normalization_numba.load()


@_layer_norm.backward
def _layer_norm_backward(xp, g, saved, needs):
    xhat, inv, gamma, axes, s_gamma, s_beta, inputs = saved
    if xp is not np:  # create_graph: x_hat, 1/sigma and gamma rebuilt from the input Tensors
        x, gamma, epsilon = inputs
        gamma = _param("layer_norm", "gamma", gamma, x, axes)
        _, centred, var = _moments(x, axes)
        inv = 1 / xp.sqrt(var + epsilon)
        xhat = centred * inv
    elif (len(s_gamma) == len(s_beta) == 1 and g.shape == xhat.shape and g.dtype == xhat.dtype
          and inv.dtype == xhat.dtype and _layer_norm_kernels(xp, xhat, gamma, gamma, axes)):
        grads = _layer_norm_backward_compiled(g, xhat, inv, gamma)
        return tuple(gr if need else None for gr, need in zip(grads, needs, strict=True))
    dx = _norm_backward(g * gamma, xhat, inv, axes) if needs[0] else None
    return (dx, *_affine_grads(g, xhat, _other_axes(g.ndim, axes), needs, s_gamma, s_beta))


def _layer_norm_backward_compiled(g, xhat, inv, gamma):
    # all three gradients in one pass over the rows (normalization_numba)
    n = xhat.shape[-1]
    g = np.ascontiguousarray(g)     # may be a broadcast view
    dx, dgamma, dbeta = np.empty_like(xhat), np.empty(n, g.dtype), np.empty(n, g.dtype)
    normalization_numba.load().layer_norm_backward(
        g.reshape(-1, n), xhat.reshape(-1, n), inv.reshape(-1), gamma.reshape(n),
        dx.reshape(-1, n), dgamma, dbeta)
    return dx, dgamma, dbeta


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Layer normalization over `axis`, as Keras' LayerNormalization.

    mean and var (biased) over `axis` for every other index; out = (x - mean) /
    sqrt(var + epsilon) * gamma + beta.

    Args:
        x: Input of any rank.
        gamma: Scale with the shape of x along `axis` (Keras' param shape, e.g. (C,) for
            axis=-1, (H, W, C) for axis=(1, 2, 3)), or None.
        beta: Offset of the same shape, or None.
        axis: Int or tuple of ints. Default -1.
        epsilon: Keras' default 1e-3.

    Returns:
        Tensor shaped like `x`.

    Gradient: with respect to x, gamma and beta.

    Example:
        >>> dw.nn.layer_norm(dw.tensor([[1.0, 3.0]]), epsilon=0.0)
        tensor([[-1.,  1.]])
    """
    gamma, beta = _defaults(x, gamma, beta)
    return _layer_norm(x, gamma, beta, axis=axis, epsilon=epsilon)


# ----------------------------------------------------------------------------- group norm

@primitive("group_norm")
def _group_norm(xp, x, gamma, beta, groups=32, axis=-1, epsilon=1e-3):
    where = "group_norm"
    if x.ndim < 2:
        raise ValueError(f"{where}: expected an input of rank >= 2 (batch, ..., channels); got "
                         f"input shape {x.shape}.")
    ax = normalize_axis(where, axis, x.ndim)
    if ax == 0:
        raise ValueError(f"{where}: axis must not be the batch axis; expected a feature axis in "
                         f"1..{x.ndim - 1}, got axis={axis}.")
    c = x.shape[ax]
    if not isinstance(groups, int | np.integer) or groups < 1 or c % groups:
        raise ValueError(f"{where}: the channels must split into equal groups; expected groups "
                         f"to be a positive divisor of {c}, got groups={groups!r} for input shape "
                         f"{x.shape}.")
    gamma_b, beta_b = (_param(where, n, p, x, (ax,)) for n, p in (("gamma", gamma),
                                                                   ("beta", beta)))
    grouped = x.reshape(*x.shape[:ax], groups, c // groups, *x.shape[ax + 1:])
    axes = tuple(a for a in range(1, grouped.ndim) if a != ax)
    _, centred, var = _moments(grouped, axes)
    inv = 1 / xp.sqrt(var + xp.asarray(epsilon, var.dtype))
    xhat = (centred * inv).reshape(x.shape)
    return xhat * gamma_b + beta_b, (xhat, inv, gamma_b, ax, groups, gamma.shape, beta.shape,
                                     (x, gamma, epsilon))


@_group_norm.backward
def _group_norm_backward(xp, g, saved, needs):
    xhat, inv, gamma, ax, groups, s_gamma, s_beta, inputs = saved
    if xp is not np:  # create_graph: x_hat, 1/sigma and gamma rebuilt from the input Tensors
        x, gamma, epsilon = inputs
        gamma = _param("group_norm", "gamma", gamma, x, (ax,))
        grouped = x.reshape(*x.shape[:ax], groups, x.shape[ax] // groups, *x.shape[ax + 1:])
        _, centred, var = _moments(grouped, tuple(a for a in range(1, grouped.ndim) if a != ax))
        inv = 1 / xp.sqrt(var + epsilon)
        xhat = (centred * inv).reshape(x.shape)
    dx = None
    if needs[0]:
        shape = (*g.shape[:ax], groups, g.shape[ax] // groups, *g.shape[ax + 1:])
        axes = tuple(a for a in range(1, len(shape)) if a != ax)
        dx = _norm_backward((g * gamma).reshape(shape), xhat.reshape(shape), inv, axes)
        dx = dx.reshape(g.shape)
    return (dx, *_affine_grads(g, xhat, _other_axes(g.ndim, (ax,)), needs, s_gamma, s_beta))


def group_norm(x, groups=32, gamma=None, beta=None, epsilon=1e-3, axis=-1):
    """Group normalization, as Keras' GroupNormalization.

    The channels (along `axis`) are split into `groups` equal groups; each sample is normalized
    with the mean and (biased) variance of each group over its channels and all spatial
    positions, then scaled and shifted per channel.

    Args:
        x: (batch, ..., channels) (or channels at `axis`).
        groups: Number of groups; must divide the channels. Keras' default 32.
        gamma: Per-channel scale (channels,), or None.
        beta: Per-channel offset (channels,), or None.
        epsilon: Keras' default 1e-3.
        axis: The channel axis. Default -1.

    Returns:
        Tensor shaped like `x`.

    Gradient: with respect to x, gamma and beta.

    Example:
        >>> x = dw.tensor([[1.0, 3.0, 10.0, 30.0]])
        >>> dw.nn.group_norm(x, groups=2, epsilon=0.0).numpy()
        array([[-1.,  1., -1.,  1.]], dtype=float32)
    """
    gamma, beta = _defaults(x, gamma, beta)
    return _group_norm(x, gamma, beta, groups=groups, axis=axis, epsilon=epsilon)
