"""Adaptive pooling layers: AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D.

They pool a channels-last input to a fixed `output_size`, whatever its spatial size. Output
position i along an axis of length n covers inputs floor(i * n / out) to ceil((i + 1) * n / out)
(PyTorch's rule, which Keras' torch backend uses): windows may overlap and vary by one in
length. Both reductions are separable, so each spatial axis is pooled in turn: one slice and one
`dw.mean`/`dw.max` per output position, stacked with `dw.stack`. Gradients come from those ops
(a max tie shares its gradient the way `dw.max` does).
"""

from __future__ import annotations

from deltaw.keras.layers.conv_arguments import standardize_data_format, standardize_tuple, where_of
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.ops import max as reduce_max
from deltaw.ops import mean, stack

__all__ = ["AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
           "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"]


def _windows(n, out):
    """(start, stop) of each of the `out` adaptive windows over `n` inputs."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


class _AdaptivePooling(Layer):
    rank = 1
    _reduce = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = where_of(self)
        self.output_size = standardize_tuple(where, "output_size", output_size, self.rank)
        self.data_format = standardize_data_format(where, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        out = inputs
        for axis, size in enumerate(self.output_size, start=1):
            lead = (slice(None),) * axis
            pieces = [type(self)._reduce(out[(*lead, slice(a, b))], axis=axis)
                      for a, b in _windows(out.shape[axis], size)]
            out = stack(pieces, axis=axis)
        return out

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{where_of(self)}: expected an input of rank {self.rank + 2}, got "
                             f"input shape {tuple(input_shape)}.")
        return (input_shape[0], *self.output_size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


def _average(x, axis):
    return mean(x, axis=axis)


def _maximum(x, axis):
    return reduce_max(x, axis=axis)


_DOC = """Adaptive {kind} pooling to a fixed output size: (batch, {inp}, channels) ->
    (batch, {out}, channels).

    Args:
        output_size: {size}
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        **kwargs: Base Layer arguments.
    """


class AdaptiveAveragePooling1D(_AdaptivePooling):
    rank = 1
    _reduce = staticmethod(_average)


class AdaptiveAveragePooling2D(_AdaptivePooling):
    rank = 2
    _reduce = staticmethod(_average)


class AdaptiveAveragePooling3D(_AdaptivePooling):
    rank = 3
    _reduce = staticmethod(_average)


class AdaptiveMaxPooling1D(_AdaptivePooling):
    rank = 1
    _reduce = staticmethod(_maximum)


class AdaptiveMaxPooling2D(_AdaptivePooling):
    rank = 2
    _reduce = staticmethod(_maximum)


class AdaptiveMaxPooling3D(_AdaptivePooling):
    rank = 3
    _reduce = staticmethod(_maximum)


_SHAPES = {1: ("steps", "output_size", "Int (or a 1-tuple), the output length."),
           2: ("height, width", "oh, ow", "Int or (oh, ow)."),
           3: ("d1, d2, d3", "o1, o2, o3", "Int or 3 ints.")}
for _cls in (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D,
             AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D):
    _inp, _out, _size = _SHAPES[_cls.rank]
    _cls.__doc__ = _DOC.format(kind="average" if _cls._reduce is _average else "max",
                               inp=_inp, out=_out, size=_size)
