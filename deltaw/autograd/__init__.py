"""The autodiff engine: op records, the reverse sweep, gradient mode and gradient checking."""
