"""The training loop of the deep classifiers: inputs, optimizer, schedule, callbacks, seeding.

Private to :mod:`sktemporal.classifiers`. ``BaseDeepClassifier.fit`` plans the run
(:mod:`~sktemporal.classifiers._plan`), then uses these functions to learn the input
statistics, make the optimizer and callbacks, and run ``Model.fit`` on seeded batches.
"""

import math
import os

import keras
import numpy as np

from sktemporal._quiet import retracing_warnings_hidden
from sktemporal.classifiers._batches import WindowBatches
from sktemporal.classifiers._data_parallel import distribution_scope, replica_count
from sktemporal.classifiers._inference import PREDICTION_CHUNK_ROWS, forward
from sktemporal.classifiers._keras_private import build_training_state, seeded
from sktemporal.classifiers._schedule import WarmupCosineDecay

__all__ = [
    "PredictionLoss",
    "channel_statistics",
    "describe_heads",
    "describe_optimizer",
    "fit_on_windows",
    "make_optimizer",
    "training_callbacks",
    "warmup_steps",
]

# Share of the planned gradient steps spent warming the learning rate up, and the fraction of it
# that the cosine decay ends at (Loshchilov & Hutter, SGDR, 2017; Goyal et al., 2017).
_WARMUP_SHARE = 0.05
_FINAL_LEARNING_RATE_FACTOR = 0.01


def warmup_steps(total_steps):
    """Gradient steps of the learning-rate warm-up in a run of ``total_steps``."""
    return int(total_steps * _WARMUP_SHARE)


def channel_statistics(X, rows):
    """Mean and variance of each channel over the windows ``X[rows]``, a chunk at a time.

    Windows from a sliding view share rows, so they are gathered in chunks rather than whole.
    """
    total = np.zeros(X.shape[2])
    squares = np.zeros(X.shape[2])
    for start in range(0, len(rows), PREDICTION_CHUNK_ROWS):
        chunk = np.asarray(X[rows[start : start + PREDICTION_CHUNK_ROWS]], dtype=np.float64)
        total += chunk.sum(axis=(0, 1))
        squares += np.square(chunk).sum(axis=(0, 1))
    count = len(rows) * X.shape[1]
    mean = total / count
    return mean, np.maximum(squares / count - np.square(mean), 0.0)


def make_optimizer(estimator, plan):
    """A fresh optimizer: a copy of an instance, or one made from a name and the schedule.

    Parameters
    ----------
    estimator : BaseDeepClassifier
        Its ``optimizer``, ``learning_rate``, ``learning_rate_schedule``, ``weight_decay``
        and ``gradient_clip`` are read.
    plan : TrainingPlan or None
        The run's plan; None (``partial_fit``, or a check before fitting) keeps the learning
        rate constant.
    """
    optimizer = estimator.optimizer
    if not isinstance(optimizer, str):
        return type(optimizer).from_config(optimizer.get_config())
    try:
        optimizer_class = type(keras.optimizers.get(optimizer))
    except (ValueError, TypeError):
        raise ValueError(
            f"optimizer={optimizer!r} is not the name of a Keras optimizer "
            "(e.g. 'adamw', 'adam', 'sgd', 'rmsprop')."
        ) from None
    learning_rate = estimator.learning_rate
    if estimator.learning_rate_schedule == "cosine" and plan is not None:
        warmup = warmup_steps(plan.total_steps)
        learning_rate = WarmupCosineDecay(
            peak=estimator.learning_rate,
            warmup_steps=warmup,
            decay_steps=plan.total_steps - warmup,
            floor=estimator.learning_rate * _FINAL_LEARNING_RATE_FACTOR,
        )
    kwargs = {"learning_rate": learning_rate, "clipnorm": estimator.gradient_clip}
    # AdamW insists on a number; the other optimizers take None for "no decay".
    if estimator.weight_decay or issubclass(optimizer_class, keras.optimizers.AdamW):
        kwargs["weight_decay"] = estimator.weight_decay
    return optimizer_class(**kwargs)


def describe_optimizer(estimator, plan):
    """One line on the optimizer and schedule that :func:`make_optimizer` makes."""
    if not isinstance(estimator.optimizer, str):
        return f"optimizer {type(estimator.optimizer).__name__} as given"
    rate = estimator.learning_rate
    clip = ""
    if estimator.gradient_clip is not None:
        clip = f", each weight's gradient clipped to norm {estimator.gradient_clip:g}"
    schedule = {
        "constant": f"constant learning rate {rate:g}",
        "plateau": f"learning rate {rate:g}, halved on plateaus of {plan.monitor}",
        "cosine": f"learning rate warmed up to {rate:g} over {warmup_steps(plan.total_steps)} "
        f"steps, then cosine decay over the {plan.total_steps} planned steps",
    }[estimator.learning_rate_schedule]
    return f"{estimator.optimizer}, weight decay {estimator.weight_decay:g}{clip}, {schedule}"


#: Most training windows on which :class:`PredictionLoss` measures the predictions each epoch:
#: about as many as a validation tail holds, and 0.15 s an epoch for the default network on
#: 30 x 34 windows on 2 CPU cores (1,024 took 0.3 s, 17 s of the main job's 3 minutes).
PREDICTION_LOSS_WINDOWS = 512


class PredictionLoss(keras.callbacks.Callback):
    """Record the training loss and accuracy of the predictions, like ``val_loss``.

    With an auxiliary head the loss that training minimises is the sum of both heads'
    cross-entropies, while ``val_loss`` is the cross-entropy of the predicted probabilities
    (the main head's, or both heads' mean): plotted side by side they differ by the
    auxiliary term, a gap that is not over-fitting. At the end of each epoch this callback
    moves the minimised loss and its accuracy to ``objective`` and ``objective_accuracy``,
    and sets ``loss`` and ``accuracy`` to those of the predictions on training windows, as
    ``val_loss`` is computed: without dropout, the cross-entropy clipped at Keras' epsilon,
    weighted as Keras weights a loss. At most :data:`PREDICTION_LOSS_WINDOWS` windows, spread
    evenly over the training rows, are used.

    On JAX the predictions come from the jitted forward pass that ``predict_proba`` uses
    (one compilation per fit, a fraction of a second for each epoch); ``Model.evaluate``
    would compute the same loss but costs about a second an epoch on 2 CPU cores, most of it
    Keras reading its metrics back eagerly. On the other backends ``Model.evaluate`` is used,
    which is also right under a ``tf.distribute`` strategy.

    Parameters
    ----------
    X, y, weights : ndarray
        All windows, their encoded labels and sample weights (None for none).
    rows : ndarray of int
        The training windows.
    batch_size, batch_multiple : int
        As for the validation batches (used by ``Model.evaluate``).
    """

    def __init__(self, X, y, weights, rows, *, batch_size, batch_multiple=1):
        super().__init__()
        picked = rows
        if len(rows) > PREDICTION_LOSS_WINDOWS:
            positions = np.linspace(0, len(rows) - 1, PREDICTION_LOSS_WINDOWS).round()
            picked = rows[positions.astype(int)]
        self._X, self._rows, self._y = X, picked, y[picked]
        self._weights = None if weights is None else weights[picked].astype(np.float64)
        self._batches = WindowBatches(
            X, y, weights, picked, batch_size=batch_size, batch_multiple=batch_multiple
        )

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or "loss" not in logs:
            return
        if keras.backend.backend() == "jax":
            loss, accuracy = self._measured_on_predictions()
        else:
            measured = self.model.evaluate(self._batches, verbose=0, return_dict=True)
            loss, accuracy = measured["loss"], measured.get("accuracy")
        logs["objective"] = logs["loss"]
        logs["loss"] = float(loss)
        if "accuracy" in logs and accuracy is not None:
            logs["objective_accuracy"] = logs["accuracy"]
            logs["accuracy"] = float(accuracy)

    def _measured_on_predictions(self):
        proba = forward(self.model, self._X[self._rows])[0]
        picked = proba[np.arange(len(self._y)), self._y]
        losses = -np.log(np.clip(picked, keras.backend.epsilon(), 1.0))
        correct = proba.argmax(axis=1) == self._y
        weights = np.ones(len(losses)) if self._weights is None else self._weights
        accuracy = np.sum(weights * correct) / max(weights.sum(), np.finfo(float).tiny)
        return np.mean(weights * losses), accuracy


def describe_heads(estimator):
    """What ``verbose=1`` says of the auxiliary head and of which head predicts (or nothing)."""
    if not estimator._has_auxiliary_head():
        return []
    predictions = (
        "the mean of both heads' probabilities (ensemble_heads=True)"
        if estimator.ensemble_heads
        else "the main head (ensemble_heads=False)"
    )
    return [
        "an auxiliary head on the stem's features averaged over time adds its "
        f"cross-entropy, weighted {estimator.deep_supervision:g}, to the training loss "
        "(deep_supervision; history_['objective']); predictions, and history_['loss'], "
        f"come from {predictions}"
    ]


def training_callbacks(estimator, plan, prediction_loss=None):
    """Backup, early stopping with best-weight restore, and the plateau schedule of a run.

    With a :class:`PredictionLoss` callback (``prediction_loss``), it comes first so that the
    others read its entries, and a run without a validation tail monitors ``objective``, the
    loss that training minimises, as it would without the callback.
    """
    callbacks = [] if prediction_loss is None else [prediction_loss]
    monitor = plan.monitor
    if prediction_loss is not None and monitor == "loss":
        monitor = "objective"
    if estimator.checkpoint_dir is not None:
        callbacks.append(keras.callbacks.BackupAndRestore(os.fspath(estimator.checkpoint_dir)))
    if estimator.patience is not None:
        # Without a validation tail the training loss is monitored: a patience longer than
        # the run never stops it, and the epoch of the lowest loss is restored at the end.
        patience = estimator.patience if len(plan.validation_rows) else plan.epochs + 1
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, mode="min", patience=patience, restore_best_weights=True
            )
        )
    if estimator.learning_rate_schedule == "plateau" and isinstance(estimator.optimizer, str):
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                mode="min",
                factor=0.5,
                patience=max(2, math.ceil(plan.epochs / 10)),
                min_lr=estimator.learning_rate * _FINAL_LEARNING_RATE_FACTOR,
            )
        )
    return callbacks


def fit_on_windows(
    fit_keras_model,
    model,
    X,
    y,
    weights,
    rows,
    validation_rows=(),
    *,
    batch_size,
    seed,
    distribution,
    epochs,
    initial_epoch=0,
):
    """Run ``Model.fit`` on batches cut from ``X`` one at a time, under a fixed seed.

    Parameters
    ----------
    fit_keras_model : callable
        scikeras' ``_fit_keras_model`` bound to the estimator, which runs ``Model.fit`` and
        collects ``history_``.
    model : keras.Model
        The compiled network.
    X, y, weights : ndarray
        All windows, their encoded labels and sample weights (None for none).
    rows, validation_rows : ndarray of int
        The windows to train on, and the time-ordered validation tail (empty for none).
    batch_size : int
    seed : int or None
        Seeds Keras, the backend and the batches' shuffle.
    distribution : tf.distribute.Strategy, keras.distribution.Distribution or None
        Data parallelism; None for one device.
    epochs, initial_epoch : int
    """
    multiple = replica_count(distribution)
    batches = WindowBatches(
        X,
        y,
        weights,
        rows,
        batch_size=batch_size,
        shuffle=True,
        seed=seed,
        batch_multiple=multiple,
        equal_sizes=True,
    )
    validation = None
    if len(validation_rows):
        validation = WindowBatches(
            X, y, weights, validation_rows, batch_size=batch_size, batch_multiple=multiple
        )
    if distribution is None:
        build_training_state(model, batches[0])
    with seeded(seed), distribution_scope(distribution), retracing_warnings_hidden():
        fit_keras_model(
            batches,
            None,
            sample_weight=None,
            warm_start=initial_epoch > 0,
            epochs=epochs,
            initial_epoch=initial_epoch,
            validation_data=validation,
            # WindowBatches reshuffles the rows each epoch with its own seeded generator;
            # Keras' shuffle of the batch order would draw from the global ``random`` in a
            # tf.data thread, at a time no seed controls.
            shuffle=False,
        )
