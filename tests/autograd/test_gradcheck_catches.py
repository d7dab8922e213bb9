"""gradcheck must catch a wrong backward rule, naming the input and the element."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from deltaw.autograd.op import OPS, primitive


@pytest.fixture
def wrong_square():
    @primitive("_test_wrong_rule")
    def wrong(xp, x):
        return x * x, (x,)

    @wrong.backward
    def _wrong_backward(xp, g, saved, needs):
        (x,) = saved
        bad = 2 * x * g
        bad.reshape(-1)[-1] *= 1.5  # wrong in the last element only
        return (bad,)

    yield wrong
    del OPS["_test_wrong_rule"]


def test_gradcheck_names_the_input_and_the_element(wrong_square):
    x = dw.tensor(np.array([[0.5, -1.0], [1.5, 2.0]]), requires_grad=True)
    with pytest.raises(dw.GradcheckError, match=r"^gradcheck: input 0, element \(1, 1\): "
                                                r"backprop gives [-\d.]+, finite differences give"):
        dw.gradcheck(wrong_square, [x])


def test_gradcheck_passes_a_correct_rule():
    x = dw.tensor(np.array([0.5, -1.0, 1.5]), requires_grad=True)
    assert dw.gradcheck(lambda t: t * t, [x])


def test_gradcheck_names_the_second_input():
    a = dw.tensor(np.array([0.5, 1.0]), requires_grad=True)
    b = dw.tensor(np.array([2.0, 3.0]), requires_grad=True)
    # detach hides b from backprop, but finite differences still see the dependence
    with pytest.raises(dw.GradcheckError, match=r"gradcheck: input 1, element \(\d,\)"):
        dw.gradcheck(lambda x, y: x * y.detach(), [a, b])


def test_gradcheck_perturbs_transposed_inputs():
    # a transposed (non-contiguous) input once gave zero finite differences, failing a correct op
    x = dw.tensor(np.arange(1.0, 7.0).reshape(2, 3).T, requires_grad=True)
    assert dw.gradcheck(lambda v: v * v, [x])
