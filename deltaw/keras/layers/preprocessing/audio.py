"""Audio preprocessing: MelSpectrogram (waveforms to mel-scaled power spectrograms, in dB).

Computed with NumPy's FFT on arrays: the output is a constant (no gradient to the waveform),
as the layer is a model's input stage.
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras.layers.layer import Layer
from deltaw.tensor import Tensor

__all__ = ["MelSpectrogram", "linear_to_mel_weight_matrix", "stft"]

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
