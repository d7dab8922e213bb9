"""keras.ops: Keras 3's backend-independent op namespace over deltaw's differentiable ops.

Submodules `nn`, `math` and `image` hold the functions. As in Keras, the names of `nn` and `math`
are also re-exported here (`keras.ops.relu` is `keras.ops.nn.relu`); `image`'s are reached only
through `keras.ops.image`.
"""

from deltaw.keras.ops import image, math, nn
from deltaw.keras.ops.math import *  # noqa: F403 - re-exports math.__all__
from deltaw.keras.ops.nn import *  # noqa: F403 - re-exports nn.__all__

__all__ = ["image", "math", "nn", *nn.__all__, *math.__all__]
