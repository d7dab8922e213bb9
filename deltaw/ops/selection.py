"""Selection: where and clip."""

from __future__ import annotations

from deltaw.autograd.op import primitive
from deltaw.dtypes import as_array
from deltaw.tensor import Tensor


@primitive("where", nin=3)
def where(xp, condition, x1, x2):
    """x1 where `condition` is true, else x2, element-wise with broadcasting, as np.where (the
    three-argument form).

    Args:
        condition: Boolean tensor or array; not differentiated.
        x1, x2: Values to choose from.

    Gradient: g flows to x1 where the condition holds and to x2 elsewhere (0 for the other).

    Example:
        >>> x = dw.tensor([-1.0, 2.0])
        >>> dw.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    if condition.dtype != bool:
        condition = condition.astype(bool)
    return xp.where(condition, x1, x2), (condition,)


@where.backward
def _where_backward(xp, g, saved, needs):
    (condition,) = saved
    return (None,
            xp.where(condition, g, 0) if needs[1] else None,
            xp.where(condition, 0, g) if needs[2] else None)


def _bound(value, dtype):
    if value is None:
        return None
    arr = value.data if isinstance(value, Tensor) else as_array(value, like=dtype)
    # float bounds adopt x's float dtype, so a float32 tensor stays float32
    return arr.astype(dtype, copy=False) if dtype.kind == "f" and arr.dtype.kind in "fiu" else arr


@primitive("clip", nin=1)
def _clip(xp, x, a_min, a_max):
    lo, hi = _bound(a_min, x.dtype), _bound(a_max, x.dtype)
    if lo is None and hi is None:
        return x.copy(), (None,)
    out = xp.clip(x, lo, hi)
    inside = True
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        inside = inside & (x <= hi)
    return out, (inside,)


@_clip.backward
def _clip_backward(xp, g, saved, needs):
    (inside,) = saved
    return (g if inside is None else xp.where(inside, g, 0),)  # 1 inside [a_min, a_max], else 0


def clip(x, a_min=None, a_max=None, *, min=None, max=None):  # noqa: A002 - NumPy's names
    """Limit values to [a_min, a_max], as np.clip; either bound may be None (unbounded).

    NumPy 2's keyword spellings `min=` and `max=` are accepted too (`x.clip(min, max)` passes them
    positionally).

    The bounds are constants (scalars, arrays or Tensors whose values are used): they are not
    differentiated. Use dw.maximum / dw.minimum for trainable bounds. When a_min > a_max every
    element becomes a_max, as NumPy.

    Gradient: 1 where a_min <= x <= a_max, including at the boundary (torch's clamp convention,
    so a value sitting exactly on a bound still learns), and 0 outside.

    Example:
        >>> dw.clip(dw.tensor([-2.0, 0.5, 3.0]), -1.0, 1.0)
        tensor([-1. ,  0.5,  1. ])
    """
    if min is not None:
        if a_min is not None:
            raise TypeError("clip: got both a_min and min; expected one of them.")
        a_min = min
    if max is not None:
        if a_max is not None:
            raise TypeError("clip: got both a_max and max; expected one of them.")
        a_max = max
    return _clip(x, a_min, a_max)
