"""Op-table rows for deltaw.nn: activations, losses, dropout and the fused dense layer.

ROWS = [*ACTIVATION_ROWS, *LOSS_ROWS, *DROPOUT_ROWS, *DENSE_ROWS]; the conv/pool/norm rows are
appended from their own file. Loss rows take `(y_true, y_pred)`; floating labels are
gradchecked too (deltaw gives y_true a gradient), integer class ids never. Generators keep samples
away from kinks (relu at 0, |d| = delta in huber, ...) instead of loosening tolerances; the kink
conventions themselves are tested exactly in tests/nn/.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import deltaw as dw
from tests.ops.op_table import OpSpec
from tests.ops.samples import ErrorCase, Sample, unary, with_kwargs

nn = dw.nn

# ---------------------------------------------------------------- NumPy references (float64 math)


def _in_dtype(ref):
    """Compute a reference in float64, return it in the dtype of the first floating argument."""
    @functools.wraps(ref)
    def wrapped(*args, **kwargs):
        dtype = next((a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"),
                     np.dtype(np.float64))
        wide = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                for a in args]
        return np.asarray(ref(*wide, **kwargs)).astype(dtype)
    return wrapped


_erf = np.vectorize(math.erf, otypes=[np.float64])
_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _hard_sigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _relu_keras(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """keras.activations.relu written out (ReLU.static_call)."""
    pos = np.where(x > threshold, x, 0)
    if max_value is not None:
        pos = np.clip(pos, 0, max_value)
    return pos - negative_slope * np.maximum(threshold - x, 0)


def _softmax(x, axis=-1):
    if np.ndim(x) == 0:
        return np.ones_like(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    return np.log(_softmax(x, axis))


def _align(t, p):
    """Keras' squeeze_or_expand_to_same_rank(y_true, y_pred)."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        return (t, p[..., None]) if p.ndim == 1 else (t[..., 0], p)
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        return (t[..., None], p) if t.ndim == 1 else (t, p[..., 0])
    return t, p


def _per_sample(elementwise):
    def ref(t, p, **kw):
        t, p = _align(np.asarray(t), np.asarray(p))
        e = elementwise(t, p, **kw)
        return e.mean(axis=-1) if e.ndim else e
    return ref


def _huber_elem(t, p, delta=1.0):
    a = np.abs(p - t)
    return np.where(a <= delta, 0.5 * a * a, delta * a - 0.5 * delta * delta)


def _bce_ref(from_logits):
    def ref(t, p, label_smoothing=0.0, axis=-1):
        t, p = _align(np.asarray(t), np.asarray(p))
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
        q = _sigmoid(p) if from_logits else p
        e = -(t * np.log(q) + (1 - t) * np.log(1 - q))
        return e.mean(axis=axis) if e.ndim else e
    return ref


def _cce_ref(from_logits):
    def ref(t, p, label_smoothing=0.0, axis=-1):
        t = t * (1 - label_smoothing) + label_smoothing / p.shape[axis]
        logq = _log_softmax(p, axis) if from_logits else np.log(p / p.sum(axis, keepdims=True))
        return -(t * logq).sum(axis=axis)
    return ref


def _sparse_ref(from_logits):
    def ref(labels, p, ignore_class=None, axis=-1):
        axis = axis % p.ndim
        labels = np.asarray(labels)
        if labels.ndim == p.ndim:
            labels = labels.squeeze(axis)
        valid = None if ignore_class is None else labels != ignore_class
        ids = labels if valid is None else np.where(valid, labels, 0)
        logq = _log_softmax(p, axis) if from_logits else np.log(p / p.sum(axis, keepdims=True))
        out = -np.take_along_axis(logq, np.expand_dims(ids, axis), axis).squeeze(axis)
        return out if valid is None else np.where(valid, out, 0)
    return ref


def _dropout_ref(rate, seed, noise_shape=None):
    def ref(x):
        dt = np.float64 if x.dtype == np.float64 else np.float32
        u = np.random.default_rng(seed).random(noise_shape or x.shape, dtype=dt)
        return x * (u >= rate) / (1 - rate)
    return ref


# ---------------------------------------------------------------- sample generators


def _axis_samples(cases):
    """(shape, axis) pairs for softmax-like ops."""
    def make(rng):
        return [Sample((rng.uniform(-3, 3, s),), {"axis": a}, f"shape{s}-axis{a}")
                for s, a in cases]
    return make


def _pairs(shapes, true_gen, pred_gen):
    def make(rng):
        return [Sample((np.asarray(true_gen(rng, ts)), np.asarray(pred_gen(rng, ps))),
                       name=f"{ts}x{ps}") for ts, ps in shapes]
    return make


def _uniform(low, high):
    return lambda rng, s: rng.uniform(low, high, s)


def _banded(delta):
    """Predictions whose distance from targets in [0, 0.1 delta) stays in (0.1, 0.8) * delta or
    (1.1, 2.5) * delta: away from 0 (mae's kink) and from delta (huber's)."""
    def gen(rng, s):
        mag = np.where(rng.random(s) < 0.5, rng.uniform(0.2, 0.8, s), rng.uniform(1.2, 2.5, s))
        return delta * mag * rng.choice([-1.0, 1.0], s)
    return gen


def _binary_labels(rng, s):
    return (rng.random(s) < 0.5).astype(np.float64)


def _soft_targets(rng, s):
    t = rng.uniform(0.1, 1, s)
    return t / t.sum(axis=-1, keepdims=True)


def _one_hot(rng, s):
    return np.eye(s[-1])[rng.integers(0, s[-1], s[:-1])]


_EQUAL = [((3,), (3,)), ((2, 3), (2, 3)), ((2, 1, 4), (2, 1, 4)), ((2, 1), (2, 3))]
_ALIGNED = [((4,), (4, 1)), ((4, 1), (4,)), ((2, 3, 1), (2, 3)), ((2, 3), (2, 3, 1)),
            ((4, 1), (1,)), ((), ())]
_BINARY = [((4, 1), (4, 1)), ((2, 3), (2, 3)), ((3,), (3,)), ((2, 1, 4), (2, 1, 4))]
_CLASSES = [((3,), (3,)), ((2, 3), (2, 3)), ((2, 2, 4), (2, 2, 4))]
_SPARSE = [((2,), (2, 4)), ((), (4,)), ((2, 3), (2, 3, 4)), ((3, 1), (3, 4))]


def _sparse_samples(gen):
    def make(rng):
        return [Sample((np.asarray(rng.integers(0, ps[-1], ls)), gen(rng, ps)), name=f"{ls}x{ps}")
                for ls, ps in _SPARSE]
    return make


def _sparse_variants(gen):
    def make(rng):
        return [Sample((np.array([0, -1, 3, -1, 2]), gen(rng, (5, 4))), {"ignore_class": -1},
                       "ignore_class-1"),
                Sample((rng.integers(0, 3, (4,)), gen(rng, (3, 4))), {"axis": 0}, "axis0")]
    return make


# ---------------------------------------------------------------- rows: activations


def _F(t):
    return t.nn.functional


def _act(name, ref, low=-3.0, high=3.0, avoid=(), torch=None, fn=None, variant=""):
    return OpSpec(name, fn or getattr(nn, name), _in_dtype(ref), unary(low, high, avoid),
                  variant=variant, torch=torch)


_KERAS_RELU = {"negative_slope": 0.1, "max_value": 1.5, "threshold": 0.5}

ACTIVATION_ROWS = [
    _act("relu", lambda x: np.maximum(x, 0), avoid=(0.0,), torch=lambda t, a: _F(t).relu(a)),
    _act("relu", lambda x: _relu_keras(x, **_KERAS_RELU), avoid=(0.0, 0.5, 1.5),
         fn=lambda x: nn.relu(x, **_KERAS_RELU), variant="slope-max-threshold"),
    _act("relu", lambda x: _relu_keras(x, 0.3), avoid=(0.0,),
         fn=lambda x: nn.relu(x, negative_slope=0.3), variant="negative-slope",
         torch=lambda t, a: _F(t).leaky_relu(a, 0.3)),
    _act("relu6", lambda x: np.clip(x, 0, 6), -2, 8, avoid=(0.0, 6.0),
         torch=lambda t, a: _F(t).relu6(a)),
    _act("leaky_relu", lambda x: np.where(x > 0, x, 0.2 * x), avoid=(0.0,),
         torch=lambda t, a: _F(t).leaky_relu(a, 0.2)),
    _act("elu", _elu, avoid=(0.0,), torch=lambda t, a: _F(t).elu(a)),
    _act("elu", lambda x: _elu(x, 0.5), avoid=(0.0,), fn=lambda x: nn.elu(x, alpha=0.5),
         variant="alpha0.5", torch=lambda t, a: _F(t).elu(a, 0.5)),
    _act("selu", lambda x: _SELU_S * _elu(x, _SELU_A), avoid=(0.0,),
         torch=lambda t, a: _F(t).selu(a)),
    _act("gelu", lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), -5, 5,
         torch=lambda t, a: _F(t).gelu(a)),
    _act("gelu", _gelu_tanh, -5, 5, fn=lambda x: nn.gelu(x, approximate=True),
         variant="approximate", torch=lambda t, a: _F(t).gelu(a, approximate="tanh")),
    _act("silu", lambda x: x * _sigmoid(x), -6, 6, torch=lambda t, a: _F(t).silu(a)),
    _act("softplus", lambda x: np.logaddexp(0, x), -10, 10,
         torch=lambda t, a: _F(t).softplus(a)),
    _act("softsign", lambda x: x / (1 + np.abs(x)), avoid=(0.0,),
         torch=lambda t, a: _F(t).softsign(a)),
    _act("sigmoid", _sigmoid, -8, 8, torch=lambda t, a: t.sigmoid(a)),
    # not F.hardsigmoid: its float64 backward multiplies by a float32 1/6 (off by 3e-8)
    _act("hard_sigmoid", _hard_sigmoid, -5, 5, avoid=(-3.0, 3.0),
         torch=lambda t, a: t.clamp(a / 6 + 0.5, 0, 1)),
    _act("hard_silu", lambda x: x * _hard_sigmoid(x), -5, 5, avoid=(-3.0, 3.0),
         torch=lambda t, a: _F(t).hardswish(a)),
    _act("mish", lambda x: x * np.tanh(np.logaddexp(0, x)), -5, 5,
         torch=lambda t, a: _F(t).mish(a)),
    _act("exponential", np.exp, torch=lambda t, a: t.exp(a)),
    _act("tanh", np.tanh, variant="nn", torch=lambda t, a: t.tanh(a)),  # delegates to dw.tanh
    # Aliases and the identity: reference rows (an alias is the same object; linear returns x).
    OpSpec("swish", nn.swish, _in_dtype(lambda x: x * _sigmoid(x)), unary(), grad_args=()),
    OpSpec("hard_swish", nn.hard_swish, _in_dtype(lambda x: x * _hard_sigmoid(x)), unary(),
           grad_args=()),
    OpSpec("linear", nn.linear, lambda x: x, unary(), grad_args=()),
    OpSpec("softmax", nn.softmax, _in_dtype(_softmax),
           _axis_samples([((3,), -1), ((2, 3), -1), ((2, 3), 0), ((2, 3, 4), 1), ((1,), -1)]),
           torch=lambda t, a, axis=-1: t.softmax(a, dim=axis)),
    OpSpec("softmax", nn.softmax, _in_dtype(_softmax),
           _axis_samples([((2, 3, 4), (0, 2)), ((), -1)]), variant="tuple-axis-and-scalar",
           errors=(ErrorCase((np.ones((2, 3)),), dw.AxisError,
                             r"softmax: axis 2 is out of range for a tensor of ndim 2",
                             {"axis": 2}),)),
    OpSpec("log_softmax", nn.log_softmax, _in_dtype(_log_softmax),
           _axis_samples([((3,), -1), ((2, 3), -1), ((2, 3), 0), ((2, 3, 4), 1), ((1,), -1)]),
           torch=lambda t, a, axis=-1: t.log_softmax(a, dim=axis)),
    OpSpec("log_softmax", nn.log_softmax, _in_dtype(_log_softmax),
           _axis_samples([((2, 3, 4), (0, 2))]), variant="tuple-axis"),
]

# ---------------------------------------------------------------- rows: losses


def _bce(from_logits):
    return lambda t, p, **kw: nn.binary_cross_entropy(t, p, from_logits=from_logits, **kw)


def _cce(from_logits):
    return lambda t, p, **kw: nn.categorical_cross_entropy(t, p, from_logits=from_logits, **kw)


def _scce(from_logits):
    return lambda t, p, **kw: nn.sparse_categorical_cross_entropy(t, p, from_logits=from_logits,
                                                                  **kw)


def _t_mean(elementwise):
    return lambda t, a, b: elementwise(t, a.expand_as(b), b).mean(-1)


def _t_nll(log_probs):
    def ref(t, a, b):
        idx = a.reshape(b.shape[:-1])[..., None].long()
        return -t.take_along_dim(log_probs(t, b), idx, -1).squeeze(-1)
    return ref


_T_MSE = _t_mean(lambda t, a, b: _F(t).mse_loss(b, a, reduction="none"))
_T_MAE = _t_mean(lambda t, a, b: _F(t).l1_loss(b, a, reduction="none"))
_T_HUBER = _t_mean(lambda t, a, b: _F(t).huber_loss(b, a, reduction="none"))
_T_HUBER_HALF = _t_mean(lambda t, a, b: _F(t).huber_loss(b, a, reduction="none", delta=0.5))
_T_BCE = _t_mean(lambda t, a, b: _F(t).binary_cross_entropy(b, a, reduction="none"))
_T_BCE_LOGITS = _t_mean(lambda t, a, b: _F(t).binary_cross_entropy_with_logits(
    b, a, reduction="none"))

_SQUARED = _in_dtype(_per_sample(lambda t, p: (p - t) ** 2))
_ABSOLUTE = _in_dtype(_per_sample(lambda t, p: abs(p - t)))

_SPARSE_ERRORS = (
    ErrorCase((np.array([0, 5]), np.zeros((2, 3))), ValueError,
              r"sparse_categorical_cross_entropy: label 5 is out of range for 3 classes; "
              r"expected 0 <= label < 3, got 5\."),
    ErrorCase((np.array([-1, 0]), np.zeros((2, 3))), ValueError,
              r"sparse_categorical_cross_entropy: label -1 is out of range for 3 classes"),
    ErrorCase((np.array([0.5, 1.0]), np.zeros((2, 3))), TypeError,
              r"sparse_categorical_cross_entropy: labels must be integer class ids; "
              r"expected integral values, got 0\.5\."),
    ErrorCase((np.array([[0, 1, 0]]), np.zeros((1, 3))), ValueError,
              r"sparse_categorical_cross_entropy: y_true must have y_pred's shape without the "
              r"class axis; expected \(1,\), got \(1, 3\)\. Hint: for one-hot labels"),
)

LOSS_ROWS = [
    OpSpec("mean_squared_error", nn.mean_squared_error, _SQUARED,
           _pairs(_EQUAL, _uniform(-2, 2), _uniform(-2, 2)), grad_args=(0, 1), torch=_T_MSE,
           errors=(ErrorCase((np.zeros((2, 3)), np.zeros((4, 5))), ValueError,
                             r"mean_squared_error: y_true and y_pred must have broadcastable "
                             r"shapes; expected y_true of shape \(4, 5\), got \(2, 3\)\."),)),
    OpSpec("mean_squared_error", nn.mean_squared_error, _SQUARED,
           _pairs(_ALIGNED, _uniform(-2, 2), _uniform(-2, 2)), grad_args=(0, 1),
           variant="keras-rank-alignment"),
    OpSpec("mse", nn.mse, _SQUARED, _pairs(_EQUAL[:1], _uniform(-2, 2), _uniform(-2, 2)),
           grad_args=()),
    OpSpec("mean_absolute_error", nn.mean_absolute_error, _ABSOLUTE,
           _pairs(_EQUAL, _uniform(0, 0.1), _banded(1.0)), grad_args=(0, 1), torch=_T_MAE),
    OpSpec("mean_absolute_error", nn.mean_absolute_error, _ABSOLUTE,
           _pairs(_ALIGNED, _uniform(0, 0.1), _banded(1.0)), grad_args=(0, 1),
           variant="keras-rank-alignment"),
    OpSpec("mae", nn.mae, _ABSOLUTE, _pairs(_EQUAL[:1], _uniform(0, 0.1), _banded(1.0)),
           grad_args=()),
    OpSpec("huber", nn.huber, _in_dtype(_per_sample(_huber_elem)),
           _pairs(_EQUAL, _uniform(0, 0.1), _banded(1.0)), grad_args=(0, 1), torch=_T_HUBER),
    OpSpec("huber", nn.huber, _in_dtype(_per_sample(_huber_elem)),
           _pairs(_ALIGNED, _uniform(0, 0.1), _banded(1.0)), grad_args=(0, 1),
           variant="keras-rank-alignment"),
    OpSpec("huber", lambda t, p, **kw: nn.huber(t, p, **{"delta": 0.5, **kw}),
           _in_dtype(_per_sample(lambda t, p: _huber_elem(t, p, 0.5))),
           _pairs(_EQUAL, _uniform(0, 0.05), _banded(0.5)), grad_args=(0, 1), variant="delta0.5",
           torch=_T_HUBER_HALF,
           errors=(ErrorCase((np.zeros(2), np.zeros(2)), ValueError,
                             r"huber: delta must be positive; expected delta > 0, got -1\.0\.",
                             {"delta": -1.0}),)),
    OpSpec("binary_cross_entropy", _bce(False), _in_dtype(_bce_ref(False)),
           _pairs(_BINARY, _binary_labels, _uniform(0.05, 0.95)), grad_args=(0, 1),
           torch=_T_BCE,
           errors=(ErrorCase((np.zeros((2, 3)), np.full((3, 2), 0.5)), ValueError,
                             r"binary_cross_entropy: y_true and y_pred must have the same shape; "
                             r"expected y_true of shape \(3, 2\), got \(2, 3\)\."),
                   ErrorCase((np.zeros(2), np.full(2, 0.5)), ValueError,
                             r"binary_cross_entropy: label_smoothing must be in \[0, 1\]; "
                             r"expected a value in \[0, 1\], got 1\.5\.",
                             {"label_smoothing": 1.5}))),
    OpSpec("binary_cross_entropy", _bce(False), _in_dtype(_bce_ref(False)),
           with_kwargs(_pairs(_BINARY[:2] + _ALIGNED[:2] + [((), ())], _uniform(0, 1),
                              _uniform(0.05, 0.95)), {"label_smoothing": 0.2}, {"axis": 0}),
           grad_args=(0, 1), variant="soft-smoothing-axis"),
    OpSpec("binary_cross_entropy_from_logits", _bce(True), _in_dtype(_bce_ref(True)),
           _pairs(_BINARY, _binary_labels, _uniform(-4, 4)), grad_args=(0, 1),
           torch=_T_BCE_LOGITS),
    OpSpec("binary_cross_entropy_from_logits", _bce(True), _in_dtype(_bce_ref(True)),
           with_kwargs(_pairs(_BINARY[:2] + _ALIGNED[:2], _uniform(0, 1), _uniform(-4, 4)),
                       {"label_smoothing": 0.2}, {"axis": 0}),
           grad_args=(0, 1), variant="soft-smoothing-axis"),
    OpSpec("categorical_cross_entropy", _cce(False), _in_dtype(_cce_ref(False)),
           _pairs(_CLASSES, _soft_targets, _uniform(0.1, 1.0)), grad_args=(0, 1),
           torch=lambda t, a, b: -(a * t.log(b / b.sum(-1, keepdim=True))).sum(-1),
           errors=(ErrorCase((np.zeros(4), np.full((4, 3), 0.3)), ValueError,
                             r"categorical_cross_entropy: y_true must have the shape of y_pred; "
                             r"expected \(4, 3\), got \(4,\)\. Hint: for integer class ids use "
                             r"sparse_categorical_cross_entropy\."),)),
    OpSpec("categorical_cross_entropy", _cce(False), _in_dtype(_cce_ref(False)),
           with_kwargs(_pairs(_CLASSES, _one_hot, _uniform(0.1, 1.0)), {"label_smoothing": 0.1},
                       {"axis": 0}), grad_args=(0, 1), variant="one-hot-smoothing-axis"),
    OpSpec("categorical_cross_entropy_from_logits", _cce(True), _in_dtype(_cce_ref(True)),
           _pairs(_CLASSES, _soft_targets, _uniform(-4, 4)), grad_args=(0, 1),
           torch=lambda t, a, b: -(a * t.log_softmax(b, -1)).sum(-1)),
    OpSpec("categorical_cross_entropy_from_logits", _cce(True), _in_dtype(_cce_ref(True)),
           with_kwargs(_pairs(_CLASSES, _one_hot, _uniform(-4, 4)), {"label_smoothing": 0.1},
                       {"axis": 0}), grad_args=(0, 1), variant="one-hot-smoothing-axis"),
    OpSpec("sparse_categorical_cross_entropy", _scce(False), _in_dtype(_sparse_ref(False)),
           _sparse_samples(_uniform(0.1, 1.0)), grad_args=(1,),
           torch=_t_nll(lambda t, b: t.log(b / b.sum(-1, keepdim=True))), errors=_SPARSE_ERRORS),
    OpSpec("sparse_categorical_cross_entropy", _scce(False), _in_dtype(_sparse_ref(False)),
           _sparse_variants(_uniform(0.1, 1.0)), grad_args=(1,), variant="ignore-class-axis"),
    OpSpec("sparse_categorical_cross_entropy_from_logits", _scce(True),
           _in_dtype(_sparse_ref(True)), _sparse_samples(_uniform(-4, 4)), grad_args=(1,),
           torch=_t_nll(lambda t, b: t.log_softmax(b, -1)), errors=_SPARSE_ERRORS),
    OpSpec("sparse_categorical_cross_entropy_from_logits", _scce(True),
           _in_dtype(_sparse_ref(True)), _sparse_variants(_uniform(-4, 4)), grad_args=(1,),
           variant="ignore-class-axis"),
]



def _mean_of(spec):
    """The row of `spec` with reduction="mean": one 0-d value, the mean of the per-sample
    values over the entries not ignored (ignore_class)."""
    def ref(*args, **kw):
        v = np.asarray(spec.ref(*args, **kw))
        valid = np.ones(v.shape, bool)
        if kw.get("ignore_class") is not None:
            valid = (np.asarray(args[0]) != kw["ignore_class"]).reshape(v.shape)
        return np.asarray(v.sum() / valid.sum(), dtype=v.dtype)

    torch = None if spec.torch is None else (
        lambda t, *a, **kw: spec.torch(t, *a, **kw).mean())
    return OpSpec(spec.op, lambda *a, **kw: spec.fn(*a, reduction="mean", **kw), ref,
                  spec.samples, variant="-".join(p for p in (spec.variant, "mean") if p),
                  grad_args=spec.grad_args, torch=torch)


_REDUCTION_ERRORS = (
    ErrorCase((np.zeros(2), np.zeros(2)), ValueError,
              r"mean_squared_error: reduction must be 'none' or 'mean'; got 'sum'\.",
              {"reduction": "sum"}),
    ErrorCase((np.zeros(2), np.full(2, 0.5)), ValueError,
              r"binary_cross_entropy: reduction must be 'none' or 'mean'; got 'sum'\.",
              {"reduction": "sum"}),
)
LOSS_ROWS += [_mean_of(spec) for spec in LOSS_ROWS if spec.grad_args]
LOSS_ROWS.append(OpSpec("mean_squared_error", nn.mean_squared_error, None, lambda rng: [],
                        variant="reduction-errors", grad_args=(), errors=_REDUCTION_ERRORS[:1]))
LOSS_ROWS.append(OpSpec("binary_cross_entropy", _bce(False), None, lambda rng: [],
                        variant="reduction-errors", grad_args=(), errors=_REDUCTION_ERRORS[1:]))

# ---------------------------------------------------------------- rows: dropout

_DROPOUT_ERRORS = (
    ErrorCase((np.ones(3),), ValueError,
              r"dropout: rate must be in \[0, 1\); expected 0 <= rate < 1, got 1\.0\.",
              {"rate": 1.0}),
    ErrorCase((np.ones(3),), ValueError, r"dropout: rate must be in \[0, 1\); .* got -0\.1\.",
              {"rate": -0.1}),
    ErrorCase((np.ones(3),), TypeError, r"dropout: rate must be a number", {"rate": "0.5"}),
    ErrorCase((np.ones((2, 3)),), ValueError,
              r"dropout: noise_shape \(3, 2\) does not broadcast to the input shape \(2, 3\)",
              {"rate": 0.5, "noise_shape": (3, 2)}),
    ErrorCase((np.ones(3),), TypeError,
              r"dropout: seed must be None, a non-negative int or a numpy Generator; got 'a'\.",
              {"rate": 0.5, "seed": "a"}),
)

DROPOUT_ROWS = [
    OpSpec("dropout", lambda x: nn.dropout(x, 0.4, seed=3), _dropout_ref(0.4, 3), unary()),
    OpSpec("dropout", lambda x: nn.dropout(x, 0.5, seed=5, noise_shape=(2, 1, 4)),
           _dropout_ref(0.5, 5, (2, 1, 4)), unary(shapes=[(2, 1, 4)]), variant="noise-shape"),
    OpSpec("dropout", lambda x: nn.dropout(x, 0.5, seed=5, noise_shape=(None, 1)),
           _dropout_ref(0.5, 5, (2, 1)), unary(shapes=[(2, 3)]), variant="noise-shape-none"),
    OpSpec("dropout", lambda x: nn.dropout(x, 0.5, training=False), lambda x: x,
           unary(shapes=[(2, 3)]), variant="inference-identity", grad_args=()),
    OpSpec("dropout", lambda x, **kw: nn.dropout(x, **kw), None, lambda rng: [],
           variant="errors", grad_args=(), errors=_DROPOUT_ERRORS),
]

# ---------------------------------------------------------------- rows: dense (fused layer)

_DENSE_REFS = {None: lambda z: z, "relu": lambda z: np.maximum(z, 0), "sigmoid": _sigmoid,
               "tanh": np.tanh}
_DENSE_TORCH = {None: lambda t, z: z, "relu": lambda t, z: t.relu(z),
                "sigmoid": lambda t, z: t.sigmoid(z), "tanh": lambda t, z: t.tanh(z)}


def _dense_ref(activation):
    def ref(x, kernel, bias=None, **_):
        z = x @ kernel if bias is None else x @ kernel + bias
        return _DENSE_REFS[activation](z)
    return _in_dtype(ref)


def _dense_torch(activation):
    def ref(t, x, kernel, bias=None, **_):
        return _DENSE_TORCH[activation](t, x @ kernel if bias is None else x @ kernel + bias)
    return ref


def _dense_samples(with_bias):
    """(x, kernel[, bias]) whose pre-activations stay 0.1 away from 0 (relu's kink): redrawn
    until they do."""
    def make(rng):
        out = []
        for x_shape in [(3, 4), (2, 3, 4), (4,), (1, 4)]:
            while True:
                args = [rng.uniform(-1, 1, x_shape), rng.uniform(-1, 1, (4, 5))]
                if with_bias:
                    args.append(rng.uniform(-1, 1, (5,)))
                z = args[0] @ args[1] + (args[2] if with_bias else 0)
                if np.abs(z).min() > 0.1:
                    break
            out.append(Sample(tuple(args), name=f"x{x_shape}"))
        return out
    return make


def _dense_row(activation, with_bias, errors=()):
    name = "linear" if activation is None else activation
    return OpSpec("dense", lambda *a: nn.dense(*a, activation=activation),
                  _dense_ref(activation), _dense_samples(with_bias),
                  variant=f"{name}-{'bias' if with_bias else 'no-bias'}",
                  grad_args=(0, 1, 2) if with_bias else (0, 1), torch=_dense_torch(activation),
                  errors=errors)


_DENSE_ERRORS = (
    ErrorCase((np.ones((2, 3)), np.ones((4, 5))), ValueError,
              r"dense: the input's last axis must match the kernel's first axis; expected an "
              r"input of shape \(\.\.\., 4\), got \(2, 3\)\."),
    ErrorCase((np.ones((2, 4)), np.ones(4)), ValueError,
              r"dense: kernel must be 2-D \(input_dim, units\); got shape \(4,\)\."),
    ErrorCase((np.ones((2, 4)), np.ones((4, 5)), np.ones(3)), ValueError,
              r"dense: bias must have one entry per unit; expected shape \(5,\), got \(3,\)\."),
    ErrorCase((np.ones((2, 4)), np.ones((4, 5))), ValueError,
              r"dense: unsupported activation 'softmax'; expected one of None, 'linear', "
              r"'relu', 'sigmoid', 'tanh'", {"activation": "softmax"}),
)

DENSE_ROWS = [
    *(_dense_row(act, bias) for act in (None, "relu", "sigmoid", "tanh") for bias in (True, False)),
    OpSpec("dense", lambda *a: nn.dense(*a, activation=nn.relu), _dense_ref("relu"),
           _dense_samples(True), variant="relu-function", grad_args=(0, 1, 2)),
    OpSpec("dense", lambda *a: nn.dense(*a, activation="linear"), _dense_ref(None),
           _dense_samples(True), variant="linear-name", grad_args=(0, 1, 2)),
    OpSpec("dense", lambda *a, **kw: nn.dense(*a, **kw), None, lambda rng: [], variant="errors",
           grad_args=(), errors=_DENSE_ERRORS),
]

ROWS = [*ACTIVATION_ROWS, *LOSS_ROWS, *DROPOUT_ROWS, *DENSE_ROWS]
