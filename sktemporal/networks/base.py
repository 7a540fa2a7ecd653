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
    """

    inputs: keras.KerasTensor
    representation: keras.KerasTensor
