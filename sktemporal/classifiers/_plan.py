"""How long to train and what to watch: the rules behind ``epochs="auto"`` and the validation tail.

A fixed number of epochs means very different amounts of training for 30 windows (one gradient
step an epoch) and for 100,000 (thousands). The plan counts gradient steps instead, and decides
from the data whether a held-out tail can steer early stopping. Each decision comes with a
sentence that ``fit(verbose=1)`` prints.
"""

import math
from dataclasses import dataclass

import numpy as np

from sktemporal.classifiers._batches import batch_count

__all__ = ["TrainingPlan", "plan_training", "split_validation_tail", "count_epochs"]

# The least number of epochs epochs="auto" plans, however large the data: early stopping on the
# validation tail, which large data sets have, ends training sooner when it stops improving.
MIN_AUTO_EPOCHS = 10


@dataclass(frozen=True)
class TrainingPlan:
    """What one ``fit`` will do.

    Attributes
    ----------
    train_rows, validation_rows : ndarray of int
        Rows trained on and rows held out (empty: no validation tail).
    epochs : int
        Epochs to run at most.
    steps_per_epoch : int
        Gradient steps per epoch.
    notes : tuple of str
        One sentence per decision, for ``verbose >= 1``.
    """

    train_rows: np.ndarray
    validation_rows: np.ndarray
    epochs: int
    steps_per_epoch: int
    notes: tuple

    @property
    def monitor(self):
        """The loss that early stopping, best-weight restore and plateaus watch."""
        return "val_loss" if len(self.validation_rows) else "loss"

    @property
    def total_steps(self):
        """Gradient steps if no early stop happens."""
        return self.epochs * self.steps_per_epoch


def split_validation_tail(rows, y, validation_fraction, min_windows):
    """Hold out the last ``validation_fraction`` of ``rows`` when that tail can be trusted.

    The tail is used only if it holds at least ``min_windows`` windows and every class of the
    training rows. A smaller tail measures noise; a tail missing classes is what a set of
    independent samples stored sorted by class gives (its last rows are one class), not a
    held-out future. Otherwise every row is trained on and the training loss is monitored.

    Parameters
    ----------
    rows : ndarray of int
        Candidate rows, in time order.
    y : ndarray
        Encoded labels of all windows (indexed by ``rows``).
    validation_fraction : float
        Share of ``rows`` to hold out from the end.
    min_windows : int
        Smallest tail worth monitoring.

    Returns
    -------
    train_rows, validation_rows : ndarray of int
    note : str or None
        Why the tail was or was not used (None when no hold-out was asked for).
    """
    size = int(len(rows) * validation_fraction)
    if size == 0:
        return rows, rows[:0], None
    head, tail = rows[:-size], rows[-size:]
    if size < min_windows:
        return (
            rows,
            rows[:0],
            (
                f"validation tail of {size} windows is smaller than min_validation_windows="
                f"{min_windows}: training on all {len(rows)} windows and monitoring the "
                "training loss"
            ),
        )
    missing = np.setdiff1d(y[head], y[tail])
    if missing.size:
        return (
            rows,
            rows[:0],
            (
                f"validation tail (the last {size} windows) lacks {missing.size} of the "
                f"{len(np.unique(y[head]))} classes of the rows before it, as when independent "
                "samples are stored sorted by class: training on all windows and monitoring the "
                "training loss"
            ),
        )
    return (
        head,
        tail,
        (f"holding out the last {size} windows in time order to monitor the validation loss"),
    )


def count_epochs(epochs, steps_per_epoch, min_steps):
    """Epochs to run: ``epochs`` itself, or for ``"auto"`` enough for ``min_steps`` steps.

    ``"auto"`` plans ``max(10, ceil(min_steps / steps_per_epoch))`` epochs.

    Returns
    -------
    epochs : int
    note : str
    """
    if epochs != "auto":
        return epochs, f"{epochs} epochs of {steps_per_epoch} steps"
    planned = max(MIN_AUTO_EPOCHS, math.ceil(min_steps / steps_per_epoch))
    return planned, (
        f"epochs='auto': {planned} epochs of {steps_per_epoch} steps, at least min_steps="
        f"{min_steps} gradient steps and {MIN_AUTO_EPOCHS} epochs"
    )


def plan_training(
    rows,
    y,
    *,
    epochs,
    batch_size,
    min_steps,
    validation_fraction,
    min_validation_windows,
    batch_multiple=1,
):
    """Decide the validation tail and the number of epochs of one ``fit``.

    Parameters
    ----------
    rows : ndarray of int
        Rows with a non-zero weight, in time order.
    y : ndarray
        Encoded labels.
    epochs : int or "auto"
    batch_size, min_steps, min_validation_windows, batch_multiple : int
    validation_fraction : float

    Returns
    -------
    TrainingPlan
    """
    train_rows, validation_rows, tail_note = split_validation_tail(
        rows, y, validation_fraction, min_validation_windows
    )
    steps_per_epoch = max(
        1, batch_count(len(train_rows), batch_size, batch_multiple, equal_sizes=True)[1]
    )
    planned, epochs_note = count_epochs(epochs, steps_per_epoch, min_steps)
    notes = (epochs_note,) if tail_note is None else (tail_note, epochs_note)
    return TrainingPlan(train_rows, validation_rows, planned, steps_per_epoch, notes)
