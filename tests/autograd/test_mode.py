"""Gradient mode (no_grad / enable_grad) and detach."""

from __future__ import annotations

import numpy as np

import deltaw as dw


def test_no_grad_as_a_context_manager_records_nothing():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    with dw.no_grad():
        y = x * 2
        assert not dw.is_grad_enabled()
    assert dw.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf


def test_no_grad_as_a_decorator():
    x = dw.tensor([1.0, 2.0], requires_grad=True)

    @dw.no_grad()
    def double(t):
        assert not dw.is_grad_enabled()
        return t * 2

    y = double(x)
    assert not y.requires_grad
    assert dw.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    try:
        with dw.no_grad():
            raise KeyError("boom")
    except KeyError:
        pass
    assert dw.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_nesting():
    x = dw.tensor([1.0], requires_grad=True)
    with dw.no_grad():
        with dw.enable_grad():
            y = x * 2
        with dw.no_grad():
            z = x * 2
        assert not dw.is_grad_enabled()
    assert y.requires_grad and not z.requires_grad


def test_detach_cuts_the_graph_and_shares_data():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), y.numpy())
    (d * x).sum().backward()  # d is a constant: dx = d
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 6.0])


def test_requires_grad_only_on_leaves():
    x = dw.tensor([1.0], requires_grad=True)
    y = x * 2
    try:
        y.requires_grad_(False)
    except RuntimeError as e:
        assert "only leaf tensors" in str(e)
    else:
        raise AssertionError("requires_grad_ on a non-leaf should raise")
