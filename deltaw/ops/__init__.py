"""NumPy-named differentiable ops, one family per module."""

from deltaw.ops.arithmetic import add, divide, maximum, minimum, multiply, negative, power, subtract
from deltaw.ops.comparison import equal, greater, greater_equal, less, less_equal, not_equal
from deltaw.ops.custom import custom_gradient
from deltaw.ops.decompositions import (
    cholesky,
    det,
    eigh_vectors,
    eigvalsh,
    inv,
    slogdet_logabs,
    solve,
    solve_triangular,
    svdvals,
)
from deltaw.ops.indexing import getitem, index_add, scatter_add
from deltaw.ops.linalg import einsum, matmul
from deltaw.ops.reduction import (
    argmax,
    argmin,
    cumprod,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from deltaw.ops.selection import clip, where
from deltaw.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flip,
    moveaxis,
    pad,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
)
from deltaw.ops.trigonometric import (
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    cosh,
    sinh,
    tan,
)
from deltaw.ops.unary import (
    abs,
    astype,
    cos,
    exp,
    expm1,
    log,
    log1p,
    sign,
    sin,
    sqrt,
    square,
    tanh,
)

__all__ = [
    # arithmetic
    "add", "divide", "maximum", "minimum", "multiply", "negative", "power", "subtract",
    # comparison
    "equal", "greater", "greater_equal", "less", "less_equal", "not_equal",
    # unary
    "abs", "astype", "cos", "exp", "expm1", "log", "log1p", "sign", "sin", "sqrt", "square",
    "tanh",
    # reduction
    "argmax", "argmin", "cumsum", "logsumexp", "max", "mean", "min", "prod", "std", "sum", "var",
    # shape
    "broadcast_to", "concatenate", "expand_dims", "flip", "moveaxis", "pad", "repeat", "reshape",
    "split", "squeeze", "stack", "swapaxes", "tile", "transpose",
    # indexing, linalg, selection
    "getitem", "einsum", "matmul", "clip", "where",
    # keras.ops additions: cumulative product, trigonometric, matrix functions
    "cumprod", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "cosh",
    "sinh", "tan", "cholesky", "det", "inv", "slogdet_logabs", "solve", "solve_triangular",
    "scatter_add", "custom_gradient", "eigvalsh", "svdvals", "index_add", "eigh_vectors",
]

from deltaw.ops import graph_numpy as _graph_numpy  # noqa: E402, F401 - installs create_graph's xp
