"""STFT initializer windows and errors, the initializer aliases, and OrthogonalRegularizer, without
Keras (the Keras comparisons are in test_activations_constraints_vs_keras.py)."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import initializers, regularizers


@pytest.mark.parametrize("name, ref", [("hann", np.hanning), ("hamming", np.hamming),
                                       ("blackman", np.blackman), ("bartlett", np.bartlett),
                                       ("boxcar", np.ones)])
@pytest.mark.parametrize("periodic", [False, True])
def test_stft_windows_match_numpy(name, ref, periodic):
    n = 12
    window = ref(n + 1)[:n] if periodic else ref(n)
    expected = initializers.STFT(window=window, scaling=None)((n, 1, 5), dtype="float64")
    got = initializers.STFT(window=name, scaling=None, periodic=periodic)((n, 1, 5),
                                                                         dtype="float64")
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_stft_density_scaling_and_errors():
    kernel = initializers.STFT()((8, 1, 5))
    assert kernel.shape == (8, 1, 5) and kernel.dtype == np.float32
    w = np.hanning(8)
    np.testing.assert_allclose(kernel[:, 0, 0], w / np.sqrt(np.sum(w ** 2)), rtol=1e-6)
    with pytest.raises(ValueError, match=r"STFT: side must be 'real' or 'imag'"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match=r"STFT: unknown window 'kaiser'"):
        initializers.STFT(window="kaiser")
    with pytest.raises(ValueError, match=r"STFT: the window must have shape \(8,\)"):
        initializers.STFT(window=np.ones(3))((8, 1, 5))
    assert isinstance(initializers.get("STFTInitializer"), initializers.STFT)


def test_orthogonal_regularizer_is_zero_for_orthogonal_rows_and_checks_rank():
    reg = regularizers.OrthogonalRegularizer(factor=1.0)
    assert float(reg(dw.tensor(np.eye(3) * 2.0))) == 0.0
    rows = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    gram = np.abs(unit @ unit.T - np.eye(3))
    assert float(reg(dw.tensor(rows))) == pytest.approx(0.5 * gram.sum() / 3)
    with pytest.raises(ValueError, match=r"OrthogonalRegularizer: expected a rank-2 kernel"):
        reg(dw.tensor(np.ones(3)))
    with pytest.raises(ValueError, match=r"OrthogonalRegularizer: mode must be 'rows' or "):
        regularizers.OrthogonalRegularizer(mode="diag")
    assert isinstance(regularizers.get("orthogonal_regularizer"),
                      regularizers.OrthogonalRegularizer)
