"""keras.distribution's names and arguments are Keras 3's."""

import inspect

import pytest

from deltaw.keras import distribution
from tests.keras.keras_reference import SKIP_REASON, quiet, require_torch_backend

with quiet():
    keras = pytest.importorskip("keras", reason=SKIP_REASON)
require_torch_backend(keras)


# deltaw's own arguments, keyword only after Keras' (documented in the class's docstring)
EXTRAS = {"DataParallel": ["shard_optimizer_state"]}


@pytest.mark.parametrize("name", distribution.__all__)
def test_names_and_arguments_match_keras(name):
    ours, theirs = getattr(distribution, name), getattr(keras.distribution, name)
    params = inspect.signature(ours).parameters
    keras_names = list(inspect.signature(theirs).parameters)
    assert list(params) == keras_names + EXTRAS.get(name, [])   # Keras' in Keras' order
    for p in inspect.signature(theirs).parameters.values():   # and the defaults
        assert params[p.name].default == p.default, (name, p.name)
    for extra in EXTRAS.get(name, []):
        assert params[extra].kind is inspect.Parameter.KEYWORD_ONLY
