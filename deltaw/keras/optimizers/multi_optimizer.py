"""MultiOptimizer and OptimizerMap: different optimizers for different variables (Keras 3)."""

from __future__ import annotations

import re
from collections.abc import MutableMapping

from deltaw.keras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from deltaw.keras.optimizers.optimizer import Optimizer
from deltaw.tensor import Variable

__all__ = ["MultiOptimizer", "OptimizerMap"]


def _path(variable) -> str:
    """The key a variable is looked up by: its `path` where it has one, else its name."""
    return getattr(variable, "path", None) or variable.name or ""


class OptimizerMap(MutableMapping):
    """Maps variable paths to optimizers: an exact key first, else the one regex key that
    `re.fullmatch`es the path (two matches raise), else `default_optimizer`.

    deltaw's variables carry their weight name ("kernel") rather than Keras' layer path
    ("dense/kernel") unless a `path` attribute is set, so keys match what `_path` returns.

    Args:
        default_optimizer: The Optimizer of every unmatched variable.
        optimizer_map: Optional dict {key or regex: Optimizer}.

    Example:
        >>> from deltaw.keras import optimizers
        >>> m = OptimizerMap(optimizers.SGD(),
        ...                  {"kernel": optimizers.Adam(), "b.*": optimizers.Lion()})
        >>> [type(m[key]).__name__ for key in ("kernel", "bias", "gamma")]
        ['Adam', 'Lion', 'SGD']
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError("OptimizerMap: default_optimizer must be an Optimizer; got "
                            f"{type(default_optimizer).__name__}.")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError("OptimizerMap: optimizer_map must be a dict; got "
                            f"{type(optimizer_map).__name__}.")
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"OptimizerMap: several keys match variable {key!r} "
                             f"({', '.join(matches)}); expected at most one.")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(f"OptimizerMap: key {key!r} is already mapped; expected a new "
                             "key.")
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: keys must be strings; got {key!r}.")
        if not isinstance(optimizer, Optimizer) or isinstance(
                optimizer, LossScaleOptimizer | MultiOptimizer):
            raise ValueError("OptimizerMap: values must be plain Optimizers (not "
                             f"LossScaleOptimizer or MultiOptimizer); got {optimizer!r}.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[_path(variable)]

    def get_config(self):
        from deltaw.keras.optimizers import serialize

        return {"default_optimizer": serialize(self._default_optimizer),
                "optimizer_map": {k: serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from deltaw.keras.optimizers import deserialize

        return cls(deserialize(config["default_optimizer"], custom_objects),
                   {k: deserialize(v, custom_objects)
                    for k, v in (config.get("optimizer_map") or {}).items()})


class MultiOptimizer(Optimizer):
    """Delegates each variable to the optimizer `optimizer_map(variable)` returns (an
    OptimizerMap or any callable); each sub-optimizer updates its own variables.

    `variables` lists this optimizer's own (iteration) followed by each sub-optimizer's;
    `learning_rate` is not defined (each sub-optimizer has its own) and raises, as in Keras.

    Args:
        optimizer_map: OptimizerMap or callable `variable -> Optimizer`.
        loss_scale_factor: Passed on to every sub-optimizer.
        name: Defaults to "multi_optimizer".
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        self._inner_optimizers: list[Optimizer] = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        candidates = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        default = getattr(optimizer_map, "default_optimizer", None)
        for opt in [*candidates, *([default] if default is not None else [])]:
            if not any(opt is known for known in self._inner_optimizers):
                opt.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(opt)

    @property
    def optimizers(self) -> list[Optimizer]:
        return self._inner_optimizers

    @property
    def variables(self) -> list[Variable]:
        out = list(self._variables)
        for opt in self._inner_optimizers:
            out.extend(opt.variables)
        return out

    @property
    def learning_rate(self):
        raise AttributeError("MultiOptimizer: there is no single learning rate; read it on "
                             "the sub-optimizers (MultiOptimizer.optimizers).")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("MultiOptimizer: there is no single learning rate; set it on "
                             "the sub-optimizers (MultiOptimizer.optimizers).")

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for opt in getattr(self, "_inner_optimizers", []):
            opt.loss_scale_factor = value

    def build(self, variables):
        if self.built:
            return
        variables = list(variables)
        self._owner: dict[int, int] = {}
        groups: list[list] = [[] for _ in self._inner_optimizers]
        for v in variables:
            opt = self._optimizer_map(v)
            if not isinstance(opt, Optimizer) or isinstance(
                    opt, LossScaleOptimizer | MultiOptimizer):
                raise ValueError(f"MultiOptimizer: the optimizer for variable {_path(v)!r} must "
                                 f"be a plain Optimizer; got {opt!r}.")
            index = next((i for i, known in enumerate(self._inner_optimizers) if known is opt),
                         None)
            if index is None:
                opt.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(opt)
                groups.append([])
                index = len(self._inner_optimizers) - 1
            self._owner[id(v)] = index
            groups[index].append(v)
        for opt, group in zip(self._inner_optimizers, groups, strict=True):
            if group:
                opt.build(group)
        self._trainable_variables = variables
        self.built = True

    def apply(self, grads, trainable_variables=None) -> None:
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(f"{self.name}: apply() without variables needs a built "
                                 "optimizer; call optimizer.build(variables) first or pass "
                                 "the variables.")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"{self.name}: got {len(grads)} gradients for "
                             f"{len(trainable_variables)} variables; expected one per variable.")
        groups = [([], []) for _ in self._inner_optimizers]
        for g, v in zip(grads, trainable_variables, strict=True):
            if id(v) not in self._owner:
                raise ValueError(f"{self.name}: variable {_path(v)!r} was not part of the "
                                 "variables the optimizer was built with.")
            sub_grads, sub_vars = groups[self._owner[id(v)]]
            sub_grads.append(g)
            sub_vars.append(v)
        for opt, (sub_grads, sub_vars) in zip(self._inner_optimizers, groups, strict=True):
            if sub_vars:
                opt.apply(sub_grads, sub_vars)
        self._iterations.assign(self._iterations.data + 1)

    def finalize_variable_values(self, var_list):
        groups = [[] for _ in self._inner_optimizers]
        for v in var_list:
            groups[self._owner[id(v)]].append(v)
        for opt, group in zip(self._inner_optimizers, groups, strict=True):
            if group:
                opt.finalize_variable_values(group)

    def get_weights(self):
        return [v.data.copy() for v in self.variables]

    def set_weights(self, weights):
        if not self.built:
            raise ValueError(f"{self.name}: set_weights() needs a built optimizer; call "
                             "optimizer.build(variables) first.")
        weights = list(weights)
        if len(weights) != len(self.variables):
            raise ValueError(f"{self.name}: expected {len(self.variables)} weights, got "
                             f"{len(weights)}.")
        for var, w in zip(self.variables, weights, strict=True):
            var.assign(w)

    def get_config(self):
        from deltaw.keras.optimizers import serialize

        optimizer_map = self._optimizer_map
        if isinstance(optimizer_map, OptimizerMap):
            optimizer_map = {"module": "keras.optimizers", "class_name": "OptimizerMap",
                             "config": optimizer_map.get_config(), "registered_name": None}
        elif isinstance(optimizer_map, Optimizer):
            optimizer_map = serialize(optimizer_map)
        else:
            optimizer_map = getattr(optimizer_map, "__name__", repr(optimizer_map))
        return {"optimizer_map": optimizer_map, "loss_scale_factor": self.loss_scale_factor,
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        optimizer_map = config["optimizer_map"]
        if isinstance(optimizer_map, dict) and optimizer_map.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(optimizer_map["config"],
                                                               custom_objects)
        elif isinstance(optimizer_map, str):
            found = (custom_objects or {}).get(optimizer_map)
            if found is None:
                raise ValueError(f"MultiOptimizer.from_config: the selector function "
                                 f"{optimizer_map!r} must be passed in custom_objects.")
            config["optimizer_map"] = found
        return cls(**config)

    def __repr__(self):
        return f"<MultiOptimizer name='{self.name}' optimizers={self._inner_optimizers!r}>"
