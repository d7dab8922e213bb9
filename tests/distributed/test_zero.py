"""The sharded optimizer update (ZeRO-1, `DataParallel(shard_optimizer_state=True)`) under the
mpich wheel's mpiexec: it runs for the elementwise optimizers and trains what the replicated
update trains (bitwise on 2 ranks, where a sum of two is exact in either order; to float32
rounding on 3, with uneven shards), optimizers whose update is not elementwise fall back to the
replicated update with the same bits, every rank holds the same weights and the whole
optimizer state after fit, and a checkpoint written mid-epoch holds the whole state."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.distributed.test_mpi import launch

# the optimizers of scripts/zero_check.py whose update is elementwise (the others fall back)
SHARDED = ("sgd", "adam", "adamw", "nadam_clipvalue", "rmsprop", "adam_freeze")
FALLBACK = ("lamb", "adafactor", "adam_clipnorm", "sgd_global_clipnorm")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Rank count -> the ranks' results, in rank order."""
    out = {}
    for n in (2, 3):
        folder = tmp_path_factory.mktemp(f"zero{n}")
        code, _, stderr, _ = launch(n, "zero_check.py", folder, timeout=180)
        assert code == 0, stderr[-3000:]
        out[n] = [json.loads((folder / f"zero_rank{r}.json").read_text()) for r in range(n)]
    return out


@pytest.mark.parametrize("n", [2, 3])
def test_the_sharded_update_runs_for_elementwise_optimizers_and_falls_back_otherwise(runs, n):
    for rank in runs[n]:
        assert [name for name in SHARDED + FALLBACK if rank[name]["True"]["sharded"]] == \
            list(SHARDED)
        assert not any(rank[name]["False"]["sharded"] for name in SHARDED + FALLBACK)


@pytest.mark.parametrize("n", [2, 3])
def test_every_rank_holds_the_same_weights_and_optimizer_state(runs, n):
    for name in SHARDED + FALLBACK:
        for mode in ("True", "False"):
            first = runs[n][0][name][mode]
            for other in runs[n][1:]:
                assert other[name][mode]["hash"] == first["hash"], (name, mode)
                assert other[name][mode]["optimizer_hash"] == first["optimizer_hash"]


@pytest.mark.parametrize("n", [2, 3])
def test_a_fallback_trains_bit_for_bit_what_the_replicated_update_trains(runs, n):
    for name in FALLBACK:
        sharded, replicated = runs[n][0][name]["True"], runs[n][0][name]["False"]
        assert sharded["hash"] == replicated["hash"], name
        assert sharded["optimizer_hash"] == replicated["optimizer_hash"], name


def test_two_ranks_shard_the_update_bit_for_bit(runs):
    for name in SHARDED:
        sharded, replicated = runs[2][0][name]["True"], runs[2][0][name]["False"]
        assert sharded["hash"] == replicated["hash"], name
        assert sharded["optimizer_hash"] == replicated["optimizer_hash"], name   # gathered


def test_three_uneven_shards_train_the_replicated_weights(runs):
    for name in SHARDED:
        sharded, replicated = runs[3][0][name]["True"], runs[3][0][name]["False"]
        for a, b in zip(replicated["weights"], sharded["weights"], strict=True):
            np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-6, err_msg=name)
        np.testing.assert_allclose(sharded["loss"], replicated["loss"], rtol=2e-5, err_msg=name)


@pytest.mark.parametrize("n", [2, 3])
def test_a_checkpoint_written_mid_epoch_holds_the_whole_optimizer_state(runs, n):
    # ModelCheckpoint(save_freq=3) last writes after step 15, before the epoch's end: the
    # slots are sharded then and must be gathered for rank 0 to save them
    for rank in runs[n]:
        sharded, replicated = rank["adam"]["True"], rank["adam"]["False"]
        assert sharded["checkpoint_iterations"] == replicated["checkpoint_iterations"] == 15
        if n == 2:
            assert sharded["checkpoint_optimizer_hash"] == replicated["checkpoint_optimizer_hash"]
        assert rank["lamb"]["True"]["checkpoint_optimizer_hash"] == \
            rank["lamb"]["False"]["checkpoint_optimizer_hash"]
