"""How much of Keras 3's public API deltaw.keras has, module by module.

    KERAS_BACKEND=torch python -m tests.keras.keras_coverage          # the table
    KERAS_BACKEND=torch python -m tests.keras.keras_coverage --gaps   # the names still missing

`coverage(keras)` compares the public names of each Keras module with deltaw's; the test
(test_keras_coverage.py) holds every missing name to an entry in keras_api_gaps.py.
"""

from __future__ import annotations

import importlib
import sys
import types

# Keras 3 modules compared (the names that cannot mean anything on deltaw, such as other
# frameworks' model wrappers, are listed with their reasons in keras_api_gaps.NO_MEANING).
MODULES = (
    "", "activations", "backend", "callbacks", "config", "constraints", "datasets", "distribution",
    "initializers",
    "layers", "losses", "metrics", "models", "ops", "ops.image", "ops.linalg", "ops.nn",
    "ops.numpy", "optimizers", "optimizers.schedules", "random", "regularizers", "saving",
    "utils",
    "applications", *(f"applications.{m}" for m in (
        "convnext", "densenet", "efficientnet", "efficientnet_v2", "imagenet_utils",
        "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3",
        "nasnet", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "xception")),
)


def public_names(module, with_modules=False) -> list[str]:
    """The names a user reaches in `module`: not private, a submodule only if `with_modules`
    (keras.datasets' loaders are modules)."""
    return sorted(n for n in dir(module) if not n.startswith("_") and n != "src"
                  and (with_modules or not isinstance(getattr(module, n), types.ModuleType)))


def _module(package: str, name: str):
    try:
        return importlib.import_module(f"{package}.{name}" if name else package)
    except ImportError:
        return None


def coverage(keras) -> dict[str, tuple[list[str], list[str]]]:
    """{module: (names deltaw has, names it lacks)} over Keras' public names."""
    table = {}
    for name in MODULES:
        theirs = public_names(_module("keras", name), with_modules=name == "datasets")
        ours = _module("deltaw.keras", name)
        have = [n for n in theirs if ours is not None and hasattr(ours, n)]
        table[name] = (have, [n for n in theirs if n not in have])
    return table


def main(argv) -> None:
    import keras

    table = coverage(keras)
    if "--gaps" in argv:
        for module, (_, missing) in table.items():
            print(f"    {module!r}: {missing!r},")
        return
    total_have = total = 0
    print(f"| module | deltaw has | of Keras {keras.__version__} |")
    print("|---|---|---|")
    for module, (have, missing) in table.items():
        n = len(have) + len(missing)
        total_have, total = total_have + len(have), total + n
        print(f"| keras{'.' if module else ''}{module} | {len(have)} | {n} |")
    print(f"| all | {total_have} ({100 * total_have / total:.0f}%) | {total} |")


if __name__ == "__main__":
    main(sys.argv[1:])
