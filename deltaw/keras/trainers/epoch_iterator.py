"""Batches for one epoch at a time: shuffled index slices over arrays, or draws from a generator.

For arrays the epoch's order is one permutation from deltaw's seeded generator
(`dw.random.generator().permutation(n)`, drawn at the start of each epoch); a batch is
`array[perm[i:i + batch_size]]`, a single NumPy gather per array. Without shuffling a batch is the
basic slice `array[i:i + batch_size]`, a view. The last batch holds the remainder, as in Keras.

`steps_per_epoch` follows Keras 3's EpochIterator: the iterator is kept across epochs, so an epoch
of `steps_per_epoch` batches continues where the previous one stopped, and a fresh pass (with a
fresh permutation) starts once the data is used up. When the data runs out in the middle of an
epoch, a warning says so and the epoch ends early.

Resuming (BackupAndRestore): `get_state()` returns the pass under way (its order and how many of
its batches were taken) and `set_state(state, step)` makes the next epoch start at `step` with the
same batches, in the same order, as the interrupted run would have produced. No random draw is
made for a resumed pass, so the generator state restored with it stays in step.
"""

from __future__ import annotations

import math
import numbers
import warnings

from deltaw import random
from deltaw.keras.trainers.data_adapter import ArrayData, SequenceData

__all__ = ["EpochIterator"]

_RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or "
            "generator can generate at least `steps_per_epoch * epochs` batches.")


class EpochIterator:
    """Iterate `(step, batch)` over one epoch of `data` each time it is iterated.

    Args:
        data: `ArrayData` or `GeneratorData` from `data_adapter.adapt`.
        batch_size: Samples per batch for arrays; None means 32, or `ceil(n / steps_per_epoch)`
            when `steps_per_epoch` is given (Keras 3's rule).
        shuffle: True to draw a new permutation each pass; "batch" to shuffle the order of the
            batches and the samples within each batch only (Keras' "batch" mode); False keeps
            the order.
        steps_per_epoch: Batches per epoch; None means one full pass.
        where: API name for error messages.
    """

    def __init__(self, data, batch_size=None, shuffle=False, steps_per_epoch=None, where="fit"):
        _check_positive_int(where, "batch_size", batch_size)
        _check_positive_int(where, "steps_per_epoch", steps_per_epoch)
        self.data = data
        self.shuffle = shuffle
        self.steps_per_epoch = None if steps_per_epoch is None else int(steps_per_epoch)
        self.is_array = isinstance(data, ArrayData)
        if self.is_array:
            n = data.num_samples
            if batch_size is None:
                batch_size = math.ceil(n / steps_per_epoch) if steps_per_epoch else 32
            self.batch_size = int(batch_size)
            self._batches_per_pass = math.ceil(n / batch_size)
        else:
            self.batch_size = batch_size
            self._batches_per_pass = None
        self.is_sequence = isinstance(data, SequenceData)
        if self.is_sequence:   # a PyDataset: a new pass (and order) on every iteration
            data.shuffle = bool(shuffle)
            self._batches_per_pass = data.num_batches
        self._pass = None            # the current pass over the data (kept with steps_per_epoch)
        self._seen = 0               # batches taken from the current pass
        self._order = None           # the current pass's permutation (or batch starts), if shuffled
        self._resume = None          # (step, order, position) for the next epoch, from set_state
        self.step = -1               # index within its epoch of the latest batch yielded
        # order -> order, called on every drawn order: data-parallel fit makes all ranks use
        # rank 0's (keras.distribution); None keeps the drawn one
        self.agree = None
        self.ran_out = False         # set when a generator is exhausted

    @property
    def num_batches(self):
        """Batches per epoch, or None for a generator without `steps_per_epoch`."""
        return self.steps_per_epoch or self._batches_per_pass

    def _array_pass(self, order=None, start=0):
        """Yield the batches of one pass over the arrays, from batch `start` on.

        `order` is the pass's permutation (or, for `shuffle="batch"`, its batch starts); None draws
        a new one when shuffling. It is drawn on the first `next()`, as the first batch is needed.
        """
        data, bs, n = self.data, self.batch_size, self.data.num_samples
        take = data.take
        if start >= self._batches_per_pass:
            return
        if not self.shuffle:
            for begin in range(start * bs, n, bs):
                yield take(slice(begin, begin + bs))
            return
        if order is None:
            gen = random.generator()
            order = gen.permutation(range(0, n, bs)) if self.shuffle == "batch" else \
                gen.permutation(n)
            if self.agree is not None:
                order = self.agree(order)
        self._order = order
        if self.shuffle == "batch":
            for begin in order[start:]:
                # looked up per batch: a resumed run restores the generator's state in place
                within = random.generator().permutation(min(bs, n - begin))
                yield take(begin + (within if self.agree is None else self.agree(within)))
            return
        for begin in range(start * bs, n, bs):
            yield take(order[begin:begin + bs])

    def get_state(self) -> dict:
        """The pass under way: `{'order': ndarray or None, 'position': batches taken from it}`.

        `order` is None without shuffling, for generators and between passes.
        """
        return {"order": self._order if self._seen else None, "position": self._seen}

    def set_state(self, state: dict, step: int = 0) -> None:
        """Make the next epoch start at batch `step`, continuing the pass `state` describes.

        Args:
            state: A dict from `get_state()` (of an iterator over the same data and arguments).
            step: Index within the epoch of the first batch to yield.
        """
        position = int(state["position"])
        self._resume = (int(step), state["order"] if position else None, position)

    def has_data(self) -> bool:
        """False (with Keras' warning) once a generator is used up and cannot start an epoch."""
        if self.ran_out:
            warnings.warn(_RAN_OUT, UserWarning, stacklevel=3)
        return not self.ran_out

    def __iter__(self):
        first, order, position = self._resume or (0, None, 0)
        self._resume = None
        if self.steps_per_epoch is None:
            if not self.is_array:   # a generator cannot be rewound: it continues as it is
                for step, batch in enumerate(self.data, start=first):
                    self.step = step
                    yield step, batch
                self.ran_out = not self.is_sequence
                return
            self._seen = position
            try:
                for step, batch in enumerate(self._array_pass(order, position), start=first):
                    self._seen += 1
                    self.step = step
                    yield step, batch
            finally:   # also when fit breaks out early: an epoch is one pass here
                self._end_pass()
            return
        if position:
            self._pass = (self._array_pass(order, position) if self.is_array else
                          iter(self.data) if self.is_sequence else self.data)
            self._seen = position
        for step in range(first, self.steps_per_epoch):
            if self._pass is None:
                self._pass, self._seen = (self._array_pass() if self.is_array else
                                          iter(self.data) if self.is_sequence else self.data), 0
            elif self.is_array and self._seen >= self._batches_per_pass:
                self._end_pass()             # Keras ends the epoch early rather than wrap around
                warnings.warn(_RAN_OUT, UserWarning, stacklevel=3)
                return
            try:
                batch = next(self._pass)
            except StopIteration:
                if self.is_sequence:   # a PyDataset starts its next pass, as in Keras
                    self._pass, self._seen = iter(self.data), 0
                    batch = next(self._pass)
                    self._seen += 1
                    self.step = step
                    yield step, batch
                    continue
                self._end_pass()
                self.ran_out = True
                warnings.warn(_RAN_OUT, UserWarning, stacklevel=3)
                return
            self._seen += 1
            self.step = step
            yield step, batch
        if self.is_array and self._seen >= self._batches_per_pass:
            self._end_pass()

    def _end_pass(self):
        self._pass, self._order, self._seen = None, None, 0


def _check_positive_int(where, name, value):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer; got {name}={value!r}.")
