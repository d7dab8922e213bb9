"""TensorBoard and TrainingMonitor's neighbours against Keras 3 (torch backend): the
TensorBoard signature, names and defaults. Skipped without keras/torch."""

import inspect

import pytest

from deltaw.keras.callbacks import TensorBoard
from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)


def test_the_signature_is_keras_3s():
    ours = inspect.signature(TensorBoard).parameters
    theirs = inspect.signature(keras.callbacks.TensorBoard).parameters
    assert [(n, p.default) for n, p in theirs.items()] == \
           [(n, p.default) for n, p in ours.items() if p.kind is not p.KEYWORD_ONLY]
    assert [n for n, p in ours.items() if p.kind is p.KEYWORD_ONLY] == ["write_grads", "monitor"]


def test_the_callbacks_are_keras_names():
    import deltaw.keras as dk

    assert dk.callbacks.TensorBoard is TensorBoard
    assert "TensorBoard" in dir(keras.callbacks) and "TensorBoard" in dk.callbacks.__all__
