"""Learning-rate schedules (`keras.optimizers.schedules`): callables from the step to a rate.

An optimizer given a schedule evaluates it at `iterations` (the number of updates already
applied) before each update. Schedules accept a Python number (returning a Python float) or an
array of steps (returning an array), which is handy for plotting.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay", "PolynomialDecay", "deserialize", "get", "serialize",
]


class LearningRateSchedule:
    """Base class: subclasses implement `__call__(step)` and `get_config()`."""

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__}: __call__ is not implemented.")

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__}: get_config is not implemented.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _BuiltinSchedule(LearningRateSchedule):
    """A deltaw schedule: its config is the `__init__` arguments listed in `_config_keys`."""

    _config_keys: tuple = ()

    def get_config(self):
        return {key: getattr(self, key) for key in self._config_keys}


def _as_steps(step):
    """(float64 array of steps, whether the input was a scalar)."""
    data = getattr(step, "data", step)  # a Tensor or Variable holds its array in .data
    arr = np.asarray(data, dtype=np.float64)
    return arr, arr.ndim == 0


def _out(value, scalar):
    return float(value) if scalar else value


def _check_decay_steps(cls, decay_steps):
    if decay_steps <= 0:
        raise ValueError(f"{cls}: decay_steps must be > 0; got decay_steps={decay_steps}.")


class _TimeDecay(_BuiltinSchedule):
    """ExponentialDecay and InverseTimeDecay: a decay of `p = step / decay_steps` (floored with
    `staircase`); subclasses implement `_decay(p)`."""

    _config_keys = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_decay_steps(type(self).__name__, decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        step, scalar = _as_steps(step)
        p = step / self.decay_steps
        if self.staircase:
            p = np.floor(p)
        return _out(self._decay(p), scalar)

    def _decay(self, p):
        raise NotImplementedError


class ExponentialDecay(_TimeDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    With `staircase=True` the exponent is floored, so the rate drops in discrete steps.

    Args:
        initial_learning_rate: Float.
        decay_steps: Positive int.
        decay_rate: Float.
        staircase: Floor `step / decay_steps`.
        name: Defaults to "ExponentialDecay".

    Example:
        >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
        0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, p):
        return self.initial_learning_rate * np.power(float(self.decay_rate), p)


class PiecewiseConstantDecay(_BuiltinSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` while
    `boundaries[i-1] < step <= boundaries[i]`, and `values[-1]` after the last boundary.

    Args:
        boundaries: Strictly increasing list of step numbers.
        values: List with one more element than `boundaries`.
        name: Defaults to "PiecewiseConstant".

    Example:
        >>> s = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> s(100), s(101), s(201)
        (1.0, 0.5, 0.1)
    """

    _config_keys = ("boundaries", "values", "name")

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: values must have one more element than boundaries; "
                f"expected {len(boundaries) + 1} values, got {len(values)} "
                f"(boundaries={boundaries}, values={values}).")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        step, scalar = _as_steps(step)
        # index i such that boundaries[i-1] < step <= boundaries[i]
        idx = np.searchsorted(np.asarray(self.boundaries, dtype=np.float64), step, side="left")
        return _out(np.asarray(self.values, dtype=np.float64)[idx], scalar)


class PolynomialDecay(_BuiltinSchedule):
    """`(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end`.

    With `cycle=True`, `decay_steps` is multiplied by `ceil(step / decay_steps)` (1 at step 0)
    instead of clamping the step.
    """

    _config_keys = ("initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle",
                    "name")

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check_decay_steps("PolynomialDecay", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step, scalar = _as_steps(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            decay_steps = decay_steps * np.where(step == 0, 1.0, np.ceil(step / decay_steps))
        else:
            step = np.minimum(step, decay_steps)
        p = step / decay_steps
        out = ((self.initial_learning_rate - self.end_learning_rate)
               * np.power(1.0 - p, self.power) + self.end_learning_rate)
        return _out(out, scalar)


class InverseTimeDecay(_TimeDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)` (floored with staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, p):
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)


class CosineDecay(_BuiltinSchedule):
    """Cosine decay, with an optional linear warmup first.

    Without warmup (`warmup_target=None`), for `s = min(step, decay_steps)`:

        initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)

    With warmup, the rate rises linearly from `initial_learning_rate` to `warmup_target` over
    `warmup_steps`, then decays from `warmup_target` as above with `s = step - warmup_steps`.

    Args:
        initial_learning_rate: Float.
        decay_steps: Positive int.
        alpha: Final rate as a fraction of the decay's starting rate. Defaults to 0.0.
        name: Defaults to "CosineDecay".
        warmup_target: Float or None (no warmup).
        warmup_steps: Int. Defaults to 0.

    Example:
        >>> CosineDecay(1.0, decay_steps=10)(5)
        0.5
    """

    _config_keys = ("initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target",
                    "warmup_steps")

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_decay_steps("CosineDecay", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, start_lr):
        cosine = 0.5 * (1.0 + np.cos(math.pi * step / self.decay_steps))
        return start_lr * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step, scalar = _as_steps(step)
        if self.warmup_target is None:
            return _out(self._decay(np.minimum(step, self.decay_steps),
                                    self.initial_learning_rate), scalar)
        warmup = float(self.warmup_steps)
        step = np.minimum(step, self.decay_steps + warmup)
        in_warmup = step < warmup
        ramp = (self.warmup_target - self.initial_learning_rate) * (
            step / (warmup if warmup else 1.0)) + self.initial_learning_rate
        decayed = self._decay(step - warmup, self.warmup_target)
        return _out(np.where(in_warmup, ramp, decayed), scalar)


class CosineDecayRestarts(_BuiltinSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter, 2016).

    With `f = step / first_decay_steps`, period i (starting at 0) lasts `t_mul**i` times the
    first one; i and the fraction `x` of period i already done are

        t_mul == 1:  i = floor(f), x = f - i
        otherwise:   i = floor(log(1 - f * (1 - t_mul)) / log(t_mul)),
                     x = (f - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i

    and the rate is `initial_learning_rate * ((1 - alpha) * c + alpha)` with
    `c = 0.5 * m_mul**i * (1 + cos(pi * x))`.

    Args:
        initial_learning_rate: Float.
        first_decay_steps: Positive int: the length of the first period.
        t_mul: Growth factor of the period length. Defaults to 2.0.
        m_mul: Factor of the restart rate per period. Defaults to 1.0.
        alpha: Floor as a fraction of the initial rate. Defaults to 0.0.
        name: Defaults to "SGDRDecay".

    Example:
        >>> CosineDecayRestarts(1.0, first_decay_steps=10)(5)
        0.5
    """

    _config_keys = ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha",
                    "name")

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        if first_decay_steps <= 0:
            raise ValueError("CosineDecayRestarts: first_decay_steps must be > 0; got "
                             f"first_decay_steps={first_decay_steps}.")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        step, scalar = _as_steps(step)
        fraction = step / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            restart = np.floor(np.log(1.0 - fraction * (1.0 - self.t_mul)) /
                               math.log(self.t_mul))
            done = (1.0 - self.t_mul ** restart) / (1.0 - self.t_mul)
            fraction = (fraction - done) / self.t_mul ** restart
        cosine = 0.5 * self.m_mul ** restart * (1.0 + np.cos(math.pi * fraction))
        return _out(self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha),
                    scalar)


_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay,
    CosineDecayRestarts)}


def serialize(schedule: LearningRateSchedule) -> dict:
    """Keras 3's serialized form: module, class_name, config, registered_name."""
    return {"module": "keras.optimizers.schedules", "class_name": type(schedule).__name__,
            "config": schedule.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects=None) -> LearningRateSchedule:
    """Rebuild a schedule from `serialize`'s output (or any {'class_name', 'config'} dict)."""
    known = {**_SCHEDULES, **(custom_objects or {})}
    name = config.get("class_name")
    if name not in known:
        raise ValueError(f"schedules.deserialize: unknown schedule {name!r}. Known: "
                         f"{', '.join(sorted(known))}.")
    return known[name].from_config(config.get("config", {}))


def get(identifier):
    """A schedule from an instance or a serialized dict."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"schedules.get: could not interpret {identifier!r}; expected a "
                     "LearningRateSchedule or its config dict.")
