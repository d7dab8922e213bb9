"""`PyDataset` (alias `Sequence`): batches read by index, for `fit`, `evaluate` and `predict`.

As Keras 3: subclass it, implement `__len__` (the number of batches; or the `num_batches`
property, None for an endless dataset) and `__getitem__(index)` returning a batch `x`, `(x, y)`
or `(x, y, sample_weight)`, and optionally `on_epoch_begin`/`on_epoch_end`. `fit(shuffle=True)`
visits the batches of each epoch in a new order (deltaw's seeded generator), as Keras does.

`workers`, `use_multiprocessing` and `max_queue_size` are accepted and stored with Keras'
defaults, but deltaw reads every batch in the training process, one after the other: there is no
thread or process pool. Batches that are slow to make (images decoded from disk) are therefore
not overlapped with training steps.
"""

from __future__ import annotations

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class for datasets that return a batch for an index (`keras.utils.PyDataset`).

    Args:
        workers: Keras' number of loading workers; stored only (batches are read in-process).
        use_multiprocessing: Keras' choice of processes over threads; stored only.
        max_queue_size: Keras' prefetch queue length; stored only.

    Example:
        >>> class Squares(PyDataset):
        ...     def __len__(self):
        ...         return 2
        ...     def __getitem__(self, index):
        ...         x = np.arange(3.0) + 3 * index
        ...         return x[:, None], (x ** 2)[:, None]
        >>> ds = Squares()
        >>> ds.num_batches, ds[1][0].ravel().tolist()
        (2, [3.0, 4.0, 5.0])
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        for name, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"PyDataset: {name} must be a positive int; got {name}={value!r}.")
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    # Subclasses that forget super().__init__() still work: the properties fall back to defaults.
    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at position `index`: `x`, `(x, y)` or `(x, y, sample_weight)`."""
        raise NotImplementedError(f"{type(self).__name__}: a PyDataset must implement "
                                  "__getitem__(index) returning a batch.")

    @property
    def num_batches(self):
        """Batches per epoch: `len(self)`, or None for an endless dataset (no `__len__`)."""
        return len(self) if hasattr(self, "__len__") else None

    def on_epoch_begin(self):
        """Called before each epoch's first batch is read."""

    def on_epoch_end(self):
        """Called after each epoch's last batch was read (e.g. to reshuffle)."""


Sequence = PyDataset
