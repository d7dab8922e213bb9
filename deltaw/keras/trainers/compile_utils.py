"""What `compile()` arguments become: the optimizer, the loss of each output and the metrics.

String identifiers resolve through the `get()` of the optimizers, losses and metrics modules; an
unknown name is reported as `compile: <their message>`. Two names depend on the data and are
resolved on the first batch, with Keras 3's rule (`keras.src.trainers.compile_utils`):

- `'accuracy'`/`'acc'` becomes BinaryAccuracy when the output's last axis is 1, else
  SparseCategoricalAccuracy when the targets have fewer axes than the output or a last axis of
  1, else CategoricalAccuracy. The metric keeps the name the user wrote.
- `'crossentropy'`/`'ce'` becomes binary, sparse categorical or categorical cross-entropy by the
  same rule.

Several outputs take a loss per output (a list in output order or a dict keyed by output name;
one loss for all outputs otherwise), optional `loss_weights` of the same form, and log each
output's unweighted loss as `<output_name>_loss` next to the weighted total `loss`.
"""

from __future__ import annotations

import difflib

import numpy as np

from deltaw._checks import truncate
from deltaw.tensor import Tensor

__all__ = [
    "CompileLoss",
    "CompileMetrics",
    "MeanTracker",
    "check_loss_identifier",
    "check_metric_identifiers",
    "flatten_outputs",
    "get_loss",
    "get_metric",
    "is_binary_or_sparse_categorical",
    "resolve_optimizer",
]

_ACCURACY = ("accuracy", "acc")
_CROSSENTROPY = ("crossentropy", "ce")


def _module(name):
    import importlib

    return importlib.import_module(f"deltaw.keras.{name}")


def _resolve(module: str, identifier):
    """`deltaw.keras.<module>.get(identifier)`, with 'compile:' put before a ValueError message.

    For an unknown name the message suggests the closest known names and lists at most 12.
    """
    try:
        return _module(module).get(identifier)
    except ValueError as e:
        msg = str(e)
        mod = _module(module)
        known = sorted(getattr(mod, "_BY_NAME", None) or (), key=str.lower)
        if isinstance(identifier, str) and msg.startswith("unknown") and known:
            extra = [*getattr(mod, "_SHAPE_DEPENDENT", ())]   # 'accuracy', resolved by compile
            close = difflib.get_close_matches(identifier, extra + known, n=3, cutoff=0.6)
            msg = (msg.split(". Known:")[0] + "."
                   + (f" Did you mean {' or '.join(map(repr, close))}?" if close else "")
                   + f" Known: {truncate(known, 12)}.")
        raise ValueError(msg if msg.startswith("compile:") else f"compile: {msg}") from None


def resolve_optimizer(identifier):
    """An optimizer instance from a name, a config dict or an instance (used as is)."""
    if isinstance(identifier, str | dict) or identifier is None:
        return _resolve("optimizers", identifier)
    if not hasattr(identifier, "apply"):
        raise TypeError(f"compile: optimizer must be a name, a config dict or an Optimizer; got "
                        f"{type(identifier).__name__}.")
    return identifier


# ----------------------------------------------------------------------------- the shape rule
def is_binary_or_sparse_categorical(y_true, y_pred) -> tuple[bool, bool]:
    """Keras 3's rule: `(output's last axis is 1, labels are sparse class ids)`."""
    t_shape, p_shape = np.shape(y_true), tuple(y_pred.shape)
    t_last = t_shape[-1] if t_shape else 1
    is_binary = p_shape[-1] == 1
    is_sparse = len(t_shape) < len(p_shape) or (t_last == 1 and p_shape[-1] > 1)
    return is_binary, is_sparse


# ----------------------------------------------------------------------------- trackers
class MeanTracker:
    """A running weighted mean (Keras' `Mean` metric) kept in two Python floats.

    Used for the `loss` entry and the per-output losses: `update_state(value, sample_weight=n)`
    with the batch size as weight gives the epoch's mean over samples, as Keras reports it.
    """

    def __init__(self, name="loss"):
        self.name = name
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        if isinstance(values, Tensor):
            values = values.data
        w = 1.0 if sample_weight is None else float(sample_weight)
        self.total += float(values) * w
        self.count += w

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    @property
    def variables(self):
        return []

    def __repr__(self):
        return f"<MeanTracker name={self.name!r} result={self.result():.6g}>"


# ----------------------------------------------------------------------------- outputs
def flatten_outputs(value, output_names, num_outputs, what="y"):
    """A list with one entry per model output from a single value, a list/tuple or a dict."""
    if isinstance(value, dict):
        names = list(output_names or [])
        missing = [n for n in names if n not in value]
        if not names or missing or len(value) != len(names):
            raise ValueError(f"fit: {what} is a dict with keys {sorted(value)}; expected one "
                             f"entry per model output: {names}.")
        return [value[n] for n in names]
    if isinstance(value, list | tuple):
        if len(value) != num_outputs:
            raise ValueError(f"fit: {what} has {len(value)} entries; expected one per model "
                             f"output ({num_outputs}).")
        return list(value)
    if num_outputs != 1:
        raise ValueError(f"fit: the model has {num_outputs} outputs but {what} is a single "
                         f"array; expected a list or dict of {num_outputs} arrays.")
    return [value]


def _pred_list(y_pred, output_names):
    """The model's outputs as a list, in `output_names` order for a dict."""
    if isinstance(y_pred, dict):
        names = output_names if output_names and set(output_names) == set(y_pred) else sorted(
            y_pred)
        return [y_pred[n] for n in names], list(names)
    if isinstance(y_pred, list | tuple):
        names = list(output_names) if output_names and len(output_names) == len(y_pred) else [
            f"output_{i + 1}" for i in range(len(y_pred))]
        return list(y_pred), names
    return [y_pred], [output_names[0] if output_names else None]


def _per_output(spec, names, what):
    """Spread a compile() argument over the outputs: one value for all, a list, or a dict."""
    n = len(names)
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise ValueError(f"compile: {what} has keys {unknown} that are not output names; "
                             f"expected keys among {names}.")
        return [spec.get(name) for name in names]
    if isinstance(spec, list | tuple) and n > 1:
        if len(spec) != n:
            raise ValueError(f"compile: {what} has {len(spec)} entries; expected one per model "
                             f"output ({n}: {names}).")
        return list(spec)
    if isinstance(spec, list | tuple) and len(spec) == 1:
        return list(spec)
    return [spec] * n


# ----------------------------------------------------------------------------- losses
def check_loss_identifier(identifier):
    """Resolve a loss identifier at compile time (so unknown names fail early)."""
    if identifier is None or (isinstance(identifier, str)
                              and identifier.lower() in _CROSSENTROPY):
        return identifier
    if isinstance(identifier, str | dict):
        return _resolve("losses", identifier)
    if not callable(identifier):
        raise TypeError(f"compile: loss must be a name, a Loss or a function "
                        f"loss(y_true, y_pred); got {type(identifier).__name__}.")
    return identifier


def get_loss(identifier, y_true, y_pred):
    """A Loss object for one output (`losses.get` wraps functions with Keras' reduction)."""
    if isinstance(identifier, str) and identifier.lower() in _CROSSENTROPY:
        binary, sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        identifier = ("binary_crossentropy" if binary else "sparse_categorical_crossentropy"
                      if sparse else "categorical_crossentropy")
    return _resolve("losses", identifier)


class CompileLoss:
    """The compiled loss: one Loss per output, optional loss weights, per-output trackers.

    Built on the first batch (`build(y_true, y_pred)`), because the number of outputs and the
    crossentropy rule need the model's output. `__call__` returns the weighted total as a scalar
    Tensor; with several losses it also records each output's unweighted loss in `metrics`.
    """

    def __init__(self, loss, loss_weights=None, output_names=None):
        if isinstance(loss, dict):
            self._user_loss = {k: check_loss_identifier(v) for k, v in loss.items()}
        elif isinstance(loss, list | tuple):
            self._user_loss = [check_loss_identifier(v) for v in loss]
        else:
            self._user_loss = check_loss_identifier(loss)
        self._user_weights = loss_weights
        self.output_names = list(output_names) if output_names else None
        self.built = False
        self.metrics = []
        self._single = None
        self.capture = None   # a list while fit's compiled step records: each output's loss

    def _targets(self, y_true, names, num_outputs):
        """One target per output. As Keras, when some outputs have no loss (`loss=[fn, None]`),
        the targets may be given for the outputs with a loss only: a single array or a shorter
        list fills them in order and the others get None."""
        try:
            return flatten_outputs(y_true, names, num_outputs)
        except ValueError:
            losses = self._user_loss
            if not isinstance(losses, list | tuple | dict) or isinstance(y_true, dict):
                raise
            losses = _per_output(losses, names, "loss")
            given = list(y_true) if isinstance(y_true, list | tuple) else [y_true]
            with_loss = [i for i, loss in enumerate(losses) if loss is not None]
            if len(given) != len(with_loss):
                raise
            ys = [None] * num_outputs
            for i, y in zip(with_loss, given, strict=True):
                ys[i] = y
            return ys

    def build(self, y_true, y_pred):
        preds, names = _pred_list(y_pred, self.output_names)
        ys = self._targets(y_true, names, len(preds))
        losses = _per_output(self._user_loss, names, "loss")
        weights = _per_output(self._user_weights, names, "loss_weights")
        self._names = names
        self._flat = []
        for i, (loss, weight) in enumerate(zip(losses, weights, strict=True)):
            if loss is not None:
                fn = get_loss(loss, ys[i], preds[i])
                self._flat.append((i, fn, None if weight is None else float(weight)))
        if not self._flat:
            raise ValueError("compile: every output's loss is None; expected a loss for at least "
                             f"one of the outputs {names}.")
        self._single = (self._flat[0][1], self._flat[0][2]) if len(preds) == 1 else None
        self.metrics = [MeanTracker(f"{names[i] if names else fn.name}_loss")
                        for i, fn, _ in self._flat] if len(self._flat) > 1 else []
        self._trackers = self.metrics or [None]
        self.built = True

    def validate(self, y_true, y_pred, where="fit"):
        """Call each Loss's `validate(y_true, y_pred)` hook, where it has one."""
        preds, names = _pred_list(y_pred, self.output_names)
        ys = self._targets(y_true, names, len(preds))
        for i, fn, _ in self._flat:
            check = getattr(fn, "validate", None)
            if check is not None and ys[i] is not None:
                try:
                    check(ys[i], preds[i])
                except ValueError as e:
                    raise ValueError(f"{where}: {e}") from None

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        if self._single is not None:                       # the fast path: one output
            fn, weight = self._single
            loss = fn(y_true, y_pred, sample_weight)
            return loss if weight is None else loss * weight
        preds, _ = _pred_list(y_pred, self.output_names)
        ys = self._targets(y_true, self._names, len(preds))
        sws = (flatten_outputs(sample_weight, self._names, len(preds), "sample_weight")
               if isinstance(sample_weight, list | tuple | dict) else [sample_weight] * len(preds))
        total, batch = None, len(preds[0])
        for (i, fn, weight), tracker in zip(self._flat, self._trackers, strict=True):
            value = fn(ys[i], preds[i], sws[i])
            if self.capture is not None:   # fit's compiled step, recording
                self.capture.append(value)
            if tracker is not None:
                tracker.update_state(value, batch)
            if weight is not None:
                value = value * weight
            total = value if total is None else total + value
        return total


# ----------------------------------------------------------------------------- metrics
def check_metric_identifiers(metrics, argument):
    """Validate `metrics`/`weighted_metrics` at compile time; unknown names fail here."""
    if metrics is None:
        return
    if not isinstance(metrics, list | tuple | dict):
        raise ValueError(f"compile: {argument} must be a list, tuple or dict; got "
                         f"{metrics!r} ({type(metrics).__name__}). Hint: {argument}=[{metrics!r}].")
    values = metrics.values() if isinstance(metrics, dict) else metrics
    for entry in values:
        for m in entry if isinstance(entry, list | tuple) else [entry]:
            if isinstance(m, str) and m.lower() not in _ACCURACY or isinstance(m, dict):
                _resolve("metrics", m)


def get_metric(identifier, y_true, y_pred):
    """A Metric for one output. 'accuracy'/'acc' follows Keras 3's shape rule; names are kept."""
    metrics = _module("metrics")
    if isinstance(identifier, str) and identifier.lower() in _ACCURACY:
        binary, sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        cls = (metrics.BinaryAccuracy if binary else metrics.SparseCategoricalAccuracy if sparse
               else metrics.CategoricalAccuracy)
        return cls(name=identifier)
    metric = _resolve("metrics", identifier) if isinstance(identifier, str | dict) else identifier
    if not hasattr(metric, "update_state"):
        if not callable(metric):
            raise TypeError(f"compile: a metric must be a name, a Metric or a function "
                            f"metric(y_true, y_pred); got {type(metric).__name__}.")
        name = identifier if isinstance(identifier, str) else metric.__name__
        return metrics.MeanMetricWrapper(metric, name=name)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def _clone(metric):
    """A fresh copy of a Metric object used for a second output."""
    try:
        return type(metric).from_config(metric.get_config())
    except (AttributeError, TypeError, NotImplementedError):
        return metric


class CompileMetrics:
    """The compiled metrics of every output; a metric-like object named 'compile_metrics'.

    `result()` is a dict `{name: value}` (names get an `<output>_` prefix with several outputs),
    as Keras 3's CompileMetrics. `metrics` are updated without sample weights,
    `weighted_metrics` with them.
    """

    name = "compile_metrics"

    def __init__(self, metrics, weighted_metrics, output_names=None):
        check_metric_identifiers(metrics, "metrics")
        check_metric_identifiers(weighted_metrics, "weighted_metrics")
        self._user = (metrics, weighted_metrics)
        self.output_names = list(output_names) if output_names else None
        self.built = False
        self._sets = ([], [])

    def _build_set(self, spec, ys, preds, names):
        if not spec:
            return []
        if len(preds) == 1:
            per_output = [list(spec.values()) if isinstance(spec, dict) else list(spec)]
        elif isinstance(spec, dict) or len(spec) == len(preds):
            per_output = _per_output(spec, names, "metrics")
        else:
            per_output = [list(spec)] * len(preds)     # lenient: every metric on every output
        out, seen = [], set()
        for i, entry in enumerate(per_output):
            if entry is None:
                continue
            for ident in entry if isinstance(entry, list | tuple) else [entry]:
                m = get_metric(ident, ys[i], preds[i])
                if id(m) in seen:
                    m = _clone(m)
                seen.add(id(m))
                out.append((i, m, names[i] if len(preds) > 1 else None))
        return out

    def build(self, y_true, y_pred):
        preds, names = _pred_list(y_pred, self.output_names)
        ys = flatten_outputs(y_true, names, len(preds))
        self._names, self._n = names, len(preds)
        self._sets = tuple(self._build_set(spec, ys, preds, names) for spec in self._user)
        self.built = True

    @property
    def metrics(self):
        return [m for _, m, _ in self._sets[0] + self._sets[1]]

    @property
    def variables(self):
        return [v for m in self.metrics for v in getattr(m, "variables", [])]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        if self._n == 1:
            y_pred = y_pred[0] if isinstance(y_pred, list | tuple) else y_pred
            if isinstance(y_pred, dict):
                y_pred = next(iter(y_pred.values()))
            for _, m, _ in self._sets[0]:
                m.update_state(y_true, y_pred)
            for _, m, _ in self._sets[1]:
                m.update_state(y_true, y_pred, sample_weight)
            return
        preds, _ = _pred_list(y_pred, self.output_names)
        ys = flatten_outputs(y_true, self._names, self._n)
        sws = (flatten_outputs(sample_weight, self._names, self._n, "sample_weight")
               if isinstance(sample_weight, list | tuple | dict) else [sample_weight] * self._n)
        for i, m, _ in self._sets[0]:
            m.update_state(ys[i], preds[i])
        for i, m, _ in self._sets[1]:
            m.update_state(ys[i], preds[i], sws[i])

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def result(self) -> dict:
        results = {}
        for weighted, entries in enumerate(self._sets):
            for _, m, output in entries:
                name = f"{output}_{m.name}" if output else m.name
                if name in results:
                    name = (f"{output}_weighted_{m.name}" if output else f"weighted_{m.name}"
                            ) if weighted else _unique(name, results)
                results[_unique(name, results)] = m.result()
        return results


def _unique(name, taken):
    if name not in taken:
        return name
    i = 1
    while f"{name}_{i}" in taken:
        i += 1
    return f"{name}_{i}"
