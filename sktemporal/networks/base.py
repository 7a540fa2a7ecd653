"""What every network builder returns."""

import contextlib
from typing import NamedTuple

import keras

__all__ = ["ATTENTION_LAYER_PREFIX", "NetworkGraph", "apply_layers", "dtype_policy_scope"]

#: Layers whose second output is an attention map are named ``attention_0``, ``attention_1``...
#: in depth order, so the maps can be found again in a model loaded from disk.
ATTENTION_LAYER_PREFIX = "attention_"


class NetworkGraph(NamedTuple):
    """Symbolic tensors of a network body, before the classification head.

    Attributes
    ----------
    inputs : KerasTensor
        The input, of shape ``(batch, timesteps, features)``.
    representation : KerasTensor
        One vector per sequence, of shape ``(batch, units)``, fed to the head.
    attention_stride : int
        Input steps per step of the attention maps: 1 when attention reads the input steps, the
        stem's pool size when a convolutional stem shortened the sequence first (see
        :func:`~sktemporal.networks.spread_over_input_steps`).
    stem_features : KerasTensor or None
        The convolutional stem's output, of shape ``(batch, steps, filters)``, for an auxiliary
        head (:mod:`~sktemporal.networks.deep_supervision`); None without a stem.
    """

    inputs: keras.KerasTensor
    representation: keras.KerasTensor
    attention_stride: int = 1
    stem_features: keras.KerasTensor | None = None


def apply_layers(x, layers):
    """Apply a layer, or each of a list of layers in order, to ``x``; None leaves it as it is."""
    if layers is None:
        return x
    for layer in layers if isinstance(layers, (list, tuple)) else [layers]:
        x = layer(x)
    return x


@contextlib.contextmanager
def dtype_policy_scope(name):
    """Build (or load) layers under the dtype policy ``name``; restore the previous one after.

    Layers take Keras' default policy when they are constructed and keep it (it is saved with
    them), and Keras keeps the default per thread, so setting it around one model's
    construction gives that model its own policy without touching any other model's.

    Parameters
    ----------
    name : str
        A Keras dtype policy name such as ``"float32"`` or ``"mixed_bfloat16"``.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
