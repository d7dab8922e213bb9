"""Op-table rows for deltaw.nn's composed losses (deltaw/nn/composed_losses.py).

Each row has a float64 NumPy reference written from the loss's formula. Samples stay inside the
smooth region of each loss (away from its clips at 1e-7 and from hinge kinks), so gradcheck
checks the composition, not a kink convention. Inputs are `(y_true, y_pred)`; floating labels are
gradchecked as well where the loss is smooth in them.
"""

from __future__ import annotations

import itertools

import numpy as np

import deltaw as dw
from deltaw.nn.ctc import _ctc_nll
from tests.ops.op_table import OpSpec
from tests.ops.rows_nn import _in_dtype
from tests.ops.samples import ErrorCase, Sample

nn = dw.nn
EPS = 1e-7
_SHAPES = [(3,), (2, 3), (2, 1, 4)]


def _samples(true_gen, pred_gen, shapes=_SHAPES, **kwargs):
    def make(rng):
        return [Sample((true_gen(rng, s), pred_gen(rng, s)), dict(kwargs), name="x".join(
            map(str, s)) or "scalar") for s in shapes]
    return make


def _uniform(low, high):
    return lambda rng, s: rng.uniform(low, high, s)


def _binary(rng, s):
    return (rng.random(s) < 0.5).astype(np.float64)


def _one_hot(rng, s):
    return np.eye(s[-1])[rng.integers(0, s[-1], s[:-1])]


def _margin_away(rng, s):
    """Predictions with |1 - |p|| >= 0.2: hinge terms stay off their kink for labels +-1."""
    return rng.choice([-1.0, 1.0], s) * np.where(rng.random(s) < 0.5, rng.uniform(0.1, 0.8, s),
                                                rng.uniform(1.2, 2.0, s))


# ---------------------------------------------------------------- references (float64)
def _mape(t, p):
    return 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), axis=-1)


def _msle(t, p):
    d = np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)
    return np.mean(d * d, axis=-1)


def _log_cosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), axis=-1)


def _cosine(t, p, axis=-1):
    def unit(x):
        return x / np.maximum(np.linalg.norm(x, axis=axis, keepdims=True), EPS)
    return -np.sum(unit(t) * unit(p), axis=axis)


def _kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def _poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def _hinge_t(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def _hinge(t, p):
    return np.mean(np.maximum(1 - _hinge_t(t) * p, 0), axis=-1)


def _squared_hinge(t, p):
    return np.mean(np.maximum(1 - _hinge_t(t) * p, 0) ** 2, axis=-1)


def _categorical_hinge(t, p):
    return np.maximum(np.max((1 - t) * p, axis=-1) - np.sum(t * p, axis=-1) + 1, 0)


def _binary_focal(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                  label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    p = 1 / (1 + np.exp(-p)) if from_logits else p
    c = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(c) + (1 - t) * np.log(1 - c))
    out = (1 - (t * p + (1 - t) * (1 - p))) ** gamma * bce
    if apply_class_balancing:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return np.mean(out, axis=-1)


def _categorical_focal(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        e = np.exp(p - p.max(axis=-1, keepdims=True))
        p = e / e.sum(axis=-1, keepdims=True)
    p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return np.sum(alpha * (1 - p) ** gamma * -t * np.log(p), axis=-1)


def _gce(ids, p, q):
    return (1 - np.take_along_axis(p, ids.reshape(-1, 1), axis=-1)[:, 0] ** q) / q


def _dice(t, p, axis=None):
    return 1 - 2 * np.sum(t * p, axis=axis) / (np.sum(t, axis=axis) + np.sum(p, axis=axis) + EPS)


def _tversky(t, p, alpha=0.5, beta=0.5, axis=None):
    tp = np.sum(t * p, axis=axis)
    fp, fn = np.sum((1 - p) * t, axis=axis), np.sum(p * (1 - t), axis=axis)
    return 1 - tp / (tp + alpha * fp + beta * fn + EPS)


def _circle(ids, emb, gamma=80.0, margin=0.4):
    dist = np.maximum(1 - emb @ emb.T, 0)
    pos = (ids[:, None] == ids[None, :]) & ~np.eye(len(ids), dtype=bool)
    neg = ids[:, None] != ids[None, :]
    pw = np.maximum((margin + dist) * pos, 0) * (margin - dist) * -gamma
    nw = np.maximum((1 + margin - dist) * neg, 0) * (1 - margin - dist) * gamma

    def lse(x, m):
        out = np.full(len(x), -np.inf)
        for i in range(len(x)):
            if m[i].any():
                v = x[i][m[i]]
                out[i] = v.max() + np.log(np.exp(v - v.max()).sum())
        return out
    s = lse(pw, pos) + lse(nw, neg)
    return np.where(np.isfinite(s), np.logaddexp(0, np.where(np.isfinite(s), s, 0)), 0)


# ---------------------------------------------------------------- samples needing structure
def _gce_samples(rng):
    p = rng.uniform(0.1, 1, (4, 3))
    return [Sample((rng.integers(0, 3, 4), p / p.sum(-1, keepdims=True)), {"q": 0.5}, "q0.5")]


def _circle_samples(rng):
    emb = rng.normal(size=(5, 3))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return [Sample((np.array([0, 0, 1, 1, 2]), emb), {"gamma": 4.0}, "gamma4"),
            Sample((np.array([0, 0, 1, 1, 2]), emb), name="gamma80")]


def _ctc_brute(lp, labels, label_lengths, frame_lengths, blank=0):
    """-log of the summed probability of every frame-wise path that collapses to the labels
    (enumerated: fine for a handful of frames and classes)."""
    out = []
    for n in range(lp.shape[0]):
        target = list(labels[n, :label_lengths[n]])
        frames, total = frame_lengths[n], 0.0
        for path in itertools.product(range(lp.shape[2]), repeat=frames):
            collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or
                                                                        c != path[i - 1])]
            if collapsed == target:
                total += np.exp(sum(lp[n, t, c] for t, c in enumerate(path)))
        out.append(-np.log(total) if total > 0 else np.inf)
    return np.array(out)


_CTC_LABELS = (np.array([[1, 2, 0], [2, 2, 0], [1, 0, 0]]), np.array([2, 2, 1]),
               np.array([4, 5, 3]))


def _ctc_samples(rng):
    return [Sample((*_CTC_LABELS[:1], rng.normal(size=(3, 5, 3)), *_CTC_LABELS[1:]),
                   name="3x5x3")]


def _log_softmax(x):
    return x - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)) - \
        x.max(-1, keepdims=True)


def _nll_samples(rng):
    return [Sample((rng.normal(size=(3, 5, 3)) - 1.0,), name="3x5x3")]


ROWS = [
    OpSpec("mean_absolute_percentage_error", nn.mean_absolute_percentage_error,
           _in_dtype(_mape), _samples(_uniform(0.5, 2), _uniform(2.5, 3)), grad_args=(0, 1)),
    OpSpec("mean_squared_logarithmic_error", nn.mean_squared_logarithmic_error,
           _in_dtype(_msle), _samples(_uniform(0.1, 2), _uniform(0.1, 2)), grad_args=(0, 1)),
    OpSpec("log_cosh", nn.log_cosh, _in_dtype(_log_cosh),
           _samples(_uniform(-2, 2), _uniform(-2, 2)), grad_args=(0, 1)),
    OpSpec("cosine_similarity", nn.cosine_similarity, _in_dtype(_cosine),
           _samples(_uniform(-2, 2), _uniform(-2, 2)), grad_args=(0, 1)),
    OpSpec("kl_divergence", nn.kl_divergence, _in_dtype(_kld),
           _samples(_uniform(0.05, 0.9), _uniform(0.05, 0.9)), grad_args=(0, 1)),
    OpSpec("poisson", nn.poisson, _in_dtype(_poisson),
           _samples(_uniform(0, 3), _uniform(0.2, 3)), grad_args=(0, 1)),
    OpSpec("hinge", nn.hinge, _in_dtype(_hinge), _samples(_binary, _margin_away),
           grad_args=(1,)),
    OpSpec("squared_hinge", nn.squared_hinge, _in_dtype(_squared_hinge),
           _samples(_binary, _margin_away), grad_args=(1,)),
    OpSpec("categorical_hinge", nn.categorical_hinge, _in_dtype(_categorical_hinge),
           _samples(_one_hot, _uniform(0, 0.4)), grad_args=(1,)),
    OpSpec("binary_focal_cross_entropy", nn.binary_focal_cross_entropy,
           _in_dtype(_binary_focal), _samples(_uniform(0, 1), _uniform(0.05, 0.95)),
           grad_args=(0, 1),
           errors=(ErrorCase((np.zeros(2), np.full(2, 0.5)), ValueError,
                             r"binary_focal_cross_entropy: label_smoothing must be in \[0, 1\]",
                             {"label_smoothing": 2.0}),)),
    OpSpec("binary_focal_cross_entropy", nn.binary_focal_cross_entropy,
           _in_dtype(_binary_focal), _samples(_binary, _uniform(-3, 3), from_logits=True,
                                              apply_class_balancing=True,
                                              label_smoothing=0.1, gamma=1.5),
           grad_args=(1,), variant="logits-balanced-smoothed"),
    OpSpec("categorical_focal_cross_entropy", nn.categorical_focal_cross_entropy,
           _in_dtype(_categorical_focal), _samples(_one_hot, _uniform(0.1, 1)), grad_args=(1,),
           errors=(ErrorCase((np.eye(2), np.eye(2)), ValueError,
                             r"categorical_focal_cross_entropy: axis must be an int",
                             {"axis": True}),)),
    OpSpec("categorical_focal_cross_entropy", nn.categorical_focal_cross_entropy,
           _in_dtype(_categorical_focal), _samples(_one_hot, _uniform(-2, 2), from_logits=True,
                                                   label_smoothing=0.2, gamma=3.0),
           grad_args=(0, 1), variant="logits-smoothed"),
    OpSpec("categorical_generalized_cross_entropy", nn.categorical_generalized_cross_entropy,
           lambda ids, p, q: _in_dtype(lambda p: _gce(ids, p, q))(p), _gce_samples,
           grad_args=(1,),
           errors=(ErrorCase((np.zeros(2), np.full((2, 2), 0.5)), ValueError,
                             r"categorical_generalized_cross_entropy: q must be in \(0, 1\]",
                             {"q": 0.0}),)),
    OpSpec("dice", nn.dice, _in_dtype(_dice), _samples(_binary, _uniform(0.05, 0.95)),
           grad_args=(0, 1)),
    OpSpec("dice", nn.dice, _in_dtype(_dice),
           _samples(_binary, _uniform(0.05, 0.95), shapes=[(2, 3), (2, 2, 2)], axis=1),
           grad_args=(0, 1), variant="axis1"),
    OpSpec("tversky", nn.tversky, _in_dtype(_tversky),
           _samples(_binary, _uniform(0.05, 0.95), alpha=0.7, beta=0.3), grad_args=(0, 1)),
    OpSpec("ctc_loss", nn.ctc_loss,
           lambda t, x, tl, fl: _in_dtype(lambda x: _ctc_brute(_log_softmax(x), t, tl, fl))(x),
           _ctc_samples, grad_args=(1,),
           errors=(ErrorCase((np.ones((2, 1), int), np.zeros((2, 3)), [1, 1], [3, 3]),
                             ValueError, r"ctc_loss: output must be \(batch, frames, classes\)"),
                   ErrorCase((np.ones((1, 1), int), np.zeros((1, 3, 2)), [1], [4]),
                             ValueError, r"ctc_loss: output_length must be in \[1, 3\]"),
                   ErrorCase((np.full((1, 1), 5), np.zeros((1, 3, 2)), [1], [3]),
                             ValueError, r"ctc_loss: labels must be class ids in \[0, 2\)"))),
    OpSpec("ctc_negative_log_likelihood",
           lambda lp: _ctc_nll(lp, *_CTC_LABELS),
           _in_dtype(lambda lp: _ctc_brute(lp, *_CTC_LABELS)), _nll_samples),
    OpSpec("circle", nn.circle,
           lambda ids, emb, **kw: _in_dtype(lambda e: _circle(ids, e, **kw))(emb),
           _circle_samples, grad_args=(1,)),
]
