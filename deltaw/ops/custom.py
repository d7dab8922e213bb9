"""custom_gradient: a function whose backward rule the user writes (keras.ops.custom_gradient,
tf.custom_gradient)."""

from __future__ import annotations

import functools

import numpy as np

from deltaw.autograd import mode
from deltaw.autograd.op import primitive
from deltaw.tensor import Tensor


@primitive("custom_gradient")
def _apply_custom(xp, *arrays, fn):
    # Runs the user's forward without recording: its own ops are replaced by the user's rule.
    with mode.no_grad():
        out, grad_fn = fn(*(Tensor(a) for a in arrays))
    if not isinstance(out, Tensor):
        raise TypeError(f"custom_gradient: the function must return (Tensor, grad_fn); got "
                        f"{type(out).__name__} as its first result.")
    if not callable(grad_fn):
        raise TypeError(f"custom_gradient: the function must return (Tensor, grad_fn) with a "
                        f"callable grad_fn; got {type(grad_fn).__name__}.")
    return out.data, (grad_fn, len(arrays), fn, arrays)


@_apply_custom.backward
def _custom_gradient_backward(xp, g, saved, needs):
    grad_fn, n, fn, inputs = saved
    if xp is not np:  # create_graph: the user's function again, on the inputs' graph Tensors,
        # so that its grad_fn closes over them and the gradients it returns are recorded
        with mode.enable_grad():
            _, graph_grad_fn = fn(*(x if isinstance(x, Tensor) else Tensor(x) for x in inputs))
            grads = graph_grad_fn(g)
        return _checked(grads, n, needs, lambda gi: gi)
    # the user's rule: grad_fn(upstream) -> one gradient per input
    with mode.no_grad():
        grads = grad_fn(Tensor(g))
    return _checked(grads, n, needs, lambda gi: gi.data if isinstance(gi, Tensor) else
                    xp.asarray(gi))


def _checked(grads, n, needs, convert):
    grads = tuple(grads) if isinstance(grads, list | tuple) else (grads,)
    if len(grads) != n:
        raise ValueError(f"custom_gradient: grad_fn must return one gradient per input; expected "
                         f"{n}, got {len(grads)}.")
    return tuple(None if gi is None or not need else convert(gi)
                 for gi, need in zip(grads, needs, strict=True))


def custom_gradient(f):
    """Decorate `f(*tensors) -> (output, grad_fn)` so that backward uses `grad_fn`.

    `grad_fn(upstream)` receives the output's gradient as a Tensor and returns one gradient per
    positional input (a Tensor, or a tuple of them). Every positional argument of the decorated
    function is an input; `f`'s own ops are not recorded.

    Example:
        >>> @dw.ops.custom_gradient
        ... def double_grad_square(x):
        ...     return x * x, lambda g: g * 4 * x
        >>> x = dw.tensor([1.0, 2.0], requires_grad=True)
        >>> double_grad_square(x).sum().backward()
        >>> x.grad
        tensor([4., 8.])
    """

    @functools.wraps(f)
    def wrapped(*args):
        return _apply_custom(*args, fn=f)

    return wrapped
