"""Regularizers: penalty values and gradients (they are built from dw ops)."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import regularizers as R

W = np.array([[1.0, -2.0], [0.5, 0.0]], np.float32)


def test_penalty_values():
    x = dw.tensor(W)
    assert float(R.L1(0.1)(x)) == pytest.approx(0.1 * 3.5)
    assert float(R.L2(0.1)(x)) == pytest.approx(0.1 * 5.25)
    assert float(R.L1L2(l1=0.1, l2=0.2)(x)) == pytest.approx(0.35 + 1.05)
    assert float(R.L1L2()(x)) == 0.0
    assert R.L2()(x).dtype == np.float32


def test_defaults_match_keras():
    assert R.L1().l1 == 0.01 and R.L2().l2 == 0.01
    assert (R.L1L2().l1, R.L1L2().l2) == (0.0, 0.0)


def test_gradients():
    x = dw.Variable(W)
    (g,) = dw.grad(R.L1L2(l1=0.1, l2=0.2)(x), [x])
    np.testing.assert_allclose(g.numpy(), 0.1 * np.sign(W) + 0.4 * W, rtol=1e-6)
    x64 = dw.tensor(W.astype(np.float64), requires_grad=True)
    assert dw.gradcheck(lambda t: R.L2(0.3)(t) + R.L1(0.2)(t), [x64 + 0.1])


def test_get_and_config():
    assert isinstance(R.get("l1"), R.L1) and isinstance(R.get("l2"), R.L2)
    assert isinstance(R.get("l1_l2"), R.L1L2) and isinstance(R.get("L1L2"), R.L1L2)
    assert R.get(None) is None
    reg = R.L1L2(l1=0.3, l2=0.4)
    assert R.get(R.serialize(reg)).get_config() == {"l1": 0.3, "l2": 0.4}
    assert isinstance(R.l2(0.5), R.L2)
    with pytest.raises(ValueError, match=r"unknown regularizer 'l3'\. Known: l1, l1_l2"):
        R.get("l3")
    with pytest.raises(ValueError, match="L2: l2 must be a non-negative float; got l2=-1"):
        R.L2(-1)
