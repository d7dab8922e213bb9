"""Element-wise unary ops: exp log log1p expm1 sqrt square abs sign tanh sin cos, and astype."""

from __future__ import annotations

import numpy as np

from deltaw.autograd.op import primitive


@primitive("astype", nin=1)
def astype(xp, x, dtype):
    """A copy of `x` cast to `dtype`. Differentiable between floating dtypes; the gradient is cast
    back to the input's dtype."""
    dtype = np.dtype(dtype)
    return x.astype(dtype), (x.dtype,)


@astype.backward
def _astype_backward(xp, g, saved, needs):
    (in_dtype,) = saved
    return (g.astype(in_dtype) if in_dtype.kind == "f" else None,)
