"""What the doctor returns: `Diagnosis` (per-layer numbers and findings), `LayerReport`,
`WeightReport` and `Finding`, with the table `print(diagnosis)` shows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["Diagnosis", "Finding", "LayerReport", "WeightReport", "FINDING_KINDS"]

FINDING_KINDS = ("vanishing_gradient", "exploding_gradient", "dead_units", "saturated_units",
                 "nonfinite", "update_ratio", "loss_plateau", "loss_oscillation")


@dataclass
class Finding:
    """One thing the doctor found.

    Attributes:
        kind: One of `FINDING_KINDS`.
        layer: Name of the layer it is about; None when it is about the whole model.
        message: One plain sentence, with the advice that usually fixes it.
        evidence: The numbers the finding rests on (JSON-safe: floats, ints, strings, lists).
        epoch: The epoch it was found at (set by TrainingMonitor; None from `model.diagnose`).
    """

    kind: str
    layer: str | None
    message: str
    evidence: dict = field(default_factory=dict)
    epoch: int | None = None

    def __str__(self):
        where = f" [{self.layer}]" if self.layer else ""
        when = f" (epoch {self.epoch + 1})" if self.epoch is not None else ""
        return f"{self.kind}{where}{when}: {self.message}"


@dataclass
class WeightReport:
    """One weight of a layer: its norm, its gradient's norm and the update one optimizer step
    would make (`update_ratio` = ||Δw|| / ||w||; None when the weight is zero or no step ran)."""

    name: str
    shape: tuple
    weight_norm: float
    grad_norm: float | None
    update_norm: float | None
    update_ratio: float | None


@dataclass
class LayerReport:
    """The numbers of one layer, in model order.

    `grad_norm`, `weight_norm` and `update_ratio` cover all the layer's trainable weights
    together; `grad_rms` is the root mean square of their gradients' entries (scale of one
    entry, comparable across layers of different sizes). `error_norm` is the norm of the loss's
    gradient with respect to the layer's output over the probe batch. Activation statistics are
    of the layer's output: `dead_fraction` (ReLU family: units that are zero on every probe
    sample) and `saturated_fraction` (sigmoid/tanh/softmax: outputs whose input lies beyond ±5).
    """

    name: str
    class_name: str
    activation: str | None = None
    weights: list = field(default_factory=list)
    grad_norm: float | None = None
    grad_rms: float | None = None
    weight_norm: float | None = None
    update_ratio: float | None = None
    error_norm: float | None = None
    mean: float | None = None
    std: float | None = None
    dead_fraction: float | None = None
    saturated_fraction: float | None = None
    nonfinite: str | None = None   # 'weights', 'activations' or 'gradients': the first seen
    output: bool = False           # whether the layer's output is a model output
    lookup: bool = False           # its weights are all embedding tables (rows looked up)

    @property
    def trainable(self) -> bool:
        return bool(self.weights)


@dataclass
class Diagnosis:
    """The result of `model.diagnose(...)`.

    Attributes:
        layers: One `LayerReport` per layer, in model order.
        findings: The `Finding`s; empty for a healthy model.
        loss: The loss on the probe batch.
        samples: How many samples the probe used.
    """

    layers: list
    findings: list
    loss: float
    samples: int

    @property
    def healthy(self) -> bool:
        return not self.findings

    def layer(self, name) -> LayerReport:
        for report in self.layers:
            if report.name == name:
                return report
        raise KeyError(f"Diagnosis.layer: no layer named {name!r}; expected one of "
                       f"{[r.name for r in self.layers]}.")

    def __str__(self):
        return format_table(self)

    def plot(self, ax=None, title=None):
        """A matplotlib Figure of the gradient flow (log scale) with dead/saturated layers
        marked (needs matplotlib: `pip install deltaw[plot]`)."""
        from deltaw.diagnostics.plot import plot_gradient_flow

        return plot_gradient_flow(self, ax=ax, title=title)


_COLUMNS = (("layer", 22), ("activation", 10), ("|grad|", 9), ("|w|", 9), ("Δw/w", 9),
            ("|error|", 9), ("mean", 8), ("std", 8), ("dead", 6), ("sat.", 6))


def _num(value, width) -> str:
    if value is None:
        return "-".rjust(width)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value).rjust(width)
    if value == 0:
        return "0".rjust(width)
    text = f"{value:.3g}" if 1e-2 <= abs(value) < 1e4 else f"{value:.1e}"
    return text.rjust(width)


def _pct(value, width) -> str:
    return "-".rjust(width) if value is None else f"{value:.0%}".rjust(width)


def format_table(diagnosis: Diagnosis) -> str:
    head = " ".join(name.ljust(w) if i < 2 else name.rjust(w)
                    for i, (name, w) in enumerate(_COLUMNS))
    lines = [f"Diagnosis on {diagnosis.samples} samples, loss {diagnosis.loss:.4g}", head,
             "-" * len(head)]
    for r in diagnosis.layers:
        label = f"{r.name} ({r.class_name})"
        cells = [label[:22].ljust(22), (r.activation or "-")[:10].ljust(10)]
        cells += [_num(v, w) for v, (_, w) in zip(
            (r.grad_norm, r.weight_norm, r.update_ratio, r.error_norm, r.mean, r.std),
            _COLUMNS[2:8])]
        cells += [_pct(r.dead_fraction, 6), _pct(r.saturated_fraction, 6)]
        lines.append(" ".join(cells))
    if diagnosis.findings:
        lines.append(f"\n{len(diagnosis.findings)} finding(s):")
        lines += [f"  - {f}" for f in diagnosis.findings]
    else:
        lines.append("\nNo findings: gradients flow, units are alive, updates are sized well.")
    return "\n".join(lines)
