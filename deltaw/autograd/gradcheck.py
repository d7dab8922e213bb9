"""gradcheck: compare backpropagated gradients with central finite differences in float64."""

from __future__ import annotations

import numpy as np

from deltaw.autograd import engine, mode


class GradcheckError(AssertionError):
    """Backpropagated and finite-difference gradients disagree."""


def _scalarize(out, weights):
    # A fixed random weighting turns a tensor output into a scalar; checking d(sum(w*out))/dx
    # tests a random combination of every row of the Jacobian at the cost of one backward.
    return (out.data.astype(np.float64) * weights).sum()


def gradcheck(fn, inputs, *args, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, **kwargs) -> bool:
    """Check `fn`'s gradients with respect to every input that requires grad.

    Inputs are converted to float64 copies. Returns True, or raises GradcheckError naming the
    input, the worst element's index, and the backprop and finite-difference values.

    `dw.gradcheck(model, x, y)`: for a compiled deltaw.keras model, checks every trainable
    weight's gradient of the compiled loss along random directions instead (the same as
    `model.check_gradients(x, y, ...)`; further arguments go to it).

    Example:
        >>> x = dw.tensor([0.5, 1.5], requires_grad=True)
        >>> dw.gradcheck(dw.tanh, [x])
        True
    """
    if callable(getattr(fn, "check_gradients", None)):  # a model (autograd never imports keras)
        return fn.check_gradients(inputs, *args, seed=seed, **kwargs)
    if args or kwargs:
        raise TypeError(f"gradcheck: unexpected arguments {args or ''}{kwargs or ''}; expected "
                        "gradcheck(fn, inputs, eps=..., atol=..., rtol=..., seed=...).")
    inputs = [_as_float64(t) for t in (inputs if isinstance(inputs, list | tuple) else [inputs])]
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad; "
                         "set requires_grad=True on at least one.")
    out = fn(*inputs)
    if not isinstance(out, Tensor) or out.data.dtype.kind != "f":
        raise TypeError(f"gradcheck: fn must return a floating Tensor; got {type(out).__name__}.")
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, out.shape)
    if out._node is None:
        raise GradcheckError("gradcheck: fn's output does not depend on any input that "
                             "requires grad.")
    analytic = engine.grad((out.astype(np.float64) * Tensor(weights)).sum(),
                           [inputs[i] for i in wrt])
    for i, g in zip(wrt, analytic):
        x = inputs[i]
        numeric = _finite_differences(fn, inputs, x, weights, eps)
        got = np.zeros_like(x.data) if g is None else g.data
        _compare(i, got, numeric, atol, rtol)
    return True


def _as_float64(t):
    if isinstance(t, Tensor) and t.data.dtype.kind == "f":
        # a C-ordered copy: finite differences perturb it through a flat view, and reshape(-1)
        # of a transposed array would be a copy, silently giving zero differences
        return Tensor(t.data.astype(np.float64, order="C"), requires_grad=t.requires_grad)
    return t


def _finite_differences(fn, inputs, x, weights, eps):
    numeric = np.zeros_like(x.data)
    flat, out_flat = x.data.reshape(-1), numeric.reshape(-1)
    with mode.no_grad():
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = _scalarize(fn(*inputs), weights)
            flat[k] = orig - eps
            minus = _scalarize(fn(*inputs), weights)
            flat[k] = orig
            out_flat[k] = (plus - minus) / (2 * eps)
    return numeric


def _compare(i, got, numeric, atol, rtol):
    if got.shape != numeric.shape:
        raise GradcheckError(f"gradcheck: input {i}: gradient has shape {got.shape}, "
                             f"expected the input's shape {numeric.shape}.")
    excess = np.abs(got - numeric) - (atol + rtol * np.abs(numeric))
    if got.size and (excess.max() > 0 or not np.isfinite(got).all()):
        bad = np.where(np.isfinite(got), excess, np.inf)
        idx = np.unravel_index(int(np.argmax(bad)), got.shape)
        raise GradcheckError(
            f"gradcheck: input {i}, element {tuple(int(j) for j in idx)}: backprop gives "
            f"{got[idx]:.8g}, finite differences give {numeric[idx]:.8g} "
            f"(atol={atol}, rtol={rtol}).")


from deltaw.tensor import Tensor  # noqa: E402
