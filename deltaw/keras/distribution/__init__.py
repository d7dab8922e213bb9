"""keras.distribution: Keras 3's names for training on every rank of an MPI launch.

    from deltaw.keras import distribution
    distribution.set_distribution(distribution.DataParallel())
    model.fit(x, y, batch_size=256)      # 256 rows per step in all, split across the ranks

Launch with `mpiexec -n 4 python train.py`; see `DataParallel` for what fit, evaluate and predict
do then. deltaw's devices are its MPI ranks ("cpu:0", "cpu:1", ...); `ModelParallel`,
`LayoutMap`, `TensorLayout` and `distribute_tensor` (sharding one variable across devices) are
not offered.
"""

from deltaw.keras.distribution.distribution_lib import (
    DataParallel,
    DeviceMesh,
    distribution,
    get_device_count,
    initialize,
    list_devices,
    set_distribution,
)

__all__ = ["DataParallel", "DeviceMesh", "distribution", "get_device_count", "initialize",
           "list_devices", "set_distribution"]
