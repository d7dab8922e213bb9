"""The op table: one OpSpec per differentiable op (and composite), driving every op test.

Rows live in family files (rows_*.py) so that the table stays readable; OP_TABLE is the one list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.ops.samples import ErrorCase, Sample

__all__ = ["OP_TABLE", "EXEMPT", "OpSpec", "ErrorCase", "Sample"]


@dataclass(frozen=True)
class OpSpec:
    op: str                                   # registry name in OPS (or the public composite name)
    fn: Callable                              # called with Tensors (and the sample's kwargs)
    ref: Callable | None                      # NumPy reference on arrays, or None
    samples: Callable                         # rng -> list[Sample]
    variant: str = ""
    grad_args: tuple[int, ...] = (0,)         # () means not differentiable: reference only
    errors: tuple[ErrorCase, ...] = ()
    rtol: float = 1e-3
    atol: float = 1e-5
    torch: Callable | None = None             # torch reference (torch module, *tensors, **kwargs)


def _rows():
    from tests.ops import (
        rows_composed_activations,
        rows_composed_losses,
        rows_core,
        rows_keras_nn,
        rows_keras_numpy,
        rows_layers,
        rows_nn,
        rows_vision,
    )

    modules = (
        rows_core, rows_nn, rows_vision, rows_composed_activations, rows_composed_losses,
        rows_keras_nn, rows_keras_numpy, rows_layers,
    )
    return [row for module in modules for row in module.ROWS]


OP_TABLE: list[OpSpec] = _rows()

# Registered ops that need no row, with the reason.
EXEMPT: dict[str, str] = {}
