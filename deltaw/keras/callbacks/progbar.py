"""Progress display: the `Progbar` utility (keras.utils.Progbar) and the `ProgbarLogger` callback.

Output follows Keras 3's `verbose` modes:

    verbose=1   Epoch 1/50
                12/12 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - accuracy: 0.8516 - loss: 0.3964
    verbose=2   Epoch 1/50
                12/12 - 0s - 3ms/step - accuracy: 0.8516 - loss: 0.3964

In an interactive display (a terminal, Jupyter, PyCharm) verbose=1 redraws the line in place with
`\\r`, at most every `interval` seconds, with an ETA while running and Keras' colours (a green
filled bar, bold counts). Elsewhere (stdout piped to a file, or captured by pytest) it prints only
each epoch's final line, plain text, ending in a newline; nothing is formatted for the batches in
between. The differences from Keras 3 are listed in `Progbar`'s docstring.
"""

from __future__ import annotations

import os
import re
import sys
import time

import numpy as np

from deltaw.keras.callbacks.callback import Callback

__all__ = ["Progbar", "ProgbarLogger"]

# Module-level so tests can substitute a fake clock.
_now = time.time

_BAR = "━"          # Keras 3's bar glyph (filled and, coloured grey, unfilled)
_PLAIN_EMPTY = "─"  # unfilled part without colours, seen only on an epoch cut short
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _is_interactive():
    """Whether stdout redraws lines in place (a terminal, a Jupyter kernel, PyCharm's console)."""
    stream = sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        tty = False
    return tty or "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _write(message):
    sys.stdout.write(message)
    sys.stdout.flush()


def _style(text, code, ansi):
    return f"\x1b[{code}m{text}\x1b[0m" if ansi else text


def _format_value(total, count):
    """A metric average with 4 decimals, or in scientific notation when |value| <= 1e-3."""
    if not isinstance(total, float):
        total = float(np.mean(total))  # numpy scalars, and arrays shown by their mean (Keras)
    value = total / max(1, count)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_time(seconds, unit_name):
    """Time per unit as ' 3s/step', ' 12ms/step' or ' 850us/step' (Keras' thresholds)."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(eta):
    """Remaining time as '5s', '2:05' or '1:02:05' (truncated, as Keras' %d formats)."""
    seconds = int(eta)
    if eta > 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if eta > 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


class Progbar:
    """Displays a progress bar (keras.utils.Progbar).

    Args:
        target: Total number of steps expected, or None if unknown.
        width: Width of the bar in characters. Defaults to 20.
        verbose: 0 (silent), 1 (live bar) or 2 (one line when `target` is reached).
        interval: Minimum number of seconds between two redraws of the live bar.
        stateful_metrics: Names of values shown as given; all other values are averaged over
            the steps (weighted by the steps between updates). Exclusive with
            `stateless_metrics`.
        stateless_metrics: Names of the values to average; all others are shown as given.
        unit_name: Name of a step in the time display ('step' or 'sample').

    Differences from Keras 3, on purpose:
        - Without an interactive display, verbose=1 prints only the final line (plain text,
          no ANSI codes); Keras prints a line at every redraw and, through its
          `"posix" in sys.modules` test, treats every Unix stdout as interactive.
        - The live line is redrawn with `\\r` alone (Keras also writes backspaces).
        - The final update shows no per-step average for stateless values any more than the
          others: every update contributes the same way.
        - Values use scientific notation when |value| <= 1e-3 in both modes (Keras' verbose=2
          tests `value > 1e-3`, so negative values appear in scientific notation there).

    Example:
        >>> from deltaw.keras.callbacks.progbar import Progbar
        >>> bar = Progbar(3, verbose=2)
        >>> for step in range(1, 4):
        ...     bar.update(step, [("loss", 1.0 / step)])   # doctest: +ELLIPSIS
        3/3 - 0s - ...s/step - loss: 0.6111
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: pass stateful_metrics or stateless_metrics, not both; "
                f"got stateful_metrics={stateful_metrics!r} and "
                f"stateless_metrics={stateless_metrics!r}."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateless_metrics is not None:
            self.stateful_metrics, self.stateless_metrics = None, set(stateless_metrics)
        else:
            self.stateful_metrics, self.stateless_metrics = set(stateful_metrics or ()), None
        self._dynamic_display = _is_interactive()
        self._seen_so_far = 0
        self._values = {}  # name -> [sum, count]; a dict keeps the names in first-seen order
        self._start = _now()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current, values=None, finalize=None):
        """Records progress up to step `current` and redraws the bar if it is time to.

        Args:
            current: Index of the current step (1-based: the number of steps done).
            values: Dict or list of `(name, value)` pairs for the latest step.
            finalize: Whether this is the last update; defaults to `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if values:
            self._record(current, values.items() if isinstance(values, dict) else values)
        self._seen_so_far = current
        now = _now()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            # The throttle comes before any formatting: skipped updates cost a few comparisons.
            if not finalize and (not self._dynamic_display
                                 or now - self._last_update < self.interval):
                return
            self._draw_live(self._format_live(current, now, time_per_unit, finalize), finalize)
        elif self.verbose == 2 and finalize and self.target:
            _write(self._format_summary(current, now, time_per_unit))
        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _record(self, current, items):
        for name, value in items:
            stateless = (name in self.stateless_metrics if self.stateless_metrics is not None
                         else name not in self.stateful_metrics)
            if not stateless:
                self._values[name] = [value, 1]
                continue
            steps = max(current - self._seen_so_far, 1)
            entry = self._values.get(name)
            if entry is None:
                self._values[name] = [value * steps, steps]
            else:
                entry[0] += value * steps
                entry[1] += steps

    def _format_metrics(self):
        return "".join(f" - {name}: {_format_value(total, count)}"
                       for name, (total, count) in self._values.items())

    def _format_live(self, current, now, time_per_unit, finalize):
        """The verbose=1 line: count, bar, ETA or elapsed time, time per step, metrics."""
        ansi = self._dynamic_display
        current = int(current)
        if self.target:
            count = f"{current:{len(str(self.target))}d}/{self.target}"
            filled = min(max(int(self.width * current / self.target), 0), self.width)
            empty = self.width - filled
            if ansi:
                bar = (_style(count, 1, ansi) + " "
                       + (_style(_BAR * filled, 32, ansi) if filled else "")
                       + _style(_BAR * empty, 37, ansi))
            else:
                bar = f"{count} {_BAR * filled}{_PLAIN_EMPTY * empty}"
        else:
            bar = f"{current:7d}/Unknown"
        if self.target and not finalize:
            clock = _format_eta(time_per_unit * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        return (f"{bar} {_style(clock, 1, ansi)}{_format_time(time_per_unit, self.unit_name)}"
                f"{self._format_metrics()}")

    def _draw_live(self, line, finalize):
        if self._dynamic_display:
            width = len(_ANSI.sub("", line))
            # Spaces erase the end of a longer previous line.
            message = "\r" + line + " " * max(self._prev_total_width - width, 0)
            self._prev_total_width = width
        else:
            message = line
        _write(message + "\n" if finalize else message)

    def _format_summary(self, current, now, time_per_unit):
        """The verbose=2 line, printed once when the target is reached."""
        count = f"{int(current):{len(str(self.target))}d}/{self.target}"
        return (f"{count} - {now - self._start:.0f}s -"
                f"{_format_time(time_per_unit, self.unit_name)}{self._format_metrics()}\n")

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the first step (compilation, warm-up) once possible."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit


class ProgbarLogger(Callback):
    """Prints the progress bar of `fit`, `evaluate` and `predict` (added by `fit` itself).

    Reads `verbose` ('auto' means 1), `epochs` and `steps` from the `fit` parameters. In `fit`
    it prints `Epoch i/N` (when N > 1) and one bar per epoch whose final line carries the
    epoch's logs, validation metrics included; validation batches inside `fit` are silent.
    Logged values are running results already, so they are shown as given (Keras 3's current
    behaviour, after its fix of double averaging).

    deltaw difference: an epoch cut short (e.g. by TerminateOnNaN) ends at the number of steps
    actually run, e.g. `4/12`, where Keras shows `12/12`.
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # validation inside fit stays silent

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            _write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # predictions are not metrics

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step",
                               stateless_metrics=())

    def _update_progbar(self, batch, logs):
        if self.progbar is None:
            self._reset_progbar()
        self.seen = batch + 1
        if self.verbose == 1:  # verbose=2 prints only the epoch's summary
            self.progbar.update(self.seen, logs, finalize=False)

    def _finalize_progbar(self, logs):
        if self.progbar is None:
            self._reset_progbar()
        if self.target is None:  # unknown steps: learnt from the first epoch, as in Keras
            self.target = self.seen
            self.progbar.target = self.seen
        current = self.seen if 0 < self.seen < self.target else self.target
        self.progbar.update(current, logs, finalize=True)
