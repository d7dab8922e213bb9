"""The call context of Layer.__call__: which `training` value nested layer calls inherit.

Keras 3 passes `training` down implicitly: a layer called without it inside another layer's call
uses the outer call's value, and the outermost call falls back to the default in its `call`
signature. The stack below holds the value of each call in progress, innermost last.
"""

from __future__ import annotations

import inspect

__all__ = ["call_kwargs", "in_call", "pop", "push"]

_STACK: list = []
_CALL_INFO: dict = {}  # class -> (call takes training, call takes mask, training's default)


def _call_info(cls) -> tuple:
    info = _CALL_INFO.get(cls)
    if info is None:
        params = inspect.signature(cls.call).parameters
        training = params.get("training")
        default = None if training is None or training.default is inspect.Parameter.empty \
            else training.default
        info = _CALL_INFO[cls] = ("training" in params, "mask" in params, default)
    return info


def call_kwargs(layer, kwargs: dict):
    """(kwargs for `layer.call`, the training value of this call).

    `training` is the explicit argument, else the enclosing call's, else `call`'s default; it is
    passed on only if `call` takes it. `mask` is passed only if `call` takes it and it is set.
    """
    takes_training, takes_mask, default = _call_info(type(layer))
    training = kwargs.pop("training", None)
    if training is None and _STACK:
        training = _STACK[-1]
    if training is None:
        training = default
    if takes_training and training is not None:
        kwargs["training"] = training
    mask = kwargs.pop("mask", None)
    if takes_mask and mask is not None:
        kwargs["mask"] = mask
    return kwargs, training


def in_call() -> bool:
    """Whether a layer call is in progress (so the current call is not the outermost)."""
    return bool(_STACK)


def push(training) -> None:
    _STACK.append(training)


def pop() -> None:
    _STACK.pop()
