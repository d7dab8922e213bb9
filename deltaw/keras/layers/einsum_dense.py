"""EinsumDense: a dense layer whose product is any einsum of the input and the kernel.

`activation(einsum(equation, inputs, kernel) + bias)`, with the kernel's and bias's shapes
derived from the equation and the output shape as Keras does (`_analyze`). The math is `dw.einsum`
(a primitive with its own backward) and one add.
"""

from __future__ import annotations

import copy
import re

from deltaw.keras import activations, initializers
from deltaw.keras.layers.conv_arguments import (
    add_weight_from_args,
    set_weight_args,
    weight_args_config,
    where_of,
)
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.ops import add, einsum

__all__ = ["EinsumDense"]

_EQUATION = re.compile(r"(\.\.\.)?([a-zA-Z]+)(\.\.\.)?,([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)(\.\.\.)?")


def _parse(where, equation):
    """(input spec, kernel spec, output spec, 'left' | 'right' | None): where the ellipsis is."""
    match = _EQUATION.fullmatch(equation.replace(" ", "")) if isinstance(equation, str) else None
    if match is not None:
        in_left, in_spec, in_right, w_spec, out_left, out_spec, out_right = match.groups()
        if not (in_left or in_right or out_left or out_right):
            return in_spec, w_spec, out_spec, None
        if in_left and out_left and not (in_right or out_right):
            return in_spec, w_spec, out_spec, "left"
        if in_right and out_right and not (in_left or out_left):
            return in_spec, w_spec, out_spec, "right"
    raise ValueError(f"{where}: equation must have the form 'ab,bc->ac', '...b,bc->...c' or "
                     f"'ab...,bc->ac...' (one input, one kernel, an ellipsis on the same side "
                     f"of the input and the output, or none); got equation={equation!r}.")


def _analyze(where, equation, bias_axes, input_shape, partial_output):
    """Keras' shapes for an einsum dense: (kernel shape, bias shape or None, full output shape,
    the kernel's input axes, its output axes).

    The output shape is the batch size, then (with a left ellipsis) the input's other elided
    axes, then `partial_output`, then (with a right ellipsis) the input's trailing elided axes.
    """
    in_spec, w_spec, out_spec, ellipsis = _parse(where, equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(in_spec)
    if elided < 0 or (elided and ellipsis is None):
        raise ValueError(f"{where}: the equation's input spec '{in_spec}' has {len(in_spec)} "
                         f"axes; expected an input of that rank, got input shape {input_shape}.")
    output = [input_shape[0], *partial_output]
    if ellipsis == "left":
        output[1:1] = input_shape[1:elided]
        in_index = {d: i + elided for i, d in enumerate(in_spec)}
        out_index = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        if ellipsis == "right":
            output.extend(input_shape[len(input_shape) - elided:])
        in_index = {d: i for i, d in enumerate(in_spec)}
        out_index = {d: i for i, d in enumerate(out_spec)}
    wanted = len(out_spec) + (elided if ellipsis else 0)
    if len(output) != wanted:
        expected = wanted - (len(output) - len(partial_output))
        raise ValueError(f"{where}: output_shape {tuple(partial_output)} does not fit the "
                         f"equation's output spec '{out_spec}'; expected {expected} sizes.")
    for d in in_spec:
        if d in out_index:
            n_in, n_out = input_shape[in_index[d]], output[out_index[d]]
            if n_out is not None and n_in is not None and n_in != n_out:
                raise ValueError(f"{where}: the input and output shapes differ at shared axis "
                                 f"'{d}'; the input has {n_in}, the output shape {n_out}.")
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise ValueError(f"{where}: output axis '{d}' appears in neither the input spec "
                             f"'{in_spec}' nor the kernel spec '{w_spec}'.")
    kernel, input_axes, output_axes = [], [], []
    for i, d in enumerate(w_spec):
        if d in out_index:
            kernel.append(output[out_index[d]])
            output_axes.append(i)
        elif d in in_index:
            kernel.append(input_shape[in_index[d]])
            input_axes.append(i)
        else:
            raise ValueError(f"{where}: kernel axis '{d}' appears in neither the input spec "
                             f"'{in_spec}' nor the output spec '{out_spec}'; the kernel's shape "
                             "must follow from them.")
    bias = None
    if bias_axes is not None:
        missing = [c for c in bias_axes if c not in out_spec]
        if missing or not bias_axes:
            raise ValueError(f"{where}: bias_axes must be letters of the output spec "
                             f"'{out_spec}'; got bias_axes={bias_axes!r}.")
        offset = elided if ellipsis == "left" else 0
        first = min(out_spec.index(c) for c in bias_axes)
        bias = [output[i + offset] if c in bias_axes else 1
                for i, c in enumerate(out_spec) if i >= first]
        if ellipsis != "left":
            bias.extend([1] * elided)
    return kernel, bias, output, input_axes, output_axes


class EinsumDense(Layer):
    """A dense layer of any einsum equation: `activation(einsum(equation, x, kernel) + bias)`.

    Args:
        equation: 'ab,bc->ac'-style string: input spec, kernel spec, output spec; an ellipsis
            may stand for leading ('...b,bc->...c') or trailing axes of input and output.
        output_shape: Int or tuple, the output's sizes without the first axis (and without the
            elided ones); None entries take the input's size on a shared axis.
        activation: Activation name or callable; None means linear.
        bias_axes: Optional letters of the output spec that the bias spans (it broadcasts over
            the rest); None means no bias.
        kernel_initializer: Default 'glorot_uniform'; a VarianceScaling initializer computes
            its fans from the kernel axes the equation contracts (input) and produces (output).
        bias_initializer: Default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Accepted and kept in the config, not applied.
        lora_rank, lora_alpha, quantization_config: Only None (deltaw has no LoRA or
            quantization).
        **kwargs: Base Layer arguments.

    Weights (Keras order): kernel, then bias when `bias_axes` is given.

    Deviation: with a left ellipsis standing for two or more non-batch axes, Keras'
    `compute_output_shape` lists those axes in reverse order; deltaw's gives the shape the
    layer actually returns.

    Example:
        >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 2), bias_axes="de")
        >>> layer(np.ones((2, 3, 5))).shape
        (2, 3, 4, 2)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        where = where_of(self)
        if lora_rank is not None or lora_alpha is not None or quantization_config is not None:
            raise ValueError(f"{where}: LoRA and quantization are not supported by deltaw; "
                             f"expected lora_rank=None, lora_alpha=None, quantization_config="
                             f"None, got {lora_rank!r}, {lora_alpha!r}, "
                             f"{quantization_config!r}.")
        _parse(where, equation)
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        set_weight_args(self, "kernel", kernel_initializer, kernel_regularizer,
                        kernel_constraint)
        set_weight_args(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.kernel = self.bias = None

    def build(self, input_shape):
        kernel, bias, _, input_axes, output_axes = _analyze(
            where_of(self), self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        if any(d is None for d in kernel):
            raise ValueError(f"{where_of(self)}: the kernel's shape {tuple(kernel)} has unknown "
                             f"sizes; expected known sizes on the contracted input axes and in "
                             f"output_shape, got input shape {tuple(input_shape)}.")
        self.input_spec = InputSpec(ndim=len(input_shape))
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and (
                init.input_axes is None or init.output_axes is None):
            # the fans are the sizes the equation contracts and produces, not the last two axes
            init = copy.copy(init)
            init.input_axes, init.output_axes = input_axes, output_axes
        self.kernel = self.add_weight("kernel", tuple(kernel), init, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if bias is not None:
            self.bias = add_weight_from_args(self, "bias", tuple(bias))
        self.built = True

    def call(self, inputs):
        out = einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = add(out, self.bias)
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        _, _, output, _, _ = _analyze(where_of(self), self.equation, self.bias_axes, input_shape,
                                      self.partial_output_shape)
        return tuple(output)

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            **weight_args_config(self, "kernel"),
            **weight_args_config(self, "bias"),
        }
