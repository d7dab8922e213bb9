"""NumPy-named differentiable ops, one family per module."""

from deltaw.ops.arithmetic import add, divide, maximum, minimum, multiply, negative, power, subtract
from deltaw.ops.reduction import sum
from deltaw.ops.unary import astype
from deltaw.ops.comparison import equal, greater, greater_equal, less, less_equal, not_equal

__all__ = [
    "add", "divide", "maximum", "minimum", "multiply", "negative", "power", "subtract",
    "equal", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "sum", "astype",
]
