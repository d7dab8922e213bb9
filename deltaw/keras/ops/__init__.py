"""keras.ops: Keras 3's backend-independent op namespace over deltaw's differentiable ops.

Submodules `nn`, `math` and `image` hold the functions. As in Keras, the names of `nn` and `math`
are also re-exported here (`keras.ops.relu` is `keras.ops.nn.relu`); `image`'s are reached only
through `keras.ops.image`.
"""

from deltaw.keras.ops import image, math, nn
from deltaw.keras.ops.math import *  # noqa: F403 - re-exports math.__all__
from deltaw.keras.ops.nn import *  # noqa: F403 - re-exports nn.__all__

__all__ = ["image", "math", "nn", *nn.__all__, *math.__all__]

# Keras 3 names in keras.ops.nn / .math / .image that deltaw does not provide, with the reason.
UNSUPPORTED = {
    "nn.polar": "builds a complex tensor; deltaw has no complex dtype",
    "math.view_as_complex": "deltaw has no complex dtype (complex values travel as "
                            "(real, imag) pairs, as the fft functions return them)",
    "math.view_as_real": "deltaw has no complex dtype",
    "image.scale_and_translate": "JAX's kernel-based resampler (lanczos/cubic kernels with "
                                 "arbitrary scale and translation) is not implemented yet",
}
