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


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0) -> bool:
    """Check second derivatives: the gradient of `fn`'s gradient, as torch.autograd.gradgradcheck.

    With a random seed `v` for `fn`'s output and random probes `p_i`, the first-order gradients
    `G_i = d<v, fn(x)>/dx_i` are taken with create_graph=True, and the gradient of
    `s = sum_i <p_i, G_i>` with respect to every input and to `v` is compared with central
    finite differences of `s` computed by first-order backward passes, in float64. Returns True
    or raises GradcheckError naming the input (or "the output gradient") and both values.

    Example:
        >>> x = dw.tensor([0.5, 1.5], requires_grad=True)
        >>> dw.gradgradcheck(dw.tanh, [x])
        True
    """
    inputs = [_as_float64(t) for t in (inputs if isinstance(inputs, list | tuple) else [inputs])]
    wrt = [inputs[i] for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradgradcheck: no input requires grad; "
                         "set requires_grad=True on at least one.")
    rng = np.random.default_rng(seed)
    out = fn(*inputs)
    if not isinstance(out, Tensor) or out.data.dtype.kind != "f":
        raise TypeError(f"gradgradcheck: fn must return a floating Tensor; got "
                        f"{type(out).__name__}.")
    v = Tensor(rng.uniform(0.5, 1.5, out.shape), requires_grad=True)
    probes = [rng.uniform(0.5, 1.5, x.shape) for x in wrt]

    def s(create_graph):
        grads = engine.grad(fn(*inputs).astype(np.float64), wrt, grad_outputs=v,
                            create_graph=create_graph)
        terms = [(g * Tensor(p)).sum() for g, p in zip(grads, probes, strict=True)
                 if g is not None]
        total = terms[0] if terms else Tensor(np.zeros(()))
        for term in terms[1:]:
            total = total + term
        return total

    total = s(True)
    targets = [*wrt, v]
    analytic = (engine.grad(total, targets) if total.requires_grad else [None] * len(targets))
    for k, (x, g) in enumerate(zip(targets, analytic, strict=True)):
        numeric = _differences(lambda: float(s(False).data), x, eps)
        got = np.zeros_like(x.data) if g is None else g.data
        which = "the output gradient" if k == len(wrt) else k
        _compare(which, got, numeric, atol, rtol, "gradgradcheck")
    return True


def _differences(scalar, x, eps):
    """Central differences of `scalar()` with respect to each element of `x` (changed in place)."""
    numeric = np.zeros_like(x.data)
    flat, out_flat = x.data.reshape(-1), numeric.reshape(-1)
    for k in range(flat.size):
        orig = flat[k]
        flat[k] = orig + eps
        plus = scalar()
        flat[k] = orig - eps
        minus = scalar()
        flat[k] = orig
        out_flat[k] = (plus - minus) / (2 * eps)
    return numeric


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


def _compare(i, got, numeric, atol, rtol, where="gradcheck"):
    if got.shape != numeric.shape:
        raise GradcheckError(f"{where}: input {i}: gradient has shape {got.shape}, "
                             f"expected the input's shape {numeric.shape}.")
    excess = np.abs(got - numeric) - (atol + rtol * np.abs(numeric))
    if got.size and (excess.max() > 0 or not np.isfinite(got).all()):
        bad = np.where(np.isfinite(got), excess, np.inf)
        idx = np.unravel_index(int(np.argmax(bad)), got.shape)
        raise GradcheckError(
            f"{where}: input {i}, element {tuple(int(j) for j in idx)}: backprop gives "
            f"{got[idx]:.8g}, finite differences give {numeric[idx]:.8g} "
            f"(atol={atol}, rtol={rtol}).")


from deltaw.tensor import Tensor  # noqa: E402
