"""Mini-batches cut from windows one batch at a time, for Keras."""

import math

import keras
import numpy as np

__all__ = ["WindowBatches", "batch_count"]


def batch_count(n_rows, batch_size, batch_multiple=1, equal_sizes=False):
    """Rows served per epoch and the number of batches they fill.

    Every row is served but the last batch's remainder modulo ``batch_multiple``; the rows are
    shared by the fewest batches of at most ``batch_size``. With ``equal_sizes`` every batch
    holds the same number of rows, so a compiled training step is built for one batch shape
    (on JAX each shape costs a compilation of several seconds): full batches of
    ``batch_size``, or the rows shared evenly by one batch more, whichever leaves fewer rows
    out. Fewer rows than one batch are left out, and other ones each epoch when shuffling.
    """
    if not equal_sizes:
        served = n_rows - n_rows % batch_size % batch_multiple
        return served, math.ceil(served / batch_size)
    choices = []
    for n_batches in {n_rows // batch_size, math.ceil(n_rows / batch_size)} - {0}:
        size = min(batch_size, n_rows // n_batches) // batch_multiple * batch_multiple
        if size:
            choices.append((n_rows - size * n_batches, -size, n_batches))
    if not choices:
        return 0, 0
    left_out, minus_size, n_batches = min(choices)
    return n_rows - left_out, n_batches


class WindowBatches(keras.utils.PyDataset):
    """Batches of windows gathered by row index and cast to the Keras float type per batch.

    Windows from :class:`~sktemporal.SlidingWindowTransformer` are a strided view: the
    ``rows × sequence_length × features`` tensor never exists in memory. Handing such a view to
    ``Model.fit`` would convert it whole; this dataset copies only the windows of the batch being
    served, so memory stays at the size of the table plus one batch.

    Parameters
    ----------
    X : ndarray of shape (n_samples, timesteps, n_features)
        Windows, possibly a non-contiguous view of any float dtype.
    y : ndarray of shape (n_samples,) or None
        Encoded labels; ``None`` for prediction.
    sample_weight : ndarray of shape (n_samples,) or None
        Weight of each window.
    rows : ndarray of int or None
        The rows of ``X`` to serve, in order; all rows when None.
    batch_size : int
        Most windows per batch. The windows of an epoch are shared evenly by the fewest batches
        of at most ``batch_size``: 100 windows in batches of 32 give 4 batches of 25, not a
        last batch of 4, whose batch-normalisation statistics and gradient would be noise.
    shuffle : bool
        Serve the rows in a new random order each epoch.
    seed : int or None
        Seed of the shuffling.
    batch_multiple : int, default=1
        Every batch holds a multiple of this many windows: the last batch drops its remainder
        (fewer than ``batch_multiple`` windows, different ones each epoch when shuffling).
        Data-parallel training needs batches that split evenly over its devices.
    equal_sizes : bool, default=False
        Every batch the same size (see :func:`batch_count`), leaving fewer windows than one
        batch out of each epoch; for training, with ``shuffle``.
    """

    def __init__(
        self,
        X,
        y,
        sample_weight=None,
        rows=None,
        *,
        batch_size,
        shuffle=False,
        seed=None,
        batch_multiple=1,
        equal_sizes=False,
    ):
        super().__init__()
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.rows = np.arange(len(X)) if rows is None else np.asarray(rows)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(self.rows) if shuffle else self.rows
        served, n_batches = batch_count(len(self.rows), batch_size, batch_multiple, equal_sizes)
        # Batch k starts at a multiple of batch_multiple; sizes differ by batch_multiple at most.
        units = served // batch_multiple
        self._bounds = [0] + [
            units * k // n_batches * batch_multiple for k in range(1, n_batches + 1)
        ]

    def __len__(self):
        return len(self._bounds) - 1

    def __getitem__(self, index):
        rows = self._order[self._bounds[index] : self._bounds[index + 1]]
        batch = (self.X[rows].astype(keras.backend.floatx(), copy=False),)
        if self.y is not None:
            batch += (self.y[rows],)
        if self.sample_weight is not None:
            batch += (self.sample_weight[rows],)
        return batch

    def on_epoch_end(self):
        if self.shuffle:
            self._order = self._rng.permutation(self.rows)
