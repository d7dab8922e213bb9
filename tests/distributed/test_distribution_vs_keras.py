"""keras.distribution's names and arguments are Keras 3's."""

import inspect

import pytest

from deltaw.keras import distribution
from tests.keras.keras_reference import SKIP_REASON, quiet, require_torch_backend

with quiet():
    keras = pytest.importorskip("keras", reason=SKIP_REASON)
require_torch_backend(keras)


@pytest.mark.parametrize("name", distribution.__all__)
def test_names_and_arguments_match_keras(name):
    ours, theirs = getattr(distribution, name), getattr(keras.distribution, name)
    assert inspect.signature(ours).parameters.keys() == \
        inspect.signature(theirs).parameters.keys()
    for p in inspect.signature(theirs).parameters.values():   # and the defaults
        assert inspect.signature(ours).parameters[p.name].default == p.default, (name, p.name)
