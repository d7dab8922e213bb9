"""Tracking of sublayers and Variables, called from `Layer.__setattr__` (its only caller).

Assigning a Layer, a Variable, or a list/tuple/dict of them to a layer attribute records it, in
assignment order; that order is the order of `layer.weights`. A plain list assigned to a public
attribute (`self.blocks = []`) is wrapped in a `TrackedList`, so layers appended later are tracked
too, as in Keras 3. Lists assigned to private attributes (`self._things = [...]`) are scanned once
and left unwrapped, so code holding the original list object keeps working.
"""

from __future__ import annotations

from deltaw.tensor import Variable

__all__ = ["TrackedList", "on_setattr", "track", "untrack"]


def _is_layer(value) -> bool:
    return getattr(type(value), "_is_keras_layer", False)


def _add_once(items: list, value) -> None:
    if not any(v is value for v in items):
        items.append(value)


def _remove(items: list, value) -> None:
    for i, v in enumerate(items):
        if v is value:
            del items[i]
            return


def track(owner, value, wrap: bool = False):
    """Record `value` (and what it contains) on `owner`; returns the value to store."""
    if _is_layer(value):
        if value is not owner:
            _add_once(owner._tracked_layers, value)
    elif isinstance(value, Variable):
        _add_once(owner._trainable_variables if value.trainable
                  else owner._non_trainable_variables, value)
    elif type(value) is list and wrap:
        return TrackedList(owner, value)
    elif isinstance(value, list | tuple):
        for item in value:
            track(owner, item)
    elif type(value) is dict:
        for item in value.values():
            track(owner, item)
    return value


def untrack(owner, value) -> None:
    """Forget `value` (and what it contains) on `owner`."""
    if _is_layer(value):
        _remove(owner._tracked_layers, value)
    elif isinstance(value, Variable):
        _remove(owner._trainable_variables, value)
        _remove(owner._non_trainable_variables, value)
    elif isinstance(value, list | tuple):
        for item in value:
            untrack(owner, item)
    elif type(value) is dict:
        for item in value.values():
            untrack(owner, item)


def on_setattr(owner, name: str, value):
    """Track `value` for `owner.<name> = value`; returns the value to store.

    A Layer or Variable the attribute held before is untracked, unless another attribute still
    refers to it.
    """
    old = owner.__dict__.get(name)
    if (old is not None and old is not value and (_is_layer(old) or isinstance(old, Variable))
            and not any(v is old for k, v in owner.__dict__.items() if k != name)):
        untrack(owner, old)
    return track(owner, value, wrap=not name.startswith("_"))


class TrackedList(list):
    """A list whose additions and removals update its owner layer's tracking."""

    def __init__(self, owner, items=()):
        super().__init__(items)
        self._owner = owner
        for item in self:
            track(owner, item)

    def append(self, item):
        track(self._owner, item)
        super().append(item)

    def extend(self, items):
        items = list(items)
        for item in items:
            track(self._owner, item)
        super().extend(items)

    def insert(self, index, item):
        track(self._owner, item)
        super().insert(index, item)

    def __iadd__(self, items):
        self.extend(items)
        return self

    def __setitem__(self, index, value):
        old = self[index]
        untrack(self._owner, old)
        track(self._owner, value)
        super().__setitem__(index, value)

    def __delitem__(self, index):
        untrack(self._owner, self[index])
        super().__delitem__(index)

    def pop(self, index=-1):
        item = super().pop(index)
        untrack(self._owner, item)
        return item

    def remove(self, item):
        super().remove(item)
        untrack(self._owner, item)

    def clear(self):
        for item in self:
            untrack(self._owner, item)
        super().clear()

    def __reduce_ex__(self, protocol):
        return list, (list(self),)
