"""deltaw.io.limits: the allocation budget that stops oversized configs before they allocate."""

import numpy as np
import pytest

from deltaw.io import ModelFileError
from deltaw.io.limits import allocation_budget, charge


def test_charge_outside_a_budget_does_nothing():
    charge("Dense 'd'", "kernel", (10**12, 10**12), np.float32)


def test_budget_counts_bytes_across_weights_and_names_the_culprit():
    with allocation_budget(40, "load_model: 'm'"):
        charge("Dense 'd'", "kernel", (2, 4), "float32")  # 32 bytes
        with pytest.raises(ModelFileError,
                           match=r"load_model: 'm': the model config asks Dense 'd' for weight "
                                 r"'bias' of shape \(4,\) \(16 bytes\), beyond the 40 bytes of "
                                 r"weights the file holds"):
            charge("Dense 'd'", "bias", (4,), np.float32)


def test_forged_dimensions_do_not_overflow():
    with allocation_budget(100, "w"), pytest.raises(ModelFileError, match=r"shape \(4294967296, "):
        charge("Embedding 'e'", "embeddings", (2**32, 2**32), np.float64)


def test_budget_is_closed_after_the_block_even_on_error():
    with pytest.raises(RuntimeError), allocation_budget(0, "w"):
        raise RuntimeError
    charge("Dense 'd'", "kernel", (1000,), np.float32)
