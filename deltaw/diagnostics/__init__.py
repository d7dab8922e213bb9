"""The doctor: read a model's own gradients and say, in words and pictures, what is wrong.

`model.diagnose(x, y)` returns a `Diagnosis` (per-layer gradient, weight, update and activation
statistics, and `Finding`s); `TrainingMonitor` runs it during `fit`; `TensorBoard` writes
scalars, weight and gradient histograms and the findings; `plot_gradient_flow` and
`plot_history` draw (matplotlib, lazily).
"""

from deltaw.diagnostics.diagnosis import (
    FINDING_KINDS,
    Diagnosis,
    Finding,
    LayerReport,
    WeightReport,
)

__all__ = ["FINDING_KINDS", "Diagnosis", "Finding", "LayerReport", "WeightReport"]
