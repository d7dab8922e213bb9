"""keras.io examples run to the end on deltaw and reach their figures (tests/keras/examples_corpus).

Each example is the published program with `keras` passed in, its downloads replaced by offline
data of the same layout and its epochs shortened; see each module's docstring for what changed.
"""

from __future__ import annotations

import contextlib
import importlib
import io

import pytest

import deltaw.keras as dk
from tests.keras.examples_corpus import offline_data
from tests.keras.examples_corpus.expectations import CHECKS, NAMES


def run_example(keras, name, seed=1337):
    """The example's result dict; its printed output (progress bars, summaries) is discarded."""
    module = importlib.import_module(f"tests.keras.examples_corpus.{name}")
    keras.utils.set_random_seed(seed)
    with contextlib.redirect_stdout(io.StringIO()):
        return module.run(keras, offline_data)


def test_every_example_has_a_check():
    assert set(CHECKS) == set(NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_example_runs_on_deltaw(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write their checkpoints and data files here
    CHECKS[name](run_example(dk, name))
