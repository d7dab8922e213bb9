"""In-place writes after a forward pass are caught at backward time."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw


def test_assign_after_forward_then_backward_raises_with_op_and_name():
    w = dw.Variable([1.0, 2.0], name="kernel")
    loss = (w * w).sum()
    w.assign([3.0, 4.0])
    with pytest.raises(RuntimeError, match=r"backward: tensor 'kernel' of shape \(2,\) was "
                                           r"modified in place after multiply used it; expected "
                                           r"version 0, got 1\."):
        loss.backward()


@pytest.mark.parametrize("update", ["assign_add", "assign_sub"])
def test_assign_add_and_sub_bump_the_version(update):
    w = dw.Variable([1.0, 2.0])
    loss = dw.exp(w).sum()
    getattr(w, update)(np.ones(2, dtype=np.float32))
    assert w._version == 1
    with pytest.raises(RuntimeError, match="was modified in place after exp used it"):
        loss.backward()


def test_assign_after_backward_is_fine():
    w = dw.Variable([1.0, 2.0])
    (w * w).sum().backward()
    w.assign_sub(w.grad * 0.1)
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])


def test_setitem_raises_type_error():
    t = dw.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="Tensor does not support item assignment"):
        t[0] = 5.0
