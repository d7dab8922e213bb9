"""audio_dataset_from_directory: .wav class folders decoded as TensorFlow's decode_wav does.

Keras' own function needs TensorFlow, so these tests check against the values written into the
files: 16-bit PCM / 32768, 8-bit (x - 128) / 128, 24-bit / 2**23.
"""

import wave

import numpy as np
import pytest

import deltaw.keras as dk

RATE = 8000


def _write(path, samples, width=2, channels=1, rate=RATE):
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(width)
        f.setframerate(rate)
        if width == 3:
            raw = np.asarray(samples, "<i4").reshape(-1).view(np.uint8).reshape(-1, 4)[:, :3]
            f.writeframes(raw.tobytes())
        else:
            f.writeframes(np.asarray(samples, {1: np.uint8, 2: "<i2"}[width]).tobytes())


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    clips = {}
    for label, lengths in (("cat", (5, 9, 7)), ("dog", (6, 4))):
        for i, n in enumerate(lengths):
            samples = rng.integers(-32768, 32767, size=n).astype("int16")
            path = tmp_path / label / f"{i}.wav"
            _write(path, samples)
            clips[str(path)] = samples
    (tmp_path / "dog" / "notes.txt").write_text("not audio")
    return tmp_path, clips


def test_batches_pad_to_the_longest_and_decode_as_decode_wav(folder):
    root, clips = folder
    ds = dk.utils.audio_dataset_from_directory(root, batch_size=2, shuffle=False, verbose=False)
    assert ds.class_names == ["cat", "dog"] and len(ds.file_paths) == 5 and len(ds) == 3
    seen = 0
    for b, (audio, labels) in enumerate(ds):
        paths = ds.file_paths[2 * b:2 * b + 2]
        longest = max(len(clips[p]) for p in paths)
        assert audio.dtype == np.float32 and audio.shape == (len(paths), longest, 1)
        for row, p in enumerate(paths):
            n = len(clips[p])
            np.testing.assert_array_equal(audio[row, :n, 0], clips[p] / 32768.0)
            assert not audio[row, n:].any()            # padded with zeros
            assert labels[row] == (0 if "/cat/" in p else 1)
            seen += 1
    assert seen == 5


def test_output_sequence_length_cuts_and_pads(folder):
    root, clips = folder
    ds = dk.utils.audio_dataset_from_directory(root, batch_size=None, output_sequence_length=6,
                                               shuffle=False, label_mode="categorical",
                                               verbose=False)
    for i, p in enumerate(ds.file_paths):
        audio, label = ds[i]
        want = np.zeros(6, np.float32)
        n = min(6, len(clips[p]))
        want[:n] = clips[p][:n] / 32768.0
        np.testing.assert_array_equal(audio[:, 0], want)
        assert label.tolist() == ([1, 0] if "/cat/" in p else [0, 1])


def test_split_and_shuffle_follow_the_other_directory_datasets(folder):
    root, _ = folder
    kw = dict(validation_split=0.4, subset="both", seed=3, verbose=False)
    train, val = dk.utils.audio_dataset_from_directory(root, **kw)
    assert set(train.file_paths).isdisjoint(val.file_paths) and len(val.file_paths) == 2
    # the same files in the same order as image_dataset_from_directory's indexing gives
    from deltaw.keras.utils.directory_datasets import index_directory

    paths, _, _ = index_directory(str(root), "inferred", (".wav",), seed=3, shuffle=True)
    assert train.file_paths + val.file_paths == paths


@pytest.mark.parametrize("width, samples, scale", [
    (1, [0, 128, 255, 64], 128.0), (3, [-8388608, 0, 8388607, 12345], 8388608.0)])
def test_8_and_24_bit_stereo(tmp_path, width, samples, scale):
    _write(tmp_path / "a" / "x.wav", samples, width=width, channels=2)
    ds = dk.utils.audio_dataset_from_directory(tmp_path, labels=None, batch_size=None,
                                               verbose=False)
    want = (np.asarray(samples, np.float64) - (128 if width == 1 else 0)) / scale
    np.testing.assert_allclose(ds[0], want.reshape(-1, 2), rtol=1e-7)


def test_bad_arguments_and_files_are_named(folder, tmp_path):
    root, _ = folder
    with pytest.raises(ValueError, match="ragged tensors"):
        dk.utils.audio_dataset_from_directory(root, ragged=True)
    with pytest.raises(ValueError, match="Cannot set both"):
        dk.utils.audio_dataset_from_directory(root, ragged=True, output_sequence_length=3)
    with pytest.raises(ValueError, match="higher than 0"):
        dk.utils.audio_dataset_from_directory(root, sampling_rate=0)
    ds = dk.utils.audio_dataset_from_directory(root, sampling_rate=16000, shuffle=False,
                                               verbose=False)
    with pytest.raises(ValueError, match=r"0.wav is sampled at 8000 Hz, not sampling_rate=16000"):
        ds[0]
    (tmp_path / "bad" / "c").mkdir(parents=True)
    (tmp_path / "bad" / "c" / "x.wav").write_bytes(b"RIFF....not a wave")
    with pytest.raises(ValueError, match="cannot read .*x.wav as a PCM .wav file"):
        dk.utils.audio_dataset_from_directory(tmp_path / "bad", verbose=False)[0]
