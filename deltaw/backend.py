"""Choice of array module: the only module allowed to import cupy; later, lazily."""

from __future__ import annotations

import numpy as np


def array_module(*arrays):
    """Return the array module (`numpy`, later `cupy`) that owns `arrays`."""
    return np
