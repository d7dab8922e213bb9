"""Merging layers: combine a list of tensors into one.

Element-wise merges (Add, Subtract, Multiply, Average, Maximum, Minimum) accept inputs of equal
or broadcastable shapes (NumPy rules on the non-batch axes, as Keras); Concatenate joins inputs
that match on every axis except `axis`; Dot contracts one axis of each of two inputs (a batched
dot product). Each class has a functional shortcut (`add([a, b])`).
"""

from __future__ import annotations

import functools

from deltaw.keras.layers import nest
from deltaw.keras.layers.layer import Layer
from deltaw.keras.ops import numpy as knp
from deltaw.ops import add as _add
from deltaw.ops import concatenate as _concatenate
from deltaw.ops import divide as _divide
from deltaw.ops import einsum as _einsum
from deltaw.ops import expand_dims as _expand_dims
from deltaw.ops import maximum as _maximum
from deltaw.ops import minimum as _minimum
from deltaw.ops import multiply as _multiply
from deltaw.ops import sqrt as _sqrt
from deltaw.ops import square as _square
from deltaw.ops import subtract as _subtract
from deltaw.ops import sum as _sum

__all__ = [
    "Add", "Average", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract", "add",
    "average", "concatenate", "maximum", "minimum", "multiply", "subtract",
    "Dot", "dot",
]


class Merge(Layer):
    """Base class of the element-wise merges: checks the inputs, then folds `_merge` over them."""

    _exact_inputs = None  # Subtract takes exactly 2
    # the values of masked inputs, where Keras changes them (Multiply, Maximum, Minimum); Add
    # and Subtract fold the values as they are and only pass the mask on
    _merge_masked = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _where(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def _check_list(self, items):
        if not isinstance(items, list | tuple) or (items and nest.is_shape(items)):
            raise ValueError(f"{self._where()}: a merge layer takes a list of inputs; got a "
                             "single input.")
        need = self._exact_inputs
        if need is not None and len(items) != need:
            raise ValueError(f"{self._where()}: expected exactly {need} inputs, got {len(items)}.")
        if len(items) < 1:
            raise ValueError(f"{self._where()}: expected at least 1 input, got 0.")

    def _broadcast(self, shape1, shape2):
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        out = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2, strict=True):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1 or i == j:
                out.append(j if i == 1 else i)
            else:
                raise ValueError(f"{self._where()}: inputs have incompatible shapes; expected "
                                 f"equal or broadcastable shapes, got {tuple(shape1)} and "
                                 f"{tuple(shape2)}.")
        return tuple(out)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        batch = {s[0] for s in input_shape if s} - {None}
        if len(batch) > 1:
            raise ValueError(f"{self._where()}: inputs have different batch sizes; expected "
                             f"one, got shapes {[tuple(s) for s in input_shape]}.")
        rest = functools.reduce(self._broadcast, [tuple(s[1:]) for s in input_shape])
        return (batch.pop() if batch else None, *rest)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs, mask=None):
        self._check_list(inputs)
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        masks = _mask_list(self, inputs, mask)
        if self._merge_masked is None or masks is None or all(m is None for m in masks):
            return functools.reduce(self._merge, inputs)
        return self._merge_masked(inputs, masks)

    def _fold_over_masked(self, inputs, masks):
        """Keras' Maximum/Minimum with masks: a masked-out entry takes the other operand's
        value, so padding never wins the comparison (the fold has no identity element)."""
        output, output_mask = None, None
        for x, mask in zip(inputs, masks, strict=True):
            mask = _spread(mask, x)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = knp.where(mask, x, output)
            if output_mask is not None:
                output = knp.where(output_mask, output, x)
            output_mask = (knp.logical_or(output_mask, mask)
                           if mask is not None and output_mask is not None else None)
            output = self._merge(output, x)
        return output

    def compute_mask(self, inputs, mask=None):
        """Keras' rule: the OR of the inputs' masks, or no mask when any input has none."""
        masks = _mask_list(self, inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        return functools.reduce(knp.logical_or, masks)


def _mask_list(layer, inputs, mask):
    """The per-input masks as a list (None when no mask reached the layer), checked as Keras."""
    if mask is None:
        return None
    if not isinstance(mask, list | tuple):
        raise ValueError(f"{layer._where()}: `mask` should be a list with one entry per input; "
                         f"got {type(mask).__name__}.")
    if len(mask) != len(inputs):
        raise ValueError(f"{layer._where()}: the lists `inputs` and `mask` should have the "
                         f"same length; got {len(inputs)} inputs and {len(mask)} masks.")
    return list(mask)


def _spread(mask, x):
    """A (..., steps) mask over x's features (broadcast along its last axis); None stays None."""
    return None if mask is None else knp.broadcast_to(knp.expand_dims(mask, -1), tuple(x.shape))


class Add(Merge):
    """Element-wise sum of the inputs.

    Example:
        >>> Add()([np.ones((2, 3)), np.ones((2, 3))]).numpy()[0]
        array([2., 2., 2.], dtype=float32)
    """

    @staticmethod
    def _merge(a, b):
        return _add(a, b)


class Subtract(Merge):
    """Element-wise difference `inputs[0] - inputs[1]` of exactly two inputs."""

    _exact_inputs = 2

    @staticmethod
    def _merge(a, b):
        return _subtract(a, b)


class Multiply(Merge):
    """Element-wise product of the inputs."""

    @staticmethod
    def _merge(a, b):
        return _multiply(a, b)

    def _merge_masked(self, inputs, masks):
        """As Keras: a masked-out entry counts as 1 in the product, and where every input has a
        mask, the entries that all of them mask out come out as 0."""
        spread = [_spread(m, x) for x, m in zip(inputs, masks, strict=True)]
        output = functools.reduce(_multiply, [x if m is None else knp.where(m, x, 1.0)
                                              for x, m in zip(inputs, spread, strict=True)])
        if any(m is None for m in spread):
            return output
        return knp.where(functools.reduce(knp.logical_or, spread), output, 0.0)


class Maximum(Merge):
    """Element-wise maximum of the inputs (ties split the gradient equally, as dw.maximum)."""

    @staticmethod
    def _merge(a, b):
        return _maximum(a, b)

    _merge_masked = Merge._fold_over_masked


class Minimum(Merge):
    """Element-wise minimum of the inputs (ties split the gradient equally, as dw.minimum)."""

    @staticmethod
    def _merge(a, b):
        return _minimum(a, b)

    _merge_masked = Merge._fold_over_masked


class Average(Merge):
    """Element-wise mean of the inputs."""

    def call(self, inputs):
        self._check_list(inputs)
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        return functools.reduce(_add, inputs) * (1.0 / len(inputs))


class Concatenate(Layer):
    """Concatenates a list of inputs along `axis`.

    Args:
        axis: Concatenation axis (default -1, the last). Every other axis must match.
        **kwargs: Base Layer arguments.

    Example:
        >>> Concatenate()([np.zeros((2, 3)), np.zeros((2, 4))]).shape
        (2, 7)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.supports_masking = True

    def _where(self) -> str:
        return f"Concatenate '{self.name}'"

    def _checked(self, shapes) -> tuple:
        where = self._where()
        if not isinstance(shapes, list | tuple) or not shapes or not isinstance(
                shapes[0], list | tuple):
            raise ValueError(f"{where}: expected a list of inputs, got {shapes!r}.")
        shapes = [tuple(s) for s in shapes]
        rank = len(shapes[0])
        if not -rank <= self.axis < rank or any(len(s) != rank for s in shapes):
            raise ValueError(f"{where}: inputs must have the same rank, with axis {self.axis} in "
                             f"range; got shapes {shapes}.")
        axis = self.axis % rank
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, s, strict=True)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(f"{where}: inputs must match on every axis except the "
                                     f"concatenation axis {self.axis}; got shapes {shapes}.")
                elif a is None:
                    out[i] = b
        return tuple(out)

    def build(self, input_shape):
        self._checked(input_shape)
        self.built = True

    def call(self, inputs):
        self._checked([tuple(x.shape) for x in inputs] if isinstance(inputs, list | tuple)
                      else inputs)
        return _concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        return self._checked(input_shape)

    def compute_mask(self, inputs, mask=None):
        """Keras' rule: each input's mask (all True where it has none) spread over its features,
        joined along `axis`; a position is kept where any of its features is."""
        masks = _mask_list(self, inputs, mask)
        if masks is None or all(m is None for m in masks):
            return None
        spread = []
        for x, m in zip(inputs, masks, strict=True):
            if m is None:
                spread.append(knp.ones_like(x, dtype="bool"))
            elif len(m.shape) < len(x.shape):
                spread.append(_spread(m, x))
            else:
                spread.append(m)
        return knp.any(knp.concatenate(spread, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """Functional form of `Add`: `add([a, b])`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of `Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


_L2_FLOOR = 1e-14
"""Floor of the sum of squares when Dot normalizes: Keras' `ops.normalize` divides by
max(norm, epsilon()) with epsilon() = 1e-7, and (1e-7) ** 2 = 1e-14."""


class Dot(Layer):
    """Dot product of two samples along one axis each: Keras' `batch_dot`.

    For inputs of shapes `(batch, *a)` and `(batch, *b)`, axis `axes[0]` of the first and
    `axes[1]` of the second (equal sizes) are summed over; the output has the first input's
    remaining axes, then the second's (batch excluded), and `(batch, 1)` when nothing else
    remains.

    Args:
        axes: Int (the same axis of both) or a pair of ints; negative values count from the
            end. Axis 0 is the batch axis.
        normalize: Whether to L2-normalise both inputs along their dot axis first (the output is
            then the cosine similarity).
        **kwargs: Base Layer arguments.

    Example:
        >>> Dot(axes=1)([np.ones((2, 3)), np.ones((2, 3))]).numpy()
        array([[3.],
               [3.]], dtype=float32)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        where = f"Dot '{self.name}'"
        if isinstance(axes, list | tuple):
            if len(axes) != 2 or not all(isinstance(a, int) and not isinstance(a, bool)
                                         for a in axes):
                raise ValueError(f"{where}: axes must be an int or a pair of ints; got "
                                 f"axes={axes!r}.")
            axes = list(axes)
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise TypeError(f"{where}: axes must be an int or a pair of ints; got axes={axes!r}.")
        self.axes = axes
        self.normalize = bool(normalize)
        self.supports_masking = True

    def _axes(self, shape1, shape2) -> tuple:
        pair = [self.axes, self.axes] if isinstance(self.axes, int) else self.axes
        axes = tuple(a % len(s) if a < 0 else a for a, s in zip(pair, (shape1, shape2),
                                                               strict=True))
        where = f"Dot '{self.name}'"
        if any(a == 0 or a >= len(s) for a, s in zip(axes, (shape1, shape2), strict=True)):
            raise ValueError(f"{where}: axes must name non-batch axes of the inputs; got "
                             f"axes={self.axes} for input shapes {tuple(shape1)} and "
                             f"{tuple(shape2)}.")
        n1, n2 = shape1[axes[0]], shape2[axes[1]]
        if n1 is not None and n2 is not None and n1 != n2:
            raise ValueError(f"{where}: the dot axes must have equal sizes; got {n1} (axis "
                             f"{axes[0]} of {tuple(shape1)}) and {n2} (axis {axes[1]} of "
                             f"{tuple(shape2)}).")
        return axes

    def _pair(self, items):
        if not isinstance(items, list | tuple) or len(items) != 2 or nest.is_shape(items):
            raise ValueError(f"Dot '{self.name}': expected a list of 2 inputs; got "
                             f"{type(items).__name__} {items!r:.80}.")
        return items

    def build(self, input_shape):
        shape1, shape2 = self._pair(input_shape)
        self._axes(shape1, shape2)
        self.built = True

    def call(self, inputs):
        x1, x2 = self._pair(inputs)
        a1, a2 = self._axes(x1.shape, x2.shape)
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a1), _l2_normalize(x2, a2)
        letters = iter("bcdefghijklmnopqrstuvwxyz")
        sub1 = ["a"] + [next(letters) for _ in range(x1.ndim - 1)]
        sub2 = ["a"] + [next(letters) for _ in range(x2.ndim - 1)]
        sub2[a2] = sub1[a1]
        out = [c for i, c in enumerate(sub1) if i != a1] + \
            [c for i, c in enumerate(sub2) if i not in (0, a2)]
        result = _einsum(f"{''.join(sub1)},{''.join(sub2)}->{''.join(out)}", x1, x2)
        return _expand_dims(result, 1) if result.ndim == 1 else result

    def compute_output_shape(self, input_shape):
        shape1, shape2 = (list(s) for s in self._pair(input_shape))
        a1, a2 = self._axes(shape1, shape2)
        shape1.pop(a1)
        shape2.pop(a2)
        out = shape1 + shape2[1:]
        return tuple(out + [1] if len(out) == 1 else out)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis):
    squares = _sum(_square(x), axis=axis, keepdims=True)
    return _divide(x, _sqrt(_maximum(squares, _L2_FLOOR)))


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`: `Dot(axes, **kwargs)(inputs)`."""
    return Dot(axes=axes, **kwargs)(inputs)
