"""Keras optimizers: `get('adam')`, the optimizer classes, and `schedules`."""

from deltaw.keras.optimizers import legacy, schedules
from deltaw.keras.optimizers.adadelta import Adadelta
from deltaw.keras.optimizers.adafactor import Adafactor
from deltaw.keras.optimizers.adagrad import Adagrad
from deltaw.keras.optimizers.adam import Adam
from deltaw.keras.optimizers.adamax import Adamax
from deltaw.keras.optimizers.adamw import AdamW
from deltaw.keras.optimizers.ftrl import Ftrl
from deltaw.keras.optimizers.lamb import Lamb
from deltaw.keras.optimizers.lion import Lion
from deltaw.keras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from deltaw.keras.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from deltaw.keras.optimizers.muon import Muon
from deltaw.keras.optimizers.nadam import Nadam
from deltaw.keras.optimizers.optimizer import Optimizer
from deltaw.keras.optimizers.rmsprop import RMSprop
from deltaw.keras.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from deltaw.keras.optimizers.sgd import SGD

__all__ = [
    "SGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "Adamax", "AdamW", "Ftrl", "Lamb", "Lion",
    "LossScaleOptimizer", "MultiOptimizer", "Muon", "Nadam", "Optimizer", "OptimizerMap",
    "RMSprop", "ScheduleFreeAdamW",
    "deserialize", "get", "legacy", "schedules", "serialize",
]

_BY_NAME = {cls.__name__.lower(): cls for cls in (SGD, Adadelta, Adagrad, Adam, AdamW, Nadam,
                                                   RMSprop, Adafactor, Adamax, Ftrl, Lamb, Lion,
                                                   LossScaleOptimizer, ScheduleFreeAdamW, Muon,
                                                   MultiOptimizer)}


def serialize(optimizer: Optimizer) -> dict:
    """Keras 3's serialized form: {'module', 'class_name', 'config', 'registered_name'}."""
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects=None) -> Optimizer:
    """An optimizer from `serialize`'s output ('class_name' is case-insensitive for built-ins)."""
    name = config.get("class_name", "")
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(str(name).lower())
    if cls is None:
        raise ValueError(f"optimizers.deserialize: unknown optimizer {name!r}. Known: "
                         f"{', '.join(sorted(_BY_NAME))}.")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """Resolve an optimizer: a name ('adam', case-insensitive), a config dict, or an instance.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"unknown optimizer {identifier!r}. Known: "
                             f"{', '.join(sorted(_BY_NAME))}.")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"optimizers.get: could not interpret optimizer identifier {identifier!r}; "
                     "expected a name, a config dict or an Optimizer.")
