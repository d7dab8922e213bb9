"""Audio preprocessing: MelSpectrogram and STFTSpectrogram.

MelSpectrogram computes with NumPy's FFT on arrays: its output is a constant (no gradient to
the waveform), as the layer is a model's input stage. STFTSpectrogram is a convolution with
(trainable, as Keras') Fourier kernels: dw ops, so gradients flow, except in mode 'angle'.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing import image_utils as iu
from deltaw.nn.conv import conv1d
from deltaw.ops import add, concatenate, log, maximum, pad, reshape, sqrt, square, transpose
from deltaw.tensor import Tensor

__all__ = ["MelSpectrogram", "STFTSpectrogram", "linear_to_mel_weight_matrix",
           "stft", "stft_kernel"]

_MEL_BREAK_HZ = 700.0     # HTK mel scale: mel(f) = 1127 ln(1 + f / 700)
_MEL_Q = 1127.0


def _window(name, length) -> np.ndarray:
    """The periodic Hann or Hamming window (what torch.stft and scipy's get_window use)."""
    if name is None:
        return np.ones(length)
    phase = 2 * np.pi * np.arange(length) / length
    if name == "hann":
        return 0.5 - 0.5 * np.cos(phase)
    if name == "hamming":
        return 0.54 - 0.46 * np.cos(phase)
    return np.asarray(name, dtype=np.float64)


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform of signals along the last axis (complex array).

    Frames of `sequence_length` samples every `sequence_stride`, multiplied by `window`
    (centred in `fft_length`), transformed by a real FFT of `fft_length`. With `center`, the
    signal is first padded by fft_length // 2 on each side by reflection.

    Returns:
        Array (..., frames, fft_length // 2 + 1).
    """
    x = np.asarray(x, dtype=np.float64)
    if center:
        pad = fft_length // 2
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    win = np.zeros(fft_length)
    left = (fft_length - sequence_length) // 2
    win[left:left + sequence_length] = _window(window, sequence_length)
    frames = 1 + (x.shape[-1] - fft_length) // sequence_stride
    starts = np.arange(frames) * sequence_stride
    segments = x[..., starts[:, None] + np.arange(fft_length)]
    return np.fft.rfft(segments * win, n=fft_length, axis=-1)


def _hz_to_mel(hz):
    return _MEL_Q * np.log(1.0 + hz / _MEL_BREAK_HZ)


def linear_to_mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate,
                                lower_edge_hertz, upper_edge_hertz) -> np.ndarray:
    """(num_spectrogram_bins, num_mel_bins) triangular filters on the HTK mel scale, peak 1.

    Band m rises from mel edge m to m + 1 and falls to m + 2, the num_mel_bins + 2 edges spaced
    evenly in mel between the two frequencies; the DC bin gets no weight (as TensorFlow's and
    Keras' matrix).
    """
    bins_hz = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:]
    bins_mel = _hz_to_mel(bins_hz)[:, None]
    edges = np.linspace(_hz_to_mel(lower_edge_hertz), _hz_to_mel(upper_edge_hertz),
                        num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [(1, 0), (0, 0)])


class MelSpectrogram(Layer):
    """Turns waveforms into mel spectrograms: |STFT|^mag_exp, mel filters, then decibels.

    Args:
        fft_length: FFT size (default 2048).
        sequence_stride: Hop between frames (default 512).
        sequence_length: Window length (default fft_length; at most fft_length).
        window: 'hann' (default), 'hamming' or None.
        sampling_rate: Samples per second (default 16000).
        num_mel_bins: Mel bands (default 128).
        min_freq, max_freq: Frequency range of the bands (max default sampling_rate / 2).
        power_to_db: Convert to dB: 10 log10(max(S, min_power) / max(|ref_power|, min_power)),
            floored at the batch's maximum minus `top_db`.
        top_db, mag_exp, min_power, ref_power: As above (defaults 80, 2, 1e-10, 1).
        **kwargs: Base Layer arguments.

    Input shape:
        `(batch, samples)` or `(samples,)`; the STFT is centred (reflection padding), so
        samples must exceed fft_length // 2.

    Output shape:
        `(batch, num_mel_bins, frames)`, frames = 1 + samples // sequence_stride.
    """

    # computes on arrays or draws outside dw ops: a recorded train step cannot stand for later
    # ones (see keras/trainers/compiled_step.py)
    _computes_outside_ops = True

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        where = f"MelSpectrogram '{self.name}'"
        for name, value in (("fft_length", fft_length), ("sequence_stride", sequence_stride),
                            ("num_mel_bins", num_mel_bins)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"{where}: {name} must be a positive int; got "
                                 f"{name}={value!r}.")
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(f"{where}: fft_length must be at least sequence_length; got "
                             f"sequence_length={self.sequence_length}, "
                             f"fft_length={self.fft_length}.")
        if isinstance(window, str) and window not in ("hann", "hamming"):
            raise ValueError(f"{where}: window must be 'hann', 'hamming', None or an array; "
                             f"got window={window!r}.")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power

    def call(self, inputs):
        x = inputs.data
        if x.shape[-1] <= self.fft_length // 2:
            raise ValueError(f"MelSpectrogram '{self.name}': the signal must be longer than "
                             f"fft_length // 2 = {self.fft_length // 2} samples (reflection "
                             f"padding); got input shape {x.shape}.")
        spectrum = np.abs(stft(x, self.sequence_length, self.sequence_stride,
                               self.fft_length, self.window)) ** self.mag_exp
        mel = spectrum @ linear_to_mel_weight_matrix(
            self.num_mel_bins, spectrum.shape[-1], self.sampling_rate, self.min_freq,
            self.max_freq)
        if self.power_to_db:
            db = 10.0 * np.log10(np.maximum(mel, self.min_power))
            db -= 10.0 * np.log10(max(abs(self.ref_power), self.min_power))
            mel = np.maximum(db, db.max() - self.top_db)
        return Tensor(np.swapaxes(mel, -1, -2).astype(self._np_dtype))

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None if samples is None else \
            (samples + self.sequence_stride + 1) // self.sequence_stride
        return (*input_shape[:-1], self.num_mel_bins, frames)

    def get_config(self):
        return {**super().get_config(), "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq, "max_freq": self.max_freq,
                "power_to_db": self.power_to_db, "top_db": self.top_db,
                "mag_exp": self.mag_exp, "min_power": self.min_power,
                "ref_power": self.ref_power}


_WINDOWS = ("hann", "hamming", "blackman", "boxcar")


def _named_window(where, name, length, periodic) -> np.ndarray:
    """scipy.signal.get_window(name, length, fftbins=periodic) for the common windows."""
    if name not in _WINDOWS:
        raise ValueError(f"{where}: window must be one of {_WINDOWS}, None or an array; got "
                         f"window={name!r}.")
    if name == "boxcar" or length == 1:
        return np.ones(length)
    phase = 2 * np.pi * np.arange(length) / (length if periodic else length - 1)
    if name == "hann":
        return 0.5 - 0.5 * np.cos(phase)
    if name == "hamming":
        return 0.54 - 0.46 * np.cos(phase)
    return 0.42 - 0.5 * np.cos(phase) + 0.08 * np.cos(2 * phase)


def stft_kernel(side, shape, window="hann", scaling="density", periodic=False, where="STFT"):
    """Fourier kernel (frame_length, 1, bins): cos (side='real') or sin ('imag') of
    -2 pi n k / fft_length, times the window, divided by sqrt(sum w^2) ('density') or sum |w|
    ('spectrum') -- Keras' STFT initializer."""
    frame_length, _, bins = shape
    fft_length = (bins - 1) * 2
    angle = -2.0 * np.pi * np.arange(frame_length)[:, None, None] * \
        np.arange(bins)[None, None, :] / fft_length
    kernel = np.cos(angle) if side == "real" else np.sin(angle)
    if window is not None:
        win = _named_window(where, window, frame_length, periodic) if isinstance(window, str) \
            else np.asarray(window, dtype=np.float64)
        if win.shape != (frame_length,):
            raise ValueError(f"{where}: the window must have shape ({frame_length},); got "
                             f"{win.shape}.")
        scale = np.sqrt(np.sum(win ** 2)) if scaling == "density" else \
            np.sum(np.abs(win)) if scaling == "spectrum" else 1.0
        kernel = kernel * win[:, None, None] / scale
    return kernel


class STFTSpectrogram(Layer):
    """Short-time Fourier transform of each channel of a signal, as a 1-D convolution with
    Fourier kernels (Keras' STFTSpectrogram).

    Args:
        mode: 'log' (default; log magnitude), 'magnitude', 'psd' (power, the inner bins
            doubled), 'real', 'imag', 'angle' (no gradient) or 'stft' (real then imaginary
            bins).
        frame_length: Window length in samples (default 256).
        frame_step: Hop (default frame_length // 2; at most frame_length).
        fft_length: FFT size (default: the next power of two >= frame_length).
        window: 'hann' (default), 'hamming', 'blackman', 'boxcar', None, or an array.
        periodic: Periodic rather than symmetric window (default False).
        scaling: 'density' (default), 'spectrum' or None.
        padding: 'valid' (default) or 'same'.
        expand_dims: Keep channels and frequencies on separate axes.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.

    Weights (trainable, as Keras): `real_kernel` (not in mode 'imag') and `imag_kernel`
    (not in mode 'real'), each (frame_length, 1, fft_length // 2 + 1).

    Input shape:
        `(batch, samples, channels)` (channels-first: `(batch, channels, samples)`).

    Output shape:
        `(batch, frames, channels * bins)`, or `(batch, frames, bins, channels)` with
        expand_dims (bins doubled in mode 'stft').
    """

    _MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = f"STFTSpectrogram '{self.name}'"
        frame_length = iu.check_positive_int(where, "frame_length", frame_length)
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise ValueError(f"{where}: frame_step must be a positive int not greater than "
                             f"frame_length={frame_length}; got frame_step={frame_step!r}.")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(f"{where}: fft_length must be at least frame_length="
                             f"{frame_length}; got fft_length={fft_length!r}.")
        if mode not in self._MODES:
            raise ValueError(f"{where}: mode must be one of {self._MODES}; got mode={mode!r}.")
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"{where}: scaling must be None, 'density' or 'spectrum'; got "
                             f"scaling={scaling!r}.")
        if padding not in ("valid", "same"):
            raise ValueError(f"{where}: padding must be 'valid' or 'same'; got "
                             f"padding={padding!r}.")
        if isinstance(window, str):
            _named_window(where, window, 1, periodic)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = iu.standardize_image_data_format(where, data_format)
        self.input_spec = InputSpec(ndim=3)
        self.real_kernel = self.imag_kernel = None

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != ("imag" if side == "real" else "real"):
                setattr(self, f"{side}_kernel", self.add_weight(
                    f"{side}_kernel", shape,
                    lambda s, dtype=None, side=side: stft_kernel(
                        side, s, self.window, self.scaling, self.periodic).astype(dtype)))

    def _convolve(self, x, kernel):
        """(batch, channels, bins, frames) of one kernel over every channel."""
        if self.data_format == "channels_last":
            batch, steps, channels = x.shape
            x = transpose(x, (0, 2, 1))
        else:
            batch, channels, steps = x.shape
        out = conv1d(reshape(x, (batch * channels, steps, 1)), kernel,
                     strides=self._frame_step, padding=self.padding)
        frames, bins = out.shape[1], out.shape[2]
        return reshape(transpose(out, (0, 2, 1)), (batch, channels, bins, frames))

    def _arrange(self, out):
        batch, channels, bins, frames = out.shape
        if self.expand_dims:
            return transpose(out, (0, 3, 2, 1) if self.data_format == "channels_last"
                             else (0, 1, 3, 2))
        out = reshape(out, (batch, channels * bins, frames))
        return transpose(out, (0, 2, 1)) if self.data_format == "channels_last" else out

    def call(self, inputs):
        real = None if self.mode == "imag" else self._convolve(inputs, self.real_kernel)
        imag = None if self.mode == "real" else self._convolve(inputs, self.imag_kernel)
        if self.mode in ("real", "imag"):
            return self._arrange(real if self.mode == "real" else imag)
        if self.mode == "angle":
            return self._arrange(Tensor(np.arctan2(imag.data, real.data)))
        if self.mode == "stft":
            return self._arrange(concatenate([real, imag], axis=2))
        power = add(square(real), square(imag))
        if self.mode == "psd":
            inner = pad(power[:, :, 1:-1, :], ((0, 0), (0, 0), (1, 1), (0, 0)))
            return self._arrange(add(power, inner))
        magnitude = self._arrange(sqrt(maximum(power, backend_epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return log(maximum(magnitude, backend_epsilon()))

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            batch, steps, channels = input_shape
        else:
            batch, channels, steps = input_shape
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if steps is None:
            frames = None
        elif self.padding == "same":
            frames = -(-steps // self._frame_step)
        else:
            frames = (steps - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            return (batch, frames, bins, channels) if self.data_format == "channels_last" \
                else (batch, channels, frames, bins)
        features = None if channels is None else channels * bins
        return (batch, frames, features) if self.data_format == "channels_last" \
            else (batch, features, frames)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length,
                "window": _listify_window(self.window), "periodic": self.periodic,
                "scaling": self.scaling, "padding": self.padding,
                "data_format": self.data_format, "expand_dims": self.expand_dims}


def _listify_window(window):
    return window if window is None or isinstance(window, str) else np.asarray(window).tolist()


def backend_epsilon() -> float:
    from deltaw.keras import backend
    return backend.epsilon()
