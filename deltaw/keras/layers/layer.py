"""Layer: the base class of every Keras layer and model.

Lifecycle (Keras 3): `__init__` stores and validates configuration; `build(input_shape)` creates
weights with `add_weight` (called once, on the first call, with the input's shape); `call(inputs)`
computes with dw / dw.nn ops. `__call__` converts the inputs, builds, checks `input_spec`, then
runs `call` eagerly on Tensors or, on KerasTensors, records the call for a functional model.
Sublayers and Variables assigned as attributes are tracked in `__setattr__`.
"""

from __future__ import annotations

import functools
import math
import weakref

import numpy as np

from deltaw.autograd import anomaly
from deltaw.dtypes import as_array
from deltaw.io.limits import charge
from deltaw.keras import backend, constraints, initializers, regularizers
from deltaw.keras.layers import arguments, call_context, nest, tracking
from deltaw.keras.layers import keras_tensor as kt
from deltaw.keras.layers.input_spec import assert_input_compatibility
from deltaw.ops import astype
from deltaw.tensor import Tensor, Variable

__all__ = ["Layer"]

_HOLDING_LOSSES = weakref.WeakSet()  # layers whose _losses are not empty (outer calls clear them)
# False while no layer can hold added losses: a plain flag, because testing a WeakSet's truth runs
# Python code (its __len__) and __call__ asks on every call.
_maybe_holding_losses = False

# Bumped by every change to what any layer holds (an attribute set or deleted, a sublayer or weight
# tracked or forgotten, a weight added, `trainable` set). Per-layer caches of the weight list, the
# layer tree and the last input shape that passed the input checks are valid while it is
# unchanged, so a training step does not walk the layer tree.
_structure_version = 0


# What fit(), evaluate(), predict() and their callbacks set on a model as they run: no layer,
# weight or computation changes with them, so they leave the caches keyed on the structure
# version (and the compiled steps) valid from one call to the next.
_TRAINING_STATE = frozenset({"stop_training", "stop_evaluating", "stop_predicting", "history",
                             "_epoch_iterator", "_resume_state"})


def _structure_changed() -> None:
    global _structure_version
    _structure_version += 1


class _TrackingList(list):
    """The list type of a layer's `_tracked_layers`, `_trainable_variables`,
    `_non_trainable_variables` and `_regularizers`: every change bumps the structure version
    (tracking.py appends to and deletes from these lists)."""

    __slots__ = ()

    def append(self, item):
        super().append(item)
        _structure_changed()

    def extend(self, items):
        super().extend(items)
        _structure_changed()

    def insert(self, index, item):
        super().insert(index, item)
        _structure_changed()

    def remove(self, item):
        super().remove(item)
        _structure_changed()

    def pop(self, index=-1):
        _structure_changed()
        return super().pop(index)

    def clear(self):
        super().clear()
        _structure_changed()

    def __setitem__(self, index, value):
        super().__setitem__(index, value)
        _structure_changed()

    def __delitem__(self, index):
        super().__delitem__(index)
        _structure_changed()

    def __iadd__(self, items):
        self.extend(items)
        return self


def _recording_build(build):
    """Wrap a subclass's build so that it records the input shape and sets `built` (Keras 3)."""
    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        build(self, *args, **kwargs)
        shape = args[0] if args else next(iter(kwargs.values()), None)
        if shape is not None:
            self.__dict__["_build_shapes"] = shape
        self.built = True

    return wrapper


def _flags_only(kwargs) -> bool:
    """Whether the keyword arguments of a call hold nothing but None and bools (`training=`):
    then a Tensor input makes the call eager without looking further."""
    for value in kwargs.values():
        if value is not None and type(value) is not bool:
            return False
    return True


def _shapes_of(inputs):
    return nest.map_structure(lambda x: tuple(x.shape) if hasattr(x, "shape") else None, inputs)


class _NoNodeError(AttributeError, ValueError):
    """`layer.input`/`output` before any symbolic call (hasattr-friendly, as well as ValueError)."""


class Layer:
    """Base class of Keras layers: configuration, weights, and the call protocol.

    Args:
        trainable: Whether the layer's weights are updated by training.
        name: Name; defaults to the snake_case class name made unique ('dense', 'dense_1', ...).
        dtype: Dtype of weights and computations; defaults to `backend.floatx()` ('float32').
            Floating inputs are converted to it.
        activity_regularizer: Optional regularizer applied to the outputs; its penalty, divided
            by the batch size, is added to `losses` on each call (as Keras 3).
        input_shape, input_dim, batch_input_shape, batch_size: Legacy ways to declare the input
            of the first layer of a Sequential model; the model then builds at once.

    Raises:
        TypeError: for an unknown keyword argument.
    """

    _is_keras_layer = True
    supports_masking = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = _recording_build(cls.__dict__["build"])

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.__dict__.update(
            _tracked_layers=_TrackingList(), _trainable_variables=_TrackingList(),
            _non_trainable_variables=_TrackingList(), _regularizers=_TrackingList(),
            _constraints=[], _losses=[], _inbound_nodes=[], _name=None,
            _dtype=backend.floatx(), _np_dtype=np.dtype(backend.floatx()), _trainable=True,
            built=False, input_spec=None, activity_regularizer=None, _build_shapes=None,
            _input_shape_arg=None, _batch_size_arg=None, _init_args=(args, kwargs))
        return self

    def __init__(self, trainable=True, name=None, dtype=None, activity_regularizer=None,
                 input_shape=None, input_dim=None, batch_input_shape=None, batch_size=None,
                 autocast=True, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: got an unexpected keyword argument "
                            f"{next(iter(kwargs))!r}.")
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"{type(self).__name__}: name must be a string without '/'; "
                             f"got {name!r}.")
        self._name = name or backend.unique_name(arguments.to_snake_case(type(self).__name__))
        self._dtype = backend.standardize_dtype(dtype)
        self._np_dtype = np.dtype(str if self._dtype == "string" else self._dtype)
        self.trainable = trainable
        if activity_regularizer is not None:
            self.activity_regularizer = regularizers.get(activity_regularizer)
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            batch_size, input_shape = batch_input_shape[0], tuple(batch_input_shape[1:])
        if input_shape is not None:
            shape = (input_shape,) if isinstance(input_shape, int) else input_shape
            self._input_shape_arg = tuple(None if d is None else int(d) for d in shape)
            self._batch_size_arg = batch_size

    # ----- tracking
    def __setattr__(self, name, value):
        object.__setattr__(self, name, tracking.on_setattr(self, name, value))
        if name not in _TRAINING_STATE:
            _structure_changed()

    def __delattr__(self, name):
        tracking.untrack(self, self.__dict__.get(name))
        object.__delattr__(self, name)
        _structure_changed()

    def _cached(self, key, compute):
        """`compute()`, remembered under `key` until the structure version changes."""
        entry = self.__dict__.get(key)
        if entry is not None and entry[0] == _structure_version:
            return entry[1]
        value = compute()
        self.__dict__[key] = (_structure_version, value)
        return value

    def _sublayers(self) -> list:
        """Direct sublayers, in tracking order (models override this with their layer list)."""
        return self._tracked_layers

    def _flatten_layers(self, include_self=True, recursive=True):
        seen, stack = set(), [self] if include_self else list(reversed(self._sublayers()))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            yield layer
            if recursive:
                stack.extend(reversed(layer._sublayers()))

    # ----- properties
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value):
        self.__dict__["_name"] = value

    @property
    def dtype(self) -> str:
        return self._dtype

    compute_dtype = variable_dtype = dtype

    @property
    def dtype_policy(self):
        """The layer's DTypePolicy (one dtype: deltaw computes and stores in the same)."""
        from deltaw.keras.dtype_policies import DTypePolicy  # loaded when asked for

        return DTypePolicy(self._dtype)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self.__dict__["_trainable"] = value
        _structure_changed()
        for v in self._trainable_variables:
            v.trainable = value
            v.requires_grad = value and v.data.dtype.kind == "f"
        for layer in self._sublayers():
            layer.trainable = value

    @property
    def weights(self) -> list:
        """Own weights (trainable ones first, in creation order), then each sublayer's."""
        return list(self._cached("_weights_cache", self._collect_weights))

    def _collect_weights(self) -> list:
        out, seen = [], set()
        for v in self._trainable_variables + self._non_trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for layer in self._sublayers():
            for v in layer.weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    # The filters read each Variable's `trainable` now (it can be set on the Variable itself).
    @property
    def trainable_weights(self) -> list:
        if not self._trainable:
            return []
        return [v for v in self._cached("_weights_cache", self._collect_weights) if v.trainable]

    @property
    def non_trainable_weights(self) -> list:
        weights = self._cached("_weights_cache", self._collect_weights)
        return [v for v in weights if not v.trainable] if self._trainable else list(weights)

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def losses(self) -> list:
        """Scalar Tensors: activity penalties of the latest call and the weights' penalties."""
        layers, regularized = self._cached("_layers_cache", self._collect_layers)
        if not regularized and not _maybe_holding_losses:
            return []  # no layer has a regularizer or an added loss: skip the walk
        out = []
        for layer in layers:
            out.extend(layer._losses)
            out.extend(regularizer(v) for v, regularizer in layer._regularizers)
        return out

    def _collect_layers(self) -> tuple:
        """(every layer of the tree, this one first; whether any has a weight regularizer)."""
        layers = list(self._flatten_layers())
        return layers, any(layer._regularizers for layer in layers)

    def add_loss(self, loss) -> None:
        """Add a scalar loss Tensor to `losses` (cleared at the start of each outer call)."""
        global _maybe_holding_losses
        _maybe_holding_losses = True
        _HOLDING_LOSSES.add(self)
        self._losses.append(loss if isinstance(loss, Tensor) else Tensor(as_array(loss)))

    def _clear_losses(self) -> None:
        global _maybe_holding_losses
        if not _HOLDING_LOSSES:
            _maybe_holding_losses = False
            return  # nothing to clear: skip the walk over the sublayers
        for layer in self._cached("_layers_cache", self._collect_layers)[0]:
            if layer._losses:
                layer._losses.clear()
                _HOLDING_LOSSES.discard(layer)
        _maybe_holding_losses = bool(_HOLDING_LOSSES)

    @property
    def input(self):
        """The KerasTensor(s) the layer was first called on in a functional model."""
        return self._first_node().call_args[0]

    @property
    def output(self):
        """The KerasTensor(s) the layer produced on its first functional call."""
        return self._first_node().outputs

    def _first_node(self):
        if not self._inbound_nodes:
            raise _NoNodeError(f"{type(self).__name__} '{self.name}': the layer has never been "
                               "called on symbolic inputs, so it has no defined input or output.")
        return self._inbound_nodes[0]

    # ----- lifecycle
    def build(self, input_shape=None) -> None:
        """Create the weights for inputs of `input_shape` (the base class creates none)."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} '{self.name}': call() is not "
                                  "implemented; a Layer subclass must define call(inputs).")

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape`; layers that know it override this."""
        raise NotImplementedError(f"{type(self).__name__} does not implement "
                                  "compute_output_shape().")

    def compute_output_spec(self, inputs, *args, **kwargs):
        """KerasTensor(s) describing the output for KerasTensor `inputs` (records nothing).

        Uses `compute_output_shape`; a layer without one is run once on zeros instead.
        """
        try:
            shapes = self.compute_output_shape(_shapes_of(inputs))
        except NotImplementedError:
            return kt.spec_by_running(self, inputs, args, kwargs)
        return nest.map_shape_structure(lambda s: kt.KerasTensor(s, self._dtype), shapes)

    def compute_mask(self, inputs, mask=None):
        """The output mask: the input mask passes through a layer that supports masking."""
        return mask if self.supports_masking else None

    def __call__(self, inputs, *args, **kwargs):
        if (type(inputs) is not Tensor or args or not _flags_only(kwargs)) and \
                kt.any_symbolic(inputs, args, kwargs):
            return self._symbolic_call(inputs, args, kwargs)
        if type(inputs) is not Tensor or inputs.data.dtype != self._np_dtype:
            inputs = self._convert_inputs(inputs)
        if not self.built:
            self._maybe_build(_shapes_of(inputs))
        if type(inputs) is not Tensor:
            self._check_inputs(inputs)
        else:  # the checks depend only on the input shape and the layer: skip a shape seen before
            passed = self.__dict__.get("_inputs_passed")
            shape = inputs.data.shape
            if passed is None or passed[1] != shape or passed[0] != _structure_version:
                self._check_inputs(inputs)
                self.__dict__["_inputs_passed"] = (_structure_version, shape)
        kwargs, training = call_context.call_kwargs(self, kwargs)
        if _maybe_holding_losses and not call_context.in_call():
            self._clear_losses()
        call_context.push(training)
        anomaly._context.append(self._name)
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            anomaly._context.pop()
            call_context.pop()
        if self.activity_regularizer is not None:
            self._add_activity_losses(outputs)
        return outputs

    def _convert_one(self, x):
        if x is None:
            return x
        if not isinstance(x, Tensor):
            x = Tensor(as_array(x))
        if x.data.dtype.kind == "f" and x.data.dtype != self._np_dtype:
            return astype(x, self._np_dtype)
        return x

    def _convert_inputs(self, inputs):
        if type(inputs) is Tensor and inputs.data.dtype == self._np_dtype:
            return inputs  # fast path: the usual case
        if type(inputs) is np.ndarray:  # a batch from fit/predict: no structure to walk
            if inputs.dtype.kind == "f" and inputs.dtype != self._np_dtype:
                inputs = inputs.astype(self._np_dtype)
            return Tensor(inputs)
        return nest.map_structure(self._convert_one, inputs)

    def _maybe_build(self, input_shapes) -> None:
        self._build_shapes = input_shapes
        if not self.built:
            self.build(input_shapes)
        self.built = True

    def _check_inputs(self, inputs) -> None:
        if self.input_spec is not None:
            assert_input_compatibility(self, inputs)

    def _symbolic_call(self, inputs, args, kwargs):
        if not self.built:
            self._maybe_build(_shapes_of(inputs))
        self._check_inputs(inputs)
        outputs = self.compute_output_spec(inputs, *args, **kwargs)
        kt.Node(self, (inputs, *args), kwargs, outputs)
        return outputs

    def _add_activity_losses(self, outputs) -> None:
        for out in nest.flatten(outputs):
            if isinstance(out, Tensor) and out.data.dtype.kind == "f":
                loss = self.activity_regularizer(out)
                if out.ndim > 0 and out.shape[0] > 0:
                    loss = loss / out.shape[0]  # per-sample strength, as Keras 3
                self.add_loss(loss)

    # ----- weights
    def add_weight(self, *args, **kwargs) -> Variable:
        """Create, track and return a weight Variable.

        Accepts the deltaw/tf.keras order `add_weight(name, shape, initializer, regularizer,
        trainable, dtype, constraint)` and Keras 3's `add_weight(shape, initializer, dtype,
        trainable, ...)`: a first positional argument that is not a string is taken as the shape.

        Args:
            name: Weight name (e.g. 'kernel').
            shape: Tuple of ints; () for a scalar.
            initializer: Name, Initializer or callable `(shape, dtype) -> array`. Defaults to
                'glorot_uniform' for floating weights and 'zeros' otherwise.
            regularizer: Optional; its penalty on this weight joins `losses`.
            trainable: Whether training updates it (BatchNormalization's moving statistics don't).
            dtype: Defaults to the layer dtype.
            constraint: Name, Constraint or callable `w -> w`; optimizers apply it to the weight
                after each update (as Keras).
        """
        spec = arguments.weight_args(type(self).__name__, args, kwargs)
        dtype = backend.standardize_dtype(spec.get("dtype") or self._dtype)
        initializer = spec.get("initializer")
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        shape = tuple(int(d) for d in (spec.get("shape") or ()))
        # inside load_model this fails fast on a forged config asking for gigabytes of weights
        charge(f"{type(self).__name__} '{self.name}'", spec.get("name") or "variable", shape, dtype)
        value = initializers.get(initializer)(shape, dtype=dtype)
        value = value.data if isinstance(value, Tensor) else np.asarray(value, dtype=dtype)
        var = Variable(value, dtype=dtype, trainable=spec.get("trainable", True),
                       name=spec.get("name") or "variable")
        # Files key a layer's weights by the layer tree (models/saving.py), so a layer weight
        # takes no name-scope path (Keras gives it 'layer_name/kernel').
        var.path = None
        (self._trainable_variables if var.trainable else self._non_trainable_variables).append(var)
        if var.trainable and not self.trainable:
            var.trainable = var.requires_grad = False
        if spec.get("regularizer") is not None:
            self._regularizers.append((var, regularizers.get(spec["regularizer"])))
        if spec.get("constraint") is not None:
            var.constraint = constraints.get(spec["constraint"])
            self._constraints.append((var, spec["constraint"]))
        return var

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"{type(self).__name__} '{self.name}': count_params needs a built "
                             "layer; call it on data or call build(input_shape) first.")
        return int(sum(math.prod(v.shape) for v in self.weights))

    def get_weights(self) -> list:
        """Copies of the weights as NumPy arrays, in `weights` order."""
        return [v.data.copy() for v in self.weights]

    def set_weights(self, weights) -> None:
        """Assign NumPy arrays to the weights, in `weights` order, after checking every shape."""
        where, params, arrays = f"{type(self).__name__} '{self.name}'", self.weights, list(weights)
        if len(arrays) != len(params):
            expected = ", ".join(f"{v.name} {v.shape}" for v in params)
            raise ValueError(f"{where}: set_weights expects {len(params)} arrays ({expected}); "
                             f"got {len(arrays)}.")
        arrays = [a.data if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
        for v, a in zip(params, arrays, strict=True):
            if a.shape != v.shape:
                raise ValueError(f"{where}: weight '{v.name}' expects shape {v.shape}; "
                                 f"got {a.shape}.")
        for v, a in zip(params, arrays, strict=True):
            v.assign(a)

    # ----- configuration
    def get_config(self) -> dict:
        """JSON-safe constructor arguments; `from_config(get_config())` rebuilds the layer."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if type(self).get_config is Layer.get_config and type(self).__init__ is not Layer.__init__:
            config.update(arguments.auto_config(self))
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = backend.standardize_dtype(config["dtype"])
        if config.get("quantization_config", 0) is None:
            del config["quantization_config"]  # written by Keras 3.10+; nothing to restore
        return cls(**config)

    def get_build_config(self):
        if self.built and self._build_shapes is not None:
            return {"input_shape": self._build_shapes}
        return None

    def build_from_config(self, config) -> None:
        if config and config.get("input_shape") is not None:
            self._maybe_build(nest.map_shape_structure(tuple, config["input_shape"]))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

