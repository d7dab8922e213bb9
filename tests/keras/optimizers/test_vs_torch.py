"""Optimizers against torch.optim given identical gradients (skipped without torch).

Runs in float64. Where Keras and PyTorch place epsilon differently (Adam, AdamW, RMSprop,
Adagrad: see each optimizer's docstring), both use a negligible epsilon so the comparison is exact;
`test_adam_epsilon_placement` shows the exact relation at the first step instead.
"""

import math

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import optimizers

torch = pytest.importorskip("torch")

TINY = 1e-30  # an epsilon too small to matter next to sqrt(v)
STEPS = 6


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    w0 = [rng.normal(size=(3, 5)), rng.normal(size=(5,))]
    grads = [[rng.normal(size=w.shape) for w in w0] for _ in range(STEPS)]
    return w0, grads


def _deltaw(opt, w0, grads):
    vs = [dw.Variable(w.copy()) for w in w0]
    for gs in grads:
        opt.apply(gs, vs)
    return [v.numpy() for v in vs]


def _torch(make, w0, grads):
    # float64 default dtype: torch keeps scalar state (NAdam's mu_product, step counts) in the
    # default dtype, which would otherwise be float32
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        params = [torch.tensor(w.copy(), requires_grad=True) for w in w0]
        opt = make(params)
        for gs in grads:
            for p, g in zip(params, gs, strict=True):
                p.grad = torch.tensor(g)
            opt.step()
    finally:
        torch.set_default_dtype(previous)
    return [p.detach().numpy() for p in params]


CASES = [
    ("sgd", lambda: optimizers.SGD(0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    # Keras' m = momentum * m - lr * g is torch's buffer times -lr when lr is constant
    ("sgd-momentum", lambda: optimizers.SGD(0.05, momentum=0.9),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    ("sgd-nesterov", lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    ("adam", lambda: optimizers.Adam(0.01, epsilon=TINY),
     lambda p: torch.optim.Adam(p, lr=0.01, eps=TINY)),
    ("adamw", lambda: optimizers.AdamW(0.01, weight_decay=0.1, epsilon=TINY),
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, eps=TINY)),
    ("rmsprop", lambda: optimizers.RMSprop(0.01, epsilon=TINY),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=TINY)),
    ("rmsprop-momentum-centered",
     lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True, epsilon=TINY),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=TINY, momentum=0.5,
                                   centered=True)),
    ("adagrad", lambda: optimizers.Adagrad(0.1, epsilon=TINY),
     lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=TINY)),
    # same formula, epsilon inside both roots in both libraries: any epsilon matches
    ("adadelta", lambda: optimizers.Adadelta(1.0, epsilon=1e-6),
     lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95, eps=1e-6)),
    # Keras' Nadam is torch's NAdam with momentum_decay=1 (0.96**t); epsilon placed alike
    ("nadam", lambda: optimizers.Nadam(0.01, epsilon=1e-7),
     lambda p: torch.optim.NAdam(p, lr=0.01, eps=1e-7, momentum_decay=1.0)),
]


@pytest.mark.parametrize("make, make_torch", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_torch_optim(make, make_torch):
    w0, grads = _problem()
    for a, b in zip(_deltaw(make(), w0, grads), _torch(make_torch, w0, grads), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_adam_epsilon_placement():
    # At step 1 Keras' epsilon acts like torch's eps / sqrt(1 - beta_2): scaling it so makes
    # the two updates equal, which pins down where each library adds epsilon.
    w0, grads = _problem(1)
    eps = 1e-3
    keras_eps = eps * math.sqrt(1 - 0.999)
    ours = _deltaw(optimizers.Adam(0.01, epsilon=keras_eps), w0, grads[:1])
    theirs = _torch(lambda p: torch.optim.Adam(p, lr=0.01, eps=eps), w0, grads[:1])
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    same_eps = _deltaw(optimizers.Adam(0.01, epsilon=eps), w0, grads[:1])
    assert not np.allclose(same_eps[0], theirs[0], rtol=1e-9, atol=0)


def test_sgd_momentum_differs_from_torch_when_the_learning_rate_changes():
    # Keras folds each step's lr into the momentum buffer; torch multiplies the whole buffer by
    # the current lr. Equal for a constant lr (above), different once it changes.
    w0, grads = _problem(2)
    sched = optimizers.schedules.PiecewiseConstantDecay([2], [0.1, 0.01])
    ours = _deltaw(optimizers.SGD(sched, momentum=0.9), w0, grads)

    def make(p):
        opt = torch.optim.SGD(p, lr=0.1, momentum=0.9)
        return _LrAfter(opt, after=3, lr=0.01)

    theirs = _torch(make, w0, grads)
    assert not np.allclose(ours[0], theirs[0])


class _LrAfter:
    """torch optimizer wrapper: switch to `lr` after `after` steps (as the schedule above)."""

    def __init__(self, opt, after, lr):
        self.opt, self.after, self.lr, self.steps = opt, after, lr, 0

    def step(self):
        if self.steps == self.after:
            for group in self.opt.param_groups:
                group["lr"] = self.lr
        self.opt.step()
        self.steps += 1
