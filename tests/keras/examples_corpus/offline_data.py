"""Offline stand-ins for the downloads of the keras.io examples: same shapes, dtypes and layouts.

Tests have no internet. MNIST is the real one (the 5,000-image subset deltaw ships); the others
are synthetic data with a learnable signal, built from a fixed seed so that deltaw and Keras train
on the same arrays.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np


def mnist(n_train=2000, n_test=500):
    """`keras.datasets.mnist.load_data()`: uint8 images (n, 28, 28), uint8 labels; real digits."""
    from deltaw.keras.datasets import mnist as shipped

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        (x_train, y_train), (x_test, y_test) = shipped.load_data()
    return (x_train[:n_train], y_train[:n_train]), (x_test[:n_test], y_test[:n_test])


def imdb(num_words=20000, n_train=600, n_test=200, seed=0):
    """`keras.datasets.imdb.load_data(num_words=...)`: lists of word ids, labels 0/1.

    Reviews start with 1 (start_char) and use ids >= 4 (index_from=3), as Keras' files do. A
    review's label is whether it holds more words from a "positive" set than from a "negative" one.
    """
    rng = np.random.default_rng(seed)
    positive, negative = np.arange(4, 54), np.arange(54, 104)

    def reviews(n):
        xs, ys = [], []
        for _ in range(n):
            length = int(rng.integers(30, 220))
            words = rng.integers(104, num_words, length)
            label = int(rng.integers(0, 2))
            marks = rng.choice(positive if label else negative, size=max(6, length // 4))
            words[rng.choice(length, size=marks.size, replace=False)] = marks
            xs.append([1, *words.tolist()])
            ys.append(label)
        return np.array(xs, dtype=object), np.array(ys, dtype=np.int64)

    return reviews(n_train), reviews(n_test)


def forda(n_train=300, n_test=120, length=500, seed=0):
    """FordA_TRAIN/TEST.tsv as `readucr` returns them: float64 (n, 500), labels -1/1 (int)."""
    rng = np.random.default_rng(seed)

    def series(n):
        labels = rng.choice([-1, 1], n)
        t = np.arange(length)
        jitter = 1 + 0.1 * rng.standard_normal((n, 1))
        freq = np.where(labels == 1, 0.031, 0.047)[:, None] * jitter
        x = np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi, (n, 1)))
        x += 0.3 * rng.standard_normal((n, length))
        x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
        return x, labels.astype(int)

    return series(n_train), series(n_test)


def creditcard(n=3000, features=30, fraud_rate=0.02, seed=0):
    """creditcard.csv's numeric body as the example reads it: float features, last column 0/1."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < fraud_rate).astype(np.float64)
    x = rng.standard_normal((n, features))
    x[labels == 1, :5] += 2.5
    return np.concatenate([x, labels[:, None]], axis=1)


def french_english_pairs(n=400, seed=0):
    """fra.txt lines ("English\\tFrench\\tattribution"): here target = reversed source words."""
    rng = np.random.default_rng(seed)
    vocab = ["go", "run", "stop", "wait", "help", "come", "eat", "sleep", "look", "smile"]
    lines = []
    for _ in range(n):
        words = list(rng.choice(vocab, size=int(rng.integers(1, 4))))
        lines.append(" ".join(words) + ".\t" + " ".join(reversed(words)) + " !\tCC-BY")
    return "\n".join(lines)


def nietzsche(chars=6000, seed=0):
    """nietzsche.txt: text with repeated structure a character model can pick up."""
    rng = np.random.default_rng(seed)
    words = ["the", "will", "to", "power", "is", "truth", "of", "man", "and", "god", "dead"]
    return " ".join(rng.choice(words, size=chars // 4))[:chars]


def cifar100(n_train=96, n_test=32, seed=0):
    """`keras.datasets.cifar100.load_data()`: uint8 (n, 32, 32, 3), labels int64 (n, 1)."""
    rng = np.random.default_rng(seed)

    def images(n):
        y = rng.integers(0, 100, (n, 1))
        x = rng.integers(0, 256, (n, 32, 32, 3)).astype(np.uint8)
        return x, y

    return images(n_train), images(n_test)


def token_stream(n=256, maxlen=80, vocab_size=20000, seed=0):
    """TextVectorization output of the IMDB text: int32 (n, maxlen + 1) token ids with structure."""
    rng = np.random.default_rng(seed)
    start = rng.integers(2, 200, (n, 1))
    steps = np.arange(maxlen + 1)[None, :]
    return ((start + 3 * steps) % 200 + 2).astype(np.int32)
