"""deltaw: backpropagation over NumPy, with a tf.keras-compatible API.

    import deltaw as dw
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # tensor([2., 4.])
"""

import deltaw.autograd.functional  # noqa: F401 - dw.autograd.functional (vjp, jvp, hessian...)
from deltaw import random
from deltaw._checks import AxisError
from deltaw.autograd.anomaly import NonFiniteError, detect_anomaly
from deltaw.autograd.engine import grad
from deltaw.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from deltaw.autograd.mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from deltaw.autograd.tape import GradientTape
from deltaw.creation import arange, full, ones, ones_like, tensor, zeros, zeros_like
from deltaw.distributed.communicator import abort_job_on_uncaught_exceptions
from deltaw.dtypes import bool_, float16, float32, float64, int32, int64
from deltaw.io.errors import ModelFileError
from deltaw.ops import (
    abs,
    add,
    argmax,
    argmin,
    astype,
    broadcast_to,
    clip,
    concatenate,
    cos,
    cumsum,
    divide,
    einsum,
    equal,
    exp,
    expand_dims,
    expm1,
    flip,
    getitem,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    log1p,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    moveaxis,
    multiply,
    negative,
    not_equal,
    pad,
    power,
    prod,
    repeat,
    reshape,
    sign,
    sin,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    subtract,
    sum,
    swapaxes,
    tanh,
    tile,
    transpose,
    var,
    where,
)
from deltaw.tensor import Tensor, Variable

abort_job_on_uncaught_exceptions()   # under mpiexec only (no mpi4py import): one crash ends all

__version__ = "0.1.0"

__all__ = [
    "AxisError", "GradcheckError", "GradientTape", "NonFiniteError", "Tensor", "Variable",
    "__version__",
    "add", "arange", "bool_", "detect_anomaly", "divide", "enable_grad", "equal", "float16",
    "float32", "float64", "full", "grad", "gradcheck", "gradgradcheck", "greater", "greater_equal",
    "int32", "int64",
    "is_grad_enabled", "less", "less_equal", "maximum", "minimum", "multiply", "negative",
    "no_grad", "not_equal", "ones", "ones_like", "power", "random", "set_grad_enabled",
    "subtract", "sum", "astype", "tensor", "zeros", "zeros_like",
    "ModelFileError",
    # the rest of deltaw.ops
    "abs", "argmax", "argmin", "broadcast_to", "clip", "concatenate", "cos", "cumsum", "einsum",
    "exp", "expand_dims", "expm1", "flip", "getitem", "log", "log1p", "logsumexp", "matmul", "max",
    "mean", "min", "moveaxis", "pad", "prod", "repeat", "reshape", "sign", "sin", "split", "sqrt",
    "square", "squeeze", "stack", "std", "swapaxes", "tanh", "tile", "transpose", "var", "where",
]


def __getattr__(name):
    # deltaw.keras (and deltaw.nn) load on first use so `import deltaw` stays fast.
    if name in ("keras", "nn"):
        import importlib

        module = importlib.import_module(f"deltaw.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'deltaw' has no attribute {name!r}")
