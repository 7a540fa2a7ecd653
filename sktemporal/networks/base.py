"""What every network builder returns."""

from typing import NamedTuple

import keras

__all__ = ["ATTENTION_LAYER_PREFIX", "NetworkGraph"]

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
    """

    inputs: keras.KerasTensor
    representation: keras.KerasTensor
    attention_stride: int = 1
