"""The training machinery behind `Model`: compile/fit/evaluate/predict and their helpers.

- `trainer.Trainer`: the mixin `Model` inherits (`class Model(Trainer, Layer)`).
- `data_adapter`: user data (arrays, lists/dicts of arrays, generators) -> validated arrays.
- `epoch_iterator.EpochIterator`: shuffled batches for one epoch at a time.
- `compile_utils`: `compile()` arguments -> optimizer, per-output losses and metrics.
"""

from deltaw.keras.trainers.data_adapter import (
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from deltaw.keras.trainers.epoch_iterator import EpochIterator
from deltaw.keras.trainers.trainer import Trainer

__all__ = ["EpochIterator", "Trainer", "pack_x_y_sample_weight", "unpack_x_y_sample_weight"]
