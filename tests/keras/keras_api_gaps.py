"""Keras 3.15's public names that deltaw.keras does not offer, each with its reason (issue 11).

NO_MEANING: names that cannot mean anything on deltaw. NOT_YET: names still to build. The test
(test_keras_coverage.py) fails on a Keras name missing from deltaw and from both lists, and on a
listed name that deltaw now has.
"""

_WRAPS_A_FRAMEWORK = "wraps another framework's model; deltaw is its own engine"
_SHARDS_VARIABLES = ("shards one variable across devices (model parallelism); deltaw's "
                     "DataParallel keeps every variable whole on every MPI rank")
_NO_COMPLEX = "builds or reads a complex tensor; deltaw has no complex dtype"

NO_MEANING = {
    "": {
        "Quantizer": "quantized kernels (int8/float8) need a backend with quantized matmuls",
        "RematScope": "rematerialization trades memory for recompute inside XLA/JAX programs",
        "remat": "rematerialization trades memory for recompute inside XLA/JAX programs",
        "StatelessScope": "JAX's stateless tracing; deltaw's variables are always stateful",
        "SymbolicScope": "a tracing scope of Keras' multi-backend symbolic execution",
        "device": "deltaw computes on the CPU with NumPy; there is no device to choose",
    },
    "layers": {
        "FlaxLayer": _WRAPS_A_FRAMEWORK,
        "JaxLayer": _WRAPS_A_FRAMEWORK,
        "TFSMLayer": _WRAPS_A_FRAMEWORK,
        "TorchModuleWrapper": _WRAPS_A_FRAMEWORK,
    },
    "callbacks": {
        "OrbaxCheckpoint": "writes JAX Orbax checkpoints; deltaw has its own checkpoint files",
    },
    "distribution": {
        "ModelParallel": _SHARDS_VARIABLES, "LayoutMap": _SHARDS_VARIABLES,
        "TensorLayout": _SHARDS_VARIABLES, "distribute_tensor": _SHARDS_VARIABLES,
    },
    "ops": {"polar": _NO_COMPLEX, "view_as_complex": _NO_COMPLEX, "view_as_real": _NO_COMPLEX},
    "ops.nn": {"polar": _NO_COMPLEX},
}

NOT_YET: dict[str, list[str]] = {}
