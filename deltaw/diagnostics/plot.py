"""Pictures: the gradient flow of a Diagnosis and the curves of a History (matplotlib).

matplotlib is an optional dependency (`pip install deltaw[plot]`), imported on first use. The
figures are `matplotlib.figure.Figure` objects made without pyplot, so they need no display and
leave pyplot's global state alone: `fig.savefig("flow.png")` writes them (in a notebook, the
Figure displays itself).
"""

from __future__ import annotations

import math

__all__ = ["plot_gradient_flow", "plot_history"]


def _figure(**kwargs):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("deltaw plots need matplotlib, which is not installed; install "
                          "it with `pip install deltaw[plot]` (or `pip install matplotlib`)."
                          ) from None
    return Figure(**kwargs)


def _positive(value):
    return value if value is not None and math.isfinite(value) and value > 0 else None


def plot_gradient_flow(diagnosis, ax=None, title=None):
    """The gradient flow through the layers, on a log scale.

    Bars: the RMS of each trainable layer's weight gradients; line: the norm of the error
    signal reaching each layer's output. Layers with dead or saturated units are marked in red
    with their fraction; findings are listed under the title.

    Args:
        diagnosis: A `Diagnosis`.
        ax: Optional matplotlib Axes to draw on; None makes a new Figure.
        title: Optional title.

    Returns:
        The matplotlib Figure.
    """
    reports = [r for r in diagnosis.layers if r.trainable or r.error_norm is not None]
    if ax is None:
        fig = _figure(figsize=(max(6.0, 0.7 * len(reports) + 2), 4.5), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    xs = list(range(len(reports)))
    grads = [_positive(r.grad_rms) for r in reports]
    errors = [_positive(r.error_norm) for r in reports]
    ax.bar([x for x, g in zip(xs, grads) if g], [g for g in grads if g], color="tab:blue",
           alpha=0.7, label="weight gradient (RMS)")
    ax.plot([x for x, e in zip(xs, errors) if e], [e for e in errors if e], "o-",
            color="tab:orange", label="error at the layer's output (norm)")
    if any(grads) or any(errors):
        ax.set_yscale("log")
    for x, r in zip(xs, reports):
        mark = _marker(r)
        if mark:
            ax.annotate(mark, (x, 1.0), xycoords=("data", "axes fraction"), ha="center",
                        va="top", color="tab:red", fontsize=8)
    ax.set_xticks(xs, [r.name for r in reports], rotation=45, ha="right")
    ax.set_xlabel("layer (input → output)")
    ax.set_ylabel("gradient size (log scale)")
    kinds = sorted({f"{f.kind} [{f.layer}]" if f.layer else f.kind for f in diagnosis.findings})
    head = title or "Gradient flow"
    ax.set_title(head + ("\n" + "; ".join(kinds) if kinds else "\nno findings"), fontsize=10)
    ax.legend(loc="best", fontsize=8)
    return fig


def _marker(report):
    if report.dead_fraction:
        return f"dead {report.dead_fraction:.0%}"
    if report.saturated_fraction and not report.output:
        return f"sat. {report.saturated_fraction:.0%}"
    return ""


def plot_history(history, keys=None):
    """Loss and metrics per epoch, training and validation, one panel per quantity.

    Args:
        history: A `History` (what `fit` returns) or its `.history` dict.
        keys: Optional list of the quantities to draw ('loss', 'accuracy', ...); None draws
            every one recorded (the `val_` curves join their training curve).

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: nothing recorded, or a key that was not recorded.
    """
    record = getattr(history, "history", history)
    names = [k for k in record if not k.startswith("val_")]
    names += [k[4:] for k in record if k.startswith("val_") and k[4:] not in names]
    if keys is not None:
        missing = [k for k in keys if k not in names]
        if missing:
            raise ValueError(f"History.plot: no record of {missing}; expected some of {names}.")
        names = list(keys)
    if not names:
        raise ValueError("History.plot: the history is empty; expected at least one epoch "
                         "recorded by fit().")
    epochs = getattr(history, "epoch", None)
    fig = _figure(figsize=(4.5 * len(names), 3.5), layout="constrained")
    for i, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), i + 1)
        for key, label in ((name, "training"), (f"val_{name}", "validation")):
            values = record.get(key)
            if values:
                xs = ([e + 1 for e in epochs] if epochs and len(epochs) == len(values)
                      else range(1, len(values) + 1))
                ax.plot(list(xs), values, "o-" if len(values) < 30 else "-", label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8)
    return fig
