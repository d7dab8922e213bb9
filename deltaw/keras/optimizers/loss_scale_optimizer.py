"""LossScaleOptimizer: Keras 3's dynamic loss scaling around another optimizer."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer
from deltaw.tensor import Tensor, Variable

__all__ = ["LossScaleOptimizer"]


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around `inner_optimizer`, with Keras 3's API and state.

    `scale_loss(loss)` multiplies the loss by `dynamic_scale` (initially `initial_scale`), so
    that small float16 gradients do not underflow. `apply(grads, variables)` then:

        if every gradient is finite:
            inner_optimizer.apply(grads / scale)
            after `dynamic_growth_steps` finite steps in a row: scale <- 2 * scale
        else:
            skip the update; scale <- scale / 2

    deltaw differs from Keras in one place: it trains in float32 and its `fit` does not call
    `scale_loss`, so gradients are divided by the scale only when `scale_loss` was called since
    the last `apply` (a custom train step written the Keras way); otherwise `apply` passes
    them through unchanged (still skipping non-finite steps and adapting the scale as Keras).
    `learning_rate` and `iterations` are the inner optimizer's.

    Args:
        inner_optimizer: The Optimizer that updates the variables.
        initial_scale: Defaults to 2**15.
        dynamic_growth_steps: Finite steps before the scale doubles. Defaults to 2000.
        name: Defaults to "loss_scale_optimizer".
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer: dynamic=False is not supported; expected "
                             "dynamic scaling. Hint: set loss_scale_factor on the inner "
                             "optimizer instead.")
        defaults = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                    "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                    "ema_overwrite_frequency": None, "loss_scale_factor": None,
                    "gradient_accumulation_steps": None}
        for key in [k for k in kwargs if k in defaults]:
            if kwargs.pop(key) != defaults[key]:
                raise ValueError(f"LossScaleOptimizer: {key} is not supported; expected it "
                                 f"on the inner optimizer.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer: unrecognized argument(s) {sorted(kwargs)}.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError("LossScaleOptimizer: inner_optimizer must be an Optimizer; got "
                            f"{type(inner_optimizer).__name__}.")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None
        self._pending_scale = None

    def build(self, variables):
        if self.built:
            return
        self.step_counter = self._track(Variable(np.array(0, dtype=np.int64), trainable=False,
                                                 name="step_counter"))
        self.dynamic_scale = self._track(Variable(np.array(self.initial_scale, np.float32),
                                                  trainable=False, name="dynamic_scale"))
        self.inner_optimizer.build(variables)
        super().build(variables)

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables) + self.inner_optimizer.variables

    @property
    def learning_rate(self) -> float:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self) -> Variable:
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        """`loss * dynamic_scale` (the initial scale before the first build)."""
        scale = float(self.dynamic_scale.data) if self.built else float(self.initial_scale)
        self._pending_scale = scale
        return loss * scale

    def apply(self, grads, trainable_variables=None) -> None:
        grads = list(grads)
        if not self.built:
            self.build(list(trainable_variables) if trainable_variables is not None
                       else self.inner_optimizer._trainable_variables)
        arrays = [g.data if isinstance(g, Tensor) else g for g in grads]
        finite = all(np.all(np.isfinite(g)) for g in arrays if g is not None)
        scale, self._pending_scale = self._pending_scale, None
        if finite:
            if scale is not None:
                arrays = [None if g is None else np.asarray(g) / scale for g in arrays]
            self.inner_optimizer.apply(arrays, trainable_variables)
            if int(self.step_counter.data) == self.dynamic_growth_steps - 1:
                self.step_counter.assign(np.array(0, dtype=np.int64))
                self.dynamic_scale.assign(self.dynamic_scale.data * 2.0)
            else:
                self.step_counter.assign(self.step_counter.data + 1)
        else:
            self.step_counter.assign(np.array(0, dtype=np.int64))
            self.dynamic_scale.assign(self.dynamic_scale.data * 0.5)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        from deltaw.keras.optimizers import serialize

        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from deltaw.keras.optimizers import deserialize

        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)

    def __repr__(self):
        return f"<LossScaleOptimizer name='{self.name}' inner={self.inner_optimizer!r}>"
