"""Tensor and Variable. No math lives here: every operator and method calls a deltaw op."""

from __future__ import annotations

import threading

import numpy as np

from deltaw.dtypes import as_array

_new_object = object.__new__
_UNSET_DEFAULTS = {"grad": None, "_version": 0, "name": None}

# The name scope open while a Variable is made ('outer/inner'), the prefix of its `path`.
# deltaw.keras.name_scope sets it (per thread); the engine itself opens none.
_NAME_SCOPE = threading.local()


class Tensor:
    """An n-dimensional array that records the ops applied to it, so `backward()` can differentiate.

    Create with `dw.tensor(data, dtype=None, requires_grad=False)`.
    """

    __slots__ = ("data", "grad", "requires_grad", "_node", "_version", "name", "__weakref__")
    __array_ufunc__ = None  # NumPy defers `ndarray + Tensor` to Tensor.__radd__

    def __init__(self, data, dtype=None, requires_grad=False, name=None):
        arr = data.data if isinstance(data, Tensor) else as_array(data, dtype=dtype)
        if isinstance(data, Tensor) and dtype is not None:
            arr = arr.astype(dtype)
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError("tensor: only floating tensors can require grad; "
                            f"got dtype {arr.dtype}. Hint: pass dtype='float32'.")
        self.data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._node = None
        self._version = 0
        self.name = name

    @classmethod
    def _from_op(cls, data, node):
        # The hot path of every op: set only what differs from _UNSET_DEFAULTS.
        t = _new_object(Tensor)
        t.data = data
        t._node = node
        t.requires_grad = node is not None
        return t

    def __getattr__(self, name):
        # Reached only for slots _from_op left unset (grad, _version, name): their defaults.
        try:
            return _UNSET_DEFAULTS[name]
        except KeyError:
            raise AttributeError(f"'Tensor' object has no attribute {name!r}") from None

    # ----- array facts
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied; treat it as read-only)."""
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number; "
                             f"got shape {self.shape}.")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._from_op(self.data, None)

    def __array__(self, dtype=None, copy=None):
        # NumPy's protocol: always an ndarray; copy=False forbids a copy, copy=True demands one
        data = np.asarray(self.data)
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(f"Tensor.__array__: a cast from {data.dtype} to "
                                 f"{np.dtype(dtype)} needs a copy; got copy=False.")
            return data.astype(dtype)
        return data.copy() if copy else data

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.data.dtype != np.float32:
            extra = f", dtype={self.data.dtype}" + extra
        return f"tensor({body}{extra})"

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.shape} is "
                             "ambiguous; use .any() or .all().")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.ndim:
            raise TypeError("only integer scalar tensors can be used as an index")
        return int(self.data)

    __hash__ = object.__hash__  # identity; __eq__ is element-wise

    # ----- autograd
    def backward(self, grad=None, retain_graph=None, create_graph=False) -> None:
        """Backpropagate from this tensor, adding d(self)/d(leaf) into each leaf's `.grad`.

        `create_graph=True` records the backward pass, so the `.grad`s can be differentiated
        again; `retain_graph` defaults to `create_graph` (PyTorch's semantics).
        """
        _engine.backward(self, grad, retain_graph, create_graph)

    def requires_grad_(self, requires_grad=True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: only floating tensors can require grad; "
                            f"got dtype {self.dtype}.")
        if self._node is not None:
            raise RuntimeError("requires_grad_: only leaf tensors can change requires_grad; "
                               "use .detach() first.")
        self.requires_grad = requires_grad
        return self

    # ----- operators
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.subtract(self, other)
    def __rsub__(self, other): return _ops.subtract(other, self)
    def __mul__(self, other): return _ops.multiply(self, other)
    def __rmul__(self, other): return _ops.multiply(other, self)
    def __truediv__(self, other): return _ops.divide(self, other)
    def __rtruediv__(self, other): return _ops.divide(other, self)
    def __pow__(self, other): return _ops.power(self, other)
    def __rpow__(self, other): return _ops.power(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _ops.negative(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __lt__(self, other): return _ops.less(self, other)
    def __le__(self, other): return _ops.less_equal(self, other)
    def __gt__(self, other): return _ops.greater(self, other)
    def __ge__(self, other): return _ops.greater_equal(self, other)
    def __eq__(self, other): return _ops.equal(self, other)
    def __ne__(self, other): return _ops.not_equal(self, other)
    def __getitem__(self, index): return _ops.getitem(self, index)

    def __setitem__(self, index, value):
        raise TypeError("Tensor does not support item assignment: backward may still need its "
                        "values. Build a new tensor with dw.where or dw.concatenate, or use "
                        "Variable.assign for weights.")

    # ----- NumPy-named methods
    @property
    def T(self): return _ops.transpose(self)  # noqa: N802 - NumPy's name
    def astype(self, dtype): return _ops.astype(self, dtype)
    def reshape(self, *shape):
        return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)
    def transpose(self, *axes):
        return _ops.transpose(self, axes[0] if len(axes) == 1 else (axes or None))
    def flatten(self): return _ops.reshape(self, (-1,))
    def swapaxes(self, axis1, axis2): return _ops.swapaxes(self, axis1, axis2)
    def squeeze(self, axis=None): return _ops.squeeze(self, axis)
    def repeat(self, repeats, axis=None): return _ops.repeat(self, repeats, axis)
    def clip(self, min=None, max=None): return _ops.clip(self, min, max)  # noqa: A002
    def sum(self, axis=None, keepdims=False): return _ops.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _ops.mean(self, axis, keepdims)
    def var(self, axis=None, ddof=0, keepdims=False): return _ops.var(self, axis, ddof, keepdims)
    def std(self, axis=None, ddof=0, keepdims=False): return _ops.std(self, axis, ddof, keepdims)
    def max(self, axis=None, keepdims=False): return _ops.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return _ops.min(self, axis, keepdims)
    def prod(self, axis=None, keepdims=False): return _ops.prod(self, axis, keepdims)
    def cumsum(self, axis=None): return _ops.cumsum(self, axis)
    def argmax(self, axis=None, keepdims=False): return _ops.argmax(self, axis, keepdims)
    def argmin(self, axis=None, keepdims=False): return _ops.argmin(self, axis, keepdims)
    def any(self, axis=None, keepdims=False): return Tensor(self.data.any(axis, keepdims=keepdims))
    def all(self, axis=None, keepdims=False): return Tensor(self.data.all(axis, keepdims=keepdims))


class Variable(Tensor):
    """A named, mutable leaf tensor: the weights of layers and the state of optimizers.

    In-place updates (`assign`, `assign_add`, `assign_sub`) bump `_version`, so a backward that
    still needs the old values raises instead of silently using the new ones.
    """

    __slots__ = ("trainable", "constraint", "path")

    def __init__(self, initial_value, dtype=None, trainable=True, name=None, constraint=None):
        super().__init__(initial_value, dtype=dtype, name=name)
        if self.data is initial_value or not self.data.flags.writeable:
            self.data = self.data.copy()
        self.trainable = bool(trainable)
        # a callable w -> w that optimizers apply after each update (Keras' variable.constraint)
        self.constraint = constraint
        self.requires_grad = self.trainable and self.data.dtype.kind == "f"
        # Keras' variable.path: the name scopes open at creation, then the name ('outer/v')
        scope = getattr(_NAME_SCOPE, "path", "")
        self.path = f"{scope}/{name or 'variable'}" if scope else name

    @property
    def value(self) -> Tensor:
        return self

    def assign(self, value) -> Variable:
        arr = value.data if isinstance(value, Tensor) else np.asarray(value)
        if arr.shape != self.data.shape and arr.size != 1:
            where = f"Variable '{self.name}'" if self.name else "Variable"
            raise ValueError(f"{where}: assign expects shape {self.data.shape}; got {arr.shape}.")
        self.data[...] = arr
        self._version += 1
        return self

    def assign_add(self, delta) -> Variable:
        self.data += delta.data if isinstance(delta, Tensor) else delta
        self._version += 1
        return self

    def assign_sub(self, delta) -> Variable:
        self.data -= delta.data if isinstance(delta, Tensor) else delta
        self._version += 1
        return self

    def __repr__(self):
        return f"<Variable '{self.name}' shape={self.shape} dtype={self.dtype}>"


# Imported last: the op modules need Tensor defined.
from deltaw import ops as _ops  # noqa: E402
from deltaw.autograd import engine as _engine  # noqa: E402
