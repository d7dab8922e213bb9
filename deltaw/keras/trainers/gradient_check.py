"""Model-level gradient check: `model.check_gradients(x, y)` (also `dw.gradcheck(model, x, y)`).

Each trainable weight's gradient of the compiled loss is compared with central finite differences
in float64 along a few random unit directions: for a direction d of weight w,

    finite differences:  (L(w + eps d) - L(w - eps d)) / (2 eps)      (two forward passes)
    backprop:            <dL/dw, d>                                    (one backward, shared)

so the cost is two forward passes per direction and weight, however large the weight. Checking
each weight along its own directions is what lets a failure name the layer and weight whose
backward rule is wrong. The model runs on float64 copies of its weights (and in float64 compute)
and is restored afterwards, bit for bit.
"""

from __future__ import annotations

import contextlib

import numpy as np

from deltaw.autograd.engine import grad as _grad
from deltaw.autograd.gradcheck import GradcheckError
from deltaw.autograd.mode import no_grad
from deltaw.tensor import Tensor

__all__ = ["check_gradients"]


def check_gradients(model, x, y=None, sample_weight=None, directions=3, eps=1e-6, rtol=1e-4,
                    atol=1e-7, seed=0, training=False) -> bool:
    """Compare every trainable weight's gradient of the compiled loss with finite differences.

    Args:
        model: A compiled model (its loss is `compute_loss`: the compiled loss plus
            `model.losses`).
        x, y, sample_weight: One batch (arrays or Tensors).
        directions: Random unit directions per weight.
        eps: Step of the central differences (in float64).
        rtol, atol: The directional derivatives agree when
            |backprop - fd| <= atol + rtol * max(|backprop|, |fd|).
        seed: Seed of the directions.
        training: The `training` flag of the forward passes. False by default: dropout and
            other random layers would make the loss differ between the passes.

    Returns:
        True.

    Raises:
        GradcheckError: naming the layer and weight, the direction and both values.
        ValueError: the model has no trainable weights or no loss.
    """
    if not getattr(model, "built", False):
        with no_grad():
            model(_as_float(x), training=training)
    variables = list(model.trainable_variables)
    if not variables:
        raise ValueError(f"check_gradients: model '{model.name}' has no trainable weights; "
                         "expected at least one.")
    owners = _owners(model)
    rng = np.random.default_rng(seed)
    with _float64(model):
        x64, y64 = _as_float(x), _as_float(y)

        def loss():
            y_pred = model(x64, training=training)
            return model._compute_loss(x64, y64, y_pred, sample_weight, training=training)

        grads = _grad(loss(), variables)
        for v, g in zip(variables, grads, strict=True):
            analytic_grad = np.zeros(v.shape) if g is None else g.data
            for k in range(directions):
                d = rng.standard_normal(v.shape)
                d /= np.linalg.norm(d) or 1.0
                numeric = _directional(loss, v, d, eps)
                analytic = float((analytic_grad * d).sum())
                if not abs(analytic - numeric) <= atol + rtol * max(abs(analytic), abs(numeric)):
                    layer, name = owners.get(id(v), ("?", v.name))
                    raise GradcheckError(
                        f"check_gradients: layer '{layer}', weight '{name}' of shape {v.shape}: "
                        f"along random direction {k}, backprop gives {analytic:.10g}, finite "
                        f"differences give {numeric:.10g} (rtol={rtol}, atol={atol}). The "
                        f"backward rule of an op in layer '{layer}' is likely wrong.")
    return True


def _directional(loss, v, d, eps) -> float:
    """(L(v + eps d) - L(v - eps d)) / (2 eps), restoring v."""
    original = v.data
    values = []
    with no_grad():
        for sign in (1.0, -1.0):
            _set(v, original + sign * eps * d)
            values.append(float(loss().data))
    _set(v, original)
    return (values[0] - values[1]) / (2 * eps)


def _set(v, data):
    v.data = data
    v._version += 1  # anything cached on the weight's version is recomputed


def _as_float(value):
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    if isinstance(value, dict):
        return {k: _as_float(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_as_float(v) for v in value)
    return value


def _owners(model) -> dict:
    """id(variable) -> (layer name, weight name), for the innermost layer that created it."""
    owners = {}
    for layer in model._flatten_layers():
        for v in layer._trainable_variables:
            owners[id(v)] = (layer.name, (v.name or "?").split("/")[-1])
    return owners


@contextlib.contextmanager
def _float64(model):
    """Every floating weight as a float64 copy and every layer computing in float64, then the
    original arrays and dtypes back."""
    layers = list(model._flatten_layers())
    dtypes = [layer.__dict__.get("_np_dtype") for layer in layers]
    weights = [v for v in model.weights if v.data.dtype.kind == "f"]
    originals = [v.data for v in weights]
    try:
        for layer, dt in zip(layers, dtypes, strict=True):
            if dt is not None and dt.kind == "f":
                layer.__dict__["_np_dtype"] = np.dtype(np.float64)
        for v in weights:
            _set(v, v.data.astype(np.float64))
        yield
    finally:
        for layer, dt in zip(layers, dtypes, strict=True):
            if dt is not None:
                layer.__dict__["_np_dtype"] = dt
        for v, data in zip(weights, originals, strict=True):
            _set(v, data)
