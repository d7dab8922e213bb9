"""`keras.optimizers.legacy`: present, as in Keras 3, only to refuse with a clear message.

Keras 3 keeps these names so that old programs fail at construction with an explanation instead
of an AttributeError; deltaw does the same. Use the classes of `deltaw.keras.optimizers`.
"""

from __future__ import annotations

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]


class _Legacy:
    def __init__(self, *args, **kwargs):
        name = type(self).__name__
        raise ImportError(f"optimizers.legacy.{name}: the legacy (Keras 2) optimizers are not "
                          f"part of Keras 3 nor of deltaw; expected "
                          f"keras.optimizers.{name}. Hint: use deltaw.keras.optimizers.{name}.")


class Adagrad(_Legacy):
    """Refused: use `deltaw.keras.optimizers.Adagrad`."""


class Adam(_Legacy):
    """Refused: use `deltaw.keras.optimizers.Adam`."""


class Ftrl(_Legacy):
    """Refused: use `deltaw.keras.optimizers.Ftrl`."""


class Optimizer(_Legacy):
    """Refused: use `deltaw.keras.optimizers.Optimizer`."""


class RMSprop(_Legacy):
    """Refused: use `deltaw.keras.optimizers.RMSprop`."""


class SGD(_Legacy):
    """Refused: use `deltaw.keras.optimizers.SGD`."""
