"""The transfer-learning example (keras.applications.MobileNet: frozen base, new head, then
fine-tuning) reaches its stated accuracies on the shipped MNIST subset (slow: real training)."""

import pytest

from deltaw.examples import transfer_learning


@pytest.mark.slow
def test_transfer_learning_reaches_its_stated_accuracies(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))   # no mnist.npz there: the 5,000 subset
    frozen, tuned = transfer_learning.main(verbose=0)
    assert frozen >= 0.45
    assert tuned >= 0.68 and tuned > frozen   # fine-tuning the base helps
