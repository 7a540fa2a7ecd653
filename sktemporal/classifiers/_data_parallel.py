"""Data-parallel training over several devices: from a ``devices`` parameter to a Keras scope.

A classifier's ``devices`` parameter is a plain list of device names (or ``"all"``), so the
estimator stays cloneable and picklable; the backend object that spreads the work is made at
``fit`` time. On JAX it is a ``keras.distribution.DataParallel``: variables are replicated, each
batch is sharded over the devices and the gradients are averaged, as one global computation.
On TensorFlow it is a ``tf.distribute.MirroredStrategy``: one replica of the model per device,
each running its share of the batch, gradients all-reduced. Either way a step computes the
same gradient as one device running the whole batch.
"""

import contextlib
import functools
import math

import keras

__all__ = ["make_distribution", "distribution_scope", "replica_count", "prediction_model"]

_BACKENDS = ("jax", "tensorflow")


def _normalise(name):
    """``"/device:GPU:0"``, ``"/gpu:0"`` or ``"GPU:0"`` -> ``"gpu:0"``, as Keras lists devices."""
    name = str(name).strip().lower().lstrip("/")
    return name.removeprefix("device:")


def make_distribution(devices, batch_size):
    """The backend's data-parallel object for ``devices``, or None when ``devices`` is None.

    Parameters
    ----------
    devices : None, "all" or list of str
        Device names as ``keras.distribution.list_devices()`` gives them (``"gpu:0"``); the
        forms ``"/gpu:0"`` and ``"/device:GPU:0"`` are accepted. ``"all"`` takes every
        accelerator, or every CPU device when there is no accelerator.
    batch_size : int
        Windows per step; it must split evenly over the devices.

    Returns
    -------
    keras.distribution.DataParallel, tf.distribute.MirroredStrategy or None

    Raises
    ------
    ValueError
        For a backend without data-parallel support, an unknown or repeated device, or a
        batch size that does not split evenly; before anything is trained.
    """
    if devices is None:
        return None
    backend = keras.backend.backend()
    if backend not in _BACKENDS:
        raise ValueError(
            f"devices={devices!r} needs the JAX or TensorFlow backend (data-parallel training "
            f"goes through keras.distribution or tf.distribute), but Keras runs on {backend!r}. "
            "Set KERAS_BACKEND=jax or KERAS_BACKEND=tensorflow, or leave devices=None."
        )
    available = keras.distribution.list_devices()
    if isinstance(devices, str):
        if devices != "all":
            raise ValueError(f'devices must be None, "all" or a list of names; got {devices!r}.')
        chosen = list(available)
    else:
        chosen = [_normalise(device) for device in devices]
        if not chosen:
            raise ValueError("devices is an empty list; name at least one device, or use None.")
        unknown = [device for device in chosen if device not in available]
        if unknown:
            raise ValueError(
                f"devices names {unknown}, which the {backend} backend does not have; it has "
                f"{available}."
            )
        repeated = sorted({device for device in chosen if chosen.count(device) > 1})
        if repeated:
            raise ValueError(f"devices names {repeated} more than once.")
    if batch_size % len(chosen):
        suggestion = math.ceil(batch_size / len(chosen)) * len(chosen)
        raise ValueError(
            f"batch_size={batch_size} does not split evenly over the {len(chosen)} devices "
            f"{chosen}; use a multiple of {len(chosen)}, e.g. batch_size={suggestion}."
        )
    if backend == "jax":
        return keras.distribution.DataParallel(devices=chosen)
    return _mirrored_strategy(tuple(chosen))


@functools.cache
def _mirrored_strategy(devices):
    """One ``MirroredStrategy`` per set of devices and process.

    Each strategy numbers its collective all-reduce operations from the same start, so models
    trained under two strategies in one process mix up each other's reductions ("Shape mismatch
    in the collective instance"); models that share a strategy do not.
    """
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(devices=list(devices))


def distribution_scope(distribution):
    """The scope in which to build and train a model under ``distribution`` (None: no-op)."""
    return contextlib.nullcontext() if distribution is None else distribution.scope()


def replica_count(distribution):
    """How many devices share each batch (1 without a distribution)."""
    if distribution is None:
        return 1
    if hasattr(distribution, "num_replicas_in_sync"):  # tf.distribute.Strategy
        return int(distribution.num_replicas_in_sync)
    return int(distribution.device_mesh.devices.size)  # keras.distribution.DataParallel


def prediction_model(model):
    """``model``, or a model over the same layers outside any ``tf.distribute`` strategy.

    A Keras model built under a ``tf.distribute`` strategy runs ``predict_on_batch`` on every
    replica with the *whole* batch and concatenates the copies (so ``n`` windows give
    ``n x replicas`` rows). A model over the same layers created outside the strategy predicts
    on one device with the trained (mirrored) weights.
    """
    if getattr(model, "_distribute_strategy", None) is None:
        return model
    return keras.Model(model.inputs, model.outputs, name=model.name)
