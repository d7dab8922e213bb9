"""Weight initializers (`keras.initializers`), with Keras 3's names, defaults and formulas.

An initializer is called as `init(shape, dtype=None)` and returns a NumPy array (float32 unless
`dtype` says otherwise). Random initializers draw from deltaw's global generator
(`deltaw.random`, so `dw.random.seed(n)` makes model construction reproducible), unless built with
`seed=`: then every call returns the same values, as Keras 3's integer-seeded initializers do.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from deltaw import random as _dw_random
from deltaw.dtypes import DEFAULT_FLOAT
from deltaw.keras.utils import _to_snake_case

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal",
    "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros", "compute_fans", "constant",
    "deserialize", "get", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity",
    "lecun_normal", "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform",
    "serialize", "truncated_normal", "variance_scaling", "zeros",
    "IdentityInitializer", "OrthogonalInitializer", "STFT", "STFTInitializer", "stft",
]

# The standard deviation of a standard normal truncated to [-2, 2]. Dividing by it makes a
# truncated normal with the requested variance (Keras 3's VarianceScaling constant).
_TRUNCATED_STDDEV = 0.87962566103423978


class Initializer:
    """Base class: subclasses implement `__call__(shape, dtype=None)` and `get_config()`."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__}: __call__ is not implemented.")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


def _shape(shape) -> tuple:
    return (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(d) for d in shape)


def _dtype(dtype):
    return np.dtype(dtype) if dtype is not None else DEFAULT_FLOAT


# ----- constants
class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(_shape(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(_shape(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element equal to `value` (a scalar). Defaults to 0.0."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(_shape(shape), self.value, dtype=_dtype(dtype))

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray | np.generic) else value}


class Identity(Initializer):
    """`gain` times the identity matrix; 2-D shapes only (as Keras 3)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity: can only initialize 2-D matrices; got shape {shape} of "
                             f"rank {len(shape)}.")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


# ----- random
class RandomInitializer(Initializer):
    """Base of the random initializers: `seed=None` draws from deltaw's global generator; an int
    seed gives the same values on every call."""

    def __init__(self, seed=None):
        if seed is not None and (not isinstance(seed, int | np.integer) or isinstance(seed, bool)):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None; "
                             f"got {seed!r}.")
        self.seed = seed

    def _rng(self) -> np.random.Generator:
        return _dw_random.generator() if self.seed is None else \
            np.random.default_rng(int(self.seed))

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(rng, shape, mean, stddev, dtype):
    """Normal samples with every value within 2 standard deviations (out-of-range ones redrawn)."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return (out * stddev + mean).astype(dtype)


class RandomNormal(RandomInitializer):
    """Samples from N(mean, stddev**2). Defaults: mean=0.0, stddev=0.05."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        data = self._rng().normal(self.mean, self.stddev, _shape(shape))
        return data.astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomInitializer):
    """N(mean, stddev**2) truncated to mean +- 2 stddev. Defaults: mean=0.0, stddev=0.05."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return _truncated_normal(self._rng(), _shape(shape), self.mean, self.stddev,
                                 _dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    """Samples from U[minval, maxval). Defaults: minval=-0.05, maxval=0.05."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        data = self._rng().uniform(self.minval, self.maxval, _shape(shape))
        return data.astype(_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape, as Keras.

    1-D: both are the length. 2-D `(in, out)`: in and out. N-D convolution kernels
    `(*spatial, in_channels, out_channels)`: each channel count times the receptive field size
    (the product of the spatial dimensions). `input_axes`/`output_axes` override the guess.
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling(RandomInitializer):
    """Samples scaled to the weight's fan, as Keras 3's VarianceScaling.

    With n = fan_in, fan_out or (fan_in + fan_out) / 2 (by `mode`, at least 1) and
    s = scale / n:

    - "truncated_normal" (or "normal"): truncated normal with stddev sqrt(s) / 0.8796256610342398
      (so the truncated samples have variance s);
    - "untruncated_normal": normal with stddev sqrt(s);
    - "uniform": uniform on [-sqrt(3 s), sqrt(3 s)].

    Args:
        scale: Positive float. Defaults to 1.0.
        mode: "fan_in" (default), "fan_out" or "fan_avg".
        distribution: "truncated_normal" (default), "untruncated_normal" or "uniform".
        seed: Int or None.
        input_axes, output_axes: Optional axes that define the fans (else `compute_fans`).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        name = type(self).__name__
        if not scale > 0.0:
            raise ValueError(f"{name}: scale must be a positive float; got scale={scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"{name}: invalid mode {mode!r}; expected one of fan_avg, fan_in, "
                             "fan_out.")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"{name}: invalid distribution {distribution!r}; expected one of "
                             "truncated_normal, uniform, untruncated_normal.")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng, dtype = self._rng(), _dtype(dtype)
        if self.distribution == "truncated_normal":
            return _truncated_normal(rng, shape, 0.0, math.sqrt(scale) / _TRUNCATED_STDDEV, dtype)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(scale), shape).astype(dtype)
        limit = math.sqrt(3.0 * scale)
        return rng.uniform(-limit, limit, shape).astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes,
                **super().get_config()}


def _fixed(cls_name, scale, mode, distribution, doc):
    """A VarianceScaling preset (GlorotUniform, HeNormal, ...) with Keras' constructor."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale=scale, mode=mode, distribution=distribution,
                                 seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        config = {"seed": self.seed}
        if self.input_axes is not None or self.output_axes is not None:
            config.update(input_axes=self.input_axes, output_axes=self.output_axes)
        return config

    return type(cls_name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                              "__doc__": doc, "__module__": __name__})


GlorotUniform = _fixed("GlorotUniform", 1.0, "fan_avg", "uniform",
                       "Glorot (Xavier) uniform: U[-l, l] with l = sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _fixed("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                      "Glorot normal: truncated normal with variance 2 / (fan_in + fan_out).")
HeUniform = _fixed("HeUniform", 2.0, "fan_in", "uniform",
                   "He uniform: U[-l, l] with l = sqrt(6 / fan_in).")
HeNormal = _fixed("HeNormal", 2.0, "fan_in", "truncated_normal",
                  "He normal: truncated normal with variance 2 / fan_in.")
LecunUniform = _fixed("LecunUniform", 1.0, "fan_in", "uniform",
                      "LeCun uniform: U[-l, l] with l = sqrt(3 / fan_in).")
LecunNormal = _fixed("LecunNormal", 1.0, "fan_in", "truncated_normal",
                     "LeCun normal: truncated normal with variance 1 / fan_in.")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a normal matrix.

    Shapes with more than two axes are treated as `(prod(shape[:-1]), shape[-1])` and reshaped.
    Rows are orthonormal when there are fewer rows than columns, columns otherwise.

    Args:
        gain: Multiplicative factor. Defaults to 1.0.
        seed: Int or None.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must have at least 2 axes; got shape "
                             f"{shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # make the decomposition unique (uniformly distributed q)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


class STFT(Initializer):
    """The kernel of a short-time Fourier transform as a convolution, shape
    `(frame_length, 1, fft_length // 2 + 1)` (the real or imaginary part; Keras 3's
    STFTInitializer, used by STFTSpectrogram).

    With N = frame_length, F = 2 * (shape[-1] - 1), n the time index and k the frequency index:

        kernel[n, 0, k] = cos(-2 * pi * n * k / F)   ("real")  or sin(...)  ("imag")

    times the window w[n], divided by sqrt(sum(w**2)) ("density"), sum(|w|) ("spectrum") or 1
    (None).

    Args:
        side: "real" or "imag".
        window: A window name ("hann", "hamming", "blackman", "bartlett", "boxcar"), a 1-D
            array of length frame_length, or None (no window). Keras accepts every
            scipy.signal window name; deltaw computes these five itself, without scipy.
        scaling: "density" (default), "spectrum" or None.
        periodic: Periodic (DFT-even) instead of symmetric windows. Defaults to False.

    Example:
        >>> STFT(window=None, scaling=None)((2, 1, 2))[:, 0, :]
        array([[ 1.,  1.],
               [ 1., -1.]], dtype=float32)
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: side must be 'real' or 'imag'; got {side!r}.")
        if isinstance(window, str) and window not in _WINDOWS:
            raise ValueError(f"STFT: unknown window {window!r}; expected one of "
                             f"{', '.join(sorted(_WINDOWS))}, an array or None.")
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"STFT: scaling must be None, 'density' or 'spectrum'; got "
                             f"{scaling!r}.")
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        frame_length, _, bins = _shape(shape)
        dtype = _dtype(dtype)
        # in the weight's dtype and Keras' order of operations, so float32 kernels match its
        # rounding of the angles
        freq = np.arange(bins, dtype=dtype).reshape(1, 1, -1) / dtype.type((bins - 1) * 2)
        time = np.arange(frame_length, dtype=dtype).reshape(-1, 1, 1)
        angle = (dtype.type(-2) * time) * freq * np.arccos(dtype.type(-1))
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            win = (_WINDOWS[self.window](frame_length, self.periodic)
                   if isinstance(self.window, str) else np.asarray(self.window, np.float64))
            if win.shape != (frame_length,):
                raise ValueError(f"STFT: the window must have shape ({frame_length},); got "
                                 f"{win.shape}.")
            win = win.astype(dtype).reshape(-1, 1, 1)
            scale = {"density": np.sqrt(np.sum(np.square(win))), "spectrum": np.sum(np.abs(win)),
                     None: dtype.type(1)}[self.scaling]
            kernel = kernel * win / scale
        return kernel.astype(dtype)

    def get_config(self):
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


def _cosine_window(coefficients):
    """A generalized cosine window sum_i (-1)**i a_i cos(2 pi i n / (M - 1)), as scipy's."""
    def window(length, periodic):
        m = length + 1 if periodic else length
        if m == 1:
            return np.ones(1)
        n = np.arange(m)
        w = sum((-1) ** i * a * np.cos(2 * np.pi * i * n / (m - 1))
                for i, a in enumerate(coefficients))
        return w[:length]
    return window


def _bartlett(length, periodic):
    m = length + 1 if periodic else length
    return (np.bartlett(m) if m > 1 else np.ones(1))[:length]


_WINDOWS = {
    "hann": _cosine_window((0.5, 0.5)), "hamming": _cosine_window((0.54, 0.46)),
    "blackman": _cosine_window((0.42, 0.5, 0.08)), "bartlett": _bartlett,
    "boxcar": lambda length, periodic: np.ones(length),
}


# ----- lookup
_CLASSES = (Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
            LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, STFT)


_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
                 "STFTInitializer": STFT,
                 "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros})


# Keras exports each class under its snake-case name too: initializers.glorot_uniform(seed=1)
constant, identity, ones, zeros = Constant, Identity, Ones, Zeros
glorot_normal, glorot_uniform, he_normal, he_uniform = GlorotNormal, GlorotUniform, HeNormal, \
    HeUniform
lecun_normal, lecun_uniform, orthogonal = LecunNormal, LecunUniform, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling = VarianceScaling
stft = STFTInitializer = STFT
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal


def serialize(initializer) -> dict | str:
    """Keras 3's serialized form {'module', 'class_name', 'config', 'registered_name'}."""
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """An initializer from `serialize`'s output or a name."""
    if isinstance(config, str):
        return get(config)
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"initializers.deserialize: unknown initializer {name!r}. Known: "
                         f"{', '.join(sorted(k for k in _BY_NAME if k.islower()))}.")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """Resolve an initializer: a name ('glorot_uniform' or 'GlorotUniform'), a config dict, an
    Initializer (or class), a callable, or an array (returned as-is for a matching shape).

    Raises:
        ValueError: for an unknown name, listing the known names.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            known = ", ".join(sorted(k for k in _BY_NAME if k.islower()))
            raise ValueError(f"unknown initializer {identifier!r}. Known: {known}.")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, np.ndarray | np.generic) or hasattr(identifier, "numpy"):
        return _ArrayInitializer(np.asarray(getattr(identifier, "data", identifier)))
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"initializers.get: could not interpret initializer identifier "
                     f"{identifier!r}; expected a name, a config dict or a callable.")


class _ArrayInitializer(Initializer):
    """Returns a fixed array (cast to the requested dtype); the shape must match."""

    def __init__(self, value):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if shape != self.value.shape:
            raise ValueError(f"initializer: the array given as initializer has shape "
                             f"{self.value.shape}; expected the weight's shape {shape}.")
        return self.value.astype(_dtype(dtype))
