"""The Optimizer base class: Keras 3's contract, with NumPy in-place updates per parameter.

A subclass declares its slots in `build(variables)` (with `add_slots`) and writes one
`update_step(grad, var, lr)` on raw arrays. The base class does everything around it, in Keras 3's
order, once per `apply`:

    1. drop (grad, var) pairs whose grad is None; cast grads to the variable's dtype
    2. unscale by `loss_scale_factor`; accumulate when `gradient_accumulation_steps` is set
    3. clip: `clipnorm` (per variable), else `global_clipnorm`, else `clipvalue`
    4. decoupled weight decay: `w <- w - w * weight_decay * lr` (variables not excluded)
    5. `prepare_step(lr)` once, then `update_step(grad, w, lr)` for each variable
    6. EMA of the weights when `use_ema`
    7. each variable with a `constraint` is set to `constraint(variable)`; `iterations += 1`

`lr` is the learning rate for this step: the float, or the schedule evaluated at `iterations`
(before the increment, as Keras).

Speed: the update touches each parameter with a handful of in-place NumPy calls, using a scratch
buffer shared by all variables of one shape and dtype; per-step scalars (bias corrections) are
computed once in `prepare_step`, as Python floats so float32 weights stay float32. Slots are found
by the identity of the parameter array (`self.slot(var, "momentum")`), so a later flat-buffer mode
can register one flat parameter array with flat slots and call `update_step` once per step.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np

from deltaw.autograd.mode import no_grad
from deltaw.keras.optimizers import schedules
from deltaw.keras.utils import _auto_name
from deltaw.tensor import Tensor, Variable

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of the Keras optimizers.

    Args:
        learning_rate: Float, a `LearningRateSchedule`, or a callable with no arguments
            returning a float.
        weight_decay: Float or None. Decoupled decay applied before each update as
            `w <- w - w * weight_decay * lr` (Keras 3).
        clipnorm: Float or None. Each gradient is rescaled so its L2 norm is at most this.
        clipvalue: Float or None. Each gradient element is clipped to `[-clipvalue, clipvalue]`.
        global_clipnorm: Float or None. All gradients are rescaled together so their joint L2
            norm is at most this. At most one of the three clipping arguments may be set.
        use_ema: Keep an exponential moving average of the weights.
        ema_momentum: EMA momentum, in [0, 1]. Defaults to 0.99.
        ema_overwrite_frequency: Every this many steps, copy the EMA into the weights.
        loss_scale_factor: Float or None; gradients are divided by it before use.
        gradient_accumulation_steps: Int >= 2 or None: average the gradients of this many
            `apply` calls and update once.
        name: Name; defaults to the snake-case class name ('adam', 'adam_1', ...).

    Attributes:
        iterations: Variable (int64) counting the updates applied.
        learning_rate: The current learning rate as a float (settable unless a schedule).
        variables: Every optimizer Variable, in Keras' order: iteration, learning_rate (float
            learning rates only), then the slots in the order `build` declared them.
    """

    # True when update_step treats every element independently (all built-in optimizers), so
    # the update may run once on flat buffers holding every variable. Subclasses whose update
    # depends on a variable's shape (factored second moments, ...) must leave it False.
    elementwise_update = False

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        cls = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn(f"{cls}: argument `decay` is no longer supported and is ignored; "
                          "use a learning-rate schedule.", stacklevel=2)
        if kwargs:
            hint = " Hint: use learning_rate=." if "lr" in kwargs else ""
            raise ValueError(f"{cls}: unrecognized argument(s) {sorted(kwargs)}; expected "
                             f"Keras 3 optimizer arguments.{hint}")
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        set_clips = [k for k, v in clips.items() if v is not None]
        if len(set_clips) > 1:
            raise ValueError(f"{cls}: only one of clipnorm, clipvalue and global_clipnorm can be "
                             f"set; got {', '.join(f'{k}={clips[k]}' for k in set_clips)}.")
        for key, value in [*clips.items(), ("weight_decay", weight_decay),
                           ("loss_scale_factor", loss_scale_factor)]:
            if value is not None and (not _is_real(value) or value < 0):
                raise ValueError(f"{cls}: {key} must be a non-negative float or None; "
                                 f"got {value!r}.")
        if gradient_accumulation_steps is not None and (
                not isinstance(gradient_accumulation_steps, int | np.integer)
                or gradient_accumulation_steps < 2):
            raise ValueError(f"{cls}: gradient_accumulation_steps must be an int >= 2; "
                             f"got {gradient_accumulation_steps!r}.")
        if use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError(f"{cls}: ema_momentum must be in [0, 1]; got {ema_momentum}.")
        if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
            raise ValueError(f"{cls}: ema_overwrite_frequency must be an int >= 1 or None; "
                             f"got {ema_overwrite_frequency!r}.")
        self.name = name if name is not None else _auto_name(cls)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._entries: dict[int, list] = {}   # id(Variable) -> [its data array, its slot dict]
        self._by_array: dict[int, dict] = {}  # id(parameter array) -> {slot name: Variable}
        self._scratch: dict[tuple, list] = {}  # (shape, dtype) -> scratch arrays
        self._flat: _FlatLayout | None = None
        self._exclude_ids: set[int] = set()
        self._exclude_pattern = None
        self._constrained: list[Variable] = []
        self._iterations = self._track(Variable(np.array(0, dtype=np.int64), trainable=False,
                                                name="iteration"))
        self._learning_rate = None
        self._set_learning_rate(learning_rate, where=cls)

    # ----- learning rate and iterations
    @property
    def iterations(self) -> Variable:
        """Number of updates applied (with gradient accumulation: completed accumulations)."""
        if self.gradient_accumulation_steps:
            return Variable(self._iterations.data // self.gradient_accumulation_steps,
                            trainable=False, name="iteration")
        return self._iterations

    def _step(self) -> int:
        steps = int(self._iterations.data)
        return steps // self.gradient_accumulation_steps if self.gradient_accumulation_steps \
            else steps

    @property
    def learning_rate(self) -> float:
        """The learning rate for the next step, as a Python float."""
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule) and \
                not isinstance(value, schedules.LearningRateSchedule) and not callable(value):
            raise TypeError(f"{self.name}: the learning rate is a LearningRateSchedule, so it "
                            "cannot be set to a float; expected an optimizer created with a float "
                            f"learning_rate, got a schedule and value {value!r}.")
        self._set_learning_rate(value, where=self.name)

    def _set_learning_rate(self, value, where):
        if isinstance(value, schedules.LearningRateSchedule) or (
                callable(value) and not isinstance(value, Tensor)):
            if isinstance(self._learning_rate, Variable):
                self._variables.remove(self._learning_rate)
            self._learning_rate = value
            return
        if isinstance(value, Tensor | np.ndarray):
            value = np.asarray(value).item() if np.size(value) == 1 else value
        if not _is_real(value):
            raise ValueError(f"{where}: learning_rate must be a float, a LearningRateSchedule or "
                             f"a callable; got {value!r}.")
        if isinstance(self._learning_rate, Variable):
            self._learning_rate.data[...] = float(value)
            self._learning_rate._version += 1
        else:
            # float64, so reading it back gives exactly the float that was set (Keras keeps a
            # float32 variable; the difference only shows when printing the value).
            var = Variable(np.array(float(value), dtype=np.float64), trainable=False,
                           name="learning_rate")
            self._variables.insert(1, var)
            self._learning_rate = var

    def _current_learning_rate(self) -> float:
        lr = self._learning_rate
        if type(lr) is Variable:
            return float(lr.data)
        if isinstance(lr, schedules.LearningRateSchedule):
            return float(lr(int(self._iterations.data)))
        return float(lr())

    # ----- variables and slots
    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def _track(self, variable: Variable) -> Variable:
        self._variables.append(variable)
        return variable

    def build(self, variables):
        """Register the model variables; subclasses call this first, then `add_slots`.

        Subclasses guard with `if self.built: return` (as Keras) so a second build is a no-op.
        """
        variables = list(variables)
        self._trainable_variables = variables
        for v in variables:
            if not isinstance(v, Tensor):
                raise TypeError(f"{self.name}: can only optimize Variables; got "
                                f"{type(v).__name__}.")
        self._flat = _FlatLayout.create(variables) if self.elementwise_update else None
        for v in variables:
            slots: dict = {}
            self._entries[id(v)] = [v.data, slots]
            self._by_array[id(v.data)] = slots
        if self._flat is not None:
            self._by_array[id(self._flat.params)] = self._flat.slots
        self._constrained = [v for v in variables if getattr(v, "constraint", None) is not None]
        if self.use_ema:
            self._averages = self.add_slots(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulators = self.add_slots(variables, "gradient_accumulator")
        self.built = True

    def add_slots(self, variables, *names, initial_value=0.0):
        """Create one slot Variable per (variable, name), interleaved per variable as Keras.

        Args:
            variables: The model variables (already registered by `build`).
            *names: Slot names, e.g. "momentum", "velocity".
            initial_value: Fill value; None copies the variable's current value.

        Returns:
            One list of slot Variables per name (a single list when one name is given).
        """
        out = tuple([] for _ in names)
        variables = list(variables)
        flat = self._flat if self._flat is not None and len(variables) == len(
            self._trainable_variables) and all(
            a is b for a, b in zip(variables, self._trainable_variables, strict=True)) else None
        if flat is not None:   # one flat array per slot; each variable's slot is a view of it
            for name in names:
                flat.slots[name] = Variable(
                    flat.params.copy() if initial_value is None else
                    np.full(flat.params.shape, initial_value, dtype=flat.params.dtype),
                    trainable=False, name=name)
        for k, v in enumerate(variables):
            slots = self._entries[id(v)][1]
            prefix = (getattr(v, "path", None) or v.name or "variable").replace("/", "_")
            for i, name in enumerate(names):
                data = v.data.copy() if initial_value is None else \
                    np.full(v.data.shape, initial_value, dtype=v.data.dtype)
                slot = self._track(Variable(data, trainable=False, name=f"{prefix}_{name}"))
                if flat is not None:
                    slot.data = flat.view(flat.slots[name].data, k)
                slots[name] = slot
                out[i].append(slot)
        return out[0] if len(names) == 1 else out

    def slot(self, var: np.ndarray, name: str) -> np.ndarray:
        """The array of slot `name` belonging to the parameter array `var`."""
        return self._by_array[id(var)][name].data

    def scratch(self, var: np.ndarray, index: int = 0) -> np.ndarray:
        """A reusable buffer with `var`'s shape and dtype (shared; valid within one update)."""
        key = (var.shape, var.dtype)
        bufs = self._scratch.get(key)
        if bufs is None:
            bufs = self._scratch[key] = []
        while len(bufs) <= index:
            bufs.append(np.empty(var.shape, dtype=var.dtype))
        return bufs[index]

    # ----- the two methods subclasses write
    def prepare_step(self, lr: float) -> None:
        """Compute per-step scalars once (bias corrections, ...). Optional; runs before updates."""

    def update_step(self, grad: np.ndarray, var: np.ndarray, lr: float) -> None:
        """Update the parameter array `var` in place from `grad` (same shape and dtype)."""
        raise NotImplementedError(f"{type(self).__name__}: update_step is not implemented.")

    # ----- applying gradients
    def apply_gradients(self, grads_and_vars):
        """Apply `[(grad, variable), ...]`; returns `iterations` (as tf.keras)."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, variables = zip(*pairs, strict=True)
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None) -> None:
        """Update `trainable_variables` from `grads` (Tensors, arrays or None) in place.

        Builds the slots on the first call. Without `trainable_variables`, `grads` must match
        the variables the optimizer was built with, one to one.
        """
        if self._flat is not None and self._apply_flat(grads, trainable_variables):
            return
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(f"{self.name}: apply() without variables needs a built "
                                 "optimizer; call optimizer.build(variables) first or pass "
                                 "the variables.")
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
                self.built = True
            else:
                self._check_known(variables)
        if len(grads) != len(variables):
            raise ValueError(f"{self.name}: got {len(grads)} gradients for {len(variables)} "
                             f"variables; expected one gradient per variable.")
        grads, variables = self._filter_and_cast(grads, variables)
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        if not self.gradient_accumulation_steps:
            self._update(grads, variables)
        elif (int(self._iterations.data) + 1) % self.gradient_accumulation_steps:
            for g, v in zip(grads, variables, strict=True):
                np.add(self._entries[id(v)][1]["gradient_accumulator"].data, g,
                       out=self._entries[id(v)][1]["gradient_accumulator"].data)
        else:
            steps = self.gradient_accumulation_steps
            accs = [self._entries[id(v)][1]["gradient_accumulator"].data for v in variables]
            grads = [(g + a) / steps for g, a in zip(grads, accs, strict=True)]
            self._update(grads, variables)
            for a in accs:
                a[...] = 0
        if self.use_ema:
            self._update_ema()
        if self._constrained:
            self._apply_constraints(variables)
        self._iterations.data += 1
        self._iterations._version += 1

    def _apply_constraints(self, variables):
        """Keras: after the update, each updated variable with a constraint is set to
        `constraint(variable)`."""
        updated = {id(v) for v in variables}
        with no_grad():
            for v in self._constrained:
                if id(v) in updated:
                    value = v.constraint(v)
                    v.assign(value.data if isinstance(value, Tensor) else np.asarray(value))

    def _apply_flat(self, grads, variables) -> bool:
        """The usual training step, in one update on the flat buffers.

        Taken when the gradients and variables are lists in build order, every gradient is an
        array of its variable's shape, the variables still hold their views of the flat
        parameters, and nothing else is asked for (clipping, decay, loss scaling, accumulation,
        EMA, constraints). Returns False, having changed nothing, otherwise: the general path
        then handles, checks and reports everything, with the same update.
        """
        if (self.clipnorm or self.clipvalue or self.global_clipnorm or self.weight_decay
                or self.loss_scale_factor is not None or self.gradient_accumulation_steps
                or self.use_ema or self._constrained or type(grads) not in (list, tuple)
                or type(variables) not in (list, tuple)):
            return False
        flat = self._flat
        views = flat.views
        if len(grads) != len(views) or len(variables) != len(views):
            return False
        arrays = []
        for g, v, built, view in zip(grads, variables, self._trainable_variables, views):
            if v is not built or v.data is not view or g is None:
                return False
            g = g.data if isinstance(g, Tensor) else g
            if type(g) is not np.ndarray or g.shape != view.shape:
                return False
            arrays.append(g.reshape(-1))
        # one gather into the flat gradient buffer (casting as astype would: same_kind)
        np.concatenate(arrays, out=flat.grads)
        lr = self._current_learning_rate()
        self.prepare_step(lr)
        self.update_step(flat.grads, flat.params, lr)
        for v in variables:
            v._version += 1
        self._iterations.data += 1
        self._iterations._version += 1
        return True

    # ----- one shard of the flat update (ZeRO-1: keras.distribution.DataParallel)
    def _shardable(self, grads, variables) -> bool:
        """Whether this step may be split into independent slices of the flat buffers, each
        updated on its own (deltaw/keras/distribution/zero.py): the update is elementwise, the
        step covers every built variable (holding its flat view) with an array gradient of its
        shape and the flat dtype, and nothing ties elements together or runs per variable:
        no clipnorm or global_clipnorm (norms), gradient accumulation, EMA, constraints, or
        weight decay that excludes some variables, nor a subclass's own `apply` (or the parts
        of it the slice step repeats). Everything else falls back to `apply`."""
        flat = self._flat
        cls = type(self)
        if (flat is None or any(getattr(cls, name) is not getattr(Optimizer, name)
                                for name in _SLICE_STEP_REPEATS)
                or self.clipnorm or self.global_clipnorm
                or self.gradient_accumulation_steps or self.use_ema or self._constrained
                or (self.weight_decay and (self._exclude_ids or self._exclude_pattern))
                or len(grads) != len(flat.views) or not self._flat_usable(variables)):
            return False
        return all(type(g) is np.ndarray and g.shape == view.shape and g.dtype == view.dtype
                   for g, view in zip(grads, flat.views))

    def _apply_flat_slice(self, grad, lo, hi):
        """One step on elements [lo, hi) of the flat parameters and slots, `grad` (writable,
        hi - lo elements) being their gradient; the other elements are left as they were
        (another rank updates them; zero.py gathers them). Element by element the same
        operations as `apply`: loss scale, clipvalue, weight decay, `update_step`."""
        flat = self._flat
        params = flat.shards.get((lo, hi))
        if params is None:   # persistent views: update_step finds slots by the array's id
            params = flat.shards[lo, hi] = flat.params[lo:hi]
            self._by_array[id(params)] = {name: _SlotSlice(slot.data[lo:hi])
                                          for name, slot in flat.slots.items()}
        if self.loss_scale_factor is not None:
            grad = grad / self.loss_scale_factor
        lr = self._current_learning_rate()
        if self.clipvalue:
            grad = np.clip(grad, -self.clipvalue, self.clipvalue)
        if self.weight_decay:
            s = self.scratch(params)
            np.multiply(params, self.weight_decay * lr, out=s)
            np.subtract(params, s, out=params)
        self.prepare_step(lr)
        self.update_step(grad, params, lr)
        for v in self._trainable_variables:
            v._version += 1
        self._iterations.data += 1
        self._iterations._version += 1

    def _check_known(self, variables):
        for v in variables:
            if id(v) not in self._entries:
                raise ValueError(
                    f"{self.name}: unknown variable {v!r}; expected one of the "
                    f"{len(self._trainable_variables)} variables this optimizer was built with. "
                    "Hint: create a new optimizer for a new set of variables.")

    def _filter_and_cast(self, grads, variables):
        out_g, out_v, missing = [], [], []
        for g, v in zip(grads, variables, strict=True):
            if g is None:
                missing.append(v.name)
                continue
            g = g.data if isinstance(g, Tensor) else np.asarray(g)
            w = v.data
            if g.dtype != w.dtype:
                g = g.astype(w.dtype)
            if g.shape != w.shape:
                raise ValueError(f"{self.name}: the gradient of variable '{v.name}' has shape "
                                 f"{g.shape}; expected the variable's shape {w.shape}.")
            out_g.append(g)
            out_v.append(v)
        if not out_g:
            raise ValueError(f"{self.name}: no gradients provided for any variable; expected at "
                             f"least one gradient that is not None, got {len(grads)} None.")
        if missing:
            warnings.warn(f"{self.name}: gradients do not exist for variables {missing} when "
                          "minimizing the loss; they are not updated.", stacklevel=3)
        return out_g, out_v

    def _update(self, grads, variables):
        lr = self._current_learning_rate()
        grads = self._clip_gradients(grads)
        if self.weight_decay:
            self._apply_weight_decay(variables, lr)
        self.prepare_step(lr)
        if self._flat is not None and self._flat_usable(variables):
            flat = self._flat
            np.concatenate([g.reshape(-1) for g in grads], out=flat.grads)
            self.update_step(flat.grads, flat.params, lr)
            for v in variables:
                v._version += 1
            return
        update_step, entries, by_array = self.update_step, self._entries, self._by_array
        for g, v in zip(grads, variables, strict=True):
            w = v.data
            entry = entries[id(v)]
            if entry[0] is not w:  # the variable's array was replaced: re-key its slots
                by_array.pop(id(entry[0]), None)
                by_array[id(w)] = entry[1]
                entry[0] = w
            update_step(g, w, lr)
            v._version += 1

    def _flat_usable(self, variables) -> bool:
        """Whether this step can run on the flat buffers: every built variable has a gradient
        and still holds its view of the flat parameters. If a view was replaced (someone set
        `.data`), flat mode is switched off for good and the per-variable path takes over."""
        flat = self._flat
        if len(variables) != len(flat.views):
            return False
        for v, tv, view in zip(variables, self._trainable_variables, flat.views, strict=True):
            if v is not tv:
                return False
            if v.data is not view:
                self._flat = None
                return False
        return True

    def _clip_gradients(self, grads):
        if self.clipnorm:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm:
            norm = math.sqrt(sum(_sum_of_squares(g) for g in grads))
            if not math.isfinite(norm):
                return [g * np.nan for g in grads]  # Keras: a non-finite norm poisons the update
            if norm <= self.global_clipnorm:
                return grads
            scale = self.global_clipnorm / norm
            return [g * scale for g in grads]
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ----- weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude variables from weight decay, by object or by a substring of their name.

        Must be called before the optimizer is built.
        """
        if self.built:
            raise ValueError(f"{self.name}: exclude_from_weight_decay() must be called before "
                             "the optimizer is built; expected an unbuilt optimizer.")
        self._exclude_ids = {id(v) for v in (var_list or [])}
        self._exclude_pattern = re.compile("|".join(sorted(set(var_names)))) if var_names \
            else None

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        return not (self._exclude_pattern is not None and variable.name is not None
                    and self._exclude_pattern.search(variable.name))

    def _apply_weight_decay(self, variables, lr):
        # Keras 3: w <- w - w * wd * lr. The product is formed as a separate term (not
        # w * (1 - wd * lr)) so the tiny decay is not rounded away in float32.
        decay = self.weight_decay * lr
        if self._flat is not None and not self._exclude_ids and self._exclude_pattern is None \
                and self._flat_usable(variables):
            w, s = self._flat.params, self._flat.grads     # grads buffer is free until update
            np.multiply(w, decay, out=s)
            np.subtract(w, s, out=w)
            return
        for v in variables:
            if self._use_weight_decay(v):
                w = v.data
                s = self.scratch(w)
                np.multiply(w, decay, out=s)
                np.subtract(w, s, out=w)

    # ----- EMA
    def _update_ema(self):
        momentum = self.ema_momentum if self._step() != 0 else 0.0
        for v, avg in zip(self._trainable_variables, self._averages, strict=True):
            a = avg.data
            a *= momentum
            a += (1.0 - momentum) * v.data
        freq = self.ema_overwrite_frequency
        if freq and (self._step() + 1) % freq == 0:
            self._overwrite_with_average(self._trainable_variables)

    def _overwrite_with_average(self, variables):
        for v, avg in zip(variables, self._averages, strict=True):
            v.assign(avg.data)

    def finalize_variable_values(self, var_list):
        """Copy the EMA into `var_list` when `use_ema` (the end of `fit` calls this)."""
        if self.use_ema:
            if len(var_list) != len(self._averages):
                raise ValueError(f"{self.name}: expected {len(self._averages)} variables to "
                                 f"overwrite with their moving average, got {len(var_list)}.")
            self._overwrite_with_average(var_list)

    def scale_loss(self, loss):
        """Multiply `loss` by `loss_scale_factor` (if set) before taking gradients."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    # ----- state and config
    def set_weights(self, weights):
        """Set every optimizer variable, in the order of `variables`."""
        if not self.built:
            raise ValueError(f"{self.name}: set_weights() needs a built optimizer; call "
                             "optimizer.build(variables) first.")
        if len(weights) != len(self._variables):
            raise ValueError(f"{self.name}: expected {len(self._variables)} weights, got "
                             f"{len(weights)}.")
        for var, w in zip(self._variables, weights, strict=True):
            w = np.asarray(w)
            if var.shape != w.shape:
                raise ValueError(f"{self.name}: optimizer variable '{var.name}' has shape "
                                 f"{var.shape}; expected a weight of that shape, got {w.shape}.")
            var.assign(w)

    def get_weights(self):
        """Copies of the optimizer variables' values, in the order of `variables`."""
        return [v.data.copy() for v in self._variables]

    def save_own_variables(self, store):
        for i, v in enumerate(self._variables):
            store[str(i)] = v.data

    def load_own_variables(self, store):
        if len(store.keys()) != len(self._variables):
            warnings.warn(f"{self.name}: skipping optimizer variable loading; it has "
                          f"{len(self._variables)} variables but the saved optimizer has "
                          f"{len(store.keys())}.", stacklevel=2)
            return
        for i, v in enumerate(self._variables):
            v.assign(np.asarray(store[str(i)]))

    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.data)
        return {
            "name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue, "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name='{self.name}' learning_rate={self.learning_rate:g}>"


class _FlatLayout:
    """Every model variable of one dtype packed into one contiguous array.

    At build, each Variable's `.data` becomes a view of `params` (same values), and each slot is
    a flat array whose per-variable Variables are views too. A step then gathers the gradients
    into `grads` with one concatenate and runs `update_step` once on the flat arrays: a dozen
    NumPy calls per step instead of a dozen per variable.
    """

    __slots__ = ("params", "grads", "views", "offsets", "slots", "shards")

    @classmethod
    def create(cls, variables):
        arrays = [v.data for v in variables]
        if len(arrays) < 2 or any(a.dtype != arrays[0].dtype for a in arrays) or \
                arrays[0].dtype.kind != "f" or len({id(v) for v in variables}) != len(arrays):
            return None
        self = cls()
        sizes = [a.size for a in arrays]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.params = np.concatenate([a.reshape(-1) for a in arrays])
        self.grads = np.empty_like(self.params)
        self.slots = {}
        self.shards = {}   # (lo, hi) -> view of params updated on its own (ZeRO-1)
        self.views = []
        for k, v in enumerate(variables):
            view = self.view(self.params, k, v.data.shape)
            v.data = view
            self.views.append(view)
        return self

    def view(self, flat, k, shape=None):
        shape = self.views[k].shape if shape is None else shape
        return flat[self.offsets[k]:self.offsets[k + 1]].reshape(shape)


# the methods whose work `_apply_flat_slice` does itself: a subclass overriding one (a wrapper
# such as LossScaleOptimizer, a user's variation) is not sharded
_SLICE_STEP_REPEATS = ("apply", "_update", "_clip_gradients", "_apply_weight_decay",
                       "_current_learning_rate", "_apply_flat")


class _SlotSlice:
    """A slice of a flat slot array, found by `slot()` as a slot Variable is (its `.data`)."""

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data


def _is_real(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _sum_of_squares(g: np.ndarray) -> float:
    flat = g.reshape(-1)
    return float(np.dot(flat, flat))


def _clip_by_norm(g: np.ndarray, clipnorm: float) -> np.ndarray:
    # Keras: g * clipnorm / max(norm, clipnorm); a no-op (same array) when norm <= clipnorm.
    norm = math.sqrt(_sum_of_squares(g))
    if norm <= clipnorm:
        return g
    return g * (clipnorm / norm)
