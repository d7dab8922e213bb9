"""GradientTape: a tf.GradientTape façade over `engine.grad`.

deltaw records every op whose inputs require grad while grad mode is on, so the tape does not
record anything itself; it keeps TF's surface so custom training loops port unchanged:

    with dw.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)

Tapes nest as in TensorFlow: a `gradient()` call made while another tape's `with` block is
open (or inside a persistent tape's own block) records the gradient computation
(`create_graph=True`), so that tape can differentiate the gradient again:

    with dw.GradientTape() as outer:
        with dw.GradientTape() as inner:
            y = x * x * x
        dy = inner.gradient(y, x)      # 3 x^2, recorded: the outer block is open
    d2y = outer.gradient(dy, x)        # 6 x

Differences from TensorFlow, all consequences of deltaw recording eagerly:
- ops run after the `with` block still reach the tape's graph (TF would not see them);
- trainable Variables are always "watched"; `watch_accessed_variables=False` is emulated by
  returning None for sources that were not passed to `watch()`.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np

from deltaw.autograd import engine, mode

__all__ = ["GradientTape"]

_open = threading.local()  # .tapes: this thread's tapes whose `with` block is open


def _open_tapes() -> list:
    tapes = getattr(_open, "tapes", None)
    if tapes is None:
        tapes = _open.tapes = []
    return tapes


class GradientTape:
    """Record a computation and take gradients of it, as `tf.GradientTape`.

    Args:
        persistent: Allow several `gradient()` calls (the graph is kept with retain_graph).
            A non-persistent tape raises RuntimeError on its second call, as TF does.
        watch_accessed_variables: When False, only tensors passed to `watch()` get gradients.

    Example:
        >>> x = dw.Variable([3.0])
        >>> with dw.GradientTape() as tape:
        ...     y = x * x
        >>> tape.gradient(y, x).numpy()
        array([6.], dtype=float32)
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._watched: list = []
        self._used = False

    def __enter__(self):
        _open_tapes().append(self)
        return self

    def __exit__(self, *exc):
        tapes = _open_tapes()
        for i in range(len(tapes) - 1, -1, -1):
            if tapes[i] is self:
                del tapes[i]
                break
        return False

    def watch(self, tensor) -> None:
        """Make `tensor` (or a nested list/tuple/dict of them) a source of gradients.

        A leaf that does not require grad is switched to `requires_grad=True`, so ops on it
        are recorded from now on. Non-floating tensors are skipped with a warning (as TF).
        """
        for t in _flatten(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch: expected a Tensor; got {type(t).__name__}. "
                                "Hint: convert it with dw.tensor(...) first.")
            if t.data.dtype.kind != "f":
                warnings.warn(f"GradientTape.watch: the watched tensor must be floating; got "
                              f"dtype {t.data.dtype}. Its gradient will be None.", stacklevel=2)
                continue
            if t._node is None and not t.requires_grad:
                t.requires_grad = True
            if not any(t is w for w in self._watched):
                self._watched.append(t)

    def watched_variables(self) -> tuple:
        """The tensors passed to `watch()` (deltaw cannot list the variables an op read)."""
        return tuple(self._watched)

    def stop_recording(self):
        """Context manager: ops inside are not recorded (`no_grad`)."""
        return mode.no_grad()

    def reset(self) -> None:
        """Forget watched tensors and allow a new `gradient()` call."""
        self._watched = []
        self._used = False

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients="none"):
        """Gradients of `target` with respect to `sources`, in the structure of `sources`.

        Args:
            target: Tensor, or a list of Tensors (their gradients are summed). A non-scalar
                target is summed, as TF does, unless `output_gradients` is given.
            sources: Tensor, or a nested list/tuple/dict of Tensors.
            output_gradients: Gradient of some final value w.r.t. `target` (same structure).
            unconnected_gradients: "none" (default: None for sources the target does not
                depend on) or "zero" (zeros of the source's shape).

        Returns:
            The gradients as Tensors (None where unconnected), in the structure of `sources`.

        Raises:
            RuntimeError: on a second call to a non-persistent tape.
        """
        if self._used and not self.persistent:
            raise RuntimeError("GradientTape.gradient: a non-persistent tape can compute "
                               "gradients only once; expected GradientTape(persistent=True) "
                               "for several calls.")
        self._used = True
        mode_ = getattr(unconnected_gradients, "value", unconnected_gradients)
        if str(mode_).lower() not in ("none", "zero"):
            raise ValueError(f"GradientTape.gradient: unconnected_gradients must be 'none' or "
                             f"'zero'; got {unconnected_gradients!r}.")
        flat_sources = _flatten(sources)
        for i, s in enumerate(flat_sources):
            if not isinstance(s, Tensor):
                raise TypeError(f"GradientTape.gradient: sources[{i}] must be a Tensor; got "
                                f"{type(s).__name__}.")
        targets = target if isinstance(target, list | tuple) else [target]
        outs = output_gradients if isinstance(output_gradients, list | tuple) else \
            [output_gradients] * len(targets)
        if len(outs) != len(targets):
            raise ValueError(f"GradientTape.gradient: output_gradients must match the targets; "
                             f"expected {len(targets)}, got {len(outs)}.")
        total = [None] * len(flat_sources)
        for k, (t, og) in enumerate(zip(targets, outs, strict=True)):
            retain = self.persistent or k < len(targets) - 1
            for i, g in enumerate(self._grads_of(t, og, flat_sources, retain)):
                if g is not None:
                    total[i] = g if total[i] is None else total[i] + g
        if not self.watch_accessed_variables:
            total = [g if any(s is w for w in self._watched) else None
                     for g, s in zip(total, flat_sources, strict=True)]
        if str(mode_).lower() == "zero":
            total = [Tensor._from_op(np.zeros_like(s.data), None) if g is None else g
                     for g, s in zip(total, flat_sources, strict=True)]
        return _unflatten(sources, iter(total))

    def _grads_of(self, target, output_gradient, sources, retain):
        if not isinstance(target, Tensor):
            raise TypeError(f"GradientTape.gradient: target must be a Tensor; got "
                            f"{type(target).__name__}.")
        if target._node is None and not any(target is s for s in sources):
            return [None] * len(sources)  # nothing recorded: TF returns None for every source
        if output_gradient is None and target.data.size != 1:
            output_gradient = np.ones_like(target.data)  # TF differentiates the sum
        elif output_gradient is not None and not self._recorded():
            output_gradient = getattr(output_gradient, "data", output_gradient)
        create_graph = self._recorded()
        return engine.grad(target, list(sources), grad_outputs=output_gradient,
                           retain_graph=retain or create_graph, create_graph=create_graph)

    def _recorded(self) -> bool:
        """Whether an open tape block records this gradient computation (as TF): another
        tape's, or this tape's own when it is persistent (a non-persistent tape cannot be asked
        again, so recording onto it would be wasted)."""
        return any(t is not self or self.persistent for t in _open_tapes())

    def jacobian(self, target, sources):
        """d target[i] / d source, stacked: shape `target.shape + source.shape` per source.

        One backward sweep per element of `target` (the graph is retained between them).
        """
        if self._used and not self.persistent:
            raise RuntimeError("GradientTape.jacobian: a non-persistent tape can compute "
                               "gradients only once; expected GradientTape(persistent=True) "
                               "for several calls.")
        self._used = True
        flat_sources = _flatten(sources)
        rows = [np.zeros((target.data.size,) + s.shape, dtype=s.data.dtype)
                for s in flat_sources]
        recorded = self._recorded()
        pieces = [[] for _ in flat_sources]      # the rows as Tensors, when they are recorded
        for k in range(target.data.size):
            seed = np.zeros(target.data.size, dtype=target.data.dtype)
            seed[k] = 1
            grads = self._grads_of(target, seed.reshape(target.shape), flat_sources, True)
            for row, piece, g, src in zip(rows, pieces, grads, flat_sources, strict=True):
                if recorded:
                    piece.append(Tensor(np.zeros_like(src.data)) if g is None else g)
                elif g is not None:
                    row[k] = g.data
        if recorded:  # an open outer tape differentiates the jacobian: keep its graph
            from deltaw.autograd.higher_order import graph_numpy  # dw.stack, from the ops

            out = [graph_numpy.stack(p, axis=0).reshape(target.shape + s.shape)
                   for p, s in zip(pieces, flat_sources, strict=True)]
        else:
            out = [Tensor(r.reshape(target.shape + r.shape[1:])) for r in rows]
        return _unflatten(sources, iter(out))


def _flatten(structure) -> list:
    if isinstance(structure, dict):
        return [x for key in structure for x in _flatten(structure[key])]
    if isinstance(structure, list | tuple):
        return [x for item in structure for x in _flatten(item)]
    return [structure]


def _unflatten(structure, values):
    if isinstance(structure, dict):
        return {key: _unflatten(structure[key], values) for key in structure}
    if isinstance(structure, list | tuple):
        items = [_unflatten(item, values) for item in structure]
        if isinstance(structure, list):
            return items
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    return next(values)


from deltaw.tensor import Tensor  # noqa: E402  (tensor.py imports the engine at its end)
