"""`diagnose(model, x, y)`: one forward and backward pass that reads the model's own gradients.

The probe changes nothing a later `fit` would see: every weight (trainable or not, so also
BatchNormalization's moving statistics), the optimizer's slots and `iterations`, the loss
trackers and every random stream (deltaw's, NumPy's global one, the layers' own generators)
are saved before and restored after. The update/weight ratio comes from one real step of the
compiled optimizer (so clipping, momentum, weight decay and the learning-rate schedule count),
applied to the saved state and then undone.

Each layer's output is captured by a wrapper around its `call` placed in the instance's
`__dict__` for the duration of the probe only (no structure change is recorded, so caches and
compiled steps stay valid); the loss's gradient with respect to those outputs is the error
signal reaching each layer.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from deltaw import random as dw_random
from deltaw.autograd.engine import grad as _grad
from deltaw.diagnostics import rules
from deltaw.diagnostics.diagnosis import Diagnosis, LayerReport, WeightReport
from deltaw.diagnostics.stats import ActivationStats, activation_kind
from deltaw.keras.layers import nest
from deltaw.keras.trainers.data_adapter import adapt, unpack_x_y_sample_weight
from deltaw.tensor import Tensor

__all__ = ["diagnose", "weight_gradients", "DEFAULT_BATCH", "MAX_BATCHES"]

DEFAULT_BATCH = 256
"""Samples per probe batch when `batch_size` is None: enough that a unit silent on all of them
is dead, not unlucky."""
MAX_BATCHES = 4
"""The probe reads at most this many batches (the first `MAX_BATCHES * batch_size` samples)."""


def diagnose(model, x, y=None, batch_size=None, sample_weight=None) -> Diagnosis:
    """Per-layer gradient, weight, update and activation statistics, and findings.

    Args:
        model: A compiled Model.
        x, y, sample_weight: Probe data, as for `evaluate` (arrays, or a generator/PyDataset
            whose first batch is used).
        batch_size: Samples per forward/backward pass; None means min(len(x), 256). At most
            4 batches are read.

    Returns:
        A `Diagnosis`; `model`, its optimizer and the random streams are left as they were.

    Raises:
        RuntimeError: the model is not compiled.
        ValueError: bad data (as `evaluate`), a bad batch_size, or no trainable weights.
    """
    if not getattr(model, "compiled", False):
        raise RuntimeError("diagnose: the model must be compiled first (the diagnosis needs its "
                           "loss and optimizer); call model.compile(optimizer, loss).")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
            batch_size, int | np.integer) or batch_size <= 0):
        raise ValueError(f"diagnose: batch_size must be a positive int or None; got "
                         f"batch_size={batch_size!r}.")
    data = adapt("diagnose", x, y, sample_weight)
    model._prepare("diagnose", data)
    if not model.trainable_variables:
        raise ValueError(f"diagnose: model '{model.name}' has no trainable weights; expected "
                         "at least one (there is no gradient to read).")
    _build_optimizer(model)
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    probe = _Probe(model, layers)
    with _state_preserved(model):
        for batch in _batches(data, batch_size):
            probe.run(batch)
        updates = _one_step_updates(model, probe.mean_grads())
    reports = probe.reports(updates)
    return Diagnosis(reports, rules.find(reports, probe.loss), probe.loss, probe.samples)


def weight_gradients(model, x, y=None, sample_weight=None) -> list:
    """`[(variable, gradient array or None)]` of the training loss on the batch `x, y`, for
    every trainable variable; like `diagnose`, it leaves the model and random streams as
    they were."""
    data = adapt("weight_gradients", x, y, sample_weight)
    model._prepare("weight_gradients", data)
    probe = _Probe(model, [])
    with _state_preserved(model):
        probe.run(_batches(data, None)[0])
    return list(zip(probe.variables, probe.mean_grads()))


def _batches(data, batch_size):
    if data.num_samples is None:        # a generator or PyDataset: its first batch
        return [data.first]
    n = data.num_samples
    size = min(n, DEFAULT_BATCH) if batch_size is None else int(batch_size)
    return [data.take(slice(start, min(start + size, n)))
            for start in range(0, min(n, size * MAX_BATCHES), size)]


def _build_optimizer(model):
    # Build as the first fit step would (same variables, zero slots): the step below then runs
    # on state that can be saved and restored exactly.
    opt = model.optimizer
    if opt is not None and not getattr(opt, "built", True):
        opt.build(model.trainable_variables)


class _Probe:
    """Runs the forward/backward passes and accumulates per-layer numbers over batches."""

    def __init__(self, model, layers):
        self.model, self.layers = model, layers
        self.variables = list(model.trainable_variables)
        self.grad_sums = [None] * len(self.variables)
        self.weight_nonfinite = [_weights_nonfinite(layer) for layer in layers]
        self.error_sq = [0.0] * len(layers)
        self.error_seen = [False] * len(layers)
        self.error_nonfinite = [False] * len(layers)
        self.kinds = [activation_kind(layer) for layer in layers]
        self.acts = [ActivationStats(kind) for kind in self.kinds]
        self.is_output = [False] * len(layers)
        self.loss_sum, self.samples = 0.0, 0

    def run(self, batch):
        x, y, sw = unpack_x_y_sample_weight(batch)
        captured = {}
        with _capturing(self.layers, captured), np.errstate(all="ignore"):
            y_pred = self.model(x, training=True)
            loss = self.model._compute_loss(x, y, y_pred, sw, training=True)
            outputs = [captured.get(id(layer)) for layer in self.layers]
            linked = [o for o in outputs if o is not None and o._node is not None]
            grads = _grad(loss, self.variables + linked)
        n = _batch_size(x)
        self.samples += n
        self.loss_sum += float(loss.data) * n
        self._add_grads(grads[:len(self.variables)], n)
        errors = dict(zip((id(o) for o in linked), grads[len(self.variables):]))
        predicted = {id(t) for t in nest.flatten(y_pred) if isinstance(t, Tensor)}
        for i, out in enumerate(outputs):
            if out is None:
                continue
            self.is_output[i] = self.is_output[i] or id(out) in predicted
            with np.errstate(all="ignore"):
                self.acts[i].add(out.data)
            g = errors.get(id(out))
            if g is not None:
                sq = _sum_sq(g.data)
                self.error_nonfinite[i] |= not math.isfinite(sq)
                self.error_sq[i] += sq
                self.error_seen[i] = True

    def _add_grads(self, grads, n):
        for k, g in enumerate(grads):
            if g is None:
                continue
            g = g.data.astype(np.float64) * n
            self.grad_sums[k] = g if self.grad_sums[k] is None else self.grad_sums[k] + g

    def mean_grads(self):
        return [None if g is None else g / self.samples for g in self.grad_sums]

    @property
    def loss(self) -> float:
        return self.loss_sum / self.samples if self.samples else float("nan")

    def reports(self, updates):
        grads = {id(v): g for v, g in zip(self.variables, self.mean_grads())}
        out = []
        for i, layer in enumerate(self.layers):
            r = LayerReport(layer.name, type(layer).__name__, self.kinds[i][0])
            r.output = self.is_output[i]
            r.lookup = _is_lookup(layer)
            r.weights = [_weight_report(v, grads.get(id(v)), updates)
                         for v in layer.trainable_weights]
            _summarize_weights(r)
            if self.error_seen[i]:
                r.error_norm = math.sqrt(self.error_sq[i] / max(1, self.samples))
            self.acts[i].fill(r)
            r.nonfinite = _first_nonfinite(self.weight_nonfinite[i], self.acts[i].nonfinite, r,
                                           self.error_nonfinite[i])
            out.append(r)
        return out


def _is_lookup(layer) -> bool:
    """Whether every trainable weight of `layer` is an Embedding's table (also inside a
    composite layer, as a token-and-position embedding)."""
    tables = {id(w) for sub in layer._flatten_layers() if type(sub).__name__ == "Embedding"
              for w in sub.trainable_weights}
    return bool(tables) and all(id(w) in tables for w in layer.trainable_weights)


def _batch_size(x) -> int:
    while isinstance(x, list | tuple | dict):
        x = next(iter(x.values())) if isinstance(x, dict) else x[0]
    return int(np.shape(x)[0])


def _sum_sq(a) -> float:
    flat = np.asarray(a, dtype=np.float64).reshape(-1)
    return float(np.dot(flat, flat))


def _norm(a) -> float:
    return math.sqrt(_sum_sq(a))


def _weights_nonfinite(layer) -> bool:
    return any(not np.isfinite(w.data).all() for w in layer.weights
               if w.data.dtype.kind == "f")


def _first_nonfinite(weights_bad, activations_bad, r, errors_bad):
    if weights_bad:
        return "weights"
    if activations_bad:
        return "activations"
    if errors_bad or any(w.grad_norm is not None and not math.isfinite(w.grad_norm)
                         for w in r.weights):
        return "gradients"
    return None


def _weight_report(v, g, updates):
    name = getattr(v, "path", None) or v.name or "weight"
    w_norm = _norm(v.data)
    g_norm = None if g is None else _norm(g)
    delta = None if updates is None else updates.get(id(v))
    u_norm = None if delta is None else _norm(delta)
    ratio = u_norm / w_norm if u_norm is not None and w_norm > 0 else None
    return WeightReport(name, tuple(v.data.shape), w_norm, g_norm, u_norm, ratio)


def _summarize_weights(r):
    """The layer's combined norms over its weights (the update ratio over those that moved)."""
    ws = r.weights
    if not ws:
        return
    r.weight_norm = math.sqrt(sum(w.weight_norm ** 2 for w in ws))
    with_grad = [w for w in ws if w.grad_norm is not None]
    if with_grad:
        r.grad_norm = math.sqrt(sum(w.grad_norm ** 2 for w in with_grad))
        size = sum(int(np.prod(w.shape)) for w in with_grad)
        r.grad_rms = r.grad_norm / math.sqrt(max(1, size))
    moved = [w for w in ws if w.update_norm is not None]
    w2 = sum(w.weight_norm ** 2 for w in moved)
    if moved and w2 > 0:
        r.update_ratio = math.sqrt(sum(w.update_norm ** 2 for w in moved) / w2)


# ----------------------------------------------------------------------------- capture
@contextlib.contextmanager
def _capturing(layers, captured):
    """Record each layer's first output of this forward pass in `captured[id(layer)]`."""
    for layer in layers:
        layer.__dict__["call"] = _recorder(layer, layer.call, captured)
    try:
        yield
    finally:
        for layer in layers:
            layer.__dict__.pop("call", None)


def _recorder(layer, call, captured):
    def call_and_record(*args, **kwargs):
        out = call(*args, **kwargs)
        first = next((t for t in nest.flatten(out) if isinstance(t, Tensor)), None)
        if first is not None and id(layer) not in captured:
            captured[id(layer)] = first
        return out
    return call_and_record


# ----------------------------------------------------------------------------- one step
def _one_step_updates(model, grads):
    """`{id(variable): Δw}` of one step of the compiled optimizer with `grads` (undone by the
    caller's state restore); None when no step can be taken (no optimizer, non-finite
    gradients, or gradient accumulation, whose step would not move the weights)."""
    opt = model.optimizer
    if opt is None or getattr(opt, "gradient_accumulation_steps", None):
        return None
    pairs = [(g, v) for g, v in zip(grads, model.trainable_variables) if g is not None]
    if not pairs or not all(np.isfinite(g).all() for g, _ in pairs):
        return None
    before = [v.data.copy() for _, v in pairs]
    with np.errstate(all="ignore"):
        opt.apply([g.astype(v.data.dtype) for g, v in pairs], [v for _, v in pairs])
    return {id(v): v.data.astype(np.float64) - b for (_, v), b in zip(pairs, before)}


# ----------------------------------------------------------------------------- state
@contextlib.contextmanager
def _state_preserved(model):
    """Restore weights, optimizer state, loss trackers and random streams on exit."""
    variables = list(model.weights)
    opt = model.optimizer
    if opt is not None:
        variables += [v for v in getattr(opt, "variables", []) if isinstance(v, Tensor)]
    arrays = [(v, v.data, v.data.copy()) for v in _unique(variables)]
    trackers = [(t, t.total, t.count) for t in _trackers(model)]
    rng = _rng_state(model)
    try:
        yield
    finally:
        for v, original, saved in arrays:
            np.copyto(original, saved)
            if v.data is not original:
                v.data = original
            v._version += 1
        for t, total, count in trackers:
            t.total, t.count = total, count
        _restore_rng(rng)


def _unique(variables):
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _trackers(model):
    out = [model._loss_tracker] if model._loss_tracker is not None else []
    if model._compile_loss is not None:
        out += list(model._compile_loss.metrics)
    return [t for t in out if hasattr(t, "total") and hasattr(t, "count")]


def _rng_state(model):
    """Every random stream a training forward pass may draw from."""
    streams = []
    for layer in model._flatten_layers():
        for value in list(layer.__dict__.values()):
            if isinstance(value, np.random.Generator):
                streams.append((value.bit_generator, value.bit_generator.state))
            elif type(value).__name__ == "SeedGenerator":
                streams.append((value.state, value.state.data.copy()))
    return dw_random.get_state(), np.random.get_state(), streams


def _restore_rng(state):
    own, legacy, streams = state
    dw_random.set_state(own)
    np.random.set_state(legacy)
    for holder, saved in streams:
        if isinstance(saved, np.ndarray):
            np.copyto(holder.data, saved)
        else:
            holder.state = saved
