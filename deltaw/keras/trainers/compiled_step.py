"""The compiled train and test steps: Keras' `run_eagerly=False`, by recording and replaying.

Keras traces `train_step` into a graph once and runs the graph afterwards. deltaw does the same
with its own ops: the first steps of each batch signature (the shapes and dtypes of x, y and
sample_weight) run eagerly while `autograd.replay` records every op; when two steps on different
batches recorded the same program (same ops, parameters, wiring and constants, no variable
changed by the forward pass except inside an op that declares it, as BatchNormalization's moving
statistics), later steps replay it: the same forward functions and backward rules in the same
order, so the same numbers bit for bit, without the per-layer Python around them. Anything else
runs eagerly, every step:

- a model class, train_step, compute_loss or layer that is not deltaw's own, or a layer holding
  a function that is not (a custom activation or regularizer): its Python may branch on the
  values, which a recording cannot see; a loss that is not built in;
- a layer with `_computes_outside_ops = True` (the preprocessing layers that draw at random or
  compute on arrays: what they feed on is a constant of the recording, even if two batches
  happened to give the same one);
- `compile(run_eagerly=True)`, anomaly detection (`fit(on_nonfinite='raise')`);
- a signature whose two recordings differ (a mask or statistic computed from the data outside
  the ops): it is never replayed.

Random ops draw inside their forward function (dropout's mask), so a replay draws anew at each
step, from the same generator and in the same order as eager code.

As with Keras' compiled function, the program is rebuilt when the model's structure or its
trainable variables change, and by `compile()`; other attribute changes made to layers after
training started need `compile()` again to be seen.
"""

from __future__ import annotations

from deltaw.autograd import mode
from deltaw.autograd.replay import Program, mutated_variables, recording
from deltaw.keras.layers import layer as layer_module
from deltaw.keras.layers import nest
from deltaw.keras.losses import Loss
from deltaw.keras.trainers.data_adapter import unpack_x_y_sample_weight
from deltaw.tensor import Tensor

_REFUSED = "refused"   # a signature whose recordings differed: always eager
MAX_SIGNATURES = 16
"""Batch signatures recorded per model: past this many (shapes that change at every batch), new
ones run eagerly without recording, so neither time nor memory grows with them."""
MAX_RESETS = 8
"""Times the programs may be dropped (trainable weights or layers changed) before the step
stops recording and stays eager: a model whose weights are frozen and thawed at every step (a
GAN's alternating updates) would otherwise pay for recordings it never replays."""


class CompiledStep:
    """`step(batch) -> logs`, fit's train step (`training=True`) or evaluate's test step, for a
    model that `replayable(model, training)` accepts."""

    def __init__(self, model, training=True):
        self.model = model
        self.training = training
        self._programs = {}   # signature -> Program or _REFUSED
        self._first = {}      # signature -> the first recording's Program, awaiting a second
        self._structure = self._targets = self._output_structure = self._n_outputs = None
        self._resets = 0

    def __call__(self, batch):
        # a test step differentiates nothing: no targets, and frozen weights change nothing
        variables = self.model.trainable_variables if self.training else []
        if (self._structure != layer_module._structure_version
                or not _same_list(variables, self._targets)):
            self._resets += bool(self._programs or self._first)
            self._programs.clear()
            self._first.clear()
            self._structure, self._targets = layer_module._structure_version, variables
        flat = nest.flatten(batch)
        signature = tuple((a.shape, a.dtype) if hasattr(a, "dtype") else type(a) for a in flat)
        program = self._programs.get(signature)
        if mode._anomaly or program is _REFUSED or (program is None and (
                len(self._programs) + len(self._first) >= MAX_SIGNATURES
                or self._resets > MAX_RESETS)):
            return self._eager_step(batch)
        if program is None:
            return self._record(signature, batch, flat)
        x, y, sample_weight = unpack_x_y_sample_weight(batch)
        outputs, loss, grads = program.run(flat)
        outputs, per_output = outputs[:self._n_outputs], outputs[self._n_outputs:]
        for tracker, value in zip(self.model._compile_loss.metrics, per_output, strict=True):
            tracker.update_state(Tensor._from_op(value, None), len(outputs[0]))
        y_pred = nest.pack_sequence_as(self._output_structure,
                                       [Tensor._from_op(a, None) for a in outputs])
        return self._finish(x, y, sample_weight, y_pred, Tensor._from_op(loss, None), grads)

    def _eager_step(self, batch):
        return self.model.train_step(batch) if self.training else self.model.test_step(batch)

    def _finish(self, x, y, sample_weight, y_pred, loss, grads=None):
        if self.training:
            return self.model._finish_train_step(x, y, sample_weight, y_pred, loss, grads,
                                                 None if grads is None else self._targets)
        return self.model._finish_test_step(x, y, sample_weight, y_pred, loss)

    def _record(self, signature, batch, flat):
        """One eager step, recorded; the second recording of a signature becomes its program
        when it matches the first."""
        model = self.model
        state = model.variables
        versions = [v._version for v in state]
        compile_loss = model._compile_loss
        compile_loss.capture = per_output = []
        try:
            with recording() as records:
                x, y, sample_weight = unpack_x_y_sample_weight(batch)
                y_pred = model(x, training=self.training)
                loss = model._compute_loss(x, y, y_pred, sample_weight, training=self.training)
        finally:
            compile_loss.capture = None
        # a variable may change during the forward pass only inside an op that says so
        updated = {id(v) for r in records for v in mutated_variables(r)}
        unchanged = all(v._version == n or id(v) in updated
                        for v, n in zip(state, versions, strict=True))
        program = self._program(records, flat, y_pred, loss, per_output) if unchanged else None
        first = self._first.pop(signature, None)
        if program is None or (first is not None and not program.same_as(first)):
            self._programs[signature] = _REFUSED
        elif first is None:
            self._first[signature] = program
        else:
            self._programs[signature] = program
        return self._finish(x, y, sample_weight, y_pred, loss)

    def _program(self, records, flat, y_pred, loss, per_output):
        """The program of a recording whose outputs are y_pred's leaves, then each output's loss
        where the compiled loss tracks them; None where it cannot be replayed."""
        trackers = self.model._compile_loss.metrics
        if not isinstance(loss, Tensor) or (trackers and len(per_output) != len(trackers)):
            return None
        outputs = nest.flatten(y_pred)
        self._n_outputs = len(outputs)
        self._output_structure = nest.map_structure(lambda _: None, y_pred)
        return Program.build(records, flat, outputs + (per_output if trackers else []), loss,
                             self._targets)


def replayable(model, training=True) -> bool:
    """Whether every piece of `model`'s train step (or test step) is deltaw's own, so that a
    recording of it depends on the data only through its ops."""
    from deltaw.keras.trainers.trainer import Trainer

    cls = type(model)
    step = "train_step" if training else "test_step"
    if (model.run_eagerly or model._compile_loss is None or step in vars(model)
            or getattr(cls, step) is not getattr(Trainer, step)
            or cls.compute_loss is not Trainer.compute_loss
            or cls._compute_loss is not Trainer._compute_loss
            or not _ours(cls) or not _ours(cls.call)):
        return False
    if not all(_ours(type(layer)) and _ours(type(layer).call) and _own_callables(layer)
               and not getattr(layer, "_computes_outside_ops", False)
               for layer in model._flatten_layers(include_self=False)):
        return False
    return _builtin_loss(model._compile_loss._user_loss)


def _own_callables(layer) -> bool:
    """Whether every function a layer holds (activation, regularizer) is deltaw's: a user's
    may branch on the values it is given. Initializers (run when the weights are made) and
    constraints (stored, never applied) do not run in a step."""
    for name, value in vars(layer).items():
        if name.endswith(("initializer", "constraint")):
            continue
        if callable(value) and not isinstance(value, type | Tensor) and \
                not hasattr(value, "_flatten_layers"):
            if not _ours(value if hasattr(value, "__code__") else type(value)):
                return False
    return True


def _builtin_loss(loss) -> bool:
    if loss is None or isinstance(loss, str):   # None: an output without a loss
        return True
    if isinstance(loss, dict):
        return all(_builtin_loss(v) for v in loss.values())
    if isinstance(loss, list | tuple):
        return all(_builtin_loss(v) for v in loss)
    return _ours(type(loss) if isinstance(loss, Loss) else loss) and \
        _ours(getattr(loss, "fn", loss))


def _ours(obj) -> bool:
    return getattr(obj, "__module__", "").startswith("deltaw.")


def _same_list(a, b) -> bool:
    return b is not None and len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
