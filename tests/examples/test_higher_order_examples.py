"""The higher-order examples reach their stated results (real training: a physics-informed
network through u'', and a WGAN-GP whose penalty is taken with nested tapes)."""

import numpy as np
import pytest

from deltaw.examples import pinn_oscillator, wgan_gp

pytestmark = pytest.mark.slow


def test_pinn_solves_the_oscillator_to_1e_3():
    assert pinn_oscillator.main(verbose=0) < 1e-3


def test_wgan_gp_learns_the_gaussian_and_keeps_the_gradient_norm_at_1():
    result = wgan_gp.main(verbose=0)
    assert np.all(np.abs(result["mean"] - wgan_gp.MEAN) < 0.25), result
    assert np.all(np.abs(result["std"] - wgan_gp.STD) < 0.1), result
    assert abs(result["gradient_norm"] - 1.0) < 0.1, result
