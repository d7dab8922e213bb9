"""Anomaly detection: name the first op whose forward or backward produces NaN or Inf.

While `detect_anomaly()` is active, `op.apply` checks every op's output (`check_forward`) and the
engine checks every gradient a backward rule returns (`check_backward`). The first non-finite value
raises `NonFiniteError` naming:

- the op (`log`, `exp`, `divide`, ...) and whether its forward or its backward failed;
- where it ran: the layer being called (`in layer 'dense' (model/dense)`: Keras layers push
  their name on `_context` in `Layer.__call__`), or a scope pushed with `scope(kind, name)` (the
  trainer pushes `('loss', name)` around the loss);
- the shapes and ranges (over the finite values) of the op's inputs, and how many values are not
  finite, so `log` of an input whose range is `[0, 1]` explains itself.

`fit(..., on_nonfinite='raise')` runs the training steps under `detect_anomaly` and prefixes the
message with the epoch and step.

NumPy's own floating-point warnings ("divide by zero encountered in log") are silenced while the
mode is on: the op check reports the same event with more context, and raising a RuntimeWarning
first (pytest's `-W error`) would hide the op's name.
"""

from __future__ import annotations

import weakref

import numpy as np

from deltaw.autograd import mode

__all__ = ["NonFiniteError", "detect_anomaly", "scope"]


class NonFiniteError(FloatingPointError):
    """An op produced NaN or Inf while `detect_anomaly` was active."""


# node -> (where, description of the forward inputs), for backward's message
_layer_of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# What is running, innermost last: layer names (str, pushed by keras Layer.__call__) and
# (kind, name) scopes pushed by `scope`.
_context: list = []
_last_inputs: list | None = None  # the inputs of the latest checked forward, read by `tag`


def _describe(arrays) -> str:
    parts = []
    for i, a in enumerate(arrays):
        text = f"input {i}: shape {a.shape}"
        if a.dtype.kind in "fiu" and a.size:
            finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
            text += (f", range [{finite.min():.4g}, {finite.max():.4g}]" if finite.size
                     else ", no finite values")
            if finite.size < a.size:
                text += f", {a.size - finite.size} non-finite"
        parts.append(text)
    return "; ".join(parts) if parts else "no inputs"


def _what(a: np.ndarray) -> str:
    """'NaN (2 of 6 values)', 'Inf', '-Inf' or 'NaN and Inf', with the count."""
    nan = int(np.isnan(a).sum())
    pos = int(np.isposinf(a).sum())
    neg = int(np.isneginf(a).sum())
    kinds = [k for k, n in (("NaN", nan), ("Inf", pos), ("-Inf", neg)) if n]
    return f"{' and '.join(kinds)} ({nan + pos + neg} of {a.size} values)"


def _where() -> str:
    if not _context:
        return ""
    top = _context[-1]
    if isinstance(top, tuple):
        return f" in {top[0]} '{top[1]}'"
    path = [e for e in _context if isinstance(e, str)]
    return f" in layer '{top}'" + (f" ({'/'.join(path)})" if len(path) > 1 else "")


def check_forward(op, out, arrays) -> None:
    """Raise NonFiniteError when `op`'s output holds NaN or Inf (called by `op.apply`)."""
    global _last_inputs
    _last_inputs = arrays
    if out.dtype.kind == "f" and not np.isfinite(out).all():
        raise NonFiniteError(f"{op.name}{_where()}: forward produced {_what(out)}; "
                             f"{_describe(arrays)}.")


def tag(node) -> None:
    """Remember where `node` was recorded and its inputs' ranges, for backward's message."""
    _layer_of[node] = (_where(), _describe(_last_inputs or ()))


def check_backward(node, grads) -> None:
    """Raise NonFiniteError when a gradient returned by `node`'s backward holds NaN or Inf."""
    for i, gp in enumerate(grads):
        gp = np.asarray(gp) if gp is not None else None   # a Tensor under create_graph
        if gp is not None and gp.dtype.kind == "f" and not np.isfinite(gp).all():
            where, inputs = _layer_of.get(node, ("", "inputs unknown"))
            raise NonFiniteError(f"{node.op.name}{where}: backward produced {_what(gp)} in the "
                                 f"gradient of input {i}; forward {inputs}.")


class scope:  # noqa: N801 - a context manager used like a function
    """Name what runs inside for anomaly messages: `with scope('loss', 'mse'): ...`.

    Only while `detect_anomaly` is on does it cost anything beyond a list append.
    """

    def __init__(self, kind: str, name: str):
        self._entry = (kind, name)

    def __enter__(self):
        _context.append(self._entry)
        return self

    def __exit__(self, *exc):
        _context.pop()
        return False


class detect_anomaly:  # noqa: N801 - named as in PyTorch
    """Check every op's output and gradients for NaN/Inf and raise naming the first culprit.

    A context manager: `with dw.detect_anomaly(): loss = model(x); dw.grad(loss, w)`. The error
    (`NonFiniteError`, a FloatingPointError) names the op, forward or backward, the layer or
    scope it ran in and its inputs' shapes and ranges. NumPy's divide/overflow/invalid warnings
    are silenced inside (the check reports the same events with the op's name).

    Slows every op down (each output is scanned, and each recorded node keeps a short text);
    use it to debug, not to train.

    Example:
        >>> with detect_anomaly():                                   # doctest: +SKIP
        ...     dw.log(dw.tensor([0.0, 1.0]))
        NonFiniteError: log: forward produced -Inf (1 of 2 values); input 0: shape (2,), ...
    """

    def __init__(self):
        self._saved = []

    def __enter__(self):
        errstate = np.errstate(divide="ignore", over="ignore", invalid="ignore")
        errstate.__enter__()
        self._saved.append((mode._anomaly, errstate))
        mode._anomaly = True
        return self

    def __exit__(self, *exc):
        global _last_inputs
        previous, errstate = self._saved.pop()
        mode._anomaly = previous
        errstate.__exit__(*exc)
        _last_inputs = None
        return False
