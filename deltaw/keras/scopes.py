"""keras.name_scope: the prefix of the paths of the variables made inside it ('outer/inner/v').

A Variable made inside `with name_scope("outer"):` has the path 'outer/v', as in Keras. Where
deltaw differs: layers open no scope of their own and their weights have no path (Keras:
'dense/kernel'), because deltaw's files key layer weights by the layer tree. Scopes are per
thread.
"""

from __future__ import annotations

import threading

from deltaw.tensor import _NAME_SCOPE

__all__ = ["current_path", "name_scope"]

_STATE = threading.local()


def _stack() -> list:
    if not hasattr(_STATE, "stack"):
        _STATE.stack = []
    return _STATE.stack


def current_path() -> str:
    """The open scopes joined by '/' ('' when none is open)."""
    parts = []
    for scope in _stack():
        if scope.override_parent is not None:
            parts = [p for p in scope.override_parent.split("/") if p]
        parts.append(scope.name)
    return "/".join(parts)


class name_scope:
    """Creates a sub-namespace for variable paths (keras.name_scope).

    Args:
        name: The scope's name; a string without '/'.
        caller: Optional object that opens the scope (a layer): with `deduplicate`, re-entering
            the scope just opened by the same caller under the same name adds no level.
        deduplicate: See `caller`.
        override_parent: An absolute path that replaces the scopes open outside this one.
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError("name_scope: argument `name` must be a string and cannot contain "
                             f"character `/`. Received: name={name}")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        if (override_parent is None and deduplicate
                and getattr(caller, "_parent_path", None) is not None):
            self.override_parent = caller._parent_path
        self._pop_on_exit = False

    def __enter__(self):
        stack = _stack()
        if self.deduplicate and stack and self.caller is not None:
            top = stack[-1]
            if top.caller is self.caller and top.name == self.name:
                return self
        stack.append(self)
        self._pop_on_exit = True
        _NAME_SCOPE.path = current_path()
        return self

    def __exit__(self, *exc):
        if self._pop_on_exit:
            stack = _stack()
            if stack:
                stack.pop()
            _NAME_SCOPE.path = current_path()
        return False
