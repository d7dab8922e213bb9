"""deltaw.keras against Keras 3's public API: every Keras name is present or listed with a reason.

The lists live in keras_api_gaps.py: NO_MEANING (names that cannot mean anything on deltaw, each
with its reason) and NOT_YET (names still to build, issue 11). A name that is neither present
nor listed fails; so does a listed name that deltaw now has (the lists stay current). The table:
`KERAS_BACKEND=torch python -m tests.keras.keras_coverage`.
"""

from __future__ import annotations

import pytest

from tests.keras import keras_reference as kr

keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

from tests.keras.keras_api_gaps import NO_MEANING, NOT_YET  # noqa: E402
from tests.keras.keras_coverage import MODULES, coverage  # noqa: E402

TABLE = coverage(keras)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: f"keras.{m}" if m else "keras")
def test_every_keras_name_is_present_or_listed(module):
    _, missing = TABLE[module]
    listed = set(NO_MEANING.get(module, {})) | set(NOT_YET.get(module, ()))
    unlisted = sorted(set(missing) - listed)
    assert not unlisted, (f"keras.{module}: {unlisted} are neither in deltaw.keras nor listed in "
                          "tests/keras/keras_api_gaps.py; add them (or list them with a reason).")


@pytest.mark.parametrize("module", MODULES, ids=lambda m: f"keras.{m}" if m else "keras")
def test_listed_gaps_are_current(module):
    have, missing = TABLE[module]
    listed = set(NO_MEANING.get(module, {})) | set(NOT_YET.get(module, ()))
    stale = sorted(listed - set(missing))
    assert not stale, (f"keras.{module}: {stale} are listed as gaps but deltaw.keras has them "
                       "(or Keras does not): remove them from tests/keras/keras_api_gaps.py.")


def test_every_reason_is_given():
    for module, names in NO_MEANING.items():
        for name, reason in names.items():
            assert reason.strip(), f"NO_MEANING[{module!r}][{name!r}] needs a reason."
