"""An allocation budget for rebuilding a model from an untrusted file.

A forged config can ask for `Dense(units=10**9)`: building it would allocate gigabytes before any
weight in the file is even looked at. While `load_model` rebuilds a model it opens an
`allocation_budget` equal to the bytes of weights the file really holds (the rebuilt model must
match them exactly), and `Layer.add_weight` calls `charge(...)` before creating each weight, so an
oversized config fails fast with `ModelFileError` instead of exhausting memory. Outside a budget,
`charge` does nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import numpy as np

from deltaw.io.errors import ModelFileError

__all__ = ["allocation_budget", "charge"]


class _Budget:
    __slots__ = ("where", "total", "left")

    def __init__(self, where: str, total: int):
        self.where, self.total, self.left = where, total, total


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("deltaw_io_budget",
                                                                         default=None)


@contextlib.contextmanager
def allocation_budget(nbytes: int, where: str) -> Iterator[None]:
    """Allow at most `nbytes` of weights to be created inside the block (see `charge`).

    Args:
        nbytes: The budget in bytes.
        where: Prefix of the error message (the API and file).
    """
    token = _BUDGET.set(_Budget(where, int(nbytes)))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def charge(owner: str, name: str, shape, dtype) -> None:
    """Account for a weight about to be created; raise when the open budget is exceeded.

    Args:
        owner: Who creates it, for the message (e.g. "Dense 'dense'").
        name: The weight's name (e.g. "kernel").
        shape: Its shape (ints).
        dtype: Its dtype.

    Raises:
        ModelFileError: Inside `allocation_budget`, when the weights created so far plus this one
            need more bytes than the budget allows.
    """
    budget = _BUDGET.get()
    if budget is None:
        return
    nbytes = np.dtype(dtype).itemsize
    for d in shape:
        nbytes *= int(d)  # Python ints: no overflow however large the forged dimensions
    budget.left -= nbytes
    if budget.left < 0:
        raise ModelFileError(
            f"{budget.where}: the model config asks {owner} for weight '{name}' of shape "
            f"{tuple(shape)} ({nbytes} bytes), beyond the {budget.total} bytes of weights the file "
            "holds; expected a config that matches the file's weights.")
