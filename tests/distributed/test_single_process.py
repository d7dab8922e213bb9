"""deltaw.distributed and keras.distribution in a plain process: one rank, no mpi4py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras as keras
from deltaw import distributed as dist
from deltaw.keras import distribution, layers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_distribution():
    yield
    distribution.set_distribution(None)


def test_import_and_one_rank_training_never_import_mpi4py():
    code = ("import sys, numpy as np, deltaw, deltaw.keras as keras\n"
            "from deltaw.keras import distribution\n"
            "assert 'mpi4py' not in sys.modules\n"
            "import deltaw.distributed as d\n"
            "distribution.set_distribution(distribution.DataParallel())\n"
            "m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
            "m.compile('sgd', 'mse'); m.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)\n"
            "print(d.rank(), d.size(), d.allreduce(3.0), 'mpi4py' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                        "DELTAW_MPI")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "1", "3.0", "False"]


def test_collectives_return_their_input_in_one_process():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert dist.rank() == 0 and dist.size() == 1
    for op in ("mean", "sum", "max", "min"):
        out = dist.allreduce(a, op=op)
        assert out.dtype == np.float32 and np.array_equal(out, a) and out is not a
    t = dist.allreduce(dw.tensor([1.0, 2.0]))
    assert isinstance(t, dw.Tensor) and t.data.tolist() == [1.0, 2.0]
    assert dist.allreduce(2, op="sum") == 2 and isinstance(dist.allreduce(2, op="sum"), int)
    assert dist.allgather(a).shape == (2, 3) and dist.allgather(5.0).tolist() == [5.0]
    assert np.array_equal(dist.broadcast(a), a)
    dist.barrier()


def test_collective_errors_name_the_call():
    with pytest.raises(ValueError, match=r"allreduce: op must be one of \['mean', 'sum', 'max', "
                                         r"'min'\]; got op='avg'"):
        dist.allreduce(np.ones(2), op="avg")
    with pytest.raises(TypeError, match="allgather: expected a Tensor, a NumPy array or a "
                                        "number; got object"):
        dist.allgather(object())
    with pytest.raises(ValueError, match=r"broadcast: root must be a rank in \[0, 1\); "
                                         r"got root=1"):
        dist.broadcast(np.ones(2), root=1)


def _train(set_it):
    distribution.set_distribution(distribution.DataParallel() if set_it else None)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 4)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    return [v.data.copy() for v in model.weights], history.history, model.predict(x, verbose=0)


def test_data_parallel_on_one_rank_is_plain_training_bit_for_bit():
    plain, parallel = _train(False), _train(True)
    assert all(np.array_equal(a, b) for a, b in zip(plain[0], parallel[0], strict=True))
    assert plain[1] == parallel[1] and np.array_equal(plain[2], parallel[2])


def test_keras_distribution_api():
    assert distribution.list_devices() == ["cpu:0"] and distribution.get_device_count() == 1
    assert distribution.distribution() is None
    dp = distribution.DataParallel()
    distribution.set_distribution(dp)
    assert distribution.distribution() is dp and dp.num_model_replicas == 1
    assert dp.batch_dim_name == "batch" and dp.device_mesh.shape == (1,)
    mesh = distribution.DeviceMesh((1,), ["data"])
    assert distribution.DataParallel(device_mesh=mesh).batch_dim_name == "data"
    distribution.initialize(num_processes=1, process_id=0)
    with pytest.raises(ValueError, match="list_devices: deltaw's devices are CPUs"):
        distribution.list_devices("gpu")
    with pytest.raises(ValueError, match="auto_shard_dataset=True"):
        distribution.DataParallel(auto_shard_dataset=False)
    with pytest.raises(ValueError, match=r"must hold every rank of the launch \['cpu:0'\]"):
        distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="set_distribution: expected a DataParallel or None"):
        distribution.set_distribution("data_parallel")
    with pytest.raises(ValueError, match="initialize: num_processes=4 differs"):
        distribution.initialize(num_processes=4)



def test_shard_optimizer_state_is_a_bool_and_one_process_trains_as_without_it():
    with pytest.raises(ValueError, match=r"DataParallel: shard_optimizer_state must be True or "
                                         r"False; got 'yes'"):
        distribution.DataParallel(shard_optimizer_state="yes")
    weights = []
    for shard in (True, False):
        distribution.set_distribution(distribution.DataParallel(shard_optimizer_state=shard))
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(1)])
        model.compile(keras.optimizers.Adam(0.01), "mse")
        x = np.arange(24, dtype="float32").reshape(8, 3) / 24
        model.fit(x, x[:, :1], batch_size=4, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_only_an_elementwise_update_of_every_variable_is_sharded():
    from deltaw.keras import optimizers
    from deltaw.tensor import Variable

    class OwnApply(optimizers.Adam):
        def apply(self, grads, trainable_variables=None):
            return super().apply(grads, trainable_variables)

    def shardable(make, dtypes=("float32", "float32"), drop=False):
        variables = [Variable(np.ones((2, 3), d), name=f"v{i}") for i, d in enumerate(dtypes)]
        optimizer = make()
        optimizer.build(variables)
        grads = [np.ones(v.shape, v.dtype) for v in variables]
        if drop:
            grads[1] = None
        return optimizer._shardable(grads, variables)

    def adamw_excluding():
        optimizer = optimizers.AdamW(weight_decay=0.1)
        optimizer.exclude_from_weight_decay(var_names=["v1"])
        return optimizer

    sharded = [optimizers.Adam, optimizers.SGD, lambda: optimizers.AdamW(weight_decay=0.1),
               lambda: optimizers.Adam(clipvalue=1.0, loss_scale_factor=8.0)]
    replicated = [optimizers.Lamb, optimizers.Adafactor, optimizers.Muon, OwnApply,
                  lambda: optimizers.Adam(clipnorm=1.0), adamw_excluding,
                  lambda: optimizers.SGD(global_clipnorm=1.0),
                  lambda: optimizers.Adam(use_ema=True),
                  lambda: optimizers.Adam(gradient_accumulation_steps=2),
                  lambda: optimizers.LossScaleOptimizer(optimizers.Adam())]
    assert [shardable(make) for make in sharded] == [True] * len(sharded)
    assert [shardable(make) for make in replicated] == [False] * len(replicated)
    assert not shardable(optimizers.Adam, dtypes=("float32", "float64"))   # no flat layout
    assert not shardable(optimizers.Adam, drop=True)                        # a missing gradient
