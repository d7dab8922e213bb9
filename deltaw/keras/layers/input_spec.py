"""InputSpec: what a layer accepts (rank, known axis sizes), checked on every call.

A layer sets `self.input_spec` (usually in `build`, once it knows its input size); `__call__`
then checks eager and symbolic inputs against it, so a wrong shape fails with the layer's name
and both shapes instead of deep inside a matmul.
"""

from __future__ import annotations

from deltaw.keras.layers import nest

__all__ = ["InputSpec", "assert_input_compatibility"]


class InputSpec:
    """Rank and axis constraints on a layer's input (Keras' `InputSpec`).

    Args:
        dtype: Expected dtype name, or None for any.
        shape: Full expected shape (None entries match anything), or None.
        ndim: Exact rank, or None.
        max_ndim, min_ndim: Rank bounds, or None.
        axes: Dict {axis: size}; negative axes count from the end.
        allow_last_axis_squeeze: Accept an input whose trailing size-1 axis is missing or extra.
        name: Name of the input this spec describes (for messages).
        optional: Whether the input may be None.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                                           ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                                           ("min_ndim", self.min_ndim), ("axes", self.axes or None))
                 if v is not None]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _shape_str(shape) -> str:
    return str(tuple(shape))


def _axis_phrase(axis: int) -> str:
    return "the input's last axis" if axis == -1 else f"axis {axis} of the input"


def _problem(spec: InputSpec, shape: tuple) -> str | None:
    """What is wrong with an input of `shape` for `spec` (the message's tail), or None."""
    rank = len(shape)
    if spec.ndim is not None and rank != spec.ndim and not spec.allow_last_axis_squeeze:
        return f"expected an input of rank {spec.ndim}, got input shape {_shape_str(shape)}."
    if spec.min_ndim is not None and rank < spec.min_ndim:
        return f"expected an input of rank >= {spec.min_ndim}, got input shape {_shape_str(shape)}."
    if spec.max_ndim is not None and rank > spec.max_ndim:
        return f"expected an input of rank <= {spec.max_ndim}, got input shape {_shape_str(shape)}."
    for axis, size in spec.axes.items():
        if size is not None and (not -rank <= axis < rank
                                 or shape[axis] is not None and shape[axis] != size):
            return (f"expected {_axis_phrase(axis)} to be {size}, got input shape "
                    f"{_shape_str(shape)}.")
    if spec.shape is not None and rank == len(spec.shape):
        for want, got in zip(spec.shape, shape, strict=True):
            if want is not None and got is not None and want != got:
                return f"expected input shape {_shape_str(spec.shape)}, got {_shape_str(shape)}."
    return None


def assert_input_compatibility(layer, inputs) -> None:
    """Check `inputs` (Tensors or KerasTensors, possibly nested) against `layer.input_spec`.

    Raises:
        ValueError: `<Class> '<name>': expected ..., got input shape (...)`.
    """
    specs = layer.input_spec
    if specs is None:
        return
    if isinstance(specs, InputSpec) and hasattr(inputs, "shape"):  # the usual case: one input
        problem = _problem(specs, inputs.shape)
        if problem is not None:
            raise ValueError(f"{type(layer).__name__} '{layer.name}': {problem}")
        return
    where = f"{type(layer).__name__} '{layer.name}'"
    flat_specs = specs if isinstance(specs, list | tuple) else [specs]
    flat_inputs = nest.flatten(inputs)
    if len(flat_specs) > 1 and len(flat_inputs) != len(flat_specs):
        raise ValueError(f"{where}: expected {len(flat_specs)} inputs, got {len(flat_inputs)}.")
    if len(flat_specs) == 1:
        flat_specs = flat_specs * len(flat_inputs)
    for spec, x in zip(flat_specs, flat_inputs, strict=True):
        problem = None if spec is None or x is None else _problem(spec, tuple(x.shape))
        if problem is not None:
            raise ValueError(f"{where}: {problem}")
