"""Every ErrorCase in the op table raises its exception type with a message matching its regex."""

from __future__ import annotations

import re

import numpy as np
import pytest

import deltaw as dw
from tests.ops.op_table import OP_TABLE


def _cases():
    cases = []
    for spec in OP_TABLE:
        for k, err in enumerate(spec.errors):
            name = "-".join(p for p in (spec.op, spec.variant, str(k)) if p)
            cases.append(pytest.param(spec, err, id=name))
    return cases


@pytest.mark.parametrize("spec, err", _cases())
def test_error_message(spec, err):
    args = [dw.tensor(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in err.args]
    with pytest.raises(err.exc, match=err.match) as info:
        spec.fn(*args, **err.kwargs)
    # errors are ours, not a NumPy traceback: "<where>: <what>", and no chained NumPy error
    message = str(info.value)
    assert re.match(r"^[\w.' ]+: ", message), message
    if any(spec is row for row in _core_rows()):
        assert message.startswith(f"{spec.op}: "), message
    assert info.value.__cause__ is None


def test_axis_error_is_value_and_index_error():
    with pytest.raises(ValueError):
        dw.sum(dw.ones((2, 3)), axis=3)
    with pytest.raises(IndexError):
        dw.sum(dw.ones((2, 3)), axis=3)


def _core_rows():
    from tests.ops import rows_core  # after op_table: op_table imports the row modules itself

    return rows_core.ROWS
