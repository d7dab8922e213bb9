"""Choice of array module. The only module allowed to import cupy (lazily, once GPU support lands)."""

from __future__ import annotations

import numpy as np


def array_module(*arrays):
    """Return the array module (`numpy`, later `cupy`) that owns `arrays`."""
    return np
