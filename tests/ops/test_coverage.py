"""The op table is the contract: every registered op and every public op function has a row."""

from __future__ import annotations

import inspect

import deltaw.nn  # noqa: F401 - registers the dw.nn primitives in OPS, so they are checked too
import deltaw.ops
from deltaw.autograd.op import OPS
from tests.ops.op_table import EXEMPT, OP_TABLE

COVERED = {spec.op for spec in OP_TABLE}


def test_every_registered_op_is_in_the_table():
    missing = sorted(set(OPS) - COVERED - set(EXEMPT))
    assert not missing, (f"ops with no OpSpec: {missing}. Add a row to tests/ops/rows_core.py "
                         "(deltaw.ops) or tests/ops/rows_nn.py (deltaw.nn), or an EXEMPT entry "
                         "with a reason in tests/ops/op_table.py.")


def test_every_public_op_function_is_in_the_table():
    missing = sorted(name for name in deltaw.ops.__all__
                     if name not in COVERED and name not in EXEMPT)
    assert not missing, f"deltaw.ops exports with no OpSpec: {missing}. Add them to rows_core.py."


def test_every_public_nn_function_is_in_the_table():
    names = getattr(deltaw.nn, "__all__", [])
    functions = [n for n in names if inspect.isfunction(getattr(deltaw.nn, n, None))]
    missing = sorted(n for n in functions if n not in COVERED and n not in EXEMPT)
    assert not missing, f"deltaw.nn functions with no OpSpec: {missing}. Add them to rows_nn.py."


def test_exemptions_are_explained_and_current():
    for name, reason in EXEMPT.items():
        assert reason.strip(), f"EXEMPT[{name!r}] needs a reason."
        assert name in OPS or name in deltaw.ops.__all__ or name in getattr(
            deltaw.nn, "__all__", []), f"EXEMPT[{name!r}] names no op; remove it."


def test_rows_name_real_ops():
    public = set(deltaw.ops.__all__) | set(getattr(deltaw.nn, "__all__", []))
    unknown = sorted(COVERED - set(OPS) - public)
    assert not unknown, f"rows whose op is neither registered nor public: {unknown}."
