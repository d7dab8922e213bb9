"""`audio_dataset_from_directory`: a folder of class folders of .wav files as a dataset.

The files are indexed, labelled, shuffled and split exactly as `image_dataset_from_directory`
does it (Keras' order and split; see directory_datasets.py), and decoded with the standard
library's `wave` module as TensorFlow's `decode_wav` decodes them: float32 samples in [-1, 1]
(16-bit PCM divided by 32768), shape `(samples, channels)`.

Where deltaw differs: Keras needs TensorFlow for this function (and tensorflow-io to resample);
deltaw needs neither, but does not resample: a `sampling_rate` that differs from a file's rate
is an error naming the file. `ragged=True` is refused (deltaw has no ragged tensors).
"""

from __future__ import annotations

import wave

import numpy as np

from deltaw.keras.utils.dataset_utils import BatchDataset, _stack
from deltaw.keras.utils.directory_datasets import _make

__all__ = ["audio_dataset_from_directory"]

ALLOWED_FORMATS = (".wav",)
_WHERE = "audio_dataset_from_directory"


def read_wav(path, sampling_rate=None, output_sequence_length=None) -> np.ndarray:
    """The samples of a PCM .wav file as float32 `(samples, channels)` in [-1, 1]."""
    try:
        with wave.open(str(path), "rb") as f:
            width, channels, rate = f.getsampwidth(), f.getnchannels(), f.getframerate()
            frames = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"{_WHERE}: cannot read {path} as a PCM .wav file: {e}") from None
    if sampling_rate is not None and rate != sampling_rate:
        raise ValueError(f"{_WHERE}: {path} is sampled at {rate} Hz, not sampling_rate="
                         f"{sampling_rate}; deltaw does not resample.")
    if width == 1:                                  # 8-bit PCM is unsigned, centred on 128
        audio = (np.frombuffer(frames, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width in (2, 4):
        kind = np.dtype(f"<i{width}")
        audio = np.frombuffer(frames, kind).astype(np.float32) / float(2 ** (8 * width - 1))
    elif width == 3:                                # 24-bit: widen each sample to 32 bits
        raw = np.frombuffer(frames, np.uint8).reshape(-1, 3)
        wide = np.zeros((len(raw), 4), np.uint8)
        wide[:, 1:] = raw
        audio = wide.view("<i4")[:, 0].astype(np.float32) / float(2 ** 31)
    else:
        raise ValueError(f"{_WHERE}: {path} has {8 * width}-bit samples; expected 8, 16, 24 "
                         "or 32-bit PCM.")
    audio = audio.reshape(-1, channels)
    if output_sequence_length is not None:          # decode_wav's desired_samples
        n = output_sequence_length
        audio = audio[:n] if len(audio) >= n else np.pad(audio, ((0, n - len(audio)), (0, 0)))
    return audio


class _PaddedBatches(BatchDataset):
    """Batches whose audio is padded with zeros to the longest in the batch (tf padded_batch)."""

    def __getitem__(self, index):
        if self.batch_size is None:
            return super().__getitem__(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f"{_WHERE}: batch index {index} is out of range for a dataset of "
                             f"{len(self)} batches.")
        index %= len(self)
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        samples = [self._get(int(i)) for i in rows]
        labelled = isinstance(samples[0], tuple)
        audio = [s[0] if labelled else s for s in samples]
        longest = max(len(a) for a in audio)
        audio = [np.pad(a, ((0, longest - len(a)), (0, 0))) for a in audio]
        if not labelled:
            return np.stack(audio)
        return (np.stack(audio), *_stack([s[1:] for s in samples]))


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 batch_size=32, sampling_rate=None, output_sequence_length=None,
                                 ragged=False, shuffle=True, seed=None, validation_split=None,
                                 subset=None, follow_links=False, verbose=True):
    """A dataset of audio batches from a folder of class folders of .wav files, as Keras.

    Args:
        directory: Folder with one sub-folder per class (`labels="inferred"`), or the files.
        labels: `"inferred"`, None (audio only), or a list of int labels for the files in
            sorted path order.
        label_mode: `"int"`, `"categorical"`, `"binary"` or None, as for images.
        class_names: With `"inferred"`, the sub-folders to use, in this label order.
        batch_size: Files per batch; None gives single files.
        sampling_rate: The rate every file must have (an int > 0); None accepts any.
        output_sequence_length: Cut or zero-pad every file to this many samples. None pads
            each batch to its longest file.
        ragged: Must stay False: deltaw has no ragged tensors.
        shuffle, seed, validation_split, subset, follow_links, verbose: As
            `image_dataset_from_directory`.

    Returns:
        A `BatchDataset` of `(audio, labels)` batches, audio float32 of shape
        `(batch, samples, channels)`; with `class_names` and `file_paths`. `subset="both"`
        returns `[training, validation]`.
    """
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if ragged:
        raise ValueError(f"{_WHERE}: ragged=True needs ragged tensors, which deltaw does not "
                         "have; pass output_sequence_length, or leave ragged=False to pad each "
                         "batch to its longest file.")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int) or isinstance(sampling_rate, bool):
            raise ValueError("`sampling_rate` should have an integer value. "
                             f"Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError("`sampling_rate` should be higher than 0. "
                             f"Received: sampling_rate={sampling_rate}")

    def load(path):
        return read_wav(path, sampling_rate, output_sequence_length)

    made = _make(_WHERE, directory, labels, label_mode, class_names, ALLOWED_FORMATS, batch_size,
                 shuffle, seed, validation_split, subset, follow_links, verbose, load,
                 "audio files")
    if output_sequence_length is None:
        # same state, batches padded per batch: the subclass only changes __getitem__
        for ds in made if isinstance(made, list) else [made]:
            ds.__class__ = _PaddedBatches
    return made
