"""The doctor's rules: each a short function from layer reports to findings.

Thresholds start from published rules and are kept on the corpus in tests/diagnostics:

- AUTOTRAINER (Zhang et al., ICSE 2021): vanishing gradient when the first layer's gradient is
  below 1e-3 of the last one's and below 1e-4 itself; exploding above 70 times; dying ReLU at
  70% or more.
- DeepDiagnosis (Wardat et al., ICSE 2022): saturation when more than half of a sigmoid/tanh
  layer's inputs lie beyond ±5; an update/weight ratio outside [1e-5, 1e-1].
- Karpathy's rule of thumb: one step should move weights by about 1e-3 of their size.

deltaw measures gradient flow with the error signal (the norm of the loss's gradient with
respect to each layer's output) rather than with weight gradients, whose size also depends on
the input scale and, in convolutions, on the image size; the ratio compares the first layer
with the last hidden one (the output layer's error depends on its own activation and loss).
"""

from __future__ import annotations

import math
import statistics

from deltaw.diagnostics.diagnosis import Finding

__all__ = ["THRESHOLDS", "find"]

THRESHOLDS = {
    "vanishing_ratio": 1e-3,     # AUTOTRAINER: first/last gradient ratio
    "vanishing_grad": 1e-4,      # AUTOTRAINER: the first layer's gradient (RMS of its entries)
    "exploding_ratio": 70.0,     # AUTOTRAINER
    "dead_fraction": 0.7,        # AUTOTRAINER: dying ReLU
    "saturated_fraction": 0.5,   # DeepDiagnosis, inputs beyond ±5
    "update_low": 1e-5,          # DeepDiagnosis / Karpathy
    "update_high": 1e-1,
    "update_exploding": 1.0,     # one step moves a layer's weights by more than their size
}


def find(reports, loss) -> list:
    """All findings for `reports` (LayerReports in model order) and the probe's loss."""
    nonfinite = _nonfinite(reports, loss)
    if nonfinite:
        return nonfinite             # every other number downstream of it is meaningless
    findings = _dead(reports) + _saturated(reports)
    findings += _gradient_flow(reports, explained=bool(findings))
    findings += _update_ratios(reports, findings)
    return findings


def _g(x) -> str:
    return f"{x:.2g}"


def _nonfinite_origin(reports):
    """The layer where NaN/Inf starts: weights exist before the pass, outputs are computed
    forward (the first layer), gradients backward (the last layer)."""
    for where, order in (("weights", reports), ("activations", reports),
                         ("gradients", reports[::-1])):
        for r in order:
            if r.nonfinite == where:
                return r
    return None


def _nonfinite(reports, loss):
    r = _nonfinite_origin(reports)
    if r is not None:
        what = {"weights": "weights are", "activations": "outputs are",
                "gradients": "gradients are"}[r.nonfinite]
        return [Finding("nonfinite", r.name,
                        f"Layer {r.name}'s {what} NaN or infinite (where it starts); check the "
                        "inputs for NaN, lower the learning rate or clip gradients "
                        "(clipnorm=1.0), and avoid log/division of zero.",
                        {"where": r.nonfinite})]
    if not math.isfinite(loss):
        return [Finding("nonfinite", None,
                        f"The loss is {loss} although every layer's output is finite; check "
                        "the targets and the loss (log of 0: use from_logits=True).",
                        {"loss": str(loss)})]
    return []


def _dead(reports):
    out, previous_dead = [], False
    for r in reports:
        if r.dead_fraction is None:
            continue
        dead = r.dead_fraction >= THRESHOLDS["dead_fraction"]
        # a layer fed only zeros by a dead layer before it is dead as a consequence
        if dead and not previous_dead:
            out.append(Finding(
                "dead_units", r.name,
                f"{r.dead_fraction:.0%} of layer {r.name}'s ReLU units output zero for every "
                "probe sample, so they pass no gradient and never recover; use LeakyReLU, a "
                "zero or small positive bias initialization, or a lower learning rate.",
                {"dead_fraction": r.dead_fraction, "threshold": THRESHOLDS["dead_fraction"]}))
        previous_dead = dead
    return out


def _saturated(reports):
    out = []
    for r in reports:
        if r.saturated_fraction is None or r.output:
            continue        # a confident output layer is the goal of training, not a fault
        if r.saturated_fraction > THRESHOLDS["saturated_fraction"]:
            out.append(Finding(
                "saturated_units", r.name,
                f"{r.saturated_fraction:.0%} of layer {r.name}'s {r.activation} outputs are "
                "saturated (inputs beyond ±5), where the gradient is almost zero; scale the "
                "inputs (standardize them), use a smaller initialization or BatchNormalization.",
                {"saturated_fraction": r.saturated_fraction,
                 "threshold": THRESHOLDS["saturated_fraction"]}))
    return out


def _flow_layers(reports):
    """Layers with weights and an error signal (the gradient-flow chain), in model order."""
    # an embedding's gradient touches only the rows looked up: no measure of the flow
    return [r for r in reports if r.trainable and r.error_norm is not None
            and r.grad_rms is not None and not r.lookup]


def _gradient_flow(reports, explained):
    chain = _flow_layers(reports)
    if len(chain) < 3:
        return []              # no hidden-to-hidden path to compare
    first, last = chain[0], chain[-2]
    if last.error_norm == 0:
        return []
    ratio = first.error_norm / last.error_norm
    evidence = {"ratio": ratio, "first_layer": first.name, "last_hidden_layer": last.name,
                "first_grad_rms": first.grad_rms,
                "error_norms": {r.name: r.error_norm for r in chain}}
    if (ratio < THRESHOLDS["vanishing_ratio"] and first.grad_rms < THRESHOLDS["vanishing_grad"]
            and not explained):
        lost = [r.name for r in chain[:-1]
                if r.error_norm < THRESHOLDS["vanishing_ratio"] * last.error_norm]
        evidence["vanished_layers"] = lost
        return [Finding(
            "vanishing_gradient", first.name,
            f"Gradients vanish: the error signal reaching {first.name} is {_g(ratio)} of the "
            f"one reaching {last.name}, so the first layers ({', '.join(lost[:4])}"
            f"{', ...' if len(lost) > 4 else ''}) barely learn; use ReLU with He "
            "initialization, or add BatchNormalization.", evidence)]
    if ratio > THRESHOLDS["exploding_ratio"]:
        return [Finding(
            "exploding_gradient", first.name,
            f"Gradients explode: the error signal grows {_g(ratio)} times from {last.name} "
            f"back to {first.name}; use a smaller initialization (He or Glorot), a lower "
            "learning rate or gradient clipping (clipnorm=1.0).", evidence)]
    return []


def _update_ratios(reports, findings):
    # Embedding tables are left out: initialized small by convention (Keras: uniform ±0.05),
    # each looked-up row moves by about the learning rate under Adam, a ratio near 0.1 in a
    # model that trains well (the held-out Transformer example)
    moved = [r for r in reports if r.update_ratio is not None and not r.lookup]
    if not moved:
        return []
    worst = max(moved, key=lambda r: r.update_ratio)
    evidence = {"update_ratios": {r.name: r.update_ratio for r in moved},
                "range": [THRESHOLDS["update_low"], THRESHOLDS["update_high"]]}
    if worst.update_ratio > THRESHOLDS["update_exploding"]:
        if any(f.kind == "exploding_gradient" and f.layer == worst.name for f in findings):
            return []
        return [Finding(
            "exploding_gradient", worst.name,
            f"One optimizer step would change layer {worst.name}'s weights by "
            f"{_g(worst.update_ratio)} times their own size, so training diverges; lower the "
            "learning rate (10x or more) or clip gradients (clipnorm=1.0).", evidence)]
    if worst.update_ratio > THRESHOLDS["update_high"]:
        return [Finding(
            "update_ratio", worst.name,
            f"One optimizer step would change layer {worst.name}'s weights by "
            f"{worst.update_ratio:.0%} of their size (about 0.1% is healthy); lower the "
            "learning rate.", evidence)]
    median = statistics.median(r.update_ratio for r in moved)
    if median < THRESHOLDS["update_low"] and not findings:
        return [Finding(
            "update_ratio", None,
            f"One optimizer step would change the weights by only {_g(median)} of their size "
            "(median over layers; about 1e-3 is healthy), so training crawls; raise the "
            "learning rate.", {**evidence, "median": median})]
    return []


# ----------------------------------------------------------------------------- loss history
LOSS_WINDOW = 5
"""Epochs the loss rules look back over."""


def find_in_losses(losses) -> list:
    """`loss_plateau` and `loss_oscillation` findings from the per-epoch training losses."""
    losses = [float(v) for v in losses]
    if not all(math.isfinite(v) for v in losses):
        return []               # the probe's nonfinite finding covers a NaN loss
    return _plateau(losses) + _oscillation(losses)


def _plateau(losses):
    # stuck: the last LOSS_WINDOW epochs improved on the best before them by under 1%, while
    # the loss is still above half its first value (a converged model has gone far below)
    w = LOSS_WINDOW
    if len(losses) <= w:
        return []
    before, recent = min(losses[:-w]), min(losses[-w:])
    gain = (before - recent) / abs(before) if before else 0.0
    if gain < 0.01 and recent > 0.5 * losses[0]:
        return [Finding(
            "loss_plateau", None,
            f"The loss has not improved for {w} epochs (best {recent:.4g}, first epoch "
            f"{losses[0]:.4g}): the model is stuck while still wrong; check the diagnosis for "
            "vanishing gradients or dead units, and try a larger learning rate or another "
            "initialization.", {"losses": losses[-w - 1:], "improvement": gain})]
    return []


def _oscillation(losses):
    # swinging: over the last LOSS_WINDOW + 1 epochs the loss changes direction at least 3
    # times in 4, moves by over 5% of its size per epoch, and ends about where it began
    w = LOSS_WINDOW
    if len(losses) <= w:
        return []
    window = losses[-w - 1:]
    steps = [b - a for a, b in zip(window, window[1:])]
    turns = sum(1 for a, b in zip(steps, steps[1:]) if a * b < 0)
    swing = sum(abs(s) for s in steps)
    mean = sum(abs(v) for v in window) / len(window)
    if turns >= w - 2 and swing / w > 0.05 * mean and abs(sum(steps)) < 0.3 * swing:
        return [Finding(
            "loss_oscillation", None,
            f"The loss swings up and down without a trend ({turns} turns in {w} epochs, "
            f"{swing / w / mean:.0%} of its size per epoch): the steps overshoot; lower the "
            "learning rate or use a larger batch size.", {"losses": window, "turns": turns})]
    return []
