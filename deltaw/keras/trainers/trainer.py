"""Trainer: compile, fit, evaluate and predict, the training mixin of `Model` (Keras 3's API).

The loop has three levels (STYLE.md §6):

- L0, the engine: `dw.grad(loss, variables)`.
- L1, `train_step(data)` (overridable): forward with `training=True` -> `compute_loss` (the
  compiled loss plus `self.losses`) -> `dw.grad` -> `_apply_gradients` (the one data-parallel
  hook: `optimizer.apply` in a single process) -> `compute_metrics` -> logs.
- L2, `fit`: data (`data_adapter`), batches (`epoch_iterator`), callbacks, epochs, validation.
  Its step is `make_train_function()` (evaluate's and the validation's `make_test_function()`):
  `train_step`, or its recording replayed where the model is deltaw's own (`compiled_step`; the
  same numbers, without the per-layer Python).

Before the first epoch, `fit` runs the model once on the first batch (without gradients), which
builds it, checks the input shapes, resolves `'accuracy'` and checks the labels against the loss
(the loss's `validate(y_true, y_pred)` hook), so bad input fails before any callback runs.

The logged `loss` and metrics of an epoch are running means over its batches weighted by batch
size, as Keras 3 reports them; `loss` includes the regularization penalties (`model.losses`).
"""

from __future__ import annotations

import contextlib
import inspect
import warnings

import numpy as np

from deltaw._checks import truncate
from deltaw.autograd import anomaly, mode
from deltaw.autograd.engine import grad as _grad
from deltaw.autograd.mode import no_grad
from deltaw.host_memory import keep_freed_memory
from deltaw.keras.distribution import data_parallel as dp
from deltaw.keras.distribution.distribution_lib import is_chief
from deltaw.keras.trainers import compile_utils
from deltaw.keras.trainers.compiled_step import CompiledStep, replayable
from deltaw.keras.trainers.data_adapter import (
    adapt,
    check_finite,
    make_fit_data,
    takes_strings,
    unpack_x_y_sample_weight,
)
from deltaw.keras.trainers.epoch_iterator import EpochIterator
from deltaw.tensor import Tensor

__all__ = ["Trainer"]

_HAS_TRAINING_ARG = {}   # class -> whether its compute_loss takes `training` (Keras 3.3+)
_NO_SCOPE = contextlib.nullcontext()


class Trainer:
    """Training mixin: `class Model(Trainer, Layer)`.

    Relies only on `self(x, training=...)`, `self.trainable_variables`, `self.losses` and,
    for several outputs, `self.output_names`.
    """

    # Class-level defaults, so Model need not call Trainer.__init__.
    compiled = False
    optimizer = None
    loss = None
    stop_training = False
    stop_evaluating = False
    stop_predicting = False
    history = None
    _compile_loss = None
    _compile_metrics = None
    _loss_tracker = None
    _initial_epoch = None
    _resume_state = None       # set by BackupAndRestore.on_train_begin, consumed by fit
    _epoch_iterator = None     # fit's batches, whose position BackupAndRestore saves

    # ------------------------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configures the model for training.

        Args:
            optimizer: Name (`'adam'`), config dict or Optimizer instance.
            loss: Name, Loss instance or function `fn(y_true, y_pred)` returning per-sample
                losses; for several outputs, a list (output order) or dict (output names).
                `'crossentropy'` picks binary/sparse/categorical from the shapes.
            loss_weights: Scalar, list or dict weighting each output's loss in the total.
            metrics: List (or per-output list/dict) of names, Metric objects or functions.
                `'accuracy'`/`'acc'` picks binary, sparse categorical or categorical accuracy
                from the output and target shapes, keeping the name given.
            weighted_metrics: Like `metrics`, but updated with the sample weights.
            run_eagerly: False (the default) lets fit() replay a recording of the train step
                where the model is built from deltaw's own layers and losses (Keras compiles it
                into a graph); the numbers are the same as True's, which runs every step's
                Python (compiled_step.py).
            steps_per_execution, jit_compile, auto_scale_loss: Accepted for compatibility and
                stored; deltaw runs one step at a time.

        Raises:
            ValueError: an unknown name (the message lists the known ones), or a malformed
                `metrics` argument.

        deltaw differs from Keras 3 in one point: compiling again without `metrics` drops the
        previous metrics (Keras 3 keeps them).
        """
        output_names = self._output_names_or_none()
        self.optimizer = compile_utils.resolve_optimizer(optimizer)
        self._compile_loss = (None if loss is None else
                              compile_utils.CompileLoss(loss, loss_weights, output_names))
        self._compile_metrics = (compile_utils.CompileMetrics(metrics, weighted_metrics,
                                                              output_names)
                                 if metrics or weighted_metrics else None)
        self.loss = loss
        self._loss_tracker = compile_utils.MeanTracker("loss")
        self.run_eagerly, self.jit_compile = run_eagerly, jit_compile
        self.steps_per_execution, self.auto_scale_loss = steps_per_execution, auto_scale_loss
        self._compile_config = {"optimizer": optimizer, "loss": loss,
                                "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics}
        self.stop_training = False
        self.compiled = True
        self._compiled_steps = {}   # training (True) or test (False) -> CompiledStep

    def get_compile_config(self):
        """The arguments of the last `compile()` call (None before), for saving."""
        return dict(getattr(self, "_compile_config", None) or {}) or None

    def compile_from_config(self, config):
        """Compiles the model again from `get_compile_config()`'s result."""
        self.compile(**config)

    def _output_names_or_none(self):
        try:
            names = getattr(self, "output_names", None)
        except (AttributeError, ValueError, RuntimeError):
            return None
        return list(names) if names else None

    def _assert_compiled(self, where):
        if not self.compiled:
            doing = "training" if where in ("fit", "train_on_batch") else "evaluating"
            raise RuntimeError(f"{where}: the model must be compiled before {doing}; call "
                               "model.compile(optimizer, loss) first.")

    # ------------------------------------------------------------------------------- metrics
    @property
    def metrics(self):
        """The loss tracker, the compiled metrics and the per-output losses, in Keras' order."""
        out = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
            if self._compile_loss is not None:
                out.extend(self._compile_loss.metrics)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self):
        """`{name: value}` of every metric in `self.metrics`, as Python floats."""
        out = {}
        for m in self.metrics:
            result = m.result()
            if isinstance(result, dict):
                for k, v in result.items():
                    out[k] = _pythonify(v)
            else:
                out[m.name] = _pythonify(result)
        return out

    def _get_metrics_result_or_logs(self, logs):
        # A custom train_step may return other keys; then its own logs are kept (as Keras).
        results = self.get_metrics_result()
        return results if isinstance(logs, dict) and set(logs) == set(results) else logs

    def _flatten_metrics_in_order(self, logs):
        """`[loss, *metrics]` in `metrics_names` order (a bare float when there is one)."""
        names = []
        for m in self.metrics:
            names += ([s.name for s in m.metrics] if isinstance(m, compile_utils.CompileMetrics)
                      else [m.name])
        results = [logs[n] for n in names if n in logs]
        results += [logs[k] for k in sorted(logs) if k not in names]
        return results[0] if len(results) == 1 else results

    # ------------------------------------------------------------------------------- L1 steps
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of `(y, y_pred)` plus the model's regularization losses.

        Override for custom losses. Returns a scalar Tensor.
        """
        total = None if self._compile_loss is None else self._compile_loss(y, y_pred,
                                                                            sample_weight)
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError("compute_loss: there is no loss to compute; expected a loss in "
                             "compile() or losses added by layers. Hint: "
                             "model.compile(optimizer, loss='mse').")
        return total

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        cls = type(self)
        takes_training = _HAS_TRAINING_ARG.get(cls)
        if takes_training is None:
            params = inspect.signature(self.compute_loss).parameters
            takes_training = _HAS_TRAINING_ARG[cls] = "training" in params
        # NaN tracing (detect_anomaly) names the loss when one of its ops fails
        with anomaly.scope("loss", _loss_name(self.loss)) if mode._anomaly else _NO_SCOPE:
            if takes_training:
                return self.compute_loss(x, y, y_pred, sample_weight, training=training)
            return self.compute_loss(x, y, y_pred, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch and return `get_metrics_result()`."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _apply_gradients(self, grads, variables, rows):
        """The data-parallel hook: under a DataParallel distribution over several ranks, the
        mean gradient over the global batch (`rows`: this rank's rows) is applied, the update
        perhaps sharded across the ranks (ZeRO-1); else the optimizer applies `grads`."""
        if dp.active():
            dp.apply_gradients(self.optimizer, grads, variables, rows)
        else:
            self.optimizer.apply(grads, variables)

    def train_step(self, data):
        """One optimization step on one batch `x`, `(x, y)` or `(x, y, sample_weight)`.

        Returns:
            Logs `{name: float}` with the running results of `self.metrics`.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
        return self._finish_train_step(x, y, sample_weight, y_pred, loss)

    def _finish_train_step(self, x, y, sample_weight, y_pred, loss, grads=None, variables=None):
        """A train step once the loss is known: `grads` (arrays, one per trainable variable)
        come with it from a replayed step, with the `variables` it differentiated; else they
        are computed here."""
        rows = _batch_size(x)
        self._loss_tracker.update_state(loss, rows)
        if variables is None:
            variables = self.trainable_variables
        if variables:
            if grads is None:
                grads = _grad(loss, variables)
            self._apply_gradients(grads, variables, rows)
        else:
            warnings.warn("train_step: the model has no trainable weights; nothing to update.",
                          UserWarning, stacklevel=3)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics of one batch, with `training=False` (run under no_grad)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        return self._finish_test_step(x, y, sample_weight, y_pred, loss)

    def _finish_test_step(self, x, y, sample_weight, y_pred, loss):
        self._loss_tracker.update_state(loss, _batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's output for one batch, with `training=False` (run under no_grad)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def check_gradients(self, x, y=None, sample_weight=None, **kwargs):
        """Check every trainable weight's gradient of the compiled loss against finite
        differences in float64 (deltaw only; also `dw.gradcheck(model, x, y)`). See
        `gradient_check.check_gradients` for the arguments; raises GradcheckError naming the
        layer and weight whose gradient is wrong."""
        from deltaw.keras.trainers.gradient_check import check_gradients

        return check_gradients(self, x, y, sample_weight, **kwargs)

    def make_train_function(self, force=False):
        """The step fit() runs: `train_step`, or with `run_eagerly=False` (the default) and a
        model built from deltaw's own layers and losses, the compiled step that replays it
        (compiled_step.py). `force=True` drops what the compiled step recorded."""
        return self._step_function(True, force)

    def make_test_function(self, force=False):
        """The step evaluate() and fit()'s validation run: `test_step`, or its recording
        replayed, as `make_train_function`."""
        return self._step_function(False, force)

    def _step_function(self, training, force):
        if not replayable(self, training):
            return self.train_step if training else self.test_step
        if force or self._compiled_steps.get(training) is None:
            self._compiled_steps[training] = CompiledStep(self, training)
        return self._compiled_steps[training]

    # ------------------------------------------------------------------------------- L2 loops
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, *, check_inputs=False,
            on_nonfinite=None):
        """Trains the model for `epochs` epochs and returns the `History`.

        Arguments and defaults are Keras 3's (`batch_size` None means 32; `validation_split`
        takes the last fraction of the samples before shuffling; `validation_freq` is an int or
        a list of 1-based epochs). deltaw adds two keyword arguments: `check_inputs`: x or y
        holding NaN or infinite values gives a UserWarning, or a ValueError with
        `check_inputs=True`; `on_nonfinite='raise'` runs the training steps under
        `dw.detect_anomaly()`, so the first op whose forward or backward gives NaN or Inf raises
        `NonFiniteError` naming the epoch and step, the op, its layer (or the loss) and its
        inputs' ranges (default None: no checks, full speed).

        A callback may restore an interrupted run in `on_train_begin` (BackupAndRestore): fit
        then starts at the saved epoch and step, with the same batches in the same order.

        Raises:
            RuntimeError: the model is not compiled.
            ValueError: bad data or arguments (each message names the argument and the values),
                or labels that do not fit the loss, all before the first epoch starts.
            NonFiniteError: with `on_nonfinite='raise'`, when a value becomes NaN or Inf.
        """
        self._assert_compiled("fit")
        keep_freed_memory()
        trace = _nonfinite_tracer(on_nonfinite, epochs)
        train, val = make_fit_data(x, y, sample_weight, class_weight, validation_split,
                                   validation_data, takes_strings(self))
        check_finite("fit", (train, val), check_inputs, stacklevel=2)
        batches = EpochIterator(train, batch_size, shuffle, steps_per_epoch, "fit")
        parallel = dp.active()   # data-parallel over MPI ranks (keras.distribution)
        if parallel:
            dp.check_fit("fit", train, batches)
            batches.agree = dp.agree_order
        val_batches = None if val is None else EpochIterator(
            dp.local_data(val)[0] if parallel else val, validation_batch_size or batch_size,
            False, validation_steps, "fit")
        with trace(None, batches):
            self._prepare("fit", train, val)
        callbacks = self._callback_list(callbacks, verbose, epochs, batches.num_batches, True)
        self.stop_training, self._epoch_iterator = False, batches
        train_step = self.make_train_function()
        callbacks.on_train_begin()
        first_epoch, resumed, logs, training_logs = self._start_point(initial_epoch, batches)
        if parallel:
            dp.start(self)
        for epoch in range(first_epoch, epochs):
            if not batches.has_data():
                break
            if not resumed:   # a resumed epoch began before the interruption (state restored)
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
            resumed = False
            with trace(epoch, batches):
                for step, batch in batches:
                    callbacks.on_train_batch_begin(step)
                    logs = train_step(dp.shard(batch) if parallel else batch)
                    if parallel:
                        logs = dp.global_logs(self, logs)
                    callbacks.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
            epoch_logs = _pythonify_logs(logs if parallel else
                                         self._get_metrics_result_or_logs(logs))
            if parallel:
                dp.check_in_step(self, epoch)
                dp.gather_optimizer_state(self)   # callbacks may read or save it
            if val_batches is not None and _should_eval(epoch, validation_freq):
                val_logs = self._test_loop(val_batches, callbacks)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        if parallel:
            dp.finish(self)
        finalize = getattr(self.optimizer, "finalize_variable_values", None)
        if finalize is not None and epochs > 0:
            finalize(self.trainable_variables)
        callbacks.on_train_end(training_logs)
        self._epoch_iterator = None   # do not keep the training data alive after fit
        return self.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss and metrics on the data: a float, `[loss, *metrics]`, or a dict.

        Raises:
            RuntimeError: the model is not compiled.
        """
        self._assert_compiled("evaluate")
        keep_freed_memory()
        data = adapt("evaluate", x, y, sample_weight, strings=takes_strings(self))
        self._prepare("evaluate", data)
        if dp.active():   # each rank evaluates its block of the samples
            dp.check_data("evaluate", data)
            data = dp.local_data(data)[0]
        batches = EpochIterator(data, batch_size, False, steps, "evaluate")
        callbacks = self._callback_list(callbacks, verbose, 1, batches.num_batches, False)
        logs = self._test_loop(batches, callbacks)
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs as NumPy arrays (a list or dict of them for several outputs)."""
        keep_freed_memory()
        data, rows = adapt("predict", x, strings=takes_strings(self)), None
        if dp.active():   # each rank predicts its block; a rank without rows borrows one
            dp.check_data("predict", data)
            full, (data, rows) = data, dp.local_data(data)
            data = full.split(1)[0] if rows == 0 else data
        batches = EpochIterator(data, batch_size, False, steps, "predict")
        callbacks = self._callback_list(callbacks, verbose, 1, batches.num_batches, False)
        self.stop_predicting, outputs = False, []
        callbacks.on_predict_begin()
        with no_grad():
            for step, batch in batches:
                callbacks.on_predict_batch_begin(step)
                out = _to_numpy(self.predict_step(batch))
                outputs.append(out)
                callbacks.on_predict_batch_end(step, {"outputs": out})
                if self.stop_predicting:
                    break
        callbacks.on_predict_end()
        outputs = _concatenate(outputs)
        return outputs if rows is None else dp.gather_outputs(outputs, rows == 0)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One `train_step` on one batch; returns the batch's loss (and metrics)."""
        self._assert_compiled("train_on_batch")
        data = adapt("train_on_batch", x, y, sample_weight, class_weight,
                     strings=takes_strings(self))
        self.reset_metrics()
        logs = _pythonify_logs(self.train_step(data.take(slice(None))))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """One `test_step` on one batch; returns the batch's loss (and metrics)."""
        self._assert_compiled("test_on_batch")
        data = adapt("test_on_batch", x, y, sample_weight, strings=takes_strings(self))
        self.reset_metrics()
        with no_grad():
            logs = _pythonify_logs(self.test_step(data.take(slice(None))))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as NumPy arrays."""
        data = adapt("predict_on_batch", x, strings=takes_strings(self))
        with no_grad():
            return _to_numpy(self.predict_step(data.take(slice(None))))

    # ------------------------------------------------------------------------------- helpers
    def _start_point(self, initial_epoch, batches):
        """`(epoch, resumed, batch_logs, epoch_logs)` where fit starts.

        `initial_epoch` (or `_initial_epoch`), unless a callback restored an interrupted run in
        `on_train_begin` by setting `_resume_state` to `{'epoch', 'step', 'iterator',
        'batch_logs', 'epoch_logs'}`: then the saved epoch, `batches` positioned at the saved
        step of the saved pass, and the logs fit had at that point.
        """
        state, self._resume_state = self._resume_state, None
        if state is None:
            return self._initial_epoch or initial_epoch, False, {}, {}
        batches.set_state(state["iterator"], state["step"])
        return state["epoch"], state["step"] > 0, state["batch_logs"], state["epoch_logs"]

    def _test_loop(self, batches, callbacks):
        self.stop_evaluating, logs = False, {}
        callbacks.on_test_begin()
        self.reset_metrics()
        test_step = self.make_test_function()
        with no_grad():
            for step, batch in batches:
                callbacks.on_test_batch_begin(step)
                logs = test_step(batch)
                callbacks.on_test_batch_end(step, logs)
                if self.stop_evaluating:
                    break
        logs = _pythonify_logs(dp.global_logs(self, logs) if dp.active() else
                               self._get_metrics_result_or_logs(logs))
        callbacks.on_test_end(logs)
        return logs

    def _callback_list(self, callbacks, verbose, epochs, steps, add_history):
        from deltaw.keras.callbacks import CallbackList

        if isinstance(callbacks, CallbackList):
            return callbacks
        return CallbackList(callbacks, add_history=add_history,
                            add_progbar=verbose != 0 and is_chief(),
                            model=self, verbose=verbose, epochs=epochs, steps=steps)

    def _check_input_keys(self, where, x):
        try:
            names = list(self.input_names)
        except (AttributeError, ValueError, RuntimeError):   # a subclassed model: no names
            return
        missing = [n for n in names if n not in x]
        if missing and len(names) > 1:
            raise ValueError(f"{where}: x is missing the model inputs {truncate(missing)}; "
                             f"expected a dict with the keys {truncate(names)}, got the keys "
                             f"{truncate(x)}.")

    def _prepare(self, where, data, val=None):
        """Run the model on the first batch: build it, check shapes, labels and the loss."""
        first = data.first if data.num_samples is None else data.take(slice(0, 32))
        x, y, _ = unpack_x_y_sample_weight(first)
        if isinstance(x, dict):
            self._check_input_keys(where, x)
        # NaN/inf in the data were reported by check_finite already; NumPy's own warnings about
        # them (numpy 2.4 warns in matmul) would only repeat that, and the probe's values
        # serve for shapes and checks alone
        with no_grad(), np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            y_pred = self(x, training=False)
        if y is None:
            return
        names = self._output_names_or_none()
        for part in (self._compile_loss, self._compile_metrics):
            if part is not None and not part.built:
                part.output_names = names
                part.build(y, y_pred)
        if self._compile_loss is not None:
            for d in (data, val):
                if d is not None:
                    full_y = d.y if d.num_samples is not None else unpack_x_y_sample_weight(
                        d.first)[1]
                    self._compile_loss.validate(full_y, y_pred, where)


# ----------------------------------------------------------------------------- module helpers
def _nonfinite_tracer(on_nonfinite, epochs):
    """`trace(epoch, batches)` -> context manager for one epoch's training steps.

    With `epoch=None` it covers the check of the model on the first batch, before training.
    """
    if on_nonfinite is None:
        return lambda epoch, batches: contextlib.nullcontext()
    if on_nonfinite != "raise":
        raise ValueError(f"fit: on_nonfinite must be None or 'raise'; got "
                         f"on_nonfinite={on_nonfinite!r}.")

    @contextlib.contextmanager
    def trace(epoch, batches):
        with anomaly.detect_anomaly():
            try:
                yield
            except anomaly.NonFiniteError as exc:
                total = f"/{batches.num_batches}" if batches.num_batches else ""
                where = ("checking the model on the first batch" if epoch is None else
                         f"epoch {epoch + 1}/{epochs}, step {batches.step + 1}{total}")
                raise anomaly.NonFiniteError(f"fit: {where}: {exc}") from None
    return trace


def _loss_name(loss) -> str:
    """The compiled loss's name for messages: 'mse', a function's or a Loss's name."""
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    return name if isinstance(name, str) else "compiled loss"


def _batch_size(x) -> int:
    while isinstance(x, list | tuple | dict):
        x = next(iter(x.values())) if isinstance(x, dict) else x[0]
    return x.shape[0]


def _should_eval(epoch, validation_freq) -> bool:
    if isinstance(validation_freq, int) and not isinstance(validation_freq, bool):
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, list | tuple):
        return epoch + 1 in validation_freq
    raise ValueError(f"fit: validation_freq must be an int or a list of epochs; got "
                     f"{validation_freq!r} ({type(validation_freq).__name__}).")


def _pythonify(value):
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray | np.generic):
        return value.item() if value.size == 1 else value
    return value


def _pythonify_logs(logs):
    # Keras 3's pythonify_logs: keys sorted, nested dicts flattened, scalars as Python floats
    out = {}
    for k, v in sorted((logs or {}).items()):
        if isinstance(v, dict):
            out.update(_pythonify_logs(v))
        else:
            out[k] = _pythonify(v)
    return out


def _to_numpy(value):
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_numpy(v) for v in value)
    return np.asarray(value)


def _concatenate(outputs):
    first = outputs[0]
    if isinstance(first, dict):
        return {k: _concatenate([o[k] for o in outputs]) for k in first}
    if isinstance(first, list | tuple):
        return type(first)(_concatenate([o[i] for o in outputs]) for i in range(len(first)))
    return np.concatenate(outputs, axis=0)
