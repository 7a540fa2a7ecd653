"""Keras network builders: one network per module, no labels, optimisers or training.

A builder holds architecture hyper-parameters (in Keras words) and has one job,
``build_network(input_shape)``, returning a :class:`NetworkGraph`. The estimators in
:mod:`sktemporal.classifiers` add the classification head, compile and train.
"""

from sktemporal.networks.attention_lstm import AttentionLSTMNetwork
from sktemporal.networks.base import (
    ATTENTION_LAYER_PREFIX,
    NetworkGraph,
    apply_layers,
    dtype_policy_scope,
)
from sktemporal.networks.stem import ConvolutionalStem, spread_over_input_steps
from sktemporal.networks.transformer import TransformerNetwork

__all__ = [
    "ATTENTION_LAYER_PREFIX",
    "AttentionLSTMNetwork",
    "ConvolutionalStem",
    "NetworkGraph",
    "TransformerNetwork",
    "apply_layers",
    "dtype_policy_scope",
    "spread_over_input_steps",
]
